"""Tables in and out: ``.csv`` (a header row; text, numbers and empty cells) and ``.parquet``
(with pyarrow), or a built-in table by name (:mod:`dmm.tabular.datasets`)."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.errors import DataError
from .schema import FLOAT_EXACT, fixed_decimals, level_text, number_format

#: file formats of tables, by suffix
TABLE_FORMATS = (".csv", ".parquet")
#: cells that mean "no value" in a column whose other cells are numbers (UCI files write ``?``);
#: pandas already reads ``NA``, ``N/A``, ``NaN``, ``null``, ``None`` and empty cells as missing
MISSING_MARKERS = ("?", "-", "--", ".", "missing", "unknown")


def read_table(path: str | Path) -> pd.DataFrame:
    """The table in ``path``, its text cells without spaces around them (``" Kraków "`` and
    ``Kraków`` are one level). Empty cells (and ``NA``, ``NaN``, ``null``) are missing values, and
    so are the :data:`MISSING_MARKERS` in a column whose other cells are numbers (what was read
    so is listed in ``frame.attrs["notes"]``). One-line :class:`~dmm.data.DataError` for a
    missing file, another format, ragged rows, a header without data or repeated column
    names."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise DataError(f"unsupported table file '{path}' (expected {' or '.join(TABLE_FORMATS)})")
    if not path.is_file():
        raise DataError(f"table file not found: '{path}'")
    decimals: dict = {}
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise DataError(
                "reading .parquet needs pyarrow: pip install pyarrow (or use .csv)"
            ) from None
        except Exception as exc:  # pyarrow's own errors: one line
            raise DataError(f"cannot read '{path}': {_line(exc)}") from None
    else:
        _check_rows(path)
        try:
            frame = pd.read_csv(path, skipinitialspace=True)
            text = pd.read_csv(path, skipinitialspace=True, dtype=str)
            # as written: pandas reads true/false as booleans, and 02134 as the number 2134
            kept = [
                c for c in frame.columns if _truth_values(frame[c]) or _codes(frame[c], text[c])
            ]
            if kept:
                frame[kept] = text[kept]
            for c in frame.columns:  # integers float64 cannot hold (empty cells made the column
                if _long_integers(frame[c], text[c]):  # float64): read exactly, from the text
                    exact = [None if pd.isna(v) else int(v) for v in text[c]]
                    fits = all(v is None or abs(v) < 2**63 for v in exact)
                    frame[c] = pd.array(exact, dtype="Int64") if fits else text[c].str.strip()
            decimals = {c: _padded(frame[c], text[c]) for c in frame.columns}
            for c in frame.columns:  # skipinitialspace drops a cell's leading spaces only
                if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
                    stripped = frame[c].map(lambda v: v.strip() if isinstance(v, str) else v)
                    frame[c] = stripped.mask(stripped.eq(""))
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"cannot read '{path}': {_line(exc)}") from None
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError(f"'{path}' has no data rows (a header row, then one row per record)")
    names = [str(c) for c in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated or any(n.startswith("Unnamed: ") for n in names):
        raise DataError(
            f"'{path}': every column needs its own name in the header row"
            + (f" (repeated: {repeated})" if repeated else " (some are empty)")
        )
    frame.columns = names
    # numbers written with a fixed number of decimals (36.70): the schema writes them so
    frame.attrs["decimals"] = {str(c): d for c, d in decimals.items() if d is not None}
    frame.attrs["notes"] = markers_as_empty(frame)
    return frame


def _codes(column: pd.Series, text: pd.Series) -> bool:
    """Whether pandas read as numbers cells written with a leading zero (``02134``: a code, not
    a number)."""
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    return bool(text.dropna().str.match(r"^[+-]?0\d").any())


def _padded(column: pd.Series, text: pd.Series) -> int | None:
    """The number of decimals of a column pandas read as numbers whose cells are written with a
    fixed number of them (``36.70``, ``12.35``: :func:`~dmm.tabular.schema.fixed_decimals`);
    ``None`` otherwise."""
    if not pd.api.types.is_float_dtype(column):
        return None
    return fixed_decimals(text.dropna().str.strip())


def _truth_values(column: pd.Series) -> bool:
    """Whether pandas read a column's cells as booleans (with or without empty cells)."""
    if pd.api.types.is_bool_dtype(column):
        return True
    cells = column.dropna()
    return column.dtype == object and len(cells) > 0 and all(isinstance(v, bool) for v in cells)


def markers_as_empty(frame: pd.DataFrame) -> list[str]:
    """In place: a text column whose cells are numbers (or numbers with a unit,
    :func:`~dmm.tabular.schema.number_format`) except for some :data:`MISSING_MARKERS` gets
    those cells empty (and a column of plain numbers becomes numeric). Returns one note per
    column changed."""
    notes = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        cells = column.astype(str).str.strip().where(column.notna())
        empty = cells.str.lower().isin(MISSING_MARKERS)  # False where already empty
        rest = cells[column.notna() & ~empty]
        if not empty.any() or rest.empty:
            continue
        if not pd.to_numeric(rest, errors="coerce").isna().any():
            frame[name] = pd.to_numeric(cells.mask(empty))
            places = fixed_decimals(rest)
            if places is not None:
                frame.attrs.setdefault("decimals", {})[str(name)] = places
        elif number_format(rest) is not None:  # numbers with a unit: $12.50, 3%
            frame[name] = column.mask(empty)
        else:
            continue
        markers = sorted(set(cells[empty]))
        count = int(empty.sum())
        notes.append(
            f"column '{name}': {count} cell{'s' * (count > 1)} "
            f"{', '.join(repr(m) for m in markers)} read as empty (its other cells are numbers)"
        )
    return notes


def _check_rows(path: Path) -> None:
    """Ragged rows: every row must have as many cells as the header."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataError(f"'{path}' is empty (expected a header row, then data rows)")
            for sep, name in ((";", "';'"), ("\t", "tabs")):
                if len(header) == 1 and sep in header[0]:
                    raise DataError(
                        f"'{path}' separates its cells with {name}, not commas: save it as a "
                        "comma-separated .csv (numbers with a decimal point)"
                    )
            names = [h.strip() for h in header]
            repeated = sorted({h for h in names if names.count(h) > 1 and h})
            if repeated or not all(names):
                raise DataError(
                    f"'{path}': every column needs its own name in the header row"
                    + (f" (repeated: {repeated})" if repeated else " (some are empty)")
                )
            for number, row in enumerate(reader, start=2):
                if row and len(row) != len(header):
                    raise DataError(
                        f"'{path}' line {number} has {len(row)} cells, the header "
                        f"{len(header)} (every row needs one cell per column; leave a cell "
                        "empty for a missing value)"
                    )
    except UnicodeDecodeError:
        raise DataError(f"'{path}' is not a UTF-8 text file") from None
    except csv.Error as exc:
        raise DataError(f"cannot read '{path}': {_line(exc)}") from None


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` to ``.csv`` or ``.parquet`` atomically (a temporary file, then renamed):
    a crash leaves no half-written table."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise DataError(f"unsupported output '{path}' for a table (expected .csv or .parquet)")
    tmp = path.with_name(path.name + ".tmp")
    try:
        if suffix == ".parquet":
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError:
                raise DataError("writing .parquet needs pyarrow: pip install pyarrow") from None
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _long_integers(column: pd.Series, text: pd.Series) -> bool:
    """Whether a column pandas read as float64 holds integers written with more digits than
    float64 holds exactly (beyond 2^53: account numbers with empty cells)."""
    if not pd.api.types.is_float_dtype(column):
        return False
    cells = text.dropna().str.strip()
    if not len(cells) or not cells.str.fullmatch(r"[+-]?\d+").all():
        return False
    return bool(cells.map(lambda v: abs(int(v)) > FLOAT_EXACT).any())


def frame_dtypes(frame: pd.DataFrame) -> dict[str, Any]:
    """The pandas dtype of each column of ``frame`` as plain data (for a run's ``config.yaml``):
    its name (``"boolean"``, ``"float32"``, ``"Int64"``, ``"str"``, ...), or for a categorical
    dtype ``{"categories": [...], "ordered": bool}``; for an ``object`` column holding numbers or
    booleans among its cells, ``{"values": {text: value}}`` (a decoded level is text: ``'True'``,
    ``'1'`` come back as ``True``, ``1``). Other ``object`` columns, which decoded tables already
    are, and categories that are not text or numbers are left out."""
    out: dict[str, Any] = {}
    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_object_dtype(dtype):  # its numbers and booleans among text levels
            cells = frame[name].dropna()
            truth = all(isinstance(v, (bool, np.bool_)) for v in cells)
            mixed = any(isinstance(v, str) for v in cells)  # (all numbers: a numeric column)
            values = {
                level_text(v): v.item() if isinstance(v, np.generic) else v
                for v in cells
                if isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating))
            }
            if values and (truth or mixed):
                out[str(name)] = {"values": values}
        elif isinstance(dtype, pd.CategoricalDtype):
            levels = dtype.categories.tolist()
            if all(isinstance(v, (str, int, float, bool)) for v in levels):
                out[str(name)] = {"categories": levels, "ordered": bool(dtype.ordered)}
        elif not pd.api.types.is_object_dtype(dtype):
            out[str(name)] = str(dtype)
    return out


#: a boolean column's levels, as a decoded table writes them
_TRUTH = {"True": True, "False": False, True: True, False: False}


def with_dtypes(frame: pd.DataFrame, dtypes: Mapping[str, Any] | None) -> pd.DataFrame:
    """``frame`` with each column named in ``dtypes`` (:func:`frame_dtypes`) cast to its dtype
    where the cast keeps every value: the same empty cells, and the same values (up to the
    rounding of a narrower float). A column the cast would change (a boolean with empty cells,
    a level outside the categories) keeps the dtype it has."""
    out = frame.copy()
    for name, spec in (dtypes or {}).items():
        if name not in out.columns:
            continue
        column = out[name]
        if isinstance(spec, Mapping) and "values" in spec:  # an object column's own values
            values = dict(spec["values"])
            mapped = [
                m if isinstance(v, str) and (m := values.get(v)) is not None else v for v in column
            ]
            out[name] = pd.Series(mapped, index=column.index, dtype=object)
            continue
        try:
            if isinstance(spec, Mapping):
                categories = list(spec["categories"])
                dtype = pd.CategoricalDtype(categories, bool(spec["ordered"]))
                if not all(isinstance(c, str) for c in categories):  # numbers, written as text
                    by_text = {level_text(c): c for c in categories}
                    column = column.map(lambda v, m=by_text: m.get(v, v), na_action="ignore")
                if not column.dropna().isin(dtype.categories).all():
                    continue  # a level outside the categories would become empty
            else:
                dtype = pd.api.types.pandas_dtype(spec)
            text = column.dtype == object or isinstance(column.dtype, pd.StringDtype)
            if pd.api.types.is_bool_dtype(dtype) and text:  # levels read as text
                column = column.astype(object).map(_TRUTH.get, na_action="ignore")
            cast = column.astype(dtype)
        except (TypeError, ValueError, KeyError, OverflowError):
            continue
        empty = out[name].isna().to_numpy()
        if not (cast.isna().to_numpy() == empty).all():
            continue
        if not pd.api.types.is_float_dtype(dtype):
            was, now = column[~empty].astype(object).to_numpy(), cast[~empty].astype(object)
            numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            if text and numeric:  # levels that are numbers come back as text: '5' for 5
                now = now.map(level_text)
            elif text and isinstance(dtype, pd.PeriodDtype):  # drawn periods are their text
                now, was = now.map(str), pd.Series(was, dtype=object).map(str).to_numpy()
            if not (now.to_numpy() == was).all():
                continue
        out[name] = cast
    return out


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


__all__ = [
    "MISSING_MARKERS",
    "TABLE_FORMATS",
    "frame_dtypes",
    "markers_as_empty",
    "read_table",
    "with_dtypes",
    "write_table",
]
