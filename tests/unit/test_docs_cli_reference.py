"""The docs that ship: the command-line reference names every command and option of the real
parser (and nothing it lacks), and every link of README.md and docs/*.md stays in the repository
and points at a file (and heading) that exists."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli.main import PROG, build_parser

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "command-line.md"
REFERENCE_HEADING = "## Reference: every command and option"
HELP_OPTIONS = frozenset({"-h", "--help"})  # every command has them; said once in the intro
_COMMAND_HEADING = re.compile(r"^### `([^`]+)`\s*$")
_LONG_OPTION = re.compile(r"(?<![\w-])--[A-Za-z][\w-]*")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_OUTSIDE = re.compile(r"\.\./shared|(?<![\w.~-])/work/")


def command_options(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, list[str]]]:
    """(command path, its option strings) of ``parser`` and of every subcommand under it."""
    options: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_options(sub, (*path, name))
        else:
            options.extend(s for s in action.option_strings if s not in HELP_OPTIONS)
    yield " ".join(path), options


def mentions(text: str, option: str) -> bool:
    """Whether ``option`` (``--json``, ``-e``) appears in ``text`` as a word of its own."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def reference_sections(markdown: str) -> dict[str, str]:
    """The reference's ``### `COMMAND``` sections: {command path: its text} ("" is the program)."""
    assert REFERENCE_HEADING in markdown, f"{REFERENCE.name} lost its '{REFERENCE_HEADING}'"
    tail = markdown.split(REFERENCE_HEADING, 1)[1].split("\n## ", 1)[0]
    sections: dict[str, str] = {}
    current: str | None = None
    for line in tail.splitlines():
        heading = _COMMAND_HEADING.match(line)
        if heading:
            name = heading.group(1).strip()
            current = "" if name == PROG else name.removeprefix(f"{PROG} ")
            assert current not in sections, f"the reference has two sections for `{name}`"
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def section_parts(text: str) -> tuple[str, str, str]:
    """(usage: the code blocks, terms: each ``- TERM: ...`` bullet's TERM, prose: the rest)."""
    usage, terms, prose = [], [], []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif in_code:
            usage.append(line)
        elif line.startswith("- "):
            terms.append(line[2:].split(": ", 1)[0])
        elif not line.startswith("  "):
            prose.append(line)
    return "\n".join(usage), "\n".join(terms), "\n".join(prose).strip()


def reference_problems(markdown: str) -> list[str]:
    """What the reference lacks, or names that the parser does not have (empty: in step).

    Each command needs a section that says what it does, shows every long option in its usage
    block (a group of actions needs none) and describes every option but ``--json``
    (explained once for all) in a bullet.
    """
    sections = reference_sections(markdown)
    parsed = dict(command_options(build_parser()))
    problems = [
        f"no section `### \\`{path or PROG}\\`` for the command `{PROG} {path}`".rstrip()
        for path in parsed
        if path not in sections
    ]
    problems += [
        f"a section for `{path}`, which is not a command of {PROG}"
        for path in sections
        if path not in parsed
    ]
    for path, options in parsed.items():
        text = sections.get(path)
        if text is None:
            continue
        label = f"`{path or PROG}`"
        usage, terms, prose = section_parts(text)
        if not prose:
            problems.append(f"{label} has no sentence saying what it does")
        is_group = any(other.startswith(f"{path} ") for other in parsed if path)
        if not usage and not is_group:
            problems.append(f"{label} has no usage block")
        problems += [
            f"{label}'s usage lacks {o}"
            for o in options
            if o.startswith("--") and not mentions(usage, o)
        ]
        problems += [
            f"{label} has no bullet describing {o}"
            for o in options
            if o != "--json" and not mentions(terms, o)
        ]
        problems += [
            f"{label} mentions {o}, which it does not have"
            for o in sorted(set(_LONG_OPTION.findall(text)) - set(options))
        ]
    return problems


def test_the_reference_names_every_command_and_option() -> None:
    problems = reference_problems(REFERENCE.read_text(encoding="utf-8"))
    assert not problems, "docs/command-line.md is out of step with the parser:\n" + "\n".join(
        problems
    )


