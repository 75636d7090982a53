"""A run's error in one line, from what its writer stored or from the end of its log."""

from __future__ import annotations

from mlops_desktop.core.run_errors import last_error_line, run_error

CHAINED = """step 1
Traceback (most recent call last):
  File "a.py", line 1, in <module>
KeyError: 'lr'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "a.py", line 3, in <module>
    raise ValueError("bad config")
ValueError: bad config
more output after the crash
"""


def test_the_last_traceback_gives_the_line() -> None:
    assert last_error_line(CHAINED) == "ValueError: bad config"
    assert last_error_line("bash: foo: command not found\n") is None
    assert last_error_line("x\ntorch.cuda.OutOfMemoryError: CUDA out of memory\ny\n") == (
        "torch.cuda.OutOfMemoryError: CUDA out of memory"
    )
    assert len(last_error_line("Traceback (most recent call last):\nE: " + "x" * 999) or "") == 300


def test_run_error_prefers_the_stored_error_and_completes_bare_exit_codes() -> None:
    assert run_error(None, "finished", CHAINED) is None, "a finished run's log is not read"
    assert run_error(None, "failed", CHAINED) == "ValueError: bad config"
    assert run_error(CHAINED, "failed") == "ValueError: bad config"
    assert run_error("KeyboardInterrupt", "killed", CHAINED) == "KeyboardInterrupt"
    assert run_error("exit code 2", "failed", CHAINED) == "ValueError: bad config (exit code 2)"
    assert run_error("exit code 127", "failed", "sh: 1: nope: not found\n") == "exit code 127"
    assert run_error("killed by signal 9", "killed", "") == "killed by signal 9"
    assert run_error(None, "failed", "") is None
