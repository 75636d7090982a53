"""The Card tab: a model version's card as rich text, plus its filterable package list.

Links in the card: ``run:<id>`` opens the run, ``dataset:<name>/<version>`` the dataset version.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from mlops_desktop.core.model_documents import description_rows
from mlops_desktop.core.models import AuditEntry, ModelCard
from mlops_desktop.ui.formatting import (
    format_time,
    format_value,
    human_bytes,
    short_id,
    shown_lines,
    shown_text,
)
from mlops_desktop.ui.widgets import FilterableTable

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)
TABLE = '<table cellspacing="0" cellpadding="3" border="0">'


def markdown_html(text: str) -> str:
    """Markdown rendered by Qt, as an HTML fragment to embed."""
    doc = QTextDocument()
    doc.setMarkdown(text)
    match = _BODY.search(doc.toHtml())
    return match.group(1) if match else _h(text)


def describe_audit(entry: AuditEntry) -> str:
    """One line for people: what an audit entry changed."""
    d = entry.detail
    if entry.action == "alias_moved":
        return f"{d.get('alias')}: v{d.get('from')} → v{d.get('to')}"
    if entry.action in ("alias_set", "alias_removed"):
        where = d.get("to") or d.get("version") or entry.version
        return f"{d.get('alias')} (v{where})" if where else str(d.get("alias", ""))
    if entry.action == "tag_set":
        return f"{d.get('key')}={d.get('value')}"
    if entry.action == "tag_removed":
        return str(d.get("key", ""))
    if entry.action == "described":
        return "description edited"
    return ", ".join(f"{k}={v}" for k, v in d.items())


def dataset_href(name: str, version: str) -> str:
    return "dataset:" + quote(name, safe="") + "/" + quote(version, safe="")


NOT_RECORDED = "<p><i>Not recorded</i></p>"


def _rows(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    head = "".join(f"<th align='left'>{_h(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"{TABLE}<tr>{head}</tr>{body}</table>"


def _h(value: Any) -> str:
    """User text as HTML: control characters escaped, then HTML-escaped."""
    return html.escape(shown_text(str(value)))


def _esc(value: Any) -> str:
    return _h(format_value(value))


FROM_ARCHIVE = " <small><i>(from archive)</i></small>"


def _archived(card: ModelCard, field: str) -> str:
    """The "(from archive)" mark of a section whose values came from an imported archive."""
    fields = (card.from_archive or {}).get("fields") or []
    return FROM_ARCHIVE if field in fields else ""


def _archive_note(card: ModelCard) -> list[str]:
    if not card.from_archive:
        return []
    archived = card.from_archive
    return [
        "<p><small>Imported from "
        f"{_h(archived.get('archive') or 'an archive')} (exported as "
        f"{_h(archived.get('model') or '?')}): the parts marked <i>from archive</i> are as the "
        "archive recorded them; their runs and datasets are not in this catalog.</small></p>"
    ]


def card_html(card: ModelCard) -> str:
    """The whole card (everything but the package list) as HTML."""
    sections = (
        _header_section,
        _archive_note,
        _run_section,
        _datasets_section,
        _code_section,
        _environment_section,
        _model_folder_section,
        _signature_section,
        _files_section,
        _history_section,
    )
    return "\n".join(part for section in sections for part in section(card))


def _header_section(card: ModelCard) -> list[str]:
    v = card.version
    facts = [f"registered {format_time(v.created_at)} by {_h(v.created_by)}"]
    if v.aliases:
        facts.append("aliases: <b>" + _h(", ".join(sorted(v.aliases))) + "</b>")
    if v.tags:
        facts.append("tags: " + _h(", ".join(f"{k}={t}" for k, t in v.tags.items())))
    if v.archived:
        facts.append("<i>archived</i>")
    description = (
        markdown_html(shown_lines(v.description)) if v.description.strip() else "<p><i>None</i></p>"
    )
    return [
        f"<h2>{_h(v.name)} v{v.version}</h2>",
        "<p>" + " · ".join(facts) + "</p>",
        f"<p><small>fingerprint {_h(v.fingerprint)}</small></p>",
        "<h3>Description</h3>",
        description,
    ]


def _run_section(card: ModelCard) -> list[str]:
    run = card.run
    if run is None:
        return [
            "<h3>Source run</h3>",
            f"<p>Registered from a file: {_h(card.version.source)}</p>",
        ]
    title = _h(run.name or short_id(run.id))
    archived = _archived(card, "run")
    link = title if archived else f'<a href="run:{_h(run.id)}">{title}</a>'
    metrics = [(_h(k), _esc(x)) for k, x in sorted(run.metrics.items())]
    params = [(_h(k), _esc(x)) for k, x in sorted(run.params.items())]
    return [
        f"<h3>Source run{archived}</h3>",
        f"<p>{link} in {_h(run.experiment)} · {_h(run.status)} · <small>{_h(run.id)}</small></p>",
        "<p><b>Metrics</b></p>" + _rows(metrics, ("metric", "value")),
        "<p><b>Params</b></p>" + _rows(params, ("param", "value")),
    ]


def _datasets_section(card: ModelCard) -> list[str]:
    archived = _archived(card, "datasets")
    links = []
    for entry in card.datasets:
        name, version = str(entry.get("name") or ""), str(entry.get("version") or "")
        text = _h(f"{name}@{version}" if version else name)
        links.append(text if archived else f'<a href="{dataset_href(name, version)}">{text}</a>')
    shown = ", ".join(links) or "<i>None recorded</i>"
    return [f"<h3>Datasets{archived}</h3>", f"<p>{shown}</p>"]


def _code_section(card: ModelCard) -> list[str]:
    code = card.code or {}
    if not code:
        return ["<h3>Code</h3>", NOT_RECORDED]
    dirty = code.get("diff_bytes") or 0
    state = f"uncommitted diff {human_bytes(dirty)}" if code.get("dirty") else "clean"
    return [
        f"<h3>Code{_archived(card, 'code')}</h3>",
        f"<p>commit <code>{_h(str(code.get('commit') or '—'))}</code> on "
        f"{_h(str(code.get('branch') or '—'))} · {state}</p>",
    ]


def _environment_section(card: ModelCard) -> list[str]:
    env = card.environment or {}
    packages = env.get("packages") or {}
    if not (env.get("python") or env.get("platform") or packages):
        return ["<h3>Environment</h3>", NOT_RECORDED]
    return [
        f"<h3>Environment{_archived(card, 'environment')}</h3>",
        f"<p>Python {_h(str(env.get('python') or '?'))} · "
        f"{_h(str(env.get('platform') or '?'))} · {len(packages)} packages "
        "(listed on the right)</p>",
    ]


def _model_folder_section(card: ModelCard) -> list[str]:
    """Flavour, loader, requirements, signature and input example of a model folder."""
    rows = description_rows(card.model_description)
    if card.files_problem:  # the files are in the lab store only, which did not answer
        note = f"<p><i>The model's files are not shown: {_h(card.files_problem)}</i></p>"
        return ["<h3>Model folder (MLmodel)</h3>", note]
    if not rows:
        return []
    cells = [(_h(label), _h(text)) for label, text in rows]
    return ["<h3>Model folder (MLmodel)</h3>", _rows(cells, ("field", "value"))]


def _signature_section(card: ModelCard) -> list[str]:
    if not card.signature:
        return [
            "<h3>Input signature</h3>",
            "<p><i>Unknown: log an input example with the model</i></p>",
        ]
    rows = [(_h(c), _h(t)) for c, t in card.signature]
    source = _h(card.signature_source or "unknown")
    title = f"<h3>Input signature{_archived(card, 'signature')}</h3>"
    return [title, f"<p>from {source}</p>" + _rows(rows, ("column", "type"))]


def _files_section(card: ModelCard) -> list[str]:
    v = card.version
    files = [
        (_h(f.path), human_bytes(f.size), f"<code>{_h(f.digest[:19])}</code>") for f in v.files
    ]
    return [
        f"<h3>Files ({len(v.files)}, {human_bytes(v.size)})</h3>",
        _rows(files, ("path", "size", "hash")),
    ]


def _history_section(card: ModelCard) -> list[str]:
    history = sorted(card.history, key=lambda e: e.at, reverse=True)
    rows = [
        (
            format_time(e.at),
            _h(e.user),
            _h(e.action) + (f" v{e.version}" if e.version is not None else ""),
            _h(describe_audit(e)),
        )
        for e in history
    ]
    return ["<h3>History</h3>", _rows(rows, ("time", "user", "action", "detail"))]


class CardView(QWidget):
    """The card text on the left, the environment's packages (filterable) on the right.

    Signals:
        runActivated(str): a run link was clicked.
        datasetActivated(str, str): a dataset link was clicked: (name, version).
    """

    runActivated = Signal(str)
    datasetActivated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card: ModelCard | None = None
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.packages_label = QLabel("<b>Packages</b>")
        self.packages = FilterableTable(["Package", "Version"], "Filter packages")
        right = self.packages_panel = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.packages_label)
        right_layout.addWidget(self.packages, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.browser)
        self.split.addWidget(right)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.split)
        self.browser.anchorClicked.connect(self._on_anchor_clicked)

    def set_card(self, card: ModelCard | None) -> None:
        self.card = card
        if card is None:
            self.browser.clear()
            self.packages.set_rows([])
            return
        self.browser.setHtml(card_html(card))
        packages = (card.environment or {}).get("packages") or {}
        self.packages_label.setText(f"<b>Packages</b> ({len(packages)})")
        self.packages.set_rows(sorted(packages.items()))
        self.packages_panel.setVisible(bool(packages))

    def show_message(self, text: str) -> None:
        self.card = None
        self.browser.setHtml(f"<p>{_h(text)}</p>")
        self.packages.set_rows([])

    def text(self) -> str:
        return self.browser.toPlainText()

    def _on_anchor_clicked(self, url: QUrl) -> None:
        href = url.toString()
        if href.startswith("run:"):
            self.runActivated.emit(href.removeprefix("run:"))
        elif href.startswith("dataset:"):
            name, _, version = href.removeprefix("dataset:").partition("/")
            self.datasetActivated.emit(unquote(name), unquote(version))
