"""A table as rows of a product space, and the product process that carries them (MATH.md §10).

:class:`TableCodec` maps a table to float rows of ``E = R^a × (0,∞)^b × Π_S {0..S-1}^{d_S}``
and back. Columns are grouped by the process their type gets (:mod:`dmm.tabular.schema`):

* ``real``, ``integer`` and ``datetime`` columns: one VP factor on ``(x - m) / s`` (the
  training rows' mean and standard deviation; a ``datetime`` in days since 1970); integers are
  rounded back and kept in the data's range, times rounded to what their format shows;
* ``positive`` columns: one geometric OU factor on ``x`` itself, ``d log X = β θ (m - log X) dt
  + √β σ dW`` with ``θ = 1/2``, ``m`` and ``σ`` the training rows' log-mean and log-std, so that
  its reference is the log-normal with the data's log-moments and samples are positive by
  construction;
* ``ordinal`` columns with ``S`` values: one ordinal (birth–death) chain factor per ``S``;
* ``categorical`` columns with ``S`` levels: one absorbing chain factor per ``S``;
* ``id`` and ``constant`` columns: no factor (new identifiers; the one value).

Every factor runs on ``[0, T = 1]`` with ``t_min = 10^{-3}``: VP and geometric OU with the linear
rate ``β(t)`` from 0.1 to 20, the chains with the log-linear schedule (the slowest mode keeps
weight ``10^{-3}`` at ``T``).

**Empty cells.** A categorical column with empty cells gets one more level, *empty*. Any other
column with empty cells gets an indicator column (a categorical column with two levels) that says
whether the cell is empty, and its value in such rows is filled with the column's centre (mean,
geometric mean or median code); the model learns where cells are empty, and decoding empties the
cells whose indicator says so. So a synthetic table has empty cells where the data would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..data.errors import DataError
from ..processes import VP, AbsorbingChain, OrdinalChain, Process
from ..processes.positive import GeometricOU
from ..processes.product import product
from ..processes.rate_matrices import LogLinearSchedule
from ..processes.schedules import LinearSchedule
from .schema import Column, Schema, shown_levels

#: the indicator slot of a numeric column with empty cells is named ``column + INDICATOR``
INDICATOR = " (empty)"
#: the factor kinds, in the order the factors appear in an encoded row
FACTOR_KINDS = ("real", "positive", "ordinal", "categorical")
T, T_MIN, THETA, CHAIN_EPS = 1.0, 1e-3, 0.5, 1e-3


@dataclass(frozen=True)
class Slot:
    """One column of an encoded row: the table ``column`` it comes from and whether it is that
    column's value or its empty-cell indicator."""

    column: str
    indicator: bool = False

    @property
    def name(self) -> str:
        return self.column + INDICATOR if self.indicator else self.column


@dataclass(frozen=True)
class Factor:
    """One factor of the product: its ``kind`` (:data:`FACTOR_KINDS`), its number of states
    ``S`` for a chain (0 otherwise) and its slots, in order."""

    kind: str
    S: int
    slots: tuple[Slot, ...]


