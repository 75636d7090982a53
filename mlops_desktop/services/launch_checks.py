"""What a launch checks on its target before anything starts, so a typo is refused with one
sentence instead of a job that fails with exit code 127.

- The interpreter chosen with ``--python`` (or the dialog's Python field) exists on the target.
- The command's program is found there: on this machine with ``shutil.which`` and the job's
  ``PATH``; on an SSH host or a Slurm cluster's login node with ``command -v`` over the
  existing SSH connection (every value quoted); a local Slurm is checked on this machine.
- ``python script.py`` names a script that exists: in the working folder (also when the code
  is shipped from it), or on the target for an absolute path.

A local launch also gets back the command with its leading ``python``/``python3`` replaced by
the chosen interpreter's full path (see :func:`local_command`).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import Any

from mlops_desktop.core.compute import (
    RunSpec,
    chosen_python,
    command_with_python,
    is_python_program,
)
from mlops_desktop.core.errors import LaunchCheckFailed

SSH_CHECK_TIMEOUT_S = 30.0


def _not_found(program: str, target: str) -> LaunchCheckFailed:
    return LaunchCheckFailed(
        f"{program} was not found on {target}: check its spelling, install it there "
        "or give its full path."
    )


def _no_python(python: str, target: str) -> LaunchCheckFailed:
    return LaunchCheckFailed(
        f"The Python interpreter {python} was not found on {target}: give the path of a "
        "python or of a virtual environment's folder.",
        field="python",
    )


def script_of(command: list[str]) -> str | None:
    """The script a ``python script.py ...`` command runs (None for ``python -m``/``-c``,
    or a command that is not a Python interpreter)."""
    if len(command) < 2 or command[1].startswith("-"):
        return None
    name = Path(command[0]).name
    return command[1] if is_python_program(name) or name.startswith("python") else None


def _path_dirs(spec: RunSpec) -> str | None:
    return spec.env.get("PATH") or os.environ.get("PATH")


def _local_program(program: str, spec: RunSpec, target: str) -> str:
    """The full path of a program on this machine, or LaunchCheckFailed."""
    cwd = spec.workdir or os.getcwd()
    if os.sep in program:
        path = Path(cwd, os.path.expanduser(program))
        if not path.exists():
            raise _not_found(program, target)
        if path.is_dir() or not os.access(path, os.X_OK):
            what = "a folder" if path.is_dir() else "not executable"
            raise LaunchCheckFailed(
                f"The program {program} is {what}: give a program that can run."
            )
        return str(path)
    found = shutil.which(program, path=_path_dirs(spec))
    if found is None:
        raise _not_found(program, target)
    return found


def _check_local_script(command: list[str], spec: RunSpec) -> None:
    script = script_of(command)
    if script is None:
        return
    folder = Path(spec.workdir or os.getcwd())
    if not (folder / os.path.expanduser(script)).is_file():
        raise LaunchCheckFailed(
            f"The script {script} does not exist in {folder}: check the command and the "
            "working folder."
        )


def local_command(spec: RunSpec, target: str = "local") -> list[str]:
    """Check ``spec`` on this machine; its command with the chosen interpreter's full path in
    place of a leading python/python3.

    Raises:
        LaunchCheckFailed: the interpreter, the program or the script is missing.
    """
    python = chosen_python(spec)
    resolved = None
    if python is not None:
        try:
            resolved = _local_program(python, spec, target)
        except LaunchCheckFailed:
            raise _no_python(python, target) from None
    command = command_with_python(spec.command, resolved)
    _local_program(command[0], spec, target)
    _check_local_script(command, spec)
    return command


def _remote_path(path: str) -> str:
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


def check_remote(spec: RunSpec, client: Any, target: str) -> None:
    """Check ``spec`` on an SSH host (or a login node) in one round trip over ``client``.

    Raises:
        LaunchCheckFailed: the interpreter, the program or the script is missing there.
        HostError: the host cannot be reached.
    """
    python = chosen_python(spec)
    command = list(spec.command)
    probes: list[tuple[str, str, LaunchCheckFailed]] = []
    if python is not None:
        probes.append(("x", _remote_path(python), _no_python(python, target)))
    program = command[0]
    shipped = spec.code != "none"  # relative paths travel with the code from the folder
    runs_chosen_python = python is not None and is_python_program(program)
    if not runs_chosen_python and ("/" not in program or program.startswith(("/", "~"))):
        probes.append(("x", _remote_path(program), _not_found(program, target)))
    script = script_of(command)
    if script is not None and script.startswith(("/", "~")):
        missing = LaunchCheckFailed(
            f"The script {script} does not exist on {target}: check the command."
        )
        probes.append(("f", _remote_path(script), missing))
    if probes:
        _probe(client, spec, probes)
    if shipped and "/" in program and not program.startswith(("/", "~")):
        _local_program(program, spec, target)
    if shipped and script is not None and not script.startswith(("/", "~")):
        _check_local_script(command, spec)


def _probe(client: Any, spec: RunSpec, probes: list[tuple[str, str, LaunchCheckFailed]]) -> None:
    """Run the probes in one round trip; raise the first one's error that failed."""
    lines = []
    path = spec.env.get("PATH")
    if path:
        lines.append(f"PATH={shlex.quote(path)}; export PATH")
    for kind, quoted, _error in probes:
        test = f"command -v {quoted}" if kind == "x" else f"test -f {quoted}"
        lines.append(f"if {test} >/dev/null 2>&1; then echo @ok; else echo @missing; fi")
    out = client.run_sh("\n".join(lines), timeout=SSH_CHECK_TIMEOUT_S).stdout.decode()
    answers = [line.strip() for line in out.splitlines() if line.strip().startswith("@")]
    for (_kind, _quoted, error), answer in zip(probes, answers[-len(probes) :], strict=False):
        if answer == "@missing":
            raise error


def check_on_target(spec: RunSpec, executor: Any) -> list[str]:
    """Check ``spec`` where it will run (``executor`` is the target's); the command to start.

    Raises:
        LaunchCheckFailed: the interpreter, the program or the script is missing there.
        HostError: the host cannot be reached.
    """
    target = spec.target
    if target == "local":
        return local_command(spec)
    client = getattr(executor, "client", None)  # an SSH host
    remote = getattr(executor, "remote", None)  # a Slurm cluster's login node
    if client is None and remote is not None:
        client = remote.client
    if client is None:  # a local Slurm: its nodes share this machine's programs
        local_command(spec, target)
        return list(spec.command)
    check_remote(spec, client, target)
    return list(spec.command)


def unchecked_command(spec: RunSpec) -> list[str]:
    """The command to start without checks (``launch --no-check``): on this machine a leading
    python/python3 still becomes the chosen interpreter."""
    python = chosen_python(spec)
    if spec.target != "local" or python is None:
        return list(spec.command)
    found = shutil.which(os.path.expanduser(python), path=_path_dirs(spec))
    return command_with_python(spec.command, found or os.path.expanduser(python))
