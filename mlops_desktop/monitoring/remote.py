"""A machine watched through a remote agent: JSON lines from a child process, with gaps.

:class:`AgentStream` runs a command (``ssh ... hw_agent`` or ``srun ... hw_agent``) on a daemon
thread, turns each stdout line into a :class:`HostUpdate` and says when lines stop: a gap update
(no sample) after about 2.5 intervals of silence, an "unreachable" update with ssh's own error
line when the command ends, then a reconnect after a backoff of 1, 2, 4, 8, 15 and 30 s (back to
1 s after a minute of good samples). Charts draw the gaps, never interpolate across them.
:meth:`AgentStream.stop` ends the child's process group; the remote agent exits when its ssh
channel (or srun step) closes.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from mlops_desktop.compute.ssh import SshClient, ssh_error_line
from mlops_desktop.core.compute import HostInfo
from mlops_desktop.core.hardware import HostUpdate, host_from_document
from mlops_desktop.monitoring.agent_ship import agent_command, ensure_agent

_log = logging.getLogger(__name__)
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
GOOD_RUN_S = 60.0  # a connection that delivered for this long resets the backoff
STALE_FACTOR = 2.5
MAX_LINE = 16 * 1024 * 1024


class Backoff:
    """Delays between reconnects: 1, 2, 4, 8, 15, then 30 s; :meth:`reset` starts over."""

    def __init__(self, steps: tuple[float, ...] = BACKOFF_S) -> None:
        self.steps = steps
        self.failures = 0

    def next_delay(self) -> float:
        delay = self.steps[min(self.failures, len(self.steps) - 1)]
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


def exit_problem(host: str, returncode: int, stderr: str) -> str:
    """One sentence for a stream command that ended: ssh's own line when ssh failed (255)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if returncode == 255 and not lines:  # a mux client whose master connection died
        return f"{host}: the SSH connection was closed"
    if returncode == 255 or "ssh:" in stderr or "mux_client" in stderr:
        return f"{host}: {ssh_error_line(stderr)}"
    if lines:
        return f"{host}: the hardware agent stopped: {lines[-1]}"
    return f"{host}: the hardware agent stopped (exit code {returncode})"


