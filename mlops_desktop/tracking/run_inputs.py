"""The datasets a run used: ``use_dataset`` (checked against the catalog) and MLflow's
``log_input``."""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mlops_desktop.tracking import catalog_peek
from mlops_desktop.tracking.datasets_manifest import launched_version
from mlops_desktop.tracking.validate import check_key, check_mapping

INPUT_TAG_PREFIX = "mlops.input."  # mlops.input.<dataset>.context = "training", ...
UNRESOLVED_KEY = "unresolved"  # set by ingest: why the dataset or version is unknown
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")
_SHOWN_NAMES = 10


class UnknownDatasetError(ValueError):
    """``use_dataset`` named a dataset or version the catalog does not have."""


def is_path(name: Any) -> bool:
    """Whether ``use_dataset`` takes ``name`` as a path rather than a registered name."""
    return isinstance(name, os.PathLike) or (
        isinstance(name, str) and (os.sep in name or "/" in name or name[:1] in "~.")
    )


def input_tag(dataset: str, key: str) -> str:
    """The run tag that keeps ``key`` (context, digest, source...) of an input dataset."""
    safe = _TAG_UNSAFE.sub("_", dataset).strip(" /.") or "dataset"
    return f"{INPUT_TAG_PREFIX}{safe[:120]}.{_TAG_UNSAFE.sub('_', key)[:60]}"


def check_dataset(home: Path, name: str, version: str | None) -> str | None:
    """Check ``name`` (at ``version``, or any) against the home's catalog.

    Returns:
        None when the dataset (and version) exist, else a warning sentence saying the
        catalog could not be read (nothing was checked).

    Raises:
        UnknownDatasetError: the catalog has no such dataset, or no such version of it.
    """
    try:
        versions = catalog_peek.dataset_versions(home, name)
        if versions is None:
            names = catalog_peek.dataset_names(home, _SHOWN_NAMES)
    except catalog_peek.CatalogUnreadable as exc:
        what = name if version is None else f"{name}@{version}"
        return f"The dataset {what} was recorded unchecked: {exc}."
    if versions is None:
        known = ", ".join(names[:_SHOWN_NAMES]) + (", ..." if len(names) > _SHOWN_NAMES else "")
        raise UnknownDatasetError(
            f"No dataset is named {name!r} in the catalog (registered: {known or 'none'}); "
            f"register it with `mlops-desktop data add PATH --name {name}`, or pass "
            "strict=False to record it unchecked."
        )
    if version is None or version.strip() in ("", "latest"):
        if versions:
            return None
        raise UnknownDatasetError(
            f"The dataset {name!r} has no versions yet; add one with `mlops-desktop data add`."
        )
    if catalog_peek.version_number(version) in versions:
        return None
    known = ", ".join(f"v{n}" for n in versions) or "none"
    raise UnknownDatasetError(
        f"The dataset {name!r} has no version {version!r} (its versions: {known}); "
        "pass one of them, or strict=False to record it unchecked."
    )


