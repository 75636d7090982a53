"""Fixtures of this folder: a real PostgreSQL server (``tests/pg_fixture.py``), a real
single-node Slurm (``tests/slurm_fixture.py``) and real sshd on loopback
(``tests/ssh_fixture.py``)."""

pytest_plugins = ["pg_fixture", "slurm_fixture", "ssh_fixture"]
