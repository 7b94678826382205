"""Column types of a mixed table, inferred from the data or declared in a schema file.

Each type says which forward process its column gets (:mod:`dmm.tabular.codec`):

=============  ===============================================================  ==================
type           values                                                           forward process
=============  ===============================================================  ==================
real           any real number                                                  VP, standardised
positive       strictly positive reals (prices, sizes, areas)                   geometric OU
integer        integers with many values (continuous process, then rounding)    VP, standardised
ordinal        integers ``min..max`` with few values and a natural order, or    ordinal chain
               text levels in a given order (``Fair < Good < Ideal``)
categorical    strings, booleans, or numbers with at most two distinct values   absorbing chain
datetime       dates or times as text in one format (``2024-03-01``)            VP, standardised
id             text with a different value in every row (identifiers)           none
constant       one value in every row (kept as is, not modelled)                none
=============  ===============================================================  ==================

Inference (:func:`infer_schema`), per column: text that reads as dates or times in one of
:data:`DATE_FORMATS` (more than two distinct values) -> ``datetime``; other text whose every
value differs, at least :data:`ID_MIN_ROWS` of them -> ``id``; other text or booleans ->
``categorical``; one value and no missing cell -> ``constant``; numbers with at most two
distinct values -> ``categorical``; integers with at most :data:`ORDINAL_MAX_LEVELS` values
between their minimum and maximum -> ``ordinal``; other integers -> ``integer``; reals all above
zero -> ``positive``; other reals -> ``real``. A pandas ordered categorical with at most
:data:`ORDINAL_MAX_LEVELS` categories (text or numbers) -> ``ordinal`` on its categories, in
their order. A schema file (YAML) overrides any of these: either a mapping ``column: type``
(ordered text levels as ``ordinal LEVEL,LEVEL,...`` or as a list ``[LEVEL, LEVEL, ...]``,
lowest first, the list for levels that contain a comma; ``datetime FORMAT`` for a date format)
or the full form that :meth:`Schema.to_config` writes. A column whose every cell is empty is an
error.

Numbers written with a unit or thousands separators (``$1,234.50``, ``12.5%``, ``3 kg``: one
prefix and one suffix for the whole column) are numbers: their type is inferred from the values
and samples are written the same way (:meth:`Column.numbers`, :meth:`Column.written`); so are
numbers written with a fixed number of decimals, trailing zeros included (``36.70``,
:func:`fixed_decimals`).

A ``datetime`` column is modelled as the number of days since 1970-01-01 (a ``real`` column) and
written back in the data's format, rounded to what the format shows (days, minutes or seconds).
An ``id`` column is not modelled: a category with one row per level teaches nothing and a
sampler drawing from it would copy training rows' identifiers, so every synthetic row gets a new
identifier in the data's pattern (``cust-00017`` → ``cust-00401``, …, numbered after the
largest; text without a common pattern gets ``<column>-1``, ``<column>-2``, …).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..data.errors import DataError

#: the column types and the one-line description ``dmm`` prints for each
TYPES: dict[str, str] = {
    "real": "VP diffusion after standardisation",
    "positive": "geometric OU (log X is OU): samples positive by construction",
    "integer": "VP diffusion after standardisation, rounded to integers in the data's range",
    "ordinal": "ordinal (birth-death) chain on min..max, or on ordered text levels "
    "('COLUMN: ordinal LOW,...,HIGH' or 'COLUMN: [LOW, ..., HIGH]')",
    "categorical": "absorbing (masking) chain over the levels",
    "datetime": "VP diffusion on the days since 1970 after standardisation, written in the "
    "data's format",
    "id": "not modelled: every synthetic row gets a new identifier",
    "constant": "not modelled: the one value is copied",
}
#: integer columns with at most this many values from their minimum to maximum are ordinal
ORDINAL_MAX_LEVELS = 16
#: numeric columns keep their printed precision when every value has at most this many decimals
MAX_DECIMALS = 6
#: a text column whose every value differs is an ``id`` from this many values on
ID_MIN_ROWS = 20
_DAYS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y")
#: the formats a ``datetime`` column is read in, tried in this order (the first that reads and
#: writes back every value wins: ``01/02/2024`` is read month first)
DATE_FORMATS: tuple[str, ...] = (
    _DAYS
    + tuple(
        f"{day}{sep}{time}"
        for day in _DAYS
        for sep in (" ", "T")
        for time in ("%H:%M:%S", "%H:%M")
        if not (sep == "T" and "-" not in day)
    )
    + ("%Y-%m",)
)
#: the types whose values are numbers
NUMERIC_TYPES = ("real", "positive", "integer", "ordinal")
#: a number written with a sign, a prefix, thousands separators and a suffix: ``$1,234.50``,
#: ``-$5.00``, ``12.5%``, ``3 kg``. The prefix has no letters or digits (``INV12``,
#: ``cust-00017`` are identifiers) and the number no leading zero (``007`` is a code). Groups:
#: sign, prefix, sign, digits, suffix
_WRITTEN_NUMBER = (
    r"^([+-]?)([^\w+\-.]*)([+-]?)"
    r"((?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?|\.\d+)"
    r"(\D*)$"
)
#: the day 0 of a ``datetime`` column's values
EPOCH = pd.Timestamp("1970-01-01")
#: days a ``datetime`` sample is clipped to: the range pandas' timestamps hold (1677-2262)
_DAY_RANGE = (-106_000.0, 106_000.0)


@dataclass(frozen=True)
class Column:
    """One column: its ``name``, its ``type`` (a key of :data:`TYPES`) and what decoding needs.

    ``levels``: a categorical column's values in code order (as text; ``numeric_levels`` when
    they were numbers in the data, so that samples give numbers back), an ordinal's text
    levels, lowest first (its values are then their positions ``0..len - 1``), or a constant's
    value;
    ``low``/``high``: a numeric column's range (samples of ``real``, ``positive`` and
    ``integer`` columns are kept in it; a ``datetime``'s in days, an ``id``'s largest number); ``decimals``: the printed precision of a numeric column (``None``: full
    precision); ``missing``: whether training rows had empty cells (then the model also learns
    where cells are empty); ``format``: a ``datetime``'s ``strftime`` format, the pattern of
    an ``id``'s new values (``str.format`` of one integer), or how a numeric column's values
    are written when they carry a unit or separators (``str.format`` of one number, e.g.
    ``${:,.2f}``); ``timestamps``: a ``datetime``
    column given as timestamps (pandas ``datetime64``), not text, and given back so."""

    name: str
    type: str
    levels: tuple[str, ...] = ()
    numeric_levels: bool = False
    low: float | None = None
    high: float | None = None
    decimals: int | None = None
    missing: bool = False
    format: str | None = None
    timestamps: bool = False

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.levels:
            out["levels"] = list(self.levels)
        if self.numeric_levels:
            out["numeric_levels"] = True
        for key in ("low", "high", "decimals"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.missing:
            out["missing"] = True
        if self.format is not None:
            out["format"] = self.format
        if self.timestamps:
            out["timestamps"] = True
        return out

    @classmethod
    def from_config(cls, item: Mapping[str, Any]) -> Column:
        return cls(
            str(item["name"]),
            str(item["type"]),
            tuple(str(v) for v in item.get("levels", ())),
            bool(item.get("numeric_levels", False)),
            item.get("low"),
            item.get("high"),
            item.get("decimals"),
            bool(item.get("missing", False)),
            item.get("format"),
            bool(item.get("timestamps", False)),
        )

    def level_of(self, text: str) -> str | None:
        """The level ``text`` names: itself, or for a truth value the level that spells it in
        another case (a run trained before 2026-12-05 read a file's ``true`` as ``True``);
        ``None`` if no level."""
        if text in self.levels:
            return text
        if text.lower() in ("true", "false"):
            return next((lv for lv in self.levels if lv.lower() == text.lower()), None)
        return None

    # --- values written as text -------------------------------------------------------------

    @property
    def written_as_text(self) -> bool:
        """A numeric column whose values are text: numbers with a unit or separators
        (``format``), or an ordinal's ordered levels (``levels``)."""
        return self.type in NUMERIC_TYPES and (self.format is not None or bool(self.levels))

    def numbers(self, series: pd.Series) -> pd.Series:
        """A numeric column's cells as numbers (``NaN`` for empty cells and for text that is
        not a number, with or without the column's unit, or not one of an ordinal's levels:
        a level's number is its position)."""
        if self.levels and self.type == "ordinal":
            position = {level: float(k) for k, level in enumerate(self.levels)}
            return pd.Series(
                [np.nan if pd.isna(v) else position.get(level_text(v), np.nan) for v in series],
                index=series.index,
                dtype=float,
            )
        if not self.written_as_text or pd.api.types.is_numeric_dtype(series):
            return pd.to_numeric(series, errors="coerce")
        parts = series.astype(str).str.strip().str.extract(_WRITTEN_NUMBER)
        sign = (parts[0].fillna("") + parts[2].fillna("")).map({"": 1.0, "+": 1.0, "-": -1.0})
        digits = pd.to_numeric(parts[3].str.replace(",", ""), errors="coerce")
        unit = parts[1].fillna("").str.strip() + "|" + parts[4].fillna("").str.strip()
        ours = unit.isin(["|", self._unit()])  # without a unit, or with this column's (not €5)
        return (sign * digits).where(series.notna() & ours)

    def _unit(self) -> str:
        """``prefix|suffix`` of the column's format, spaces stripped (``$|`` for ``${:,.2f}``)."""
        head, _, tail = str(self.format).replace("{{", "{").replace("}}", "}").partition("{:")
        return head.strip() + "|" + tail.partition("}")[2].strip()

    def written(self, values: pd.Series) -> pd.Series:
        """Numbers as this column writes them (its unit and separators, or an ordinal's level
        at each position), empty cells empty."""
        if not self.written_as_text:
            return values
        if self.levels:
            return pd.Series(
                [None if pd.isna(v) else self.levels[int(v)] for v in values], dtype=object
            )
        fmt: str = self.format  # type: ignore[assignment]

        def text(v: float) -> str:  # the sign first (-$5.00), and none on a zero (not -0.00)
            shown = fmt.format(abs(v))
            return ("-" if v < 0 and any(ch in "123456789" for ch in shown) else "") + shown

        return pd.Series([None if pd.isna(v) else text(float(v)) for v in values], dtype=object)

    def days(self, series: pd.Series) -> np.ndarray:
        """A ``datetime`` column's cells as days since 1970 (``NaN`` for empty cells);
        :class:`~dmm.data.DataError` naming the rows that do not read in the column's format."""
        try:  # timestamps' format is their resolution: their text reads in any ISO 8601 form
            stamps = _stamps(series, "ISO8601" if self.timestamps else self.format)
            if getattr(stamps.dt, "tz", None) is not None:
                raise ValueError(
                    f"times with a time zone are not supported: give them in one zone without "
                    f"it (frame['{self.name}'].dt.tz_convert(None) for UTC, or "
                    f".dt.tz_localize(None) for local times)"
                )
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(
                f"column '{self.name}' cannot be read as datetime ({self.format}): {_line(exc)}"
            ) from None
        bad = stamps.isna().to_numpy() & series.notna().to_numpy()
        if bad.any():
            raise DataError(
                f"column '{self.name}' is datetime ({self.format}) but has other values (rows "
                f"{_rows(series.index[bad])}, e.g. {str(series[series.index[bad][0]])!r})"
            )
        return ((stamps - EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)

    def from_days(self, days: np.ndarray, empty: np.ndarray | None = None) -> pd.Series:
        """Days since 1970 as a ``datetime`` column's values (text in its format, or timestamps),
        rounded to what its format shows; ``empty`` marks the cells to leave empty."""
        step = _resolution(self.format or "")
        days = np.clip(np.round(np.asarray(days, dtype=float) / step) * step, *_DAY_RANGE)
        stamps = pd.Series(EPOCH + pd.to_timedelta(np.round(days * 86400), unit="s"))
        empty = np.zeros(len(stamps), bool) if empty is None else np.asarray(empty, dtype=bool)
        if self.timestamps:
            return stamps.mask(empty)
        return pd.Series(stamps.dt.strftime(self.format), dtype=object).mask(empty, None)

    def typed(self, values: Any) -> pd.Series:
        """Cells of this column (given ones and drawn ones mixed) at the column's value type."""
        if self.type == "datetime" and self.timestamps:  # given cells may be ISO 8601 text
            return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601"))
        if self.type == "id" and self.numeric_levels:
            return pd.Series(pd.array(list(values), dtype="Int64"))
        return pd.Series(values, dtype=object)

    def new_ids(self, n: int) -> pd.Series:
        """``n`` new values of an ``id`` column, numbered after the largest the data had."""
        start = int(self.high or 0) + 1
        values = [self.format.format(k) for k in range(start, start + n)]  # type: ignore[union-attr]
        if self.numeric_levels:
            return pd.Series(pd.array([int(v) for v in values], dtype="Int64"))
        return pd.Series(values, dtype=object)


@dataclass(frozen=True)
class Schema:
    """The columns of a table, in the table's order."""

    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def kinds(self) -> dict[str, str]:
        """``numeric`` or ``categorical`` per column of :meth:`comparable` tables (what the
        table metrics need); ``id`` columns are left out."""
        return {
            c.name: "categorical" if c.type in ("categorical", "constant") else "numeric"
            for c in self.columns
            if c.type != "id"
        }

    def comparable(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` as the table metrics and plots read it: without its ``id`` columns (new
        values by design), ``datetime`` columns as days since 1970, numbers written with a unit
        as numbers."""
        out = frame[[c.name for c in self.columns if c.type != "id"]].copy()
        for c in self.columns:
            if c.type == "datetime":
                out[c.name] = c.days(out[c.name].reset_index(drop=True))
            elif c.written_as_text:
                out[c.name] = c.numbers(out[c.name]).to_numpy(float)
        return out

    def to_config(self) -> dict[str, Any]:
        return {"columns": [c.to_config() for c in self.columns]}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Schema:
        return cls(tuple(Column.from_config(item) for item in config["columns"]))

    def describe(self) -> str:
        """One line per column: name, type, what the type means here."""
        width = max(len(c.name) for c in self.columns)
        lines = []
        for c in self.columns:
            detail = ""
            if c.type == "categorical":
                shown = shown_levels(c.levels[:6]) + (", ..." if len(c.levels) > 6 else "")
                detail = f"{len(c.levels)} levels: {shown}"
            elif c.type == "ordinal" and c.levels:
                shown = shown_levels(c.levels[:6], " < ") + (" < ..." if len(c.levels) > 6 else "")
                detail = f"{len(c.levels)} ordered levels: {shown}"
            elif c.type in ("ordinal", "integer"):
                detail = f"{_number(c.low)}..{_number(c.high)}"
            elif c.type == "constant":
                detail = f"= {c.levels[0]}"
            elif c.type == "datetime":
                low, high = c.from_days(np.array([c.low, c.high]))
                detail = f"{low}..{high} ({c.format})"
            elif c.type == "id":
                detail = f"not modelled; new rows get {c.new_ids(1)[0]}, ..."
            if c.written_as_text and not c.levels:
                detail += (
                    "; " if detail else ""
                ) + f"written as {c.written(pd.Series([c.high]))[0]}"
            if c.missing:
                detail += ("; " if detail else "") + "has empty cells"
            lines.append(f"  {c.name:<{width}}  {c.type:<11}  {detail}".rstrip())
        return "\n".join(lines)


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _is_text(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _decimals(values: np.ndarray) -> int | None:
    for k in range(MAX_DECIMALS + 1):
        if np.allclose(values, np.round(values, k), rtol=0, atol=1e-9 * max(1.0, 10.0**-k)):
            return k
    return None


def _text_levels(values: pd.Series) -> tuple[tuple[str, ...], bool]:
    """The distinct values as text in a stable order (numbers by value), and whether numeric."""
    if pd.api.types.is_bool_dtype(values) or not _is_text(values):
        distinct = sorted(pd.unique(values))
        return tuple(_format_level(v) for v in distinct), not pd.api.types.is_bool_dtype(values)
    return tuple(sorted(str(v) for v in pd.unique(values))), False


def level_text(value: Any) -> str:
    """A cell as the text of a level: text as it is, numbers and booleans as
    :func:`_format_level` writes them (``5`` and ``5.0`` as ``'5'``, ``2.5`` as ``'2.5'``)."""
    return value if isinstance(value, str) else _format_level(value)


def _ordered_categories(series: pd.Series) -> tuple[str, ...] | None:
    """The categories of a pandas ordered categorical of text or numbers, lowest first, as
    text (:func:`level_text`; else ``None``)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
        levels = dtype.categories.tolist()
        if levels and all(_is_level(v) for v in levels):
            return tuple(level_text(v) for v in levels)
    return None


def _is_level(value: Any) -> bool:
    """Text or a finite number (not a boolean): what an ordinal's level may be."""
    if isinstance(value, str):
        return True
    number = isinstance(value, (int, float, np.integer, np.floating))
    return number and not isinstance(value, (bool, np.bool_)) and bool(np.isfinite(value))


def _ordinal_levels(name: str, present: pd.Series, levels: Sequence[str], missing: bool) -> Column:
    """An ``ordinal`` column on text ``levels`` (lowest first), checked against the values."""
    if len(set(levels)) < len(levels) or not all(levels):
        raise DataError(f"column '{name}': the ordinal levels {list(levels)} repeat or are empty")
    if len(levels) < 2:
        raise DataError(
            f"column '{name}': an ordinal needs at least two levels, got {list(levels)}"
        )
    column = Column(name, "ordinal", tuple(levels), low=0.0, high=float(len(levels) - 1))
    bad = column.numbers(present).isna().to_numpy()
    if bad.any():
        raise DataError(
            f"column '{name}' is declared ordinal ({shown_levels(levels[:6], ' < ')}"
            + (" < ..." if len(levels) > 6 else "")
            + f") but has other values (rows {_rows(present.index[bad])}, e.g. "
            f"{level_text(present[present.index[bad][0]])!r})"  # 5, not 5.0: as a file writes it
        )
    return dataclasses.replace(column, missing=missing)


def _format_level(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):  # exact: float() merges integers beyond 2^53
        return str(int(value))
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


#: a declared type: a type's name (``"positive"``, ``"ordinal Fair,Good,Ideal"``, ...) or an
#: ordinal's levels, lowest first (``["Fair", "Good", "Ideal"]``, or numbers: ``[1, 2, 5]``,
#: read as :func:`level_text` writes them)
Declared = str | Sequence[str | int | float]


def infer_column(name: str, series: pd.Series, type: Declared | None = None) -> Column:
    """The :class:`Column` of ``series`` (module doc); ``type`` forces the type (checked against
    the data: :class:`~dmm.data.DataError` naming the rows that contradict it), a list of text
    levels an ``ordinal`` on them."""
    check_cells(name, series)
    present = _as_numbers(series.dropna())
    missing = bool(len(present) < len(series))
    if not len(present):
        raise DataError(f"column '{name}' has no values (every cell is empty): drop it")
    text = _is_text(present)
    numbers, written = None, None
    if not text and _beyond_float(present):  # account numbers: codes, kept as exact text
        if type is not None and type not in ("categorical", "id", "constant"):
            raise DataError(
                f"column '{name}' has integers beyond 2^53, which float64 cannot hold exactly "
                f"(they would be merged or changed): declare it categorical or id, not {type}"
            )
        present = present.map(lambda v: str(int(v)))
        text = True
    if text:
        written = number_format(present)
        numbers = (
            None
            if written is None
            else Column(name, "real", format=written).numbers(present).to_numpy(float)
        )
    else:
        numbers = present.to_numpy(dtype=float)
        if not np.isfinite(numbers).all():
            rows = _rows(series.index[series.notna()][~np.isfinite(numbers)])
            raise DataError(f"column '{name}' has infinite values (rows {rows})")
    ordered = _ordered_categories(series)
    if type is not None and not isinstance(type, str):  # an ordinal's levels, lowest first
        if not all(_is_level(v) for v in type):
            raise DataError(
                f"column '{name}': ordinal levels are text or numbers, got {list(type)!r}"
            )
        return _ordinal_levels(name, present, tuple(level_text(v) for v in type), missing)
    if type is None:
        if ordered is not None and len(ordered) <= ORDINAL_MAX_LEVELS:
            return _ordinal_levels(name, present, ordered, missing)
        type = _infer_type(present, numbers, missing)
    declared = type
    type, _, declared_format = type.partition(" ")  # "datetime %d/%m/%Y": a given format
    if type not in TYPES or (declared_format and type not in ("datetime", "ordinal")):
        raise DataError(
            f"column '{name}': unknown type '{declared}' (known: {', '.join(TYPES)}, or "
            "'datetime FORMAT', 'ordinal LEVEL,LEVEL,...')"
        )
    if type == "ordinal" and (declared_format or (ordered is not None and text)):
        given = [v.strip() for v in declared_format.split(",")] if declared_format else ordered
        return _ordinal_levels(name, present, tuple(given), missing)
    if type == "id":
        pattern, high, numeric = _id_pattern(name, present, numbers)
        return Column(
            name, type, numeric_levels=numeric, high=high, missing=missing, format=pattern
        )
    if type == "datetime":
        fmt = declared_format.strip() or _date_format(present)
        if fmt is None:
            raise DataError(
                f"column '{name}' is declared datetime but its values do not all read as dates "
                f"in one format (e.g. {str(present.iloc[0])!r}; formats: {', '.join(DATE_FORMATS[:5])}"
                ", and these with a time)"
            )
        days = Column(name, type, format=fmt).days(present)
        stamps = pd.api.types.is_datetime64_any_dtype(present)
        return Column(
            name,
            type,
            low=float(days.min()),
            high=float(days.max()),
            missing=missing,
            format=fmt,
            timestamps=stamps,
        )
    if type in ("categorical", "constant"):
        levels, numeric = _text_levels(present)
        if type == "constant" and (len(levels) > 1 or missing):
            raise DataError(
                f"column '{name}' is declared constant but has {len(levels)} values"
                + (" and empty cells" if missing else "")
            )
        return Column(name, type, levels, numeric, missing=missing)
    if numbers is None:
        bad = present.index[pd.to_numeric(present, errors="coerce").isna()]
        raise DataError(
            f"column '{name}' is declared {type} but has text values (rows {_rows(bad)}, "
            f"e.g. {str(present[bad[0]])!r})"
            + (
                "; for ordered text levels declare them: 'ordinal LOW,...,HIGH'"
                if type == "ordinal"
                else ""
            )
        )
    if type == "positive" and (numbers <= 0).any():
        bad = series.index[series.notna()][numbers <= 0]
        raise DataError(
            f"column '{name}' is declared positive but has values <= 0 (rows {_rows(bad)}): "
            "declare it real"
        )
    if type in ("integer", "ordinal") and not np.all(numbers == np.round(numbers)):
        bad = series.index[series.notna()][numbers != np.round(numbers)]
        raise DataError(
            f"column '{name}' is declared {type} but has non-integer values (rows {_rows(bad)})"
        )
    low, high = float(numbers.min()), float(numbers.max())
    if type == "ordinal":
        return Column(name, type, low=low, high=high, missing=missing, format=written)
    if type == "integer":
        return Column(name, type, low=low, high=high, decimals=0, missing=missing, format=written)
    decimals = _decimals(numbers)
    return Column(
        name, type, low=low, high=high, decimals=decimals, missing=missing, format=written
    )


def _as_numbers(present: pd.Series) -> pd.Series:
    """An ``object`` column whose every cell is a number (Python ``int``, ``float``,
    ``Decimal``; not a boolean) as numbers: they were read as text (all-different Python ints
    became identifiers, ``Decimal`` amounts levels of text)."""
    if present.dtype != object or not len(present):
        return present
    if not all(
        isinstance(v, (int, float, np.integer, np.floating, Decimal))
        and not isinstance(v, (bool, np.bool_))
        for v in present
    ):
        return present
    if any(map(_huge_code, present)):  # codes beyond float64's integers (NUMERIC(20) ids):
        return present  # kept exact, as text
    try:
        numbers = pd.to_numeric(present)
    except (TypeError, ValueError, OverflowError):
        return present
    return present if numbers.dtype == object else numbers


#: integers from here on are not all float64 values: a column of them is read as text
FLOAT_EXACT = 2**53


def _huge_code(value: Any) -> bool:
    """Whether ``value`` is an integer (or a finite ``Decimal``) float64 cannot hold exactly."""
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) > FLOAT_EXACT
    return isinstance(value, (int, np.integer)) and abs(int(value)) > FLOAT_EXACT


def _beyond_float(present: pd.Series) -> bool:
    """Whether an integer column holds a value float64 cannot hold exactly."""
    if not pd.api.types.is_integer_dtype(present) or pd.api.types.is_bool_dtype(present):
        return False
    values = present.to_numpy()
    return bool(len(values)) and int(np.abs(values.astype(object)).max()) > FLOAT_EXACT


def _infer_type(present: pd.Series, numbers: np.ndarray | None, missing: bool) -> str:
    if numbers is None:
        distinct = present.nunique()
        if distinct > 2 and not pd.api.types.is_bool_dtype(present):
            if _date_format(present) is not None:
                return "datetime"
            if distinct == len(present) >= ID_MIN_ROWS:
                return "id"
        return "categorical" if distinct > 1 or missing else "constant"
    distinct = np.unique(numbers)
    if len(distinct) == 1 and not missing:
        return "constant"
    if len(distinct) <= 2:
        return "categorical"
    if np.all(distinct == np.round(distinct)):
        span = distinct[-1] - distinct[0] + 1
        return "ordinal" if span <= ORDINAL_MAX_LEVELS else "integer"
    return "positive" if distinct[0] > 0 else "real"


def number_format(present: pd.Series) -> str | None:
    """How ``present``'s values write numbers (``str.format`` of one number, e.g. ``${:,.2f}``,
    with the most decimals any value has) when every one is a number with the same prefix and
    suffix and some carry a prefix, a suffix or thousands separators; ``None`` otherwise (or
    beyond :data:`MAX_DECIMALS` decimals)."""
    if pd.api.types.is_bool_dtype(present) or pd.api.types.is_datetime64_any_dtype(present):
        return None
    parts = present.astype(str).str.strip().str.extract(_WRITTEN_NUMBER)
    if parts[3].isna().any() or parts[1].nunique() != 1 or parts[4].nunique() != 1:
        return None
    if ((parts[0] != "") & (parts[2] != "")).any():  # two signs
        return None
    prefix, suffix, digits = parts[1].iloc[0], parts[4].iloc[0], parts[3]
    thousands = bool(digits.str.contains(",", regex=False).any())
    if not (prefix or suffix or thousands):
        return None
    decimals = int(digits.str.partition(".")[2].str.len().max())  # as many as written
    if decimals > MAX_DECIMALS:
        return None
    spec = ("," if thousands else "") + f".{decimals}f"
    return _braces(prefix) + "{:" + spec + "}" + _braces(suffix)


def fixed_decimals(digits: pd.Series) -> int | None:
    """The number of decimals every one of ``digits`` (numbers as text, ``36.70``) is written
    with, when it is the same for all, between one and :data:`MAX_DECIMALS`, some are trailing
    zeros (the file pads its numbers: ``36.70`` next to ``12.35``, not pandas' ``36.7``) and
    some are not all zeros (``0.0``, ``1.0``: whole numbers as pandas writes a column of
    integers with empty cells); ``None`` otherwise."""
    if not len(digits):
        return None
    fraction = digits.astype(str).str.extract(r"^[+-]?\d*\.(\d+)$")[0]
    if fraction.isna().any():
        return None
    widths = fraction.str.len().unique()
    if len(widths) != 1 or not 1 <= widths[0] <= MAX_DECIMALS:
        return None
    if not fraction.str.endswith("0").any() or fraction.str.fullmatch("0+").all():
        return None
    return int(widths[0])


def _date_format(present: pd.Series) -> str | None:
    """The first of :data:`DATE_FORMATS` that reads every value of ``present`` and writes it
    back unchanged, or ``None``."""
    if pd.api.types.is_datetime64_any_dtype(present):
        # timestamps: the format says their resolution (what samples are rounded to), days,
        # minutes (seconds written as a literal 00, so text with seconds still reads) or seconds
        stamps = pd.DatetimeIndex(present)
        if (stamps == stamps.normalize()).all():
            return DATE_FORMATS[0]
        return "%Y-%m-%d %H:%M:00" if (stamps == stamps.floor("min")).all() else "%Y-%m-%d %H:%M:%S"
    text = pd.Series(pd.unique(present.astype(str)))
    if not text.str.contains(r"\d", regex=True).iloc[:50].all():
        return None
    for fmt in DATE_FORMATS:
        for values in (text.iloc[:50], text):  # a cheap refusal first
            stamps = pd.to_datetime(values, format=fmt, errors="coerce")
            if stamps.isna().any() or not (stamps.dt.strftime(fmt) == values).all():
                break
        else:
            return fmt
    return None


def _stamps(series: pd.Series, fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    text = series.astype(object).where(series.notna(), None)
    return pd.to_datetime(text, format=fmt, errors="coerce")


def _resolution(fmt: str) -> float:
    """The step in days of a datetime format's values."""
    if "%S" in fmt:
        return 1 / 86400
    return 1 / 1440 if "%M" in fmt else 1.0


def _id_pattern(
    name: str, present: pd.Series, numbers: np.ndarray | None
) -> tuple[str, float, bool]:
    """An ``id`` column's pattern of new values (``str.format`` of one integer), the largest
    number the data used, and whether the values are numbers."""
    if numbers is not None and np.all(numbers == np.round(numbers)):
        return "{:d}", float(numbers.max()), True
    parts = [re.fullmatch(r"(.*?)(\d+)", str(v)) for v in present]
    prefixes = {m.group(1) for m in parts if m is not None}
    if all(m is not None for m in parts) and len(prefixes) == 1:
        digits = [m.group(2) for m in parts if m is not None]
        widths = {len(d) for d in digits}
        width = f"0{widths.pop()}" if len(widths) == 1 else ""
        prefix = _braces(prefixes.pop())
        return prefix + "{:" + width + "d}", float(max(int(d) for d in digits)), False
    return _braces(name) + "-{:d}", 0.0, False


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _rows(index: Any, limit: int = 5) -> str:
    """Row numbers as a user counts them (1 = the first data row)."""
    rows = [int(i) + 1 for i in list(index)[: limit + 1]]
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (", ..." if len(rows) > limit else "")


def shown_levels(levels: Sequence[str], sep: str = ", ") -> str:
    """``levels`` joined by ``sep`` for a message, those holding the separator's comma (or
    spaces at an end) quoted: ``Engineering, 'Finance, Legal', HR`` reads as three."""
    mark = sep.strip() or sep

    def one(level: str) -> str:
        return repr(level) if mark in level or level != level.strip() else level

    return sep.join(one(str(v)) for v in levels)


def check_cells(name: str, series: pd.Series) -> None:
    """:class:`~dmm.data.DataError` for cells that are none of a number, text, a boolean or a
    date: complex numbers, durations, and containers (dicts, lists, sets, tuples)."""
    if pd.api.types.is_complex_dtype(series):
        raise DataError(
            f"column '{name}' holds complex numbers: give their real and imaginary parts as "
            "two columns"
        )
    if pd.api.types.is_timedelta64_dtype(series):
        raise DataError(
            f"column '{name}' holds durations: give them as numbers (e.g. "
            f"frame['{name}'].dt.total_seconds())"
        )
    if series.dtype == object:
        kinds = {type(v).__name__ for v in series if isinstance(v, (dict, list, set, tuple))}
        if kinds:
            raise DataError(
                f"column '{name}' holds {', '.join(sorted(kinds))} values: a cell is a number, "
                "text, a boolean or a date"
            )


def infer_schema(frame: pd.DataFrame, declared: Mapping[str, Declared] | None = None) -> Schema:
    """The schema of ``frame``; ``declared`` maps column names to types that override the
    inference (a name not in the table is a :class:`~dmm.data.DataError`)."""
    declared = dict(declared or {})
    unknown = [name for name in declared if name not in frame.columns]
    if unknown:
        raise DataError(
            f"the schema names column(s) {unknown} that the table does not have "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    if frame.shape[1] == 0:
        raise DataError("the table has no columns")
    if len(frame) == 0:
        raise DataError("the table has no rows")
    padded = frame.attrs.get("decimals", {})  # read_table's: numbers written with fixed decimals
    columns = [
        infer_column(str(name), frame[name].reset_index(drop=True), declared.get(name))
        for name in frame.columns
    ]
    return Schema(
        tuple(
            dataclasses.replace(c, format=f"{{:.{padded[c.name]}f}}")
            if c.name in padded and c.type in ("real", "positive") and c.format is None
            else c
            for c in columns
        )
    )


def read_schema_file(path: str | Path) -> dict[str, Declared] | Schema:
    """A schema file: ``{column: type}`` (the types to force; the rest inferred; a date format
    as ``datetime FORMAT``, e.g. ``datetime %d/%m/%Y``; ordered text levels as ``ordinal
    LEVEL,LEVEL,...`` or as a list ``[LEVEL, LEVEL, ...]``, lowest first) or a full schema as
    :meth:`Schema.to_config` writes it."""
    path = Path(path)
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read schema file '{path}': {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise DataError(f"schema file '{path}' is not valid YAML: {_line(exc)}") from None
    if isinstance(content, Mapping) and isinstance(content.get("columns"), list):
        try:
            return Schema.from_config(content)
        except (KeyError, TypeError) as exc:
            raise DataError(f"schema file '{path}': bad column entry ({_line(exc)})") from None
    if not isinstance(content, Mapping) or not all(
        isinstance(v, (str, list)) for v in content.values()
    ):
        raise DataError(
            f"schema file '{path}' must map column names to types ({', '.join(TYPES)}), "
            "e.g. 'price: positive'"
        )
    for k, v in content.items():
        if isinstance(v, list) and not all(_is_level(level) for level in v):
            raise DataError(
                f"schema file '{path}': column '{k}' lists levels that are not all text or "
                f"numbers ({v!r})"
            )
    bad = {
        k: v
        for k, v in content.items()
        if isinstance(v, str) and v not in TYPES and not v.startswith(("datetime ", "ordinal "))
    }
    if bad:
        name, value = next(iter(bad.items()))
        raise DataError(
            f"schema file '{path}': column '{name}' has unknown type '{value}' "
            f"(known: {', '.join(TYPES)})"
        )
    return {str(k): v for k, v in content.items()}


def resolve_schema(frame: pd.DataFrame, schema: Mapping[str, Declared] | Schema | None) -> Schema:
    """``frame``'s schema: inferred, with a mapping's types forced, or a full schema checked
    column by column against the data (its levels and ranges are refitted to ``frame``, a
    ``real`` or ``positive`` column's range widened to the schema's ``low`` and ``high``; an
    ``id`` column keeps the larger of its and ``frame``'s last identifier, so that new ones
    follow every row the schema was read from, rows held out of ``frame`` too)."""
    if not isinstance(schema, Schema):
        return infer_schema(frame, schema)
    missing = [c.name for c in schema.columns if c.name not in frame.columns]
    if missing:
        raise DataError(
            f"the schema names column(s) {missing} that the table does not have "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    fitted = infer_schema(frame, {c.name: _declared(c) for c in schema.columns})
    given = {c.name: c for c in schema.columns}
    return Schema(
        tuple(_identifiers(_range(c, given[c.name]), given[c.name]) for c in fitted.columns)
    )


def _range(fitted: Column, given: Column) -> Column:
    """``fitted``, a ``real`` or ``positive`` column's range widened to a full schema's ``low``
    and ``high`` (the range its samples are kept in; a schema may widen it, never narrow it
    below the data's)."""
    if fitted.type not in ("real", "positive") or fitted.type != given.type:
        return fitted
    low, high = float(fitted.low or 0), float(fitted.high or 0)  # set for every number column
    low = low if given.low is None else min(low, float(given.low))
    high = high if given.high is None else max(high, float(given.high))
    return dataclasses.replace(fitted, low=low, high=high)


def _identifiers(fitted: Column, given: Column) -> Column:
    """``fitted``, except an ``id`` column of a full schema: the schema's own pattern, numbered
    after the later of its last identifier and ``fitted``'s (the pattern ``fitted`` read from
    a subset of the rows may not be the whole file's)."""
    if fitted.type != "id" or given.type != "id":
        return fitted
    if fitted.format == given.format and fitted.numeric_levels == given.numeric_levels:
        return dataclasses.replace(given, high=max(fitted.high or 0, given.high or 0))
    return given


def _declared(c: Column) -> Declared:
    """``c``'s type as a schema file declares it (with a date format, or an ordinal's levels as
    a list: a level may contain a comma)."""
    if c.type == "datetime" and c.format:
        return f"datetime {c.format}"
    if c.type == "ordinal" and c.levels:
        return list(c.levels)
    return c.type


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


__all__ = [
    "Column",
    "DATE_FORMATS",
    "Declared",
    "ID_MIN_ROWS",
    "NUMERIC_TYPES",
    "ORDINAL_MAX_LEVELS",
    "Schema",
    "TYPES",
    "infer_column",
    "check_cells",
    "fixed_decimals",
    "shown_levels",
    "number_format",
    "infer_schema",
    "level_text",
    "read_schema_file",
    "resolve_schema",
]
