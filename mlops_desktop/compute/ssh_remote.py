"""The POSIX ``sh`` scripts the SSH executor runs remotely, and the parsers of their output.

Every value put into a script is quoted with :func:`shlex.quote` or is an ``int``.
"""

from __future__ import annotations

import fcntl
import json
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.compute import GpuInfo
from mlops_desktop.tracking.home import reclaimed_bytes

if TYPE_CHECKING:
    from mlops_desktop.compute.ssh import SshClient

SEP = "@@MLOPS-SEP@@"
SPOOL_FILES = ("events.jsonl", "system.jsonl", "output.log")
SYNC_CAP = 64 * 1024 * 1024  # bytes per file per sync call
q = shlex.quote

# pids of the process group $PG, with pgrep or a /proc scan
_MEMBERS = r"""members() {
  if command -v pgrep >/dev/null 2>&1; then pgrep -g "$PG"; return 0; fi
  for f in /proc/[0-9]*/stat; do
    read -r l < "$f" 2>/dev/null || continue
    r=${l##*") "}; set -- $r
    [ "$3" = "$PG" ] && { p=${f#/proc/}; echo "${p%/stat}"; }
  done; return 0
}
alive() { [ -n "$(members)" ]; }
"""


def stat_ticks(stat_line: str) -> int | None:
    """Start ticks (field 22) of a ``/proc/PID/stat`` line, or None."""
    end = stat_line.rfind(")")
    fields = stat_line[end + 2 :].split() if end >= 0 else []
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def _stat_state(stat_line: str) -> str:
    end = stat_line.rfind(")")
    fields = stat_line[end + 2 :].split() if end >= 0 else []
    return fields[0] if fields else ""


def poll_script(handle: dict[str, Any]) -> str:
    """Launcher liveness first, then job.json, exit.json, the cancel mark, launcher.out."""
    pid = int(handle["pid"])
    return (
        f"cd {q(handle['run_dir'])} 2>/dev/null || {{ echo NO-RUN-DIR; exit 0; }}; "
        f"cat /proc/{pid}/stat 2>/dev/null; echo; echo {SEP}; "
        f"cat job.json 2>/dev/null; echo; echo {SEP}; "
        f"cat exit.json 2>/dev/null; echo; echo {SEP}; "
        f"[ -e cancel.json ] && echo cancel; echo {SEP}; "
        "tail -c 400 launcher.out 2>/dev/null; exit 0"
    )


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def poll_result(handle: dict[str, Any], out: bytes) -> tuple[str, int | None, str]:
    """(state, exit code, detail) from :func:`poll_script`'s output."""
    text = out.decode("utf-8", "replace")
    if text.startswith("NO-RUN-DIR"):
        return "lost", None, f"the run directory {handle['run_dir']} is gone"
    parts = text.split(SEP + "\n")
    if len(parts) < 5:
        return "lost", None, "the host answered with an incomplete status"
    stat, job, exit_rec = parts[0].strip(), _json(parts[1]), _json(parts[2])
    cancelled = parts[3].strip() == "cancel"
    ticks = handle.get("start_ticks")
    alive = bool(stat) and _stat_state(stat) not in ("Z", "X")
    if alive and ticks is not None and stat_ticks(stat) != int(ticks):
        alive = False  # the pid was reused
    detail = str((job or {}).get("detail") or "")
    if exit_rec is not None:
        code = exit_rec.get("exit_code")
        code = code if isinstance(code, int) else None
        state = str((job or {}).get("state") or "")
        if cancelled or state == "cancelled":
            return "cancelled", code, detail
        if code == 0:
            return "finished", 0, detail
        detail = detail or str(exit_rec.get("detail") or "")
        if not detail and exit_rec.get("signal"):
            detail = f"killed by signal {exit_rec['signal']}"
        return "failed", code, detail
    if alive:
        state = str((job or {}).get("state") or "starting")
        if state not in ("starting", "queued", "running"):
            state = "running"  # the end is being recorded
        return state, None, detail
    if cancelled:
        return "cancelled", None, "cancelled (the launcher left no exit record)"
    tail = parts[4].strip().splitlines()
    why = f": {tail[-1]}" if tail else ""
    return "lost", None, f"the launcher is gone without an exit record{why}"


def sync_script(spool: str, sizes: dict[str, int], cap: int) -> str:
    """For each file: a line with the byte count ``c``, then exactly ``c`` bytes from the
    local size on (capped), so the output splits without ambiguity."""
    parts = []
    for name, size in sizes.items():
        parts.append(
            f"f={q(spool + '/' + name)}; n={int(size)}; "
            's=$(wc -c < "$f" 2>/dev/null || echo 0); s=$((s + 0)); c=$((s - n)); '
            f"[ $c -gt {int(cap)} ] && c={int(cap)}; [ $c -lt 0 ] && c=0; echo $c; "
            'if [ $c -gt 0 ]; then tail -c +$((n + 1)) -- "$f" | head -c $c; fi'
        )
    return "; ".join(parts) + "; exit 0"


