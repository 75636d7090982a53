"""Params lookups, the stage graph, and the stage inputs' fingerprint and JSON forms."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.datasets.manifest import build_manifest, fingerprint
from mlops_desktop.datasets.statcache import StatCache
from mlops_desktop.pipelines.fingerprint import TREES_DB, PathHasher, StageInputs, stage_inputs
from mlops_desktop.pipelines.graph import (
    direct_upstream,
    downstream,
    producer_of,
    topological_order,
    upstream,
)
from mlops_desktop.pipelines.params import load_params, param_value
from mlops_desktop.pipelines.records import CachedStage, OutRecord
from mlops_desktop.pipelines.spec import load_pipeline
from mlops_desktop.pipelines.treecache import TreeCache, tree_signature


def test_param_value_dotted_keys_lists_and_sections(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(
        "train:\n  lr: 0.1\n  layers: [{units: 8}, {units: 4}]\n'a.b': {c: 3}\nempty:\n"
    )
    params = load_params(tmp_path, "params.yaml")
    assert param_value(params, "train.lr") == 0.1
    assert param_value(params, "train.layers.1.units") == 4
    assert param_value(params, "train.layers.-1") == {"units": 4}
    assert param_value(params, "train") == {"lr": 0.1, "layers": [{"units": 8}, {"units": 4}]}
    assert param_value(params, "a.b.c") == 3  # a key holding a dot
    assert param_value(params, "empty") is None
    assert param_value(params, "") == params
    for missing in ("train.lrr", "train.layers.2", "train.lr.x", "nope"):
        with pytest.raises(KeyError):
            param_value(params, missing)
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(PipelineError, match=r"list\.yaml must hold a mapping"):
        load_params(tmp_path, "list.yaml")


DIAMOND = """
stages:
  raw: {cmd: a, outs: [data]}
  feats: {cmd: b, deps: [data/x.csv], outs: [feats.npy]}
  labels: {cmd: c, deps: [data], outs: [labels.npy]}
  train: {cmd: d, deps: [feats.npy, labels.npy], outs: [model.pt]}
  report: {cmd: e, deps: [model.pt, .]}
  lonely: {cmd: f}