class DatasetInputs:
    """The dataset methods of :class:`~mlops_desktop.tracking.run.Run`."""

    home: Path

    def _put(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def use_dataset(
        self,
        name: str | os.PathLike[str],
        version: str | None = None,
        *,
        strict: bool = True,
        context: str | None = None,
    ) -> None:
        """Record that this run used a dataset: a registered name (and version) or a path.

        A path-like object, or a string with a path separator or a leading ``~`` or ``.``,
        is taken as a path and recorded as an absolute path, named after its last part. In a
        run launched with datasets, a name without a version records the launched version.
        A name is checked against the catalog at once (a read-only look, at most ~100 ms).

        Args:
            name: a registered dataset's name, or a path.
            version: ``"v2"``, ``"2"`` or ``"latest"`` (the default: latest at this time).
            strict: raise for an unknown dataset or version (else warn and record it; ingest
                then stores it without a version, flagged).
            context: what the run used it for ("training", "validation"...), kept in the run
                tag ``mlops.input.<name>.context``.

        Raises:
            UnknownDatasetError: (a ValueError) no such dataset or version, when ``strict``.
        """
        if version is not None and not isinstance(version, str):
            version = str(version)
        if is_path(name):
            path = os.path.abspath(os.path.expanduser(os.fspath(name)))
            label = os.path.basename(path.rstrip(os.sep)) or path
            self._record(label, version, path, context)
            return
        assert isinstance(name, str)
        check_key(name, "dataset")
        launched = launched_version(name)
        if version is None and launched is not None:  # launched with it: exactly that version
            self._record(name, launched, None, context)
            return
        self._check(name, version, strict)
        self._record(name, version, None, context)

    def log_input(
        self, dataset: Any, context: str | None = None, tags: Mapping[str, Any] | None = None
    ) -> None:
        """MLflow's ``log_input``: record a dataset this run used.

        ``dataset`` is a registered dataset's name, ``"name@version"``, a path, or an object
        with a ``name`` (an MLflow dataset): one whose ``source`` is a local file is recorded
        by path, any other by name (unchecked, with a warning when the catalog lacks it); its
        ``digest`` and ``source`` are kept in ``mlops.input.<name>.*`` tags, as are ``tags``.
        """
        if tags is not None:
            check_mapping(tags, "tags")
        extra = dict(tags or {})
        if isinstance(dataset, (str, os.PathLike)):
            text = os.fspath(dataset)
            name, version = text, None
            if not is_path(text) and "@" in text:
                name, _, version = text.rpartition("@")
            self.use_dataset(name, version, context=context)
            label = os.path.basename(text.rstrip("/\\")) if is_path(text) else name
        else:
            label = getattr(dataset, "name", None)
            if not isinstance(label, str) or not label:
                raise TypeError(
                    "log_input needs a dataset name, a path, or an object with a name, "
                    f"got {type(dataset).__name__}"
                )
            source = _source_text(getattr(dataset, "source", None))
            digest = getattr(dataset, "digest", None)
            local = _local_path(source)
            if local is not None:
                path = os.path.abspath(local)
                self._record(label, None, path, context)
            else:
                self.use_dataset(label, strict=False, context=context)
            extra.update({"digest": digest, "source": source})
        tag_values = {input_tag(label, k): str(v) for k, v in extra.items() if v is not None}
        if tag_values:
            self.set_tags(tag_values)

    def _check(self, name: str, version: str | None, strict: bool) -> None:
        try:
            problem = check_dataset(self.home, name, version)
        except UnknownDatasetError as exc:
            if strict:
                raise
            problem = f"{exc.args[0].split(';')[0]}; recorded unchecked (strict=False)."
        if problem:
            warnings.warn(problem, UserWarning, stacklevel=3)

    def _record(
        self, name: str, version: str | None, path: str | None, context: str | None
    ) -> None:
        now = time.time()  # the ingester resolves "latest" to the version current at this time
        event: dict[str, Any] = {
            "type": "dataset",
            "name": name,
            "version": version,
            "path": path,
            "at": now,
        }
        if context is not None:
            event["context"] = str(context)
        self._put(event)
        if context is not None:
            self.set_tags({input_tag(name, "context"): str(context)})


def _source_text(source: Any) -> str | None:
    """A dataset source as text: a string, a path, or an MLflow source's uri/url/path."""
    if source is None:
        return None
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    for attr in ("uri", "url", "path", "source"):
        value = getattr(source, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


def _local_path(source: str | None) -> str | None:
    """The existing local file or folder a source names, or None."""
    if not source:
        return None
    parsed = urlparse(source)
    if parsed.scheme == "file":
        candidate = unquote(parsed.path)
    elif not parsed.scheme or len(parsed.scheme) == 1:
        candidate = os.path.expanduser(source)
    else:
        return None
    return candidate if os.path.exists(candidate) else None
