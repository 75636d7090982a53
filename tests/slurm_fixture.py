"""A real single-node Slurm with two fake GPUs for tests (slurm-wlm and munge from Debian).

A pytest plugin module: conftests register it with ``pytest_plugins``. Once per session it starts
munged (creating its key if missing), writes ``slurm.conf`` and ``gres.conf`` into a fresh temp
dir (free ports, this machine's ``hostname``, a fresh ``StateSaveLocation``), starts slurmctld and
slurmd, and waits until ``sinfo`` shows ``gpu:2 idle``. ``slurm_conf`` yields the config's path;
tests put it in ``SLURM_CONF`` with monkeypatch (``slurm_env`` does). At teardown it cancels every
job and stops slurmctld, slurmd and what they left; munged stays (other sessions may use it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SBIN = Path("/usr/sbin")
MUNGE_DIRS = ("/etc/munge", "/run/munge", "/var/lib/munge", "/var/log/munge")
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")

SLURM_CONF = """\
ClusterName=lab
SlurmctldHost={host}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
SchedulerParameters=sched_interval=1
KillWait=5
MinJobAge=300
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=8000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _system_missing(config: pytest.Config, what: str) -> None:
    """``system_missing`` of tests/conftest.py: skip locally, fail in CI."""
    root = config.pluginmanager.get_plugin(str(Path(__file__).with_name("conftest.py")))
    if root is None:  # pragma: no cover - the root conftest is always loaded
        pytest.skip(what)
    root.system_missing(what)


def _munge_alive() -> bool:
    if not MUNGE_SOCKET.exists():
        return False
    proc = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
    return proc.returncode == 0


def _start_munge() -> int | None:
    """Start munged unless one answers already; the pid of the one started, else None."""
    if _munge_alive():
        return None
    if os.geteuid() != 0:
        raise RuntimeError("munged is not running and starting it needs root")
    if not Path("/etc/munge/munge.key").exists():
        subprocess.run([str(SBIN / "mungekey"), "--create"], check=True, timeout=30)
    for d in MUNGE_DIRS:
        Path(d).mkdir(parents=True, exist_ok=True)
    subprocess.run(["chown", "-R", "munge:munge", *MUNGE_DIRS], check=True, timeout=30)
    subprocess.run(
        ["su", "-s", "/bin/sh", "munge", "-c", str(SBIN / "munged")],
        check=True,
        timeout=30,
        capture_output=True,
    )
    deadline = time.monotonic() + 10
    while not _munge_alive():
        if time.monotonic() > deadline:
            raise RuntimeError("munged did not start within 10 s")
        time.sleep(0.1)
    pid_file = Path("/run/munge/munged.pid")
    return int(pid_file.read_text().strip()) if pid_file.exists() else None


def _stop_pid_file(pid_file: Path, timeout: float = 10.0) -> None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    _stop_pid(pid, timeout)


def _stop_pid(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _drain(env: dict[str, str], timeout: float = 15.0) -> None:
    """Cancel every job of the cluster and wait (bounded) until the queue is empty."""
    run = {"env": env, "capture_output": True, "text": True, "timeout": 10}
    subprocess.run(["scancel", "--full", "--signal=KILL", "-u", "root"], **run)  # type: ignore[call-overload]
    subprocess.run(["scancel", "-u", "root"], **run)  # type: ignore[call-overload]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc = subprocess.run(["squeue", "-h", "-o", "%i"], **run)  # type: ignore[call-overload]
        if proc.returncode != 0 or not proc.stdout.strip():
            return
        time.sleep(0.2)


def _kill_leftovers(conf: Path) -> None:
    """SIGKILL what this cluster started and left behind (slurmstepd, job processes)."""
    marker = f"SLURM_CONF={conf}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def _wait_gpus_idle(env: dict[str, str], log_dir: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", "%G %t"], capture_output=True, text=True, env=env, timeout=10
        )
        out = proc.stdout.strip()
        if proc.returncode == 0 and "gpu:2" in out and "idle" in out:
            return
        time.sleep(0.2)
    logs = "".join(
        f"\n--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in log_dir.glob("*.log")
    )
    raise RuntimeError(f"Slurm did not become 'gpu:2 idle' within {timeout} s: {out!r}{logs}")


def slurm_missing() -> str | None:
    """Why the test cluster cannot start here, or None when it can."""
    needed = [SBIN / "slurmctld", SBIN / "slurmd", SBIN / "munged"]
    if not all(p.exists() for p in needed) or shutil.which("sbatch") is None:
        return "slurm-wlm and munge are not installed (apt-get install -y slurm-wlm munge)"
    if os.geteuid() != 0:
        return "the test Slurm cluster runs slurmd, which needs root"
    return None


@contextlib.contextmanager
def local_slurm() -> Iterator[Path]:
    """Start munged (if none runs), slurmctld and slurmd on a fresh config; yield its path."""
    _start_munge()  # left running at the end: other sessions on this machine may use it
    base = Path(tempfile.mkdtemp(prefix="mlops-slurm-"))
    host = socket.gethostname()
    conf = base / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            host=host,
            d=base,
            ctld_port=_free_port(),
            slurmd_port=_free_port(),
            cpus=max(2, os.cpu_count() or 2),
        )
    )
    (base / "gres.conf").write_text("Name=gpu File=/dev/tty[0-1]\n")
    (base / "state").mkdir()
    (base / "spool").mkdir()
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        subprocess.run([str(SBIN / "slurmctld"), "-f", str(conf)], env=env, check=True, timeout=30)
        subprocess.run([str(SBIN / "slurmd"), "-f", str(conf)], env=env, check=True, timeout=30)
        _wait_gpus_idle(env, base)
        yield conf
    finally:
        _drain(env)
        _stop_pid_file(base / "slurmd.pid")
        _stop_pid_file(base / "slurmctld.pid")
        _kill_leftovers(conf)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def slurm_conf(pytestconfig: pytest.Config) -> Iterator[Path]:
    """Path of the running test cluster's ``slurm.conf`` (put it in ``SLURM_CONF``)."""
    why = slurm_missing()
    if why is not None:
        _system_missing(pytestconfig, why)
    with local_slurm() as conf:
        yield conf


@pytest.fixture
def slurm_env(slurm_conf: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``SLURM_CONF`` at the test cluster for this test; returns the config's path."""
    monkeypatch.setenv("SLURM_CONF", str(slurm_conf))
    return slurm_conf