def split_sync_output(data: bytes, names: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) pairs of :func:`sync_script` output; a cut-short stream yields
    the bytes that did arrive and stops."""
    pos = 0
    for name in names:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return
        header = data[pos:nl].strip()
        if not header.isdigit():
            return
        count = int(header)
        chunk = data[nl + 1 : nl + 1 + count]
        yield name, chunk
        if len(chunk) < count:
            return
        pos = nl + 1 + count


def mirror_spool(client: SshClient, remote_spool: str, spool_dir: Path) -> int:
    """Append the new bytes of the remote spool's files to ``spool_dir`` (local size =
    offset, so a dropped connection resumes with no gap and no duplicate); one ssh call.
    Shared by the SSH executor and the Slurm executor on a login node.

    Returns:
        The bytes copied.

    Raises:
        HostError: the connection failed (bytes that arrived before are kept).
    """
    spool = Path(spool_dir)
    spool.mkdir(parents=True, exist_ok=True)
    with open(spool / ".sync.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        removed = reclaimed_bytes(spool)  # an ingested spool reclaimed here: same remote offset
        sizes = {
            n: ((spool / n).stat().st_size if (spool / n).exists() else 0) + removed.get(n, 0)
            for n in SPOOL_FILES
        }
        script = sync_script(remote_spool, sizes, SYNC_CAP)
        try:
            proc = subprocess.run(
                client.argv(shlex.join(["sh", "-c", script])),
                capture_output=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            data, rc, err = proc.stdout, proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            data, rc, err = exc.stdout or b"", 255, b"timed out"
        copied = 0
        for name, chunk in split_sync_output(data, SPOOL_FILES):
            if chunk:
                with open(spool / name, "ab") as fh:
                    fh.write(chunk)
                copied += len(chunk)
    if rc == 255:
        client.raise_ssh_error(err.decode("utf-8", "replace"))
    return copied


def cancel_script(handle: dict[str, Any], grace_s: float) -> str:
    """Mark the run cancelled, SIGTERM the launcher's group (it forwards to the command),
    wait ``grace_s``, SIGKILL the command's processes, give the launcher a moment to record
    the end, SIGKILL what is left; exit 4 when a process survived."""
    pid = int(handle["pid"])
    ticks = handle.get("start_ticks")
    steps = max(1, int(grace_s * 10))
    check_ticks = ""
    if ticks is not None:
        check_ticks = (
            f'l=$(cat /proc/{pid}/stat 2>/dev/null) && {{ r=${{l##*") "}}; set -- $r; '
            f'[ "${{20}}" = {int(ticks)} ] || exit 0; }}; '
        )
    return (
        f"PG={pid}; {_MEMBERS}"
        f"cd {q(handle['run_dir'])} 2>/dev/null && [ ! -e exit.json ] && "
        'printf \'{"requested_at": %s}\\n\' "$(date +%s)" > cancel.json; '
        f"alive || exit 0; {check_ticks}"
        'kill -TERM -- "-$PG" 2>/dev/null; '
        f"i=0; while alive && [ $i -lt {steps} ]; do sleep 0.1; i=$((i + 1)); done; "
        "if alive; then "
        '  for p in $(members); do [ "$p" = "$PG" ] || kill -KILL "$p" 2>/dev/null; done; '
        "  i=0; while alive && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done; "
        '  kill -KILL -- "-$PG" 2>/dev/null; sleep 0.2; '
        "fi; "
        "alive && exit 4; exit 0"
    )


def sections(out: str) -> dict[str, str]:
    """``@name`` lines split an output into named sections."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in out.splitlines():
        if line.startswith("@") and line[1:].isidentifier():
            current = line[1:]
            found[current] = []
        elif current:
            found[current].append(line)
    return {k: "\n".join(v) for k, v in found.items()}


def parse_gpus(text: str) -> list[GpuInfo]:
    """GPUs from ``nvidia-smi --query-gpu=index,name,memory.total,memory.used,
    utilization.gpu --format=csv,noheader,nounits`` (MiB to bytes)."""
    gpus = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) < 5 or not cells[0].isdigit():
            continue
        try:
            util = float(cells[4])
        except ValueError:
            util = None
        try:
            total, used = int(float(cells[2])) << 20, int(float(cells[3])) << 20
        except ValueError:
            continue
        gpus.append(GpuInfo(int(cells[0]), cells[1], total, used, util))
    return gpus