class TableCodec:
    """Encode tables of ``schema`` as product rows and decode samples back (module doc).

    ``stats`` holds what the encoding learnt from the training rows: per ``real``/``integer``
    column its mean and standard deviation, per ``positive`` column its log-mean and log-std,
    per ``ordinal`` column its median code (the fill of empty cells)."""

    def __init__(self, schema: Schema, stats: Mapping[str, Mapping[str, float]]) -> None:
        self.schema, self.stats = schema, {k: dict(v) for k, v in stats.items()}
        groups: dict[tuple[str, int], list[Slot]] = {}
        for c in schema.columns:
            if c.type in ("constant", "id"):
                continue
            kind = "real" if c.type in ("integer", "datetime") else c.type
            S = _states(c) if kind in ("ordinal", "categorical") else 0
            groups.setdefault((kind, S), []).append(Slot(c.name))
            if c.missing and c.type != "categorical":
                groups.setdefault(("categorical", 2), []).append(Slot(c.name, True))
        order = sorted(groups, key=lambda key: (FACTOR_KINDS.index(key[0]), key[1]))
        self.factors = tuple(Factor(kind, S, tuple(groups[kind, S])) for kind, S in order)
        self.slots = tuple(s for f in self.factors for s in f.slots)
        if not self.slots:
            raise DataError("every column is constant: there is nothing to learn")
        self._index = {(s.column, s.indicator): i for i, s in enumerate(self.slots)}

    # --- fitting and persistence --------------------------------------------------------------

    @classmethod
    def fit(cls, frame: pd.DataFrame, schema: Schema) -> TableCodec:
        """The codec of ``schema`` with the statistics of the rows of ``frame``."""
        stats: dict[str, dict[str, float]] = {}
        for c in schema.columns:
            if c.type == "datetime":
                days = c.days(frame[c.name].reset_index(drop=True))
                days = days[np.isfinite(days)]
                stats[c.name] = {"mean": float(days.mean()), "std": _spread(days)}
            elif c.type in ("real", "integer", "positive", "ordinal"):
                values = c.numbers(frame[c.name]).dropna().to_numpy(float)
                if c.type == "positive":
                    logs = np.log(values)
                    stats[c.name] = {"mean": float(logs.mean()), "std": _spread(logs)}
                elif c.type == "ordinal":
                    stats[c.name] = {"fill": float(np.median(values) - c.low)}
                else:
                    stats[c.name] = {"mean": float(values.mean()), "std": _spread(values)}
        return cls(schema, stats)

    def to_config(self) -> dict[str, Any]:
        return {**self.schema.to_config(), "stats": self.stats}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TableCodec:
        return cls(Schema.from_config(config), config.get("stats", {}))

    # --- the product process ------------------------------------------------------------------

    @property
    def width(self) -> int:
        return len(self.slots)

    def columns_of(self, k: int) -> slice:
        start = sum(len(f.slots) for f in self.factors[:k])
        return slice(start, start + len(self.factors[k].slots))

    def process(self) -> Process:
        """The forward process of the encoded rows: the product of the factors (module doc), or
        the single factor of a table whose columns all get one."""
        made = [self._factor_process(f) for f in self.factors]
        return made[0] if len(made) == 1 else product(*made)

    def _factor_process(self, factor: Factor) -> Process:
        d = len(factor.slots)
        if factor.kind == "real":
            return VP(d, T=T, t_min=T_MIN)
        if factor.kind == "positive":
            mean = torch.tensor([self.stats[s.column]["mean"] for s in factor.slots])
            std = torch.tensor([self.stats[s.column]["std"] for s in factor.slots])
            return GeometricOU(
                d,
                THETA,
                mean,
                std * math.sqrt(2 * THETA),
                schedule=LinearSchedule(),
                T=T,
                t_min=T_MIN,
                data_log_mean=mean,
                data_log_std=std,
            )
        schedule = LogLinearSchedule(CHAIN_EPS)
        if factor.kind == "ordinal":
            return OrdinalChain(d, factor.S, schedule, T=T, t_min=T_MIN)
        return AbsorbingChain(d, factor.S, schedule, T=T, t_min=T_MIN)

    # --- encoding -----------------------------------------------------------------------------

    def encode(self, frame: pd.DataFrame) -> Tensor:
        """Rows of ``frame`` (every column of the schema; empty cells allowed where the training
        rows had them) as float rows of the product space."""
        return torch.from_numpy(self._encode(frame, partial=False)[0])

    def encode_partial(self, frame: pd.DataFrame) -> tuple[Tensor, Tensor]:
        """Rows with empty cells to fill (imputation): the encoded rows and the mask of the
        slots that are given. An empty cell is to be filled, so its indicator is given as
        *not empty* and its value is not given."""
        values, given = self._encode(frame, partial=True)
        return torch.from_numpy(values), torch.from_numpy(given)

    def _encode(self, frame: pd.DataFrame, partial: bool) -> tuple[np.ndarray, np.ndarray]:
        absent = [c.name for c in self.schema.columns if c.name not in frame.columns]
        if absent:
            raise DataError(f"the table lacks column(s) {absent} of the run's schema")
        n = len(frame)
        values = np.zeros((n, self.width), dtype=np.float32)
        given = np.ones((n, self.width), dtype=bool)
        for c in self.schema.columns:
            series = frame[c.name].reset_index(drop=True)
            if c.type == "constant":  # nothing to encode, but a given value must be its one
                present = [_level_text(v, c.numeric_levels) for v in series.dropna()]
                other = sorted({t for t in present if c.level_of(t) is None})
                if other:
                    raise DataError(
                        f"column '{c.name}' has value(s) {other[:5]} that the training rows did "
                        f"not have (it is constant: {c.levels[0]})"
                    )
            if c.type in ("constant", "id"):
                continue
            empty = series.isna().to_numpy()
            if empty.any() and not (c.missing or partial):
                raise DataError(
                    f"column '{c.name}' has empty cells (rows {_rows(np.flatnonzero(empty))}) but "
                    "the training rows had none"
                )
            code = self._codes(c, series, empty)
            i = self._index[c.name, False]
            if c.type == "categorical" and c.missing:
                code[empty] = len(c.levels)  # the empty level
            else:
                code[empty] = self._fill(c)
            values[:, i] = code
            if partial:
                given[:, i] = ~empty
            if (c.name, True) in self._index:
                values[:, self._index[c.name, True]] = 0.0 if partial else empty
        return values, given

    def _fill(self, c: Column) -> float:
        if c.type in ("real", "integer"):
            return 0.0
        if c.type == "positive":
            return math.exp(self.stats[c.name]["mean"])
        if c.type == "ordinal":
            return round(self.stats[c.name]["fill"])
        return 0.0

    def _codes(self, c: Column, series: pd.Series, empty: np.ndarray) -> np.ndarray:
        present = series[~empty]
        out = np.zeros(len(series), dtype=np.float64)
        if c.type == "categorical":
            lookup = {level: k for k, level in enumerate(c.levels)}
            text = [_level_text(v, c.numeric_levels) for v in present]
            text = [c.level_of(t) or t for t in text]  # true / True: one level
            unknown = sorted({t for t in text if t not in lookup})
            if unknown:
                raise DataError(
                    f"column '{c.name}' has value(s) {unknown[:5]} that the training rows did "
                    f"not have (levels: {shown_levels(c.levels[:10])}"
                    + (", ...)" if len(c.levels) > 10 else ")")
                )
            out[~empty] = [lookup[t] for t in text]
            return out
        if c.type == "datetime":
            s = self.stats[c.name]
            out[~empty] = (c.days(present) - s["mean"]) / s["std"]
            return out
        numbers = c.numbers(present).to_numpy(float)
        if np.isnan(numbers).any():
            bad = present.index[np.isnan(numbers)]
            if c.levels:  # an ordinal's ordered levels
                raise DataError(
                    f"column '{c.name}' has value(s) {sorted({str(present[i]) for i in bad})[:5]} "
                    f"that are not among its levels ({shown_levels(c.levels[:10])})"
                )
            raise DataError(f"column '{c.name}' ({c.type}) has text values (rows {_rows(bad)})")
        if c.type == "positive" and (numbers <= 0).any():
            bad = present.index[numbers <= 0]
            raise DataError(
                f"column '{c.name}' is positive but has values <= 0 (rows {_rows(bad)})"
            )
        if c.type == "integer" and (numbers != np.round(numbers)).any():
            bad = present.index[numbers != np.round(numbers)]
            raise DataError(
                f"column '{c.name}' holds whole numbers but has others (rows {_rows(bad)})"
            )
        if c.type == "ordinal":
            codes = np.round(numbers) - c.low
            bad = (codes < 0) | (codes > c.high - c.low) | (codes != numbers - c.low)
            if bad.any():
                raise DataError(
                    f"column '{c.name}' is ordinal on {c.low:g}..{c.high:g} but has other "
                    f"values (rows {_rows(present.index[bad])})"
                )
            out[~empty] = codes
        elif c.type == "positive":
            out[~empty] = numbers
        else:
            s = self.stats[c.name]
            out[~empty] = (numbers - s["mean"]) / s["std"]
        return out

    # --- decoding -----------------------------------------------------------------------------

    def decode(self, rows: Tensor) -> pd.DataFrame:
        """Encoded rows (samples) as a table with the schema's columns, order and value types:
        category levels, integers as (nullable) integers, numbers with their unit as text,
        empty cells where indicated."""
        y = rows.detach().cpu().double().numpy()
        n = y.shape[0]
        out: dict[str, Any] = {}
        for c in self.schema.columns:
            if c.type == "constant":
                out[c.name] = pd.Series([_level_value(c.levels[0], c)] * n)
                continue
            if c.type == "id":
                out[c.name] = c.new_ids(n)
                continue
            v = y[:, self._index[c.name, False]]
            empty = np.zeros(n, dtype=bool)
            if (c.name, True) in self._index:
                empty = np.round(y[:, self._index[c.name, True]]) == 1
            out[c.name] = c.written(self._column(c, v, empty))
        return pd.DataFrame(out)

    def _column(self, c: Column, v: np.ndarray, empty: np.ndarray) -> pd.Series:
        if c.type == "categorical":
            codes = np.clip(np.round(v), 0, len(c.levels) - (0 if c.missing else 1)).astype(int)
            empty = empty | (codes == len(c.levels))
            values = [None if e else _level_value(c.levels[k], c) for k, e in zip(codes, empty)]
            if c.numeric_levels:
                numbers = pd.array(values, dtype="Float64")
                whole = all(float(x).is_integer() for x in numbers.dropna())
                return pd.Series(numbers.astype("Int64") if whole else numbers)
            return pd.Series(values, dtype=object)
        if c.type == "ordinal":
            numbers = np.clip(np.round(v), 0, c.high - c.low) + c.low
            return _nullable_int(numbers, empty)
        if c.type == "positive":
            numbers = _within(v, c)
            if c.decimals is not None:  # the data's precision, never rounded down to 0
                numbers = np.maximum(np.round(numbers, c.decimals), 10.0**-c.decimals)
        else:
            s = self.stats[c.name]
            numbers = v * s["std"] + s["mean"]
            if c.type == "datetime":
                return c.from_days(numbers, empty)
            if c.type == "integer":
                return _nullable_int(np.clip(np.round(numbers), c.low, c.high), empty)
            numbers = _within(numbers, c)
            if c.decimals is not None:
                numbers = np.round(numbers, c.decimals)
        if c.decimals == 0 and c.format is None:  # whole numbers, written as the data had them
            return _nullable_int(numbers, empty)
        return pd.Series(np.where(empty, np.nan, numbers))


