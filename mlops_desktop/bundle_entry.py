"""The bundled program's entry point: the ``mlops-desktop`` command, or a Python for the app.

In the bundle (PyInstaller), ``sys.executable`` is the app's own program, not a Python. The app
starts child Pythons as ``sys.executable -m MODULE ...`` (the local launcher, the model
inspector in its sandbox, the demo's trainings, the first-run demo), so this program answers
like a Python to the few forms the app uses:

- ``-m MODULE ARG...``: runs the module as ``__main__`` (``runpy``), with ``sys.argv`` as a
  Python would set it;
- ``-c CODE ARG...``: runs the code (used by the bundle's self-check);
- ``SCRIPT.py ARG...``: runs the script as ``__main__`` with its folder first on ``sys.path``
  (the demo pipeline's stages run ``sys.executable train.py``);
- ``-u``, ``-B``, ``-E``, ``-s``, ``-I`` before them are accepted (``-u``: unbuffered output);
  the others change nothing in a bundle;

anything else goes to the command line (``mlops-desktop runs list --json``, ``gui``, ...).
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

_IGNORED_FLAGS = frozenset({"-B", "-E", "-s", "-I", "-S"})


def _python_like(args: list[str]) -> int | None:
    """Run ``-m``/``-c`` like a Python; None when ``args`` are not such a call."""
    rest = list(args)
    unbuffered = False
    while rest and (rest[0] == "-u" or rest[0] in _IGNORED_FLAGS):
        unbuffered = unbuffered or rest[0] == "-u"
        rest.pop(0)
    if rest and rest[0].endswith(".py") and Path(rest[0]).is_file():
        _unbuffered(unbuffered)
        sys.argv = list(rest)
        sys.path.insert(0, str(Path(rest[0]).resolve().parent))
        runpy.run_path(rest[0], run_name="__main__")
        return 0
    if len(rest) < 2 or rest[0] not in ("-m", "-c"):
        return None if len(rest) == len(args) else _usage(args)
    _unbuffered(unbuffered)
    if rest[0] == "-c":
        sys.argv = ["-c", *rest[2:]]
        exec(compile(rest[1], "<string>", "exec"), {"__name__": "__main__"})
        return 0
    sys.argv = [rest[1], *rest[2:]]  # runpy puts the module's file in argv[0]
    runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    return 0


def _unbuffered(on: bool) -> None:
    if on:
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(write_through=True)


def _usage(args: Sequence[str]) -> int:
    print(
        f"mlops-desktop: {' '.join(args)!r} is not a command; the program also runs "
        "'-m MODULE ARG...', '-c CODE' or 'SCRIPT.py ARG...' like a Python.",
        file=sys.stderr,
    )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    multiprocessing.freeze_support()  # a multiprocessing child of the frozen app stops here
    args = list(sys.argv[1:] if argv is None else argv)
    code = _python_like(args)
    if code is not None:
        return code
    from mlops_desktop.entry import main as entry_main  # a second start hands over here too

    return int(entry_main(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
