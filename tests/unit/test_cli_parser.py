"""The command line's shape (commands, actions, ``--json``) and its output helpers."""

from __future__ import annotations

import argparse
import json

import pytest

from mlops_desktop.cli.commands import key_value_pairs
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.main import build_parser
from mlops_desktop.cli.output import dumps, human_bytes, json_number, text_table
from mlops_desktop.core.errors import DatasetError

WITH_JSON = {
    "gui": False,
    "demo": True,
    "runs": {
        "list": True,
        "show": True,
        "metric": True,
        "rename": True,
        "tag": True,
        "delete": True,
        "restore": True,
        "trash": True,
    },
    "experiments": True,
    "data": dict.fromkeys(
        ["add", "list", "versions", "diff", "checkout", "profile", "used-by"], True
    ),
    "drift": True,
    "models": dict.fromkeys(
        [
            "register",
            "alias",
            "list",
            "versions",
            "show",
            "tag",
            "describe",
            "archive",
            "delete",
            "history",
            "compare",
            "export",
            "import",
            "inspect",
            "gc",
        ],
        True,
    ),
    "launch": True,
    "jobs": {"list": True, "cancel": True, "logs": False},
    "hosts": {"add": True, "list": True, "check": True, "remove": True, "rekey": True},
    "hw": True,
    "monitors": dict.fromkeys(
        ["add", "list", "show", "check", "ack", "remove", "retrain", "scores", "promote"], True
    ),
    "pipelines": {
        **dict.fromkeys(
            ["run", "status", "list", "runs", "show", "approve", "reject", "triggers"], True
        ),
        "watch": False,
    },
    "import": {"tensorboard": True, "mlflow": True},
    "store": {"set": True, "show": True, "sync": True, "cache": True},
}
"""Every command and action, in --help order, and whether it takes --json."""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _has_json(parser: argparse.ArgumentParser) -> bool:
    return any("--json" in a.option_strings for a in parser._actions)


def _tree(parser: argparse.ArgumentParser) -> dict[str, object]:
    return {
        name: _tree(sub) if _subcommands(sub) else _has_json(sub)
        for name, sub in _subcommands(parser).items()
    }


def test_the_commands_actions_and_json_flags_are_the_public_ones() -> None:
    tree = _tree(build_parser())
    assert tree == WITH_JSON
    assert list(tree) == list(WITH_JSON), "--help lists the commands in this order"
    assert list(tree["models"]) == list(WITH_JSON["models"])  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["runs", "list"], "runs list"),
        (["data", "used-by", "wine"], "data used-by"),
        (["models", "show", "clf"], "models show"),
        (["launch", "--", "true"], "launch"),
        (["jobs", "logs", "abcd", "--follow"], "jobs logs"),
        ([], "gui"),
    ],
)
def test_each_command_carries_its_handler_and_name(argv: list[str], name: str) -> None:
    args = build_parser().parse_args(argv)
    assert args.command_name == name and callable(args.handler)


def test_a_group_without_its_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["models"])
    assert exited.value.code == ExitCode.USER_ERROR
    assert "ACTION" in capsys.readouterr().err


def test_json_is_strict() -> None:
    doc = {"m": {"loss": float("nan"), "up": float("inf"), "down": -float("inf")}, "p": [0.5]}
    text = dumps(doc)
    assert json.loads(text) == {
        "m": {"loss": "NaN", "up": "Infinity", "down": "-Infinity"},
        "p": [0.5],
    }
    assert "NaN," not in text and json_number(2.0) == 2.0
    assert dumps({"name": "Ünïcode"}) == '{"name": "Ünïcode"}'


def test_sizes_tables_and_pairs() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1536, 5 * 2**40)] == [
        "0 B",
        "1023 B",
        "1.5 KB",
        "5.0 TB",
    ]
    assert text_table([["ID", "NAME"], ["1", "a-long-name"]]) == "ID  NAME\n1   a-long-name"
    assert key_value_pairs(["a=1", "b=x=y"], DatasetError) == {"a": "1", "b": "x=y"}
    with pytest.raises(DatasetError, match=r"--tag 'novalue' is not KEY=VALUE\."):
        key_value_pairs(["novalue"], DatasetError, "--tag")
