"""Conditioning at the command line: a context vector per training row, fed to the network.

``dmm train --context FILE`` (one row per data row) or ``--context-column NAME`` (columns of the
training ``.csv`` taken out of the data) gives every row a context ``c ∈ R^k``; the model learns
the conditional law ``p(x | c)`` (its score or ratios read ``c``). The run keeps the raw rows in
``context.npy`` and, in ``config.yaml``, the per-column mean and spread the network sees them
standardised with. ``dmm sample --context`` takes a file of rows (one sample per row) or one
vector ``v1,v2,...`` (``-n`` samples of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..data import DataError
from ..data.files import load_array, read_columns
from .errors import UsageError
from .scaling import ColumnScaling

#: the raw context rows of a conditional run
CONTEXT = "context.npy"


@dataclass(frozen=True)
class Context:
    """How a run reads its context: ``dim`` numbers per row, standardised as
    ``(c - mean) / scale`` (``scale`` is the column's standard deviation, 1 where it is 0);
    ``source`` says where the rows came from (a file, or the training ``.csv``'s columns)."""

    dim: int
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    source: Mapping[str, Any]

    @classmethod
    def fit(cls, rows: Tensor, source: Mapping[str, Any]) -> Context:
        scaling = ColumnScaling.fit(rows)
        return cls(rows.shape[1], scaling.mean, scaling.scale, source)

    @classmethod
    def from_config(cls, entry: Mapping[str, Any] | None) -> Context | None:
        if not entry:
            return None
        try:
            return cls(
                int(entry["dim"]),
                tuple(float(v) for v in entry["mean"]),
                tuple(float(v) for v in entry["scale"]),
                dict(entry.get("source", {})),
            )
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"config.yaml has a malformed 'context' entry: {entry!r}") from None

    def to_config(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "mean": list(self.mean),
            "scale": list(self.scale),
            "source": dict(self.source),
        }

    def encode(self, rows: Tensor) -> Tensor:
        """Raw rows ``(n, dim)`` as the network sees them (float32)."""
        return ColumnScaling(self.mean, self.scale).encode(rows.double()).float()


def read_rows(path: str, what: str) -> Tensor:
    """A ``.npy``/``.csv``/``.parquet`` file of context rows as ``(n, k)`` float64 (a 1-D file: ``k = 1``)."""
    try:
        array = load_array(path)
    except DataError as exc:
        raise UsageError(f"{what}: {exc}") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise UsageError(f"{what}: rows must be vectors, got shape {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array)).double()


def split_columns(
    data: Tensor, columns: Sequence[str] | None, names: Sequence[str], spec: str
) -> tuple[Tensor, Tensor, list[str]]:
    """``(data without the columns names, those columns, the remaining column names)``."""
    if not columns:
        raise UsageError(
            f"--context-column needs a .csv data file with a header row (or a .parquet file); '{spec}' has none"
        )
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise UsageError(
            f"--context-column {', '.join(unknown)}: no such column in '{spec}' "
            f"(columns: {', '.join(columns)})"
        )
    if len(set(names)) != len(names):
        raise UsageError("--context-column names a column twice")
    picked = [list(columns).index(n) for n in names]
    rest = [i for i in range(len(columns)) if i not in picked]
    if not rest:
        raise UsageError("--context-column takes every column: nothing is left to model")
    flat = data.reshape(len(data), -1)
    return flat[:, rest], flat[:, picked].double(), [columns[i] for i in rest]


def sample_rows(run_context: Context | None, value: str | None, n: int | None) -> Tensor | None:
    """The raw context rows of ``dmm sample --context VALUE`` for ``n`` samples (``None``: all
    rows of a file): a ``.npy``/``.csv``/``.parquet`` file of rows, or one vector ``v1,v2,...``."""
    if run_context is None:
        if value is not None:
            raise UsageError("--context given, but the run was trained without a context")
        return None
    if value is None:
        raise UsageError(
            f"the run is conditional ({run_context.dim} context numbers per row): give --context "
            "FILE (one row per sample) or --context v1,v2,..."
        )
    if Path(value).suffix.lower() in (".npy", ".csv", ".parquet"):
        rows = _by_name(read_rows(value, "--context"), read_columns(value), run_context)
        if n is not None and n != len(rows):
            raise UsageError(
                f"-n {n} differs from the {len(rows)} rows of --context (leave -n out)"
            )
    else:
        try:
            vector = [float(v) for v in value.split(",")]
        except ValueError:
            raise UsageError(
                f"--context must be a .npy/.csv/.parquet file or numbers v1,v2,..., got '{value}'"
            ) from None
        if n is None:
            raise UsageError("-n is required with a --context vector")
        rows = torch.tensor(vector, dtype=torch.float64).expand(n, len(vector))
    if rows.shape[1] != run_context.dim:
        raise UsageError(
            f"--context rows have {rows.shape[1]} numbers, the run's context {run_context.dim}"
        )
    if not bool(torch.isfinite(rows).all()):
        raise UsageError("--context values must be finite")
    return rows


def _by_name(rows: Tensor, header: list[str] | None, run_context: Context) -> Tensor:
    """``rows`` with their columns in the run's order where both the file and the run name them
    (a ``.csv`` header; the run's context file's header or ``--context-column`` names); by
    position otherwise. A header naming other columns is refused: read by position, swapped
    columns had given wrong samples without a word."""
    names = run_context.source.get("names") or run_context.source.get("columns")
    if not header or not names or list(header) == list(names):
        return rows
    if sorted(header) != sorted(names):
        raise UsageError(
            f"--context columns {', '.join(header)} are not the run's context columns "
            f"{', '.join(names)}"
        )
    return rows[:, [list(header).index(n) for n in names]]


__all__ = ["CONTEXT", "Context", "read_rows", "sample_rows", "split_columns"]
