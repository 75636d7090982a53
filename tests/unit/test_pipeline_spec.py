"""Reading pipeline files, ours and DVC's, and the one-sentence refusals of bad ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import DatasetDep, ParamRef, StageOut
from mlops_desktop.pipelines.fingerprint import code_files
from mlops_desktop.pipelines.spec import find_pipeline_file, load_pipeline, parse_interval


def write(
    root: Path, text: str, name: str = "pipeline.yaml", files: dict[str, str] | None = None
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))
    (root / "params.yaml").write_text("train:\n  lr: 0.1\n  layers: [{units: 8}, {units: 4}]\n")
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root / name


def test_dvc_forms_are_read_as_dvc_means_them(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text("a:\n  b: 1\nc: 2\n")
    write(
        tmp_path,
        """
        stages:
          prepare:
            desc: split the data
            cmd: python src/prepare.py data/raw
            deps: [src/prepare.py, data/raw]
            params:
              - train.lr
              - other.yaml:
                  - a.b
              - other.yaml:
            outs:
              - data/prepared
              - model.pkl:
                  cache: false
                  persist: true
                  remote: backup
            metrics:
              - scores.json:
                  cache: false
            plots:
              - plots/roc.csv
          eval:
            wdir: sub
            cmd:
              - python eval.py
              - echo done
            deps: [../data/prepared, dataset:wine@v3]
            always_changed: true
        """,
        name="dvc.yaml",
        files={"src/prepare.py": "", "data/raw/a.csv": "x\n", "sub/eval.py": ""},
    )
    p = load_pipeline(tmp_path)
    assert (p.kind, p.name, p.params_file) == ("dvc", tmp_path.name, "params.yaml")
    prepare, ev = p.stages
    assert prepare.cmd == ("python src/prepare.py data/raw",)
    assert prepare.params == (
        ParamRef("params.yaml", "train.lr"),
        ParamRef("other.yaml", "a.b"),
        ParamRef("other.yaml", ""),
    )
    assert set(prepare.outs) == {
        StageOut("data/prepared"),
        StageOut("model.pkl", cache=False),
        StageOut("plots/roc.csv"),
        StageOut("scores.json", cache=False, metric=True),
    }
    assert prepare.metrics == (StageOut("scores.json", cache=False, metric=True),)
    # wdir: deps are relative to it, as in DVC; stored relative to the file's folder
    assert (ev.wdir, ev.deps) == ("sub", ("data/prepared",))
    assert ev.cmd == ("python eval.py", "echo done")
    assert ev.datasets == (DatasetDep("wine", 3),)
    assert ev.always_changed
    assert p.stage("eval").params == ()
    assert code_files(p, ev) == ["sub/eval.py"]


def test_our_file_with_triggers_targets_and_a_register_gate(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        name: wine
        experiment: wine-exp
        parallel: 3
        triggers: {datasets: [wine], monitors: [wine-drift], schedule: 6h}
        stages:
          train:
            cmd: python -m pkg.train --lr 0.1
            datasets: [wine]
            params: [train.layers.1.units, train]
            outs: [model.joblib]
            target: ssh:gpu1
            gpus: 1
          register:
            deps: [model.joblib]
            register: {model: wine, from: model.joblib, when: ["metrics.acc >= champion"]}
        """,
        files={"pkg/train.py": "", "pkg/__init__.py": ""},
    )
    p = load_pipeline(tmp_path / "pipeline.yaml")
    assert (p.name, p.experiment, p.parallel, p.kind) == ("wine", "wine-exp", 3, "mlops")
    assert p.triggers.schedule_s == 6 * 3600 and p.triggers.monitors == ("wine-drift",)
    train = p.stage("train")
    assert (train.target, train.gpus, train.datasets) == ("ssh:gpu1", 1, (DatasetDep("wine"),))
    assert code_files(p, train) == ["pkg/train.py"]
    gate = p.stage("register").register
    assert gate is not None and (gate.out, gate.alias, gate.promote) == (
        "model.joblib",
        "challenger",
        "approval",
    )


def test_find_pipeline_file_prefers_ours(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    assert find_pipeline_file(tmp_path).name == "dvc.yaml"
    (tmp_path / "pipeline.yaml").write_text("stages: {}\n")
    assert find_pipeline_file(tmp_path).name == "pipeline.yaml"
    with pytest.raises(PipelineError, match="data does not exist"):
        find_pipeline_file(tmp_path / "data")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match=r"holds no pipeline\.yaml or dvc\.yaml"):
        find_pipeline_file(tmp_path / "empty")


def test_intervals() -> None:
    assert parse_interval("30m") == 1800 and parse_interval(120) == 120
    assert parse_interval("1d") == 86400
    for bad in ("soon", "10s", "-5m"):
        with pytest.raises(PipelineError):
            parse_interval(bad)


