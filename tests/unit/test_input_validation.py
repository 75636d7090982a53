"""Loose input is refused where it enters: SSH user and host parts, tag keys, env names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.compute.ssh import SshClient, parse_address
from mlops_desktop.core.compute import HostInfo, RunSpec
from mlops_desktop.core.errors import HostError, JobError
from mlops_desktop.tracking.validate import env_name_problem, tag_key_problem

GOOD_ADDRESSES = {
    "first.last@gpu-01.lab.local": ("first.last", "gpu-01.lab.local", 22),
    "svc-ml@10.0.0.5:2222": ("svc-ml", "10.0.0.5", 2222),
    "[::1]:2222": (None, "::1", 2222),
    "me@[fe80::1%eth0]": ("me", "fe80::1%eth0", 22),
    "10.0.0.5": (None, "10.0.0.5", 22),
    "_svc@node_7": ("_svc", "node_7", 22),
    "gpu1:65535": (None, "gpu1", 65535),
}
BAD_ADDRESSES = {
    "-oProxyCommand=nc@127.0.0.1:22": "user",
    "-oProxyCommand=nc": "host",
    "me@-oProxyCommand=nc": "host",
    "m\x1be@gpu1": "user",
    "me@gp\x1bu1": "host",
    "me@gpu1\n": "host",
    "me@gpu..lab": "host",
    "me@gpu1.-lab": "host",
    "me@[gpu1]": "host",
    "me@[::1": "SSH address",
    "a" * 65 + "@gpu1": "user",
    "me@" + "a" * 254: "host",
    "me@gpu1:0": "port",
    "me@gpu1:65536": "port",
    "me@gpu1:22x": "port",
    "": "SSH address",
}


@pytest.mark.parametrize("address", GOOD_ADDRESSES)
def test_good_addresses_parse(address: str) -> None:
    assert parse_address(address) == GOOD_ADDRESSES[address]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_bad_addresses_name_the_bad_part(address: str) -> None:
    with pytest.raises(HostError) as info:
        parse_address(address)
    message = str(info.value)
    assert BAD_ADDRESSES[address] in message
    assert "\n" not in message and "\x1b" not in message  # one sentence, shown escaped


def test_ssh_argv_puts_every_option_before_the_destination(temp_home: Path) -> None:
    host = HostInfo("box", "ssh", "svc-ml@gpu-01.lab.local:2222")
    argv = SshClient(host, temp_home).argv("true")
    assert argv[-3:] == ["--", "svc-ml@gpu-01.lab.local", "true"]


def test_hosts_add_refuses_an_option_as_user(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["hosts", "add", "evil", "--ssh=-oProxyCommand=nc@127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "user" in err and "'-'" in err and len(err.strip().splitlines()) == 1
    assert not (temp_home / "hosts.json").exists()


GOOD_TAG_KEYS = ["a", "Ab-5_", "a/b/c", "a.b.c", ".a", "b.", "a..a/._./o_O/.e.", "a b/c d", "é"]
BAD_TAG_KEYS = [
    "", " ", "a\nb", "a\x1b[2Jb", "a\tb", "a\0b", "x" * 251, ".", "..", "/a", "a/", "a//b",
    "a/./b", "../x", "a:b", "a=b", "a\\b",
]  # fmt: skip


@pytest.mark.parametrize("key", GOOD_TAG_KEYS)
def test_good_tag_keys(key: str) -> None:
    assert tag_key_problem(key) is None


@pytest.mark.parametrize("key", BAD_TAG_KEYS)
def test_bad_tag_keys(key: str) -> None:
    problem = tag_key_problem(key)
    assert problem and problem.endswith(".") and "\n" not in problem and "\x1b" not in problem


def test_tracking_client_refuses_bad_tag_keys(temp_home: Path) -> None:
    with mlops.start_run("tags", name="r") as run:
        for key in ("a\x1bb", "..", "a//b"):
            with pytest.raises(ValueError, match="tag key"):
                run.set_tag(key, "v")
        run.set_tag("team/vision", "ok")
    with pytest.raises(ValueError, match="tag key"):
        mlops.start_run("tags", name="r2", tags={"bad\nkey": "v"})


@pytest.mark.parametrize(
    "name", ["", "1A", "A-B", "A B", "A=B", "A\nB", "MLOPS_DESKTOP_RUN_ID", "MLOPS_DESKTOP_SPOOL"]
)
def test_bad_env_names(name: str) -> None:
    problem = env_name_problem(name)
    assert problem and problem.endswith(".") and "\n" not in problem


@pytest.mark.parametrize("name", ["A", "_x", "CUDA_LAUNCH_BLOCKING", "lower_case9"])
def test_good_env_names(name: str) -> None:
    assert env_name_problem(name) is None


@pytest.mark.parametrize(
    "pair", ["1BAD=x", "A-B=x", "MLOPS_DESKTOP_RUN_ID=abc", "MLOPS_DESKTOP_SPOOL=/tmp/x", "A=x\0y"]
)
def test_launch_refuses_bad_env(
    pair: str, temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["launch", "--env", pair, "--json", "--", "true"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert main(["jobs", "list", "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was started


def test_job_service_refuses_bad_env_in_a_spec(temp_home: Path) -> None:
    from mlops_desktop.services.compute import JobService

    service = JobService.open(temp_home)
    try:
        with pytest.raises(JobError, match="environment variable"):
            service.launch(RunSpec(command=["true"], env={"A B": "x"}))
        assert service.jobs() == []
    finally:
        service.close()


def _model(tmp_path: Path) -> None:
    weights = tmp_path / "m.bin"
    weights.write_bytes(b"weights")
    assert main(["models", "register", "--path", str(weights), "--name", "clf"]) == 0


@pytest.mark.parametrize("key", ["a\nb", "a\x1b]52;c;eA==\x07b", "..", "a//b"])
def test_models_tag_refuses_bad_keys(
    key: str, temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _model(tmp_path)
    capsys.readouterr()
    code = main(["models", "tag", "clf:1", "good=1", f"{key}=v"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert main(["models", "show", "clf:1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == {}  # nothing was set


def test_register_and_data_add_refuse_bad_tag_keys(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = tmp_path / "m.bin"
    weights.write_bytes(b"weights")
    code = main(["models", "register", "--path", str(weights), "--name", "c", "--tag", "a\x1bb=1"])
    assert code == 2
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    assert main(["data", "add", str(table), "--name", "t", "--tag", "x\ny=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("tag key") == 2, err
