"""The subset of YAML that MLflow's file store writes, read without PyYAML."""

from __future__ import annotations

import pytest

from mlops_desktop.services.mlflow_yaml import YamlError, parse_yaml


def test_scalars_quotes_folds_and_nesting() -> None:
    text = (
        "artifact_uri: file:///tmp/mlruns/1/abc/artifacts\n"
        "end_time: null\n"
        "name: 'it''s: here'\n"
        'other: "tab\\there"\n'
        "long: first part of a folded\n"
        "  plain scalar\n"
        "tags: []\n"
        "empty: {}\n"
        "aliases:\n"
        "  champion: '2'\n"
        "  'odd: key': x\n"
        "items:\n"
        "- a\n"
        "- 'b'\n"
    )
    assert parse_yaml(text) == {
        "artifact_uri": "file:///tmp/mlruns/1/abc/artifacts",
        "end_time": None,
        "name": "it's: here",
        "other": "tab\there",
        "long": "first part of a folded plain scalar",
        "tags": [],
        "empty": {},
        "aliases": {"champion": "2", "odd: key": "x"},
        "items": ["a", "b"],
    }


def test_empty_and_bad_text() -> None:
    assert parse_yaml("") == {}
    with pytest.raises(YamlError):
        parse_yaml("just a line without a colon\n")
