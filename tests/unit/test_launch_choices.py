"""Issue 12: which interpreter runs a command, and one sentence for a Slurm that fails."""

from __future__ import annotations

from mlops_desktop.compute.slurm_problems import slurm_problem, telling_line
from mlops_desktop.core.compute import RunSpec, chosen_python, command_with_python
from mlops_desktop.services.launch_checks import script_of

NO_CONFIG = """sinfo: error: resolve_ctls_from_dns_srv: res_nsearch error: Unknown host
sinfo: error: fetch_config: DNS SRV lookup failed
sinfo: error: _establish_config_source: failed to fetch config
sinfo: fatal: Could not establish a configuration source
"""


def test_a_chosen_python_replaces_only_a_leading_python() -> None:
    assert chosen_python(RunSpec(command=["x"])) is None  # the default python3: as written
    assert chosen_python(RunSpec(command=["x"], python="~/venvs/torch")) == (
        "~/venvs/torch/bin/python"
    )
    assert chosen_python(RunSpec(command=["x"], python="/opt/py/bin/python3.11")) == (
        "/opt/py/bin/python3.11"
    )
    py = "/v/bin/python"
    assert command_with_python(["python", "t.py"], py) == [py, "t.py"]
    assert command_with_python(["python3.11", "-m", "m"], py) == [py, "-m", "m"]
    assert command_with_python(["pythonic", "t.py"], py) == ["pythonic", "t.py"]
    assert command_with_python(["torchrun", "t.py"], py) == ["torchrun", "t.py"]
    assert command_with_python(["python", "t.py"], None) == ["python", "t.py"]


def test_the_script_of_a_python_command() -> None:
    assert script_of(["python", "train.py", "--lr", "1"]) == "train.py"
    assert script_of(["/v/bin/python3", "sub/train.py"]) == "sub/train.py"
    assert script_of(["python", "-m", "pkg"]) is None
    assert script_of(["python", "-c", "1"]) is None
    assert script_of(["bash", "run.sh"]) is None


def test_a_failing_sinfo_is_one_sentence() -> None:
    assert slurm_problem("local", "sinfo", NO_CONFIG, 1) == (
        "Slurm on local does not answer: it has no configuration here (set SLURM_CONF or "
        "install slurm.conf) (sinfo: Could not establish a configuration source)."
    )
    down = "sinfo: error: Unable to contact slurm controller (connect failure)"
    assert "slurmctld is not running" in slurm_problem("hpc", "sinfo", down, 1)
    assert slurm_problem("hpc", "scontrol", "", 3) == (
        "Slurm on hpc does not answer: scontrol failed (exit code 3)."
    )
    assert len(telling_line("x" * 500)) <= 120