BAD = {
    "cycle": (
        """
        stages:
          train: {cmd: a, deps: [b.txt], outs: [a.txt]}
          evaluate: {cmd: b, deps: [a.txt], outs: [b.txt]}
        """,
        "stages train -> evaluate -> train form a cycle",
    ),
    "missing dep": (
        """
        stages:
          train: {cmd: a, deps: [data/missing.csv], outs: [a.txt]}
        """,
        "stage train depends on data/missing.csv, which is not on disk and no stage declares",
    ),
    "unknown param": (
        """
        stages:
          train: {cmd: a, params: [train.lrr], outs: [a.txt]}
        """,
        "stage train reads param train.lrr, which params.yaml does not have",
    ),
    "missing params file": (
        """
        stages:
          train: {cmd: a, params: [{nope.yaml: [x]}]}
        """,
        "stage train reads params: the params file nope.yaml does not exist",
    ),
    "one out twice": (
        """
        stages:
          a: {cmd: a, outs: [model.joblib]}
          b: {cmd: b, outs: [model.joblib]}
        """,
        "stage b declares the out model.joblib as stage a does",
    ),
    "out in out": (
        """
        stages:
          a: {cmd: a, outs: [data]}
          b: {cmd: b, outs: [data/x.csv]}
        """,
        "stage b declares the out data/x.csv, which lies inside the out data of stage a",
    ),
    "unknown stage key": (
        """
        stages:
          train: {cmd: a, outz: [a.txt]}
        """,
        "stage train has an unknown key `outz`",
    ),
    "escaping path": (
        """
        stages:
          train: {cmd: a, deps: [../../etc/passwd]}
        """,
        "stage train: dep ../../etc/passwd is outside the pipeline's folder",
    ),
    "absolute path": (
        """
        stages:
          train: {cmd: a, outs: [/tmp/model.joblib]}
        """,
        "stage train: outs /tmp/model.joblib is an absolute path",
    ),
    "foreach": (
        """
        stages:
          train: {foreach: [1, 2], do: {cmd: a}}
        """,
        "stage train uses `foreach`, which is not supported",
    ),
    "register from no out": (
        """
        stages:
          reg: {register: {model: m, from: params.yaml}}
        """,
        "stage reg registers params.yaml, which no other stage declares in its outs",
    ),
    "no cmd": (
        """
        stages:
          train: {deps: [params.yaml]}
        """,
        "stage train has no `cmd`",
    ),
    "bad target": (
        """
        stages:
          train: {cmd: a, target: gpu1}
        """,
        "stage train: target 'gpu1' is not local, ssh:NAME or slurm:NAME",
    ),
    "dep holds own out": (
        """
        stages:
          train: {cmd: a, deps: [.], outs: [model.pt]}
        """,
        "stage train depends on ., which holds its own out model.pt",
    ),
    "no stages": ("name: x\n", "pipeline.yaml has no `stages:` mapping"),
    "bad yaml": ("stages: [\n", "pipeline.yaml is not valid YAML at line"),
    "unknown top key": (
        """
        stage: {}
        stages: {}
        """,
        "pipeline.yaml has an unknown key `stage`",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_get_one_sentence(tmp_path: Path, case: str) -> None:
    text, sentence = BAD[case]
    write(tmp_path, text)
    with pytest.raises(PipelineError) as err:
        load_pipeline(tmp_path)
    message = str(err.value)
    assert sentence in message
    assert "\n" not in message and message.count(". ") == 0, message


def test_dvc_top_level_extras_are_ignored_but_vars_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        plots: [{roc.csv: {x: fpr}}]
        artifacts: {m: {path: m.pkl}}
        stages:
          a: {cmd: echo, outs: [m.pkl]}
        """,
        name="dvc.yaml",
    )
    assert [s.name for s in load_pipeline(tmp_path).stages] == ["a"]
    write(tmp_path, "vars: [params.yaml]\nstages: {a: {cmd: echo}}\n", name="dvc.yaml")
    with pytest.raises(PipelineError, match="uses `vars`, which is not supported"):
        load_pipeline(tmp_path / "dvc.yaml")
    write(tmp_path, "name: x\nstages: {a: {cmd: echo}}\n", name="dvc.yaml")
    with pytest.raises(PipelineError, match=r"dvc\.yaml has an unknown key `name`"):
        load_pipeline(tmp_path / "dvc.yaml")


def test_default_params_file_with_a_wdir(tmp_path: Path) -> None:
    """DVC reads a stage's bare params keys from params.yaml in its wdir; ours from the
    pipeline's params file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "params.yaml").write_text("lr: 1\n")
    (tmp_path / "conf.yaml").write_text("lr: 2\n")
    body = "stages:\n  a: {cmd: echo, wdir: sub, params: [lr]}\n"
    write(tmp_path, body, name="dvc.yaml")
    assert load_pipeline(tmp_path / "dvc.yaml").stage("a").params == (
        ParamRef("sub/params.yaml", "lr"),
    )
    write(tmp_path, "params: conf.yaml\n" + body)
    p = load_pipeline(tmp_path / "pipeline.yaml")
    assert (p.params_file, p.stage("a").params) == ("conf.yaml", (ParamRef("conf.yaml", "lr"),))
