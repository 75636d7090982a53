"""The OS user and host name records carry, and the filter that narrows runs to one user."""

from __future__ import annotations

import getpass
import os
import socket

import pytest

from mlops_desktop.core.query import parse_query, runs_of_user
from mlops_desktop.core.runs import RunSummary
from mlops_desktop.tracking import who


def test_user_and_host_of_this_process() -> None:
    assert who.os_user() == getpass.getuser()
    assert who.host_name() == socket.gethostname()


def test_no_login_name_is_the_uid_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_name() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", no_name)
    assert who.os_user() == f"uid{os.getuid()}"


def test_who_fields_take_only_nonempty_text() -> None:
    assert who.who_fields({"user": "ann", "host": "gpu1"}) == ("ann", "gpu1")
    assert who.who_fields({"user": "", "host": 3}) == (None, None)
    assert who.who_fields({}) == (None, None)
    assert who.who_fields({"user": "u" * 300}) == ("u" * 255, None)


@pytest.mark.parametrize("user", ["alice", "o'brien", 'say "hi"', "back\\slash", "a b", "ü"])
def test_runs_of_user_matches_exactly_that_user(user: str) -> None:
    def run(name: str, owner: str | None) -> RunSummary:
        return RunSummary(name, "e", name, "finished", 0.0, user=owner)

    runs = [run("1", user), run("2", user + "x"), run("3", None), run("4", user.upper())]
    query = parse_query(runs_of_user("status = 'finished'", user))
    kept = [r.id for r in query.filter(runs)]
    assert kept == (["1", "4"] if user == user.upper() else ["1"])
    assert parse_query(runs_of_user("", user)).text == runs_of_user(None, user)


def test_runs_of_user_keeps_the_typed_filter_whole() -> None:
    runs = [
        RunSummary("1", "e", "a", "failed", 0.0, user="ann"),
        RunSummary("2", "e", "b", "finished", 0.0, user="bob"),
    ]
    query = parse_query(runs_of_user("status = 'failed' or name = 'b'", "bob"))
    assert [r.id for r in query.filter(runs)] == ["2"]  # the or stays inside its parentheses