def _within(numbers: np.ndarray, c: Column) -> np.ndarray:
    """A real or positive column's drawn numbers kept in its range ``[low, high]`` (the table's
    range, widened by a full schema's), as SDV's synthesizers keep theirs by default: a
    column of amounts that are never negative gets no negative ones, and its zeros back."""
    if c.low is None or c.high is None:
        return numbers
    return np.clip(numbers, c.low, c.high)


def _nullable_int(numbers: np.ndarray, empty: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(np.where(empty, None, numbers.astype(np.int64)), dtype="Int64"))


def _states(c: Column) -> int:
    if c.type == "ordinal":
        return int(c.high - c.low) + 1
    return len(c.levels) + int(c.missing)


def _spread(values: np.ndarray) -> float:
    std = float(values.std())
    return std if std > 0 else 1.0


def _level_text(value: Any, numeric: bool) -> str:
    if not numeric:
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _level_value(level: str, c: Column) -> Any:
    if not c.numeric_levels:
        return level
    number = float(level)
    return int(number) if number.is_integer() else number


def _rows(index: Sequence[int] | np.ndarray, limit: int = 5) -> str:
    rows = [int(i) + 1 for i in list(index)[: limit + 1]]
    return ", ".join(map(str, rows[:limit])) + (", ..." if len(rows) > limit else "")


__all__ = ["Factor", "INDICATOR", "Slot", "TableCodec"]
