"""The artifact preview of desktop B fetching from a lab store on an SSH host (a real sshd on
loopback, strict host keys): an artifact desktop A logged and uploaded previews on B, lands in
B's cache, and with the host down what is cached still previews while the rest is one
sentence. Needs /usr/sbin/sshd (openssh-server)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ssh_fixture import SSHD, SshServer, _free_port, _system_missing, keygen

import mlops_desktop as mlops
from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.services.bundle import Services
from mlops_desktop.store.blobs import walk_blobs
from mlops_desktop.ui.panes.experiments.run_artifacts import ArtifactsView

pytestmark = pytest.mark.system


@pytest.fixture
def store_host(tmp_path: Path, pytestconfig: pytest.Config) -> Iterator[SshServer]:
    if not SSHD.exists() or shutil.which("ssh") is None or shutil.which("rsync") is None:
        _system_missing(
            pytestconfig,
            "sshd, ssh and rsync are needed (apt-get install openssh-server openssh-client rsync)",
        )
    keygen(tmp_path / "id")
    (tmp_path / "sshd").mkdir()
    server = SshServer(tmp_path / "sshd", _free_port(), tmp_path / "id")
    server.start()
    yield server
    server.stop()


def test_desktop_b_previews_an_artifact_fetched_from_an_ssh_store(
    qtbot: Any, store_host: SshServer, home: Path, runner: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    homes = (home, tmp_path / "desktop-b")
    clients = []
    for each in homes:  # both desktops know the host under one name
        inv = HostInventory(each, ssh_config=tmp_path / "no-ssh-config")
        host = inv.add(
            "storehost",
            store_host.address,
            identity=str(store_host.client_key),
            accept_host_key=store_host.fingerprint,
        )
        clients.append(SshClient(host, each))
    remote = tmp_path / "remote-store"
    remote.mkdir()
    try:
        with Services.open(homes[0], url) as a, Services.open(homes[1], url) as b:
            a.store.set_location(f"ssh://storehost{remote}")
            run = mlops.start_run("lab", "on-a", home=a.home, capture_env=False)
            with run:
                for name, text in (("notes.txt", "logged on A\n"), ("later.txt", "also A\n")):
                    (tmp_path / name).write_text(text)
                    run.log_artifact(tmp_path / name)
            a.experiments.ingest()
            assert a.store.sync()["uploaded"] == 2
            assert len(dict(walk_blobs(remote))) == 2

            view = ArtifactsView(runner, store=b.store)
            qtbot.addWidget(view)
            view.resize(1000, 400)
            view.show()
            artifacts = {x.name: x for x in b.experiments.get_run(run.id).artifacts}
            assert not any(Path(x.path).is_file() for x in artifacts.values())  # not in B's home
            view.set_artifacts([artifacts["notes.txt"]])
            qtbot.waitUntil(
                lambda: view.preview.text.toPlainText() == "logged on A\n", timeout=20000
            )
            assert b.store.cache.usage()[0] == 1  # fetched over SSH into B's cache

            store_host.stop()  # the host goes down
            clients[1].stop_master()
            view.set_artifacts([artifacts["later.txt"]])
            qtbot.waitUntil(
                lambda: "cannot be reached" in view.preview.message.text(), timeout=30000
            )
            assert len(view.preview.message.text().splitlines()) == 1
            view.set_artifacts([artifacts["notes.txt"]])  # cached: still previews offline
            qtbot.waitUntil(
                lambda: view.preview.text.toPlainText() == "logged on A\n", timeout=10000
            )
    finally:
        for client in clients:
            client.stop_master()
