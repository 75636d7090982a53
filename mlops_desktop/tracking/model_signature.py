"""A model's signature (input columns or tensors, and outputs) inferred from example data.

Standard library only: the example's own attributes are read (``columns`` and ``dtypes`` of a
pandas DataFrame, ``dtype`` and ``shape`` of a numpy array or torch tensor, the keys of a
dict), so nothing is imported that the script has not imported already. Type names are
MLflow's ("double", "long", "string"...), which MLflow users read at a glance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_TYPE_NAMES = {
    "float64": "double",
    "float32": "float",
    "float16": "float16",
    "bfloat16": "bfloat16",
    "int64": "long",
    "int32": "integer",
    "int16": "integer",
    "int8": "integer",
    "uint8": "integer",
    "uint16": "integer",
    "uint32": "long",
    "uint64": "long",
    "bool": "boolean",
    "object": "string",
    "str": "string",
    "string": "string",
    "category": "string",
    "bytes": "binary",
}


def type_name(dtype: Any) -> str:
    """MLflow's name of a numpy, pandas or torch dtype (or a Python type); its own name else."""
    text = str(dtype).removeprefix("torch.")
    if text.startswith("<U") or text.startswith("<S") or text.startswith("|S"):
        return "string"
    if text.startswith("datetime64"):
        return "datetime"
    return _TYPE_NAMES.get(text, text)


def _python_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, bytes):
        return "binary"
    if isinstance(value, str):
        return "string"
    dtype = getattr(value, "dtype", None)
    return type_name(dtype) if dtype is not None else type(value).__name__


@dataclass(frozen=True)
class ModelSignature:
    """What a model takes and gives: ``inputs`` and ``outputs`` are lists of
    ``{"name", "type"}`` (a column) or ``{"type", "shape"}`` (a tensor) entries."""

    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": list(self.inputs), "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        inputs = data.get("inputs") or []
        outputs = data.get("outputs") or []
        return cls(
            [dict(e) for e in inputs if isinstance(e, Mapping)],
            [dict(e) for e in outputs if isinstance(e, Mapping)],
        )

    def columns(self) -> list[tuple[str, str]]:
        """(name, type) of each input, as the model card lists them."""
        return [describe_entry(e) for e in self.inputs]


def describe_entry(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(name, type) of one signature entry; a tensor reads "float [-1, 4]"."""
    name = str(entry.get("name") or "(tensor)")
    kind = str(entry.get("type", "?"))
    shape = entry.get("shape")
    if isinstance(shape, list):
        kind = f"{kind} {shape}"
    return name, kind


def _tensor(value: Any) -> list[dict[str, Any]]:
    shape = [int(n) for n in value.shape]
    if shape:
        shape[0] = -1  # the batch dimension: any number of rows
    return [{"type": type_name(value.dtype), "shape": shape}]


def schema_of(data: Any) -> list[dict[str, Any]]:
    """The signature entries of one example (inputs or outputs); ``[]`` when not known.

    A DataFrame gives its columns and dtypes; a dict of columns its keys and value types; a
    2-D array one column per position ("0", "1"...); any other array or tensor a tensor
    entry with the dtype and shape (the first dimension as -1); a Series one column; a list
    of rows the types of the first row.
    """
    if data is None:
        return []
    dtypes = getattr(data, "dtypes", None)
    columns = getattr(data, "columns", None)
    if columns is not None and dtypes is not None:  # a pandas DataFrame
        return [
            {"name": str(c), "type": type_name(t)} for c, t in zip(columns, dtypes, strict=False)
        ]
    if dtypes is None and getattr(data, "dtype", None) is not None and hasattr(data, "shape"):
        if getattr(data, "name", None) is not None and len(data.shape) == 1:  # a Series
            return [{"name": str(data.name), "type": type_name(data.dtype)}]
        if len(data.shape) == 2 and type(data).__module__.startswith("numpy"):
            kind = type_name(data.dtype)
            return [{"name": str(i), "type": kind} for i in range(int(data.shape[1]))]
        return _tensor(data)
    if isinstance(data, Mapping):
        return [{"name": str(k), "type": _column_type(v)} for k, v in data.items()]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes) and data:
        first = data[0]
        if isinstance(first, Mapping):
            return [{"name": str(k), "type": _python_type(v)} for k, v in first.items()]
        if isinstance(first, Sequence) and not isinstance(first, str | bytes):
            return [{"name": str(i), "type": _python_type(v)} for i, v in enumerate(first)]
        return [{"type": _python_type(first), "shape": [-1]}]
    if isinstance(data, bool | int | float | str | bytes):
        return [{"type": _python_type(data)}]
    return []


def _column_type(values: Any) -> str:
    """The type of a dict value: an array's dtype, a list's first item's, a scalar's own."""
    if getattr(values, "dtype", None) is not None:
        return type_name(values.dtype)
    if isinstance(values, Sequence) and not isinstance(values, str | bytes):
        return _python_type(values[0]) if values else "string"
    return _python_type(values)


def infer_signature(model_input: Any = None, model_output: Any = None) -> ModelSignature:
    """MLflow's ``infer_signature``: the signature of an input example and, when given, of
    the model's output on it (see :func:`schema_of` for what each kind of data gives)."""
    return ModelSignature(schema_of(model_input), schema_of(model_output))
