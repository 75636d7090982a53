"""``hw --all --json``: a machine that gave no sample is ``{host, error}`` under its own name."""

from __future__ import annotations

from mlops_desktop.cli.hw_output import all_document
from mlops_desktop.core.errors import HostError
from mlops_desktop.core.hardware import HostSample


def test_errors_keep_the_machine_name_even_with_a_colon_in_it() -> None:
    node = "slurm:lab/gpu-node1"
    gone = f"{node}: no job of this app runs there any more (42)."
    results: list[HostSample | HostError] = [
        HostSample(host="local", time=1.0),
        HostError(gone),
        HostError("gpu1: ssh: connect to host 10.0.0.1 port 22: Connection refused"),
    ]
    docs = all_document(results)
    assert docs[0]["host"] == "local"
    assert docs[1] == {"host": node, "error": gone}
    assert docs[2]["host"] == "gpu1"
