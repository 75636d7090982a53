"""A stage's fingerprint: the BLAKE3 digest of everything its result depends on.

:class:`StageInputs` lists those things (commands, working folder, the digest of every dep and
of every code file the command names, the params values read, the dataset versions, the outs
declared); its :meth:`StageInputs.digest` is the fingerprint. Where a stage runs (target, GPUs)
is not part of it: it does not change what the stage makes.

File digests come through the machine's stat cache (:class:`PathHasher`), so an unchanged tree
of 100,000 files costs one ``stat`` per file and no read. A folder's digest is the dataset
manifest fingerprint of its files (``blake3:<hex>`` over sorted (path, size, hash) lines), so
a folder dep and a dataset version with the same files have the same digest.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import DatasetError, PipelineError
from mlops_desktop.core.pipelines import Pipeline, Stage
from mlops_desktop.datasets import hashing
from mlops_desktop.datasets.manifest import build_manifest, fingerprint
from mlops_desktop.datasets.statcache import StatCache
from mlops_desktop.pipelines.treecache import TreeCache, tree_signature

CODE_SUFFIXES = (".py", ".sh", ".R", ".jl", ".ipynb")
TREES_DB = "pipeline-trees.db"  # beside the stat cache


@dataclass(frozen=True, slots=True)
class Hashed:
    """A file or folder as hashed: ``files`` holds (relpath, hash, size) for a folder."""

    kind: str
    digest: str
    size: int
    files: tuple[tuple[str, str, int], ...] = ()


class PathHasher:
    """Digests of files and folders for one status or run call, through one stat cache.

    Each path is hashed once per hasher (memoised); :meth:`forget` drops what a stage may have
    rewritten. Hashing that misses the cache runs on a thread pool (``build_manifest``), whose
    new stat-cache rows are written per path hashed. One hasher serves one thread at a time.
    """

    def __init__(self, cache: StatCache | None = None, threads: int | None = None) -> None:
        self.cache = cache
        self.threads = threads
        self.trees = TreeCache(cache.path.with_name(TREES_DB)) if cache is not None else None
        self._memo: dict[str, Hashed | None] = {}
        self._digests: dict[str, str | None] = {}

    @classmethod
    def for_home(cls, home: Path) -> PathHasher:
        """A hasher over the stat cache of the app's home (``HOME/cache/stat-cache.db``)."""
        return cls(StatCache.for_home(home))

    def hash(self, path: Path) -> Hashed | None:
        """The file or folder at ``path`` hashed, or None when it does not exist."""
        key = os.path.abspath(path)
        if key in self._memo:
            return self._memo[key]
        result = self._hash(key)
        self._memo[key] = result
        return result

    def digest(self, path: Path) -> str | None:
        """The digest of ``path`` (a file's BLAKE3 hex, a folder's ``blake3:<hex>``), or None
        when it does not exist. An unchanged folder costs a stat per file (:mod:`treecache`)."""
        key = os.path.abspath(path)
        if key in self._memo:
            hashed = self._memo[key]
            return hashed.digest if hashed else None
        if key in self._digests:
            return self._digests[key]
        if self.trees is None or not os.path.isdir(key):
            hashed = self.hash(path)
            return hashed.digest if hashed else None
        sig = tree_signature(key)
        hit = self.trees.get(key, sig.signature)
        if hit is not None:
            self._digests[key] = hit[0]
            return hit[0]
        hashed = self.hash(path)
        if hashed is not None:
            self.trees.put(key, sig, hashed.digest)
        return hashed.digest if hashed else None

    def _hash(self, key: str) -> Hashed | None:
        if not os.path.lexists(key):
            return None
        try:
            result = build_manifest(Path(key), cache=self.cache, threads=self.threads)
        except DatasetError:
            return None
        if os.path.isfile(key):
            if not result.entries:
                raise PipelineError(f"cannot read {key}: permission denied")
            entry = result.entries[0]
            return Hashed("file", entry.hash, entry.size)
        entries = result.entries
        return Hashed(
            "dir",
            fingerprint(entries),
            sum(e.size for e in entries),
            tuple((e.path, e.hash, e.size) for e in entries),
        )

    def forget(self, path: Path) -> None:
        """Drop what is memoised for ``path``, what lies under it and the folders above it."""
        key = os.path.abspath(path)
        under = key.rstrip(os.sep) + os.sep
        for memo in (self._memo, self._digests):
            for known in list(memo):
                if known == key or known.startswith(under) or key.startswith(known + os.sep):
                    del memo[known]

    def close(self) -> None:
        """Close the stat cache and the tree cache."""
        if self.trees is not None:
            self.trees.close()
            self.trees = None
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def __enter__(self) -> PathHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class StageInputs:
    """Everything a stage's result depends on; :meth:`digest` is its fingerprint.

    Attributes:
        cmd: the command lines.
        deps: dep path (relative to the pipeline's folder) -> digest ("" when missing).
        code: code file the command names -> its digest.
        params: param key -> value; keys of the pipeline's default params file as they are
            ("train.lr"), keys of another file as "FILE:KEY" ("other.yaml:a.b"; a whole file
            "other.yaml:").
        datasets: dataset ref ("wine", "wine@v3") -> the resolved version's fingerprint.
        outs: the declared outs' paths (declaring another out changes the fingerprint).
        wdir: the working folder, relative to the pipeline's folder.
    """

    cmd: tuple[str, ...] = ()
    deps: dict[str, str] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, str] = field(default_factory=dict)
    outs: tuple[str, ...] = ()
    wdir: str = "."

    def to_json(self) -> dict[str, Any]:
        return {
            "cmd": list(self.cmd),
            "deps": dict(sorted(self.deps.items())),
            "code": dict(sorted(self.code.items())),
            "params": dict(sorted(self.params.items())),
            "datasets": dict(sorted(self.datasets.items())),
            "outs": sorted(self.outs),
            "wdir": self.wdir,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageInputs:
        return cls(
            cmd=tuple(str(c) for c in data.get("cmd", ())),
            deps={str(k): str(v) for k, v in dict(data.get("deps", {})).items()},
            code={str(k): str(v) for k, v in dict(data.get("code", {})).items()},
            params=dict(data.get("params", {})),
            datasets={str(k): str(v) for k, v in dict(data.get("datasets", {})).items()},
            outs=tuple(str(o) for o in data.get("outs", ())),
            wdir=str(data.get("wdir", ".")),
        )

    def canonical(self) -> bytes:
        """The canonical JSON the digest is taken over (sorted keys, no spaces)."""
        return json.dumps(
            self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode("utf-8")

    def digest(self) -> str:
        """BLAKE3 hex of :meth:`canonical`."""
        return hashing.hash_bytes(self.canonical())


def _json_value(value: Any) -> Any:
    """``value`` as it comes back from JSON (YAML dates become strings, int keys strings), so
    inputs read from disk equal inputs read back from the catalog."""
    return json.loads(json.dumps(value, default=str))


def _rel(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def code_files(pipeline: Pipeline, stage: Stage) -> list[str]:
    """Files the stage's commands name that exist under its ``wdir``, relative to the
    pipeline's folder: tokens ending in .py .sh .R .jl .ipynb, and ``-m pkg.mod`` resolved to
    ``pkg/mod.py`` (or ``pkg/mod/__main__.py``) when that file is there."""
    wdir = pipeline.root / stage.wdir
    found: list[str] = []
    for line in stage.cmd:
        try:
            tokens = shlex.split(line)
        except ValueError:
            tokens = line.split()
        for i, token in enumerate(tokens):
            candidates: list[Path] = []
            if token.endswith(CODE_SUFFIXES):
                candidates.append(wdir / token)
            if i > 0 and tokens[i - 1] == "-m":
                mod = Path(*token.split("."))
                candidates += [wdir / mod.with_suffix(".py"), wdir / mod / "__main__.py"]
            for cand in candidates:
                if cand.is_file():
                    rel = _rel(pipeline.root, cand)
                    if not rel.startswith("../") and rel not in found:
                        found.append(rel)
                    break
    return found


def param_key(pipeline_params_file: str, file: str, key: str) -> str:
    """How a param is named in StageInputs and reasons: "train.lr" for the default file,
    "other.yaml:a.b" for another."""
    return key if file == pipeline_params_file else f"{file}:{key}"


def stage_inputs(
    pipeline: Pipeline,
    stage: Stage,
    hasher: PathHasher,
    datasets: Mapping[str, str],
    *,
    known: Mapping[str, str] | None = None,
) -> StageInputs:
    """The inputs of ``stage`` as they are on disk now.

    Args:
        hasher: hashes deps and code files (memoised for the call).
        datasets: each dataset ref the stage names -> its resolved version's fingerprint.
        known: digests to use instead of the disk for some paths (the recorded outs of an
            upstream stage that will be restored, not rerun).

    Raises:
        PipelineError: a dataset ref is not in ``datasets``, a params file or key is missing.
    """
    from mlops_desktop.pipelines.params import ParamsReader  # noqa: PLC0415 (cycle)

    known = known or {}
    root = pipeline.root
    deps: dict[str, str] = {}
    for dep in stage.deps:
        if dep in known:
            deps[dep] = known[dep]
        else:
            deps[dep] = hasher.digest(root / dep) or ""
    code: dict[str, str] = {}
    for rel in code_files(pipeline, stage):
        if rel not in deps:
            code[rel] = known.get(rel) or hasher.digest(root / rel) or ""
    reader = ParamsReader(root)
    default_file = pipeline.params_file
    params = {
        param_key(default_file, ref.file, ref.key): _json_value(
            reader.value(stage.name, ref.file, ref.key)
        )
        for ref in stage.params
    }
    ds: dict[str, str] = {}
    for dep_ds in stage.datasets:
        ref = dep_ds.ref
        if ref not in datasets:
            raise PipelineError(
                f"stage {stage.name} reads dataset {ref}, which is not registered; "
                f"add it with `data add` or change the stage's datasets."
            )
        ds[ref] = datasets[ref]
    return StageInputs(
        cmd=stage.cmd,
        deps=deps,
        code=code,
        params=params,
        datasets=ds,
        outs=tuple(o.path for o in stage.outs),
        wdir=stage.wdir,
    )
