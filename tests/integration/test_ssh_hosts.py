"""Host keys, the host inventory and ``hosts check`` against real sshd on loopback."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from mlops_desktop.compute.hosts import HostInventory, parse_address
from mlops_desktop.compute.known_hosts import KnownHosts, scan_host_key
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.compute.ssh_executor import SshExecutor
from mlops_desktop.core.compute import HostInfo
from mlops_desktop.core.errors import HostError, HostKeyChanged, HostKeyUnconfirmed

pytestmark = pytest.mark.system


def _inventory(home: Path, tmp_path: Path) -> HostInventory:
    return HostInventory(home, ssh_config=tmp_path / "ssh_config")


def test_new_host_key_must_be_confirmed(ssh_servers, temp_home: Path, tmp_path: Path) -> None:
    server = ssh_servers[0]
    inv = _inventory(temp_home, tmp_path)
    with pytest.raises(HostKeyUnconfirmed) as info:
        inv.add("alpha", server.address, identity=str(server.client_key))
    assert info.value.fingerprint == server.fingerprint  # as `ssh-keygen -lf hostkey.pub`
    assert server.fingerprint in str(info.value)
    assert inv.list() == []  # nothing stored before the confirmation
    # ssh itself refuses the unknown host too (StrictHostKeyChecking=yes), with the fingerprint
    host = HostInfo("alpha", "ssh", server.address, identity=str(server.client_key))
    with pytest.raises(HostKeyUnconfirmed) as info2:
        SshClient(host, temp_home).run(["true"])
    assert info2.value.fingerprint == server.fingerprint


def test_wrong_fingerprint_is_refused(ssh_servers, temp_home: Path, tmp_path: Path) -> None:
    server, other = ssh_servers
    inv = _inventory(temp_home, tmp_path)
    with pytest.raises(HostError, match="does not match"):
        inv.add("alpha", server.address, accept_host_key=other.fingerprint)
    assert inv.list() == []
    assert KnownHosts(temp_home / "ssh" / "known_hosts").lookup("127.0.0.1", server.port) == []


def test_confirmed_host_is_stored_and_listed(ssh_servers, temp_home: Path, tmp_path: Path) -> None:
    server = ssh_servers[0]
    (tmp_path / "ssh_config").write_text(
        "Host lab-gpu *.corp !x\n  HostName 10.0.0.1\nHost=box2 # comment\nHost *\n"
    )
    inv = _inventory(temp_home, tmp_path)
    info = inv.add(
        "alpha", server.address, identity=str(server.client_key),
        accept_host_key=server.fingerprint,
    )  # fmt: skip
    assert info.host_key == server.fingerprint
    stored = (temp_home / "hosts.json").read_text()
    assert "PRIVATE KEY" not in stored and str(server.client_key) in stored
    assert [(h.name, h.from_ssh_config) for h in inv.list()] == [
        ("alpha", False), ("lab-gpu", True), ("box2", True),
    ]  # fmt: skip
    known = (temp_home / "ssh" / "known_hosts").read_text()
    assert known.startswith(f"[127.0.0.1]:{server.port} ssh-ed25519 ")
    SshClient(inv.get("alpha"), temp_home).check_connection()
    SshClient(inv.get("alpha"), temp_home).stop_master()
    with pytest.raises(HostError, match="remove it first"):
        inv.add("alpha", "other:22")
    inv.remove("alpha")
    assert [h.name for h in inv.list()] == ["lab-gpu", "box2"]
    assert KnownHosts(temp_home / "ssh" / "known_hosts").lookup("127.0.0.1", server.port) == []


def test_changed_host_key_is_refused_with_both_fingerprints(
    new_ssh_server, temp_home: Path, tmp_path: Path
) -> None:
    server = new_ssh_server
    inv = _inventory(temp_home, tmp_path)
    host = inv.add(
        "gamma", server.address, identity=str(server.client_key),
        accept_host_key=server.fingerprint,
    )  # fmt: skip
    old = server.fingerprint
    server.stop()
    server.start(new_key=True)
    new = server.fingerprint
    assert new != old
    with pytest.raises(HostKeyChanged) as info:
        KnownHosts(temp_home / "ssh" / "known_hosts").check("127.0.0.1", server.port)
    assert old in str(info.value) and new in str(info.value)
    with pytest.raises(HostKeyChanged) as info2:  # ssh itself refuses to connect
        SshClient(host, temp_home).run(["true"])
    assert old in str(info2.value) and new in str(info2.value)
    with pytest.raises(HostKeyChanged):  # confirming the new one does not override
        inv.add("gamma", server.address, accept_host_key=new)


def test_scan_matches_ssh_keygen(ssh_servers) -> None:
    keys = scan_host_key("127.0.0.1", ssh_servers[1].port)
    assert keys[0][0] == "ssh-ed25519"
    assert keys[0][2] == ssh_servers[1].fingerprint


def test_parse_address() -> None:
    assert parse_address("bob@gpu1:2222") == ("bob", "gpu1", 2222)
    assert parse_address("gpu1") == (None, "gpu1", 22)
    assert parse_address("me@[::1]:2200") == ("me", "::1", 2200)
    assert parse_address("[fe80::1]") == (None, "fe80::1", 22)
    for bad in ("", "a b", "-oProxyCommand=x", "h:99999", "u@h:p"):
        with pytest.raises(HostError):
            parse_address(bad)


def test_unreachable_and_denied_hosts_say_why(ssh_servers, temp_home: Path, tmp_path: Path) -> None:
    server = ssh_servers[0]
    inv = _inventory(temp_home, tmp_path)
    inv.add("alpha", server.address, accept_host_key=server.fingerprint)
    other_key = tmp_path / "other"
    from ssh_fixture import keygen

    keygen(other_key)
    denied = HostInfo("alpha", "ssh", server.address, identity=str(other_key))
    with pytest.raises(HostError, match="Permission denied"):
        SshClient(denied, temp_home).run(["true"])
    with pytest.raises(HostError, match="offered no SSH host key"):
        inv.add("down", f"{getpass.getuser()}@127.0.0.1:1")


def test_hosts_check_fields(ssh_host: HostInfo, temp_home: Path) -> None:
    report = SshExecutor(ssh_host, temp_home).check()
    assert report["reachable"] is True
    assert report["python"] and report["python"][0] == "3"
    assert report["rsync"] is True
    assert isinstance(report["disk_free"], int) and report["disk_free"] > 0
    assert isinstance(report["gpus"], list)
    down = HostInfo("down", "ssh", "127.0.0.1:1")
    bad = SshExecutor(down, temp_home).check()
    assert bad["reachable"] is False and "Connection refused" in bad["error"]
