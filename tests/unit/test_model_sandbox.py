"""The inspect/score child's sandbox: hostile model files, loaded only in the child, cannot
raise their limits, reach the network, read the app's environment, write the catalog, or leave
a process behind; without any sandbox the load is refused unless explicitly allowed."""

from __future__ import annotations

import os
import pickle
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.errors import ModelError, SandboxUnavailableError
from mlops_desktop.models import sandbox
from mlops_desktop.models.inspect import inspect_model

REQUIRE_SYSTEM = os.environ.get("MLOPS_DESKTOP_REQUIRE_SYSTEM") == "1"


class _Exec:
    """Unpickling this runs ``code`` (in the child, never in the test)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, (self.code,))


def _hostile(folder: Path, code: str) -> Path:
    path = folder / "evil.pkl"
    path.write_bytes(pickle.dumps(_Exec(code)))
    return path


def _result(path: Path) -> str:
    """What the payload reported (it raises ``RuntimeError('RESULT ...')``)."""
    with pytest.raises(ModelError, match="RESULT") as info:
        inspect_model(path, timeout_s=20)
    return str(info.value).split("RESULT", 1)[1].strip()


@pytest.fixture(params=["bwrap", "unshare"])
def mechanism(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each isolating mechanism in turn; skipped when it cannot work on this machine (bwrap is
    required under MLOPS_DESKTOP_REQUIRE_SYSTEM=1)."""
    name = str(request.param)
    if not sandbox.works(name):
        if REQUIRE_SYSTEM and name == "bwrap":
            pytest.fail("bubblewrap (bwrap) cannot create a sandbox here")
        pytest.skip(f"the {name} sandbox does not work on this machine")
    monkeypatch.setenv(sandbox.SANDBOX_ENV, name)
    yield name


def test_the_child_cannot_raise_its_limits(tmp_path: Path, mechanism: str) -> None:
    code = (
        "import resource\n"
        "inf = resource.RLIM_INFINITY\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_AS, (inf, inf)); r = 'raised'\n"
        "except (ValueError, OSError):\n"
        "    r = 'refused'\n"
        "raise RuntimeError('RESULT %s %s %s' % (r, resource.getrlimit(resource.RLIMIT_AS),"
        " resource.getrlimit(resource.RLIMIT_CPU)))\n"
    )
    got = _result(_hostile(tmp_path, code))
    assert got.startswith("refused"), got
    assert "-1" not in got  # both the address space and the CPU time have hard limits


def test_the_child_has_no_network(tmp_path: Path, mechanism: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3); r = 'connected'\n"
            "except OSError as e:\n"
            "    r = 'unreachable %s' % e\n"
            "raise RuntimeError('RESULT ' + r)\n"
        )
        got = _result(_hostile(tmp_path, code))
        assert got.startswith("unreachable"), got
        with pytest.raises(TimeoutError):
            listener.accept()


def test_the_child_sees_an_empty_environment(
    tmp_path: Path, mechanism: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_TOKEN", "secret")
    code = (
        "import os\n"
        "raise RuntimeError('RESULT %s %s' % (os.environ.get('MLOPS_DESKTOP_HOME'),"
        " ','.join(sorted(os.environ))))\n"
    )
    got = _result(_hostile(tmp_path, code))
    home, names = got.split(" ", 1)
    assert home == "None"
    assert "SOME_TOKEN" not in names and "secret" not in got
    # bwrap sets PWD to the child's folder; the OpenMP runtime the child imports sets KMP_*
    allowed = {*sandbox.CHILD_ENV_NAMES, "PWD", "KMP_INIT_AT_FORK"}
    leaked = set(names.split(",")) & set(os.environ) - allowed
    assert not leaked, leaked


def test_the_child_cannot_write_the_home_or_next_to_the_model(
    tmp_path: Path, temp_home: Path, mechanism: str
) -> None:
    if mechanism == "unshare":
        pytest.skip("the unshare sandbox leaves the file system writable (see docs/models.md)")
    targets = [temp_home / "catalog-written", tmp_path / "beside-the-model"]
    code = (
        "written = []\n"
        f"for t in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        open(t, 'w').write('x'); written.append(t)\n"
        "    except OSError:\n"
        "        pass\n"
        "raise RuntimeError('RESULT written=%s' % written)\n"
    )
    assert _result(_hostile(tmp_path, code)) == "written=[]"
    assert not any(t.exists() for t in targets)


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if token.encode() in fh.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_a_double_forked_grandchild_does_not_survive(tmp_path: Path, mechanism: str) -> None:
    token = f"mlops-sandbox-{uuid.uuid4().hex}"
    code = (
        "import os, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c',"
        f" 'import time; time.sleep(30)', {token!r}])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "raise RuntimeError('RESULT forked')\n"
    )
    assert _result(_hostile(tmp_path, code)) == "forked"
    deadline = time.monotonic() + 3
    try:
        while _processes_with(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_with(token) == []
    finally:
        for pid in _processes_with(token):
            os.kill(pid, signal.SIGKILL)


def test_a_real_model_loads_in_the_sandbox(tmp_path: Path, mechanism: str) -> None:
    joblib = pytest.importorskip("joblib")
    linear = pytest.importorskip("sklearn.linear_model")
    model = linear.LogisticRegression().fit([[0, 1], [1, 0], [1, 1], [0, 0]], [0, 1, 1, 0])
    joblib.dump(model, tmp_path / "model.joblib")
    got = inspect_model(tmp_path / "model.joblib")
    assert got.type == "LogisticRegression" and got.params["C"] == 1.0


def test_without_a_sandbox_loading_needs_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "none")
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(SandboxUnavailableError, match="--no-sandbox"):
        inspect_model(path)
    assert inspect_model(path, allow_unsandboxed=True).type == "dict"


def test_an_unknown_forced_mechanism_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "chroot")
    with pytest.raises(SandboxUnavailableError, match="bwrap, unshare or none"):
        sandbox.mechanism()


def _register(folder: Path) -> None:
    from mlops_desktop.cli import main

    (folder / "m.pkl").write_bytes(pickle.dumps({"a": 1}))
    assert main(["models", "register", "--path", str(folder / "m.pkl"), "--name", "clf"]) == 0


def test_cli_without_a_sandbox_needs_no_sandbox_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_desktop.cli import main

    _register(tmp_path)
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "none")
    capsys.readouterr()
    assert main(["models", "inspect", "clf:1"]) == 2
    out, err = capsys.readouterr()
    assert "--no-sandbox" in err and "Traceback" not in out + err
    assert main(["models", "inspect", "clf:1", "--no-sandbox", "--json"]) == 0
    assert '"dict"' in capsys.readouterr().out


def test_cli_inspects_a_registered_model_in_the_sandbox(
    tmp_path: Path, mechanism: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_desktop.cli import main

    _register(tmp_path)
    capsys.readouterr()
    assert main(["models", "inspect", "clf:1", "--json"]) == 0, capsys.readouterr().err
    assert '"dict"' in capsys.readouterr().out


def test_scoring_without_a_sandbox_needs_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.models.score import score_model

    monkeypatch.setenv(sandbox.SANDBOX_ENV, "none")
    (tmp_path / "m.pkl").write_bytes(pickle.dumps({"a": 1}))
    (tmp_path / "t.csv").write_text("a,label\n1,0\n")
    with pytest.raises(SandboxUnavailableError, match="--no-sandbox"):
        score_model(tmp_path / "m.pkl", tmp_path / "t.csv", "label")