"""


def test_graph_of_a_diamond(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(DIAMOND))
    p = load_pipeline(tmp_path)
    order = topological_order(p)
    assert order.index("raw") < order.index("feats") < order.index("train")
    assert order.index("labels") < order.index("train") < order.index("report")
    assert direct_upstream(p, "feats") == {"raw"}  # a dep inside an out
    # "." holds every out (lonely has none)
    assert direct_upstream(p, "report") == set(order) - {"report", "lonely"}
    assert upstream(p, "train") == {"raw", "feats", "labels"}
    assert downstream(p, "labels") == {"train", "report"}
    assert downstream(p, "lonely") == set()
    assert producer_of(p)["model.pt"] == "train"


def test_stage_inputs_json_digest_and_what_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    for i in range(3):
        (tmp_path / "data" / f"{i}.csv").write_text(f"{i}\n")
    (tmp_path / "train.py").write_text("print(1)\n")
    (tmp_path / "params.yaml").write_text("lr: 0.1\nday: 2024-01-31\nby_id: {1: a}\n")
    (tmp_path / "pipeline.yaml").write_text(
        "stages:\n  train: {cmd: python train.py, deps: [data], params: [lr, day, by_id], "
        "outs: [m.pt], datasets: [wine@v2]}\n"
    )
    p = load_pipeline(tmp_path)
    stage = p.stage("train")
    with PathHasher(StatCache(tmp_path / "stat.db")) as hasher:
        inputs = stage_inputs(p, stage, hasher, {"wine@v2": "v2 blake3:abc"})
        with pytest.raises(PipelineError, match="stage train reads dataset wine@v2, which is"):
            stage_inputs(p, stage, hasher, {})
    # a folder's digest is the dataset manifest fingerprint of its files
    assert inputs.deps["data"] == fingerprint(build_manifest(tmp_path / "data").entries)
    assert set(inputs.code) == {"train.py"}
    assert inputs.params == {"lr": 0.1, "day": "2024-01-31", "by_id": {"1": "a"}}
    assert StageInputs.from_json(json.loads(json.dumps(inputs.to_json()))) == inputs
    assert len(inputs.digest()) == 64
    assert StageInputs(**{**inputs.__dict__, "cmd": ("python train.py -v",)}).digest() != (
        inputs.digest()
    )
    # where a stage runs is not part of what it makes
    (tmp_path / "pipeline.yaml").write_text(
        (tmp_path / "pipeline.yaml").read_text().replace("}", ", target: 'ssh:gpu', gpus: 2}")
    )
    p2 = load_pipeline(tmp_path)
    with PathHasher(StatCache(tmp_path / "stat.db")) as hasher:
        again = stage_inputs(p2, p2.stage("train"), hasher, {"wine@v2": "v2 blake3:abc"})
    assert again.digest() == inputs.digest()
    record = CachedStage(
        "p",
        "train",
        inputs.digest(),
        inputs,
        {"m.pt": OutRecord("m.pt", "dir", "blake3:x", 3, (("a", "h", 3),), cache=False)},
        None,
        1.5,
    )
    assert CachedStage.from_json(record.to_json()) == record


def test_hasher_memoises_until_told_to_forget(tmp_path: Path) -> None:
    f = tmp_path / "d" / "f.txt"
    f.parent.mkdir()
    f.write_text("one")
    with PathHasher(StatCache(tmp_path / "stat.db")) as hasher:
        first = hasher.digest(tmp_path / "d")
        f.write_text("two")
        assert hasher.digest(tmp_path / "d") == first
        hasher.forget(f)  # a file inside: the folder above is forgotten too
        assert hasher.digest(tmp_path / "d") != first
        assert hasher.digest(tmp_path / "nope") is None


def test_tree_cache_reuses_a_digest_only_for_the_same_files(tmp_path: Path) -> None:
    old = 1_600_000_000_000_000_000
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    for name in ("a.csv", "b.csv", "sub/c.csv"):
        (data / name).write_text(f"{name}\n")
        os.utime(data / name, ns=(old, old))

    def digest() -> str | None:
        with PathHasher(StatCache(tmp_path / "cache" / "stat.db")) as hasher:
            return hasher.digest(data)

    first = digest()
    assert first == fingerprint(build_manifest(data).entries)
    signed = tree_signature(str(data))
    assert signed.trustworthy and signed.size == sum(
        len(n) + 1 for n in ("a.csv", "b.csv", "sub/c.csv")
    )
    assert TreeCache(tmp_path / "cache" / TREES_DB).get(str(data), signed.signature) == (
        first,
        signed.size,
    )
    assert digest() == first
    # an edit in place, same size, another mtime: noticed
    (data / "sub" / "c.csv").write_text("sub/x.csv\n")
    os.utime(data / "sub" / "c.csv", ns=(old + 10**9, old + 10**9))
    second = digest()
    assert second not in (None, first)
    assert second == fingerprint(build_manifest(data).entries)
    # a file added just now is too fresh to trust: not remembered, still right
    (data / "new.csv").write_text("n\n")
    assert not tree_signature(str(data)).trustworthy
    third = digest()
    assert third == fingerprint(build_manifest(data).entries) != second
    # a rename changes the digest
    os.utime(data / "new.csv", ns=(old, old))
    os.rename(data / "new.csv", data / "renamed.csv")
    assert digest() == fingerprint(build_manifest(data).entries) != third
    # a link inside the folder, then pointed at another file
    (data / "link.csv").symlink_to("a.csv")
    os.utime(data / "link.csv", ns=(old, old), follow_symlinks=False)
    linked = digest()
    assert linked == fingerprint(build_manifest(data).entries)
    (data / "link.csv").unlink()
    (data / "link.csv").symlink_to("b.csv")
    os.utime(data / "link.csv", ns=(old, old), follow_symlinks=False)
    assert digest() == fingerprint(build_manifest(data).entries) != linked
    # a damaged tree cache is replaced, not fatal
    (tmp_path / "cache" / TREES_DB).write_bytes(b"not sqlite at all" * 100)
    assert digest() == fingerprint(build_manifest(data).entries)
