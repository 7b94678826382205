"""Loading and validating user data files (``.npy`` and ``.csv``).

This is a boundary: every problem a user can cause is reported as a one-line
:class:`~dmm.data.errors.DataError`. Rows (the first axis) are samples.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dmm.data.errors import DataError


@contextlib.contextmanager
def replacing(path: Any) -> Iterator[Any]:
    """A temporary name beside ``path`` (same suffix, so writers that read the format from it
    still do) to write the file to; when the block ends without an error it replaces ``path``.
    An interrupted or failed write leaves the old file as it was and no temporary behind; the
    error names ``path``. Anything but a path (a file object) is written to as it is."""
    if not isinstance(path, (str, os.PathLike)):
        yield path
        return
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno is None or exc.filename != str(tmp):
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc  # the file asked for
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["check_shape", "load_array", "read_columns", "replacing"]

_MAX_LISTED_ROWS = 5


def load_array(path: str | Path, missing: bool = False) -> np.ndarray:
    """Read a numeric array from a ``.npy``, ``.csv`` or ``.parquet`` file and validate it.

    A ``.npy`` file may hold any numeric array with at least one axis (rows are samples). A
    ``.csv`` file is comma separated, one sample per line, with an optional single header row
    of non-numeric column names that is skipped; it always gives a 2-D array ``(rows, columns)``,
    of dtype ``int64`` if every value is an integer literal and ``float64`` otherwise. A
    ``.parquet`` file (with pyarrow) of numeric columns gives them likewise, as ``dmm sample``
    writes them.

    ``missing=True`` reads cells to fill in: NaN values (and empty ``.csv`` cells, read as NaN)
    are allowed, and a ``.csv`` row of empty cells (``,,``) is a row of NaN; infinite values are
    still refused.

    Raises:
        DataError: missing or unreadable file, unsupported extension, empty array, non-numeric
            content, NaN (unless ``missing``) or infinite values, or an array with too few
            dimensions.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: '{path}'")
    if not path.is_file():
        raise DataError(f"data path is not a file: '{path}'")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        array = _read_npy(path)
    elif suffix == ".csv":
        array = _read_csv(path, missing)
    elif suffix == ".parquet":
        array = _read_parquet(path, missing)
    else:
        raise DataError(
            f"unsupported data file extension '{path.suffix}' for '{path}' (expected .npy, "
            ".csv or .parquet)"
        )
    _validate(array, path, min_ndim=1 if suffix == ".npy" else 2, missing=missing)
    return array


def read_columns(path: str | Path) -> list[str] | None:
    """The column names of a ``.csv`` file's header row (``None`` when its first row holds a
    number: no header) or of a ``.parquet`` file; ``None`` for other files. An empty name in a
    header becomes ``x<i>``.

    Raises:
        DataError: the file cannot be read.
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return _unique(path, list(_parquet_table(path).column_names))
    if path.suffix.lower() != ".csv":
        return None
    lines = _csv_lines(path)
    first = next(lines, None)
    lines.close()
    if first is None or not _is_header(first[1]):
        return None
    return _unique(path, [name or f"x{i}" for i, name in enumerate(first[1])], first[1])


def _unique(path: Path, names: list[str], given: list[str] | None = None) -> list[str]:
    """``names``, each once: columns are matched by name (``--context-column``, ``--given``,
    ``--context``), and a name given twice had silently picked the first of its columns.
    ``given``: the header's own cells, where an empty one was named ``x<i>``."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            j = seen[name]
            blank = [k for k in (j, i) if given is not None and not given[k]]
            if blank:
                raise DataError(
                    f"'{path}' has a column without a name (column {blank[0]}, counted from 0, "
                    f"read as '{name}') beside one named '{name}': name it, or leave it out (an "
                    "index written by pandas' to_csv: index=False)"
                )
            raise DataError(
                f"'{path}' names column '{name}' twice (columns {j} and {i}, counted "
                "from 0): give each column its own name"
            )
        seen[name] = i
    return names


def check_shape(x: np.ndarray, event_shape: tuple[int, ...]) -> None:
    """Check that ``x`` has shape ``(n, *event_shape)``.

    Raises:
        DataError: naming the expected and the actual per-sample shape.
    """
    event_shape = tuple(int(s) for s in event_shape)
    got = tuple(x.shape[1:]) if x.ndim >= 1 else None
    if got != event_shape:
        raise DataError(
            f"data has per-sample shape {got} (array shape {tuple(x.shape)}) "
            f"but {event_shape} was expected"
        )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"could not read '{path}' as a .npy file ({_one_line(exc)})") from exc
    if not isinstance(array, np.ndarray):  # pragma: no cover - np.load on .npy gives arrays
        raise DataError(f"'{path}' does not hold a single array")
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    if array.dtype.kind not in "iuf":
        raise DataError(
            f"'{path}' holds non-numeric data (dtype {array.dtype}); expected integers or floats"
        )
    return array