class AgentStream:
    """Streams one machine's samples from a command that prints JSON lines.

    Args:
        host: the machine's name in the app (samples get this name).
        start_command: called at each (re)connect; returns the argv to run. It may raise
            (e.g. :class:`HostError`): its message becomes the problem and the stream retries.
        interval: the agent's seconds between samples.
        on_update: called from the stream's thread with every update.
        stale_after: seconds without a line before a gap update (default 2.5 intervals).
        env: environment of the command (default: this process's).
    """

    def __init__(
        self,
        host: str,
        start_command: Callable[[], list[str]],
        interval: float,
        on_update: Callable[[HostUpdate], None],
        stale_after: float | None = None,
        env: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.host = host
        self.interval = max(0.05, float(interval))
        self.stale_after = stale_after or STALE_FACTOR * self.interval
        self.malformed = 0
        self.connects = 0
        self._start_command = start_command
        self._on_update = on_update
        self._env = dict(env) if env is not None else None
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name=f"hw-{host}", daemon=True)

    # -- control ----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the child's process group, join the thread, then report "stopped" (last)."""
        self._stop.set()
        with self._lock:
            proc = self._proc
        if proc is not None:
            _end_group(proc)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        self._emit(HostUpdate(self.host, time.time(), state="stopped"), final=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- the thread -------------------------------------------------------------------------
    def _emit(self, update: HostUpdate, final: bool = False) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = final
        try:
            self._on_update(update)
        except Exception:  # a consumer bug must not end the stream
            _log.exception("The update handler of %s failed", self.host)

    def _loop(self) -> None:
        self._emit(HostUpdate(self.host, time.time(), state="connecting"))
        while not self._stop.is_set():
            began = time.monotonic()
            problem, first_line_at = self._connect_once()
            if self._stop.is_set():
                break
            if first_line_at is not None and time.monotonic() - first_line_at >= GOOD_RUN_S:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            _log.info("%s: %s; retrying in %g s (connected %.1f s)", self.host, problem, delay,
                      time.monotonic() - began)  # fmt: skip
            self._emit(HostUpdate(self.host, time.time(), problem=problem, state="unreachable"))
            self._wait_unreachable(delay, problem)

    def _wait_unreachable(self, delay: float, problem: str) -> None:
        """Wait ``delay`` (stop ends it at once), with a gap update every ``stale_after``."""
        until = time.monotonic() + delay
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            if self._stop.wait(min(left, self.stale_after)):
                return
            if until - time.monotonic() > 0.05:
                update = HostUpdate(self.host, time.time(), problem=problem, state="unreachable")
                self._emit(update)

    def _connect_once(self) -> tuple[str, float | None]:
        """Run the command until it ends; (the problem sentence, when its first line came)."""
        try:
            argv = self._start_command()
        except Exception as exc:  # HostError and friends: its message is the sentence
            return (str(exc) or f"{self.host}: could not start the hardware agent"), None
        with tempfile.TemporaryFile() as err:
            with self._lock:
                if self._stop.is_set():
                    return "stopped", None
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdin=subprocess.PIPE,  # never written: a remote watcher's EOF
                        stdout=subprocess.PIPE,
                        stderr=err,
                        env=self._env,
                        start_new_session=True,
                    )
                except OSError as exc:
                    return f"{self.host}: could not run {argv[0]}: {exc.strerror or exc}", None
                self._proc = proc
                self.connects += 1
            try:
                assert proc.stdout is not None
                first = self._read_lines(proc.stdout)
            finally:
                _end_group(proc, patience=0.0 if self._stop.is_set() else 2.0)
                with self._lock:
                    self._proc = None
                for pipe in (proc.stdin, proc.stdout):
                    if pipe is not None:
                        pipe.close()
            return exit_problem(self.host, proc.returncode or 0, _tail(err)), first

    def _read_lines(self, stdout: IO[bytes]) -> float | None:
        """Report each line until EOF; a gap after every ``stale_after`` of silence."""
        fd = stdout.fileno()
        first: float | None = None
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(self.stale_after):
                    silent = f"{self.host}: no answer for {round(self.stale_after, 1):g} s"
                    self._emit(HostUpdate(self.host, time.time(), problem=silent))
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    return first
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if self._handle_line(line) and first is None:
                        first = time.monotonic()
                if len(buf) > MAX_LINE:
                    self._count_malformed(f"a line longer than {MAX_LINE} bytes")
                    buf = b""
        return first

    def _handle_line(self, line: bytes) -> bool:
        if not line.strip():
            return False
        try:
            sample = host_from_document(json.loads(line), host=self.host)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            self._count_malformed(str(exc))
            return False
        self._emit(HostUpdate(self.host, time.time(), sample=sample))
        return True

    def _count_malformed(self, why: str) -> None:
        self.malformed += 1
        if self.malformed == 1:
            _log.warning("%s: skipping a malformed agent line (%s)", self.host, why[:200])


def _end_group(proc: subprocess.Popen[bytes], grace: float = 2.0, patience: float = 0.0) -> None:
    """SIGTERM the child's process group (after ``patience`` for it to exit by itself), SIGKILL
    after ``grace``; reaps the child."""
    try:
        proc.wait(patience)
    except subprocess.TimeoutExpired:
        pass
    if proc.poll() is None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
    proc.wait()


def _tail(f: IO[bytes], size: int = 8192) -> str:
    f.seek(0, os.SEEK_END)
    f.seek(max(0, f.tell() - size))
    return f.read().decode("utf-8", "replace")


class SshAgentSource:
    """The ``start_command`` of an SSH host: ship the agent if needed, then its argv.

    Args:
        host: the SSH host.
        home: the app's home (known_hosts, master connections).
        interval: the agent's seconds between samples.
        env: extra variables for the remote agent.
    """

    def __init__(
        self,
        host: HostInfo,
        home: Path,
        interval: float,
        env: Mapping[str, str] | None = None,
        python: str = "python3",
    ) -> None:
        self.client = SshClient(host, Path(home))
        self.interval = interval
        self.env = dict(env or {})
        self.python = python

    def __call__(self) -> list[str]:
        """The argv (raises HostError when the host cannot be reached or written)."""
        lib = ensure_agent(self.client, timeout=30.0)
        return agent_command(self.client, lib, self.interval, self.env, self.python)


def ssh_stream(
    host: HostInfo,
    home: Path,
    interval: float,
    on_update: Callable[[HostUpdate], None],
    env: Mapping[str, str] | None = None,
) -> AgentStream:
    """An (unstarted) stream of an SSH host's samples, named by the host's name."""
    return AgentStream(host.name, SshAgentSource(host, home, interval, env), interval, on_update)
