"""One sentence for a Slurm command that failed, from its raw output.

``sinfo`` on a machine where Slurm is installed but not running prints several lines of DNS,
configuration or controller errors; people get the likely reason and the telling line in one
sentence, e.g. "Slurm on local does not answer: slurmctld is not running (sinfo: Unable to
contact slurm controller (connect failure))." The raw output stays for a details view.
"""

from __future__ import annotations

import re

MAX_QUOTE = 120
# (pattern in the output, the likely reason), first match wins
REASONS = (
    (r"unable to contact slurm controller", "slurmctld is not running or cannot be reached"),
    (
        r"could not establish a configuration source|failed to fetch config|slurm\.conf",
        "it has no configuration here (set SLURM_CONF or install slurm.conf)",
    ),
    (r"munge|authentication", "its authentication failed (is munged running?)"),
    (r"access denied|invalid user|not authorized", "access is denied to this user"),
    (r"command not found|no such file or directory", "its commands are not installed"),
)
_PREFIX = re.compile(r"^\S+:\s*(?:error|fatal):\s*", re.IGNORECASE)


def telling_line(output: str) -> str:
    """The line of ``output`` that says most: the fatal one, else the first error, else the
    first line; without the command's ``NAME: error:`` prefix."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return ""
    fatal = [line for line in lines if "fatal:" in line.lower()]
    errors = [line for line in lines if "error:" in line.lower()]
    line = (fatal or errors or lines)[-1 if fatal else 0]
    line = _PREFIX.sub("", line)
    return line if len(line) <= MAX_QUOTE else line[: MAX_QUOTE - 1] + "…"


def slurm_problem(where: str, command: str, output: str, code: int | None = None) -> str:
    """The sentence for ``command`` failing on the cluster ``where`` with ``output``."""
    low = output.lower()
    reason = next((why for pattern, why in REASONS if re.search(pattern, low)), "")
    quote = telling_line(output) or (f"exit code {code}" if code is not None else "no output")
    if not reason:
        return f"Slurm on {where} does not answer: {command} failed ({quote})."
    return f"Slurm on {where} does not answer: {reason} ({command}: {quote})."
