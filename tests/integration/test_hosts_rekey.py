"""``hosts rekey`` and ``hosts remove`` against a real sshd whose host key changes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.compute.known_hosts import KnownHosts
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import HostInfo, JobInfo

pytestmark = pytest.mark.system


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_changed_key_is_resolved_by_rekey_then_removed(
    new_ssh_server, temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = new_ssh_server
    key = str(server.client_key)
    code, _, err = _cli(
        capsys, "hosts", "add", "gamma", "--ssh", server.address, "--identity", key,
        "--accept-host-key", server.fingerprint,
    )  # fmt: skip
    assert code == 0, err
    known = KnownHosts(temp_home / "ssh" / "known_hosts")
    old = server.fingerprint
    server.stop()
    server.start(new_key=True)
    new = server.fingerprint
    try:
        code, _, err = _cli(capsys, "hosts", "check", "gamma")
        assert code == 2
        assert old in err and new in err
        assert f"mlops-desktop hosts rekey gamma --accept-host-key {new}" in err
        assert "remove the host and add it again" not in err

        code, out, err = _cli(capsys, "hosts", "rekey", "gamma", "--json")
        assert code == 2 and f"hosts rekey gamma --accept-host-key {new}" in err
        doc = json.loads(out)
        assert doc["stored"] == old and doc["offered"] == new and doc["replaced"] is False
        assert doc["command"] == f"mlops-desktop hosts rekey gamma --accept-host-key {new}"

        code, _, err = _cli(capsys, "hosts", "rekey", "gamma", "--accept-host-key", old)
        assert code == 2 and "nothing was changed" in err and len(err.splitlines()) == 1
        assert len(known.lookup("127.0.0.1", server.port)) == 1  # the old key, still

        code, out, err = _cli(capsys, "hosts", "rekey", "gamma", "--accept-host-key", new, "--json")
        assert code == 0, err
        assert json.loads(out) == {
            "name": "gamma", "address": server.address, "stored": old, "offered": new,
            "replaced": True,
        }  # fmt: skip
        code, out, err = _cli(capsys, "hosts", "check", "gamma", "--json")
        assert code == 0 and json.loads(out)["reachable"] is True, err
        code, out, _ = _cli(capsys, "hosts", "rekey", "gamma")
        assert code == 0 and "has not changed" in out
        hosts = json.loads(_cli(capsys, "hosts", "list", "--json")[1])
        assert [h["host_key"] for h in hosts if h["name"] == "gamma"] == [new]
    finally:
        SshClient(HostInfo("gamma", "ssh", server.address, identity=key), temp_home).stop_master()

    code, out, err = _cli(capsys, "hosts", "remove", "gamma", "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "name": "gamma", "address": server.address, "known_hosts_removed": 1, "jobs_lost": [],
    }  # fmt: skip
    hosts = json.loads(_cli(capsys, "hosts", "list", "--json")[1])
    assert all(h["name"] != "gamma" for h in hosts)
    assert known.lookup("127.0.0.1", server.port) == []
    code, _, err = _cli(capsys, "hosts", "remove", "gamma")
    assert code == 2 and "No host is called 'gamma'" in err


def test_remove_refuses_while_jobs_run_there_unless_forced(
    ssh_host: HostInfo, temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_desktop.catalog import job_repo
    from mlops_desktop.services.compute import JobService

    service = JobService.open(temp_home)
    try:
        job = JobInfo(run_id="f" * 32, target="ssh:alpha", state="running",
                      submitted_at=time.time(), command=["sleep", "1000"])  # fmt: skip
        with service.catalog.session_scope(write=True) as s:
            job_repo.insert_job(s, job, {"command": ["sleep", "1000"], "target": "ssh:alpha"})
            job_repo.update_job(s, job.run_id, handle={"pid": 1})
    finally:
        service.close()
    code, _, err = _cli(capsys, "hosts", "remove", "alpha")
    assert code == 2 and "active job" in err and "--force" in err and "ffffffff" in err
    assert "alpha" in _cli(capsys, "hosts", "list")[1]
    code, out, err = _cli(capsys, "hosts", "remove", "alpha", "--force", "--json")
    assert code == 0, err
    assert json.loads(out)["jobs_lost"] == [job.run_id]
    jobs = json.loads(_cli(capsys, "jobs", "list", "--all", "--json")[1])
    assert [(j["run"], j["state"]) for j in jobs] == [(job.run_id, "lost")]
    assert "alpha" not in _cli(capsys, "hosts", "list")[1]