def test_a_line_missing_from_the_reference_is_named() -> None:
    markdown = REFERENCE.read_text(encoding="utf-8")
    bullet = "- `--follow`, `-f`: keep printing new output until the job ends (Ctrl-C stops"
    usage = "mlops-desktop jobs logs RUN [--follow]\n"
    assert bullet in markdown and usage in markdown
    assert reference_problems(markdown.replace(bullet, "- keep printing")) == [
        "`jobs logs` has no bullet describing --follow",
        "`jobs logs` has no bullet describing -f",
    ]
    assert reference_problems(markdown.replace(usage, "mlops-desktop jobs logs RUN\n")) == [
        "`jobs logs`'s usage lacks --follow"
    ]
    experiments = "mlops-desktop experiments [--json]\n"
    no_json = markdown.replace(experiments, "mlops-desktop experiments\n")
    assert reference_problems(no_json) == ["`experiments`'s usage lacks --json"]
    no_section = markdown.replace("### `hosts rekey`", "### hosts rekey")
    assert "no section `### \\`hosts rekey\\`` for the command `mlops-desktop hosts rekey`" in (
        reference_problems(no_section)
    )
    invented = markdown.replace("mlops-desktop hw [--host HOST]", "mlops-desktop hw [--gpu-only]")
    assert "`hw` mentions --gpu-only, which it does not have" in reference_problems(invented)


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file (duplicates get -1, -2...)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not re.match(r"^#{1,6} ", line):
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.lstrip("#").strip())
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _doc_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def link_problems(doc: Path, repo: Path = REPO) -> list[str]:
    """Links of ``doc`` that leave ``repo`` or point at nothing, and paths outside it."""
    text = doc.read_text(encoding="utf-8")
    name = doc.relative_to(repo).as_posix()
    problems = [
        f"{name} names {m.group(0)!r}, outside the repository" for m in _OUTSIDE.finditer(text)
    ]
    targets = _LINK.findall(text) + _REFERENCE_LINK.findall(text)
    for target in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        if file_part.startswith("/"):
            problems.append(f"{name} links to the absolute path {target!r}")
            continue
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.is_relative_to(repo):
            problems.append(f"{name} links to {target!r}, outside the repository")
        elif not linked.exists():
            problems.append(f"{name} links to {target!r}, which does not exist")
        elif (
            anchor
            and linked.suffix == ".md"
            and anchor not in github_anchors(linked.read_text(encoding="utf-8"))
        ):
            problems.append(f"{name} links to {target!r}: no such heading there")
    return problems


@pytest.mark.parametrize("doc", _doc_files(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_links_stay_in_the_repository_and_exist(doc: Path) -> None:
    problems = link_problems(doc)
    assert not problems, "\n".join(problems)


def test_a_link_outside_or_to_nothing_is_named(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "command-line.md").write_bytes(REFERENCE.read_bytes())
    bad = repo / "docs" / "probe.md"
    bad.write_text(
        "See [interfaces](../../shared/INTERFACES.md), [gone](missing.md),\n"
        "[abs](/work/main/README.md), [ok](command-line.md#runs-list) and\n"
        "[no heading](command-line.md#no-such-heading).\n",
        encoding="utf-8",
    )
    assert link_problems(bad, repo) == [
        "docs/probe.md names '../shared', outside the repository",
        "docs/probe.md names '/work/', outside the repository",
        "docs/probe.md links to '../../shared/INTERFACES.md', outside the repository",
        "docs/probe.md links to 'missing.md', which does not exist",
        "docs/probe.md links to the absolute path '/work/main/README.md'",
        "docs/probe.md links to 'command-line.md#no-such-heading': no such heading there",
    ]


def test_every_doc_page_is_linked_from_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = {Path(t.partition("#")[0]).name for t in _LINK.findall(readme)}
    unlinked = [p.name for p in sorted((REPO / "docs").glob("*.md")) if p.name not in linked]
    assert not unlinked, f"README.md does not link to docs/{', docs/'.join(unlinked)}"
