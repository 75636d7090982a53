"""Fixtures of this folder: a real PostgreSQL server (``tests/pg_fixture.py``)."""

pytest_plugins = ["pg_fixture"]