def _csv_lines(path: Path, missing: bool = False):
    """``(line number, stripped fields)`` of the non-blank rows of a ``.csv`` file, lazily
    (``missing``: a row of empty cells such as ``,,`` is a row, only an empty line is blank)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                if any(field.strip() for field in row) or (missing and len(row) > 1):
                    yield number, [field.strip() for field in row]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"could not read '{path}' as a .csv file ({_one_line(exc)})") from exc


def _is_header(fields: list[str]) -> bool:
    """A row of column names: no field is a number."""
    return not any(_is_number(field) for field in fields)


def _read_csv(path: Path, missing: bool = False) -> np.ndarray:
    lines = list(_csv_lines(path, missing))
    if missing:  # an empty cell is a cell to fill
        lines = [(number, [field or "nan" for field in fields]) for number, fields in lines]
    header = lines[0] if lines and _is_header(lines[0][1]) else None
    if header is not None:
        lines = lines[1:]
    if not lines:
        hint = "" if header is None else _separator_hint(header[1])
        raise DataError(f"'{path}' contains no data rows{hint}")
    width = len(lines[0][1])
    if header is not None and len(header[1]) != width:
        raise DataError(
            f"'{path}' header row has {len(header[1])} names "
            f"but the first data row has {width} values{_separator_hint(header[1])}"
        )
    for number, fields in lines:
        if len(fields) != width:
            raise DataError(
                f"'{path}' line {number} has {len(fields)} values "
                f"but the first data row has {width}"
            )
    table = np.array([fields for _, fields in lines], dtype=str)
    for dtype in (np.int64, np.float64):
        try:
            return table.astype(dtype)
        except (ValueError, OverflowError):
            continue
    for number, fields in lines:
        for column, field in enumerate(fields, start=1):
            if not _is_number(field):
                raise DataError(
                    f"'{path}' line {number} column {column} is not a number: '{field}'"
                    + (
                        _separator_hint([field])
                        or (
                            " (a cell to fill is left empty, or nan)"
                            if missing
                            else " (a table of text and numbers: dmm train --process tabular; "
                            "or give categories as integer codes)"
                        )
                    )
                )
    raise DataError(f"'{path}' contains non-numeric values")  # pragma: no cover


def _parquet_table(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            "reading .parquet needs pyarrow: pip install pyarrow (or use .csv)"
        ) from None
    try:
        return pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors have no common base to name
        raise DataError(f"could not read '{path}': {_one_line(exc)}") from None


def _read_parquet(path: Path, missing: bool = False) -> np.ndarray:
    """A ``.parquet`` file's columns as the columns of a 2-D array (``int64`` if every column is
    of integers without empty cells, ``float64`` otherwise; empty cells are NaN)."""
    import pyarrow.types as pt

    table = _parquet_table(path)
    if table.num_columns == 0 or table.num_rows == 0:
        raise DataError(f"'{path}' contains no data rows")
    columns = []
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if not (pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind)):
            raise DataError(
                f"'{path}' column '{name}' holds {kind}, not numbers (a table of text and "
                "numbers: dmm train --process tabular)"
            )
        values = column.to_numpy(zero_copy_only=False)
        if pt.is_uint64(kind) and len(values) and values.max() > np.iinfo(np.int64).max:
            raise DataError(f"'{path}' column '{name}' holds integers beyond 2^63 - 1")
        columns.append(values.astype(np.float64) if column.null_count else values)
    if all(c.dtype.kind in "iub" for c in columns):
        return np.stack(columns, axis=1).astype(np.int64)
    return np.stack([c.astype(np.float64) for c in columns], axis=1)


def _separator_hint(fields: list[str]) -> str:
    """Where ``fields`` hold a ``;`` or a tab: that only commas separate values."""
    used = next((sep for sep in (";", "\t") if any(sep in f for f in fields)), None)
    if used is None:
        return ""
    name = "semicolons" if used == ";" else "tabs"
    return f" (values are separated by commas; this file seems to use {name})"


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _validate(array: np.ndarray, path: Path, min_ndim: int, missing: bool = False) -> None:
    if array.ndim < min_ndim:
        raise DataError(
            f"'{path}' holds an array with {array.ndim} dimensions (shape {array.shape}); "
            f"at least {min_ndim} expected (rows are samples)"
        )
    if array.size == 0:
        raise DataError(f"'{path}' holds an empty array (shape {array.shape})")
    if array.dtype.kind == "f":
        rows = array.reshape(array.shape[0], -1)
        finite = (~np.isinf(rows) if missing else np.isfinite(rows)).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            listed = ", ".join(str(i) for i in bad[:_MAX_LISTED_ROWS])
            more = ", ..." if bad.size > _MAX_LISTED_ROWS else ""
            raise DataError(
                f"'{path}' has {'infinite' if missing else 'NaN or infinite'} values in "
                f"{bad.size} of {array.shape[0]} rows "
                f"(0-based row indices: {listed}{more})"
            )
