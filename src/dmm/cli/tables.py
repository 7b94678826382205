"""Tables on the command line (``--process tabular``): reading the training table and its schema,
sampling tables, filling empty cells (``--given``), sampling under ``--where column=value``, and
evaluating a table run. :class:`dmm.tabular.TabularModel` uses the same functions.

Filling cells is the replacement method (:class:`~dmm.samplers.Inpaint`, ``mode="replace"``):
every factor of a table's process has an exact transition, so after each backward step the given
cells are reset to a fresh draw of ``p_{t|0}(·|given)``. An empty cell to fill is asked for a
value: its empty-cell indicator is given as *not empty*; a categorical cell drawn as the *empty*
level is drawn again (its row, up to :data:`REDRAWS` times).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..data.errors import DataError
from ..metrics.classifier import NULL_PERMUTATIONS
from ..tabular.codec import TableCodec
from ..tabular.io import MISSING_MARKERS, read_table
from ..tabular.schema import (
    NUMERIC_TYPES,
    Column,
    Declared,
    Schema,
    read_schema_file,
    resolve_schema,
    shown_levels,
)
from .catalog.tabular import TabularEntry
from .errors import UsageError
from .rundir import Run

#: how often the rows whose filled categorical cell came out *empty* are drawn again
REDRAWS = 8


def is_table_run(run: Run) -> bool:
    return isinstance(run.spec, TabularEntry)


def codec_of(run: Run) -> TableCodec:
    assert isinstance(run.spec, TabularEntry) and run.spec.codec is not None
    return run.spec.codec


def builtin_tables() -> list[str]:
    try:
        from ..tabular.datasets import table_names
    except ImportError:
        return []
    return table_names()


def load_source(source: str, n: int | None = None, seed: int = 0) -> pd.DataFrame:
    """A table file, or the built-in table ``source`` (``n`` rows drawn with ``seed``)."""
    if source in builtin_tables():
        from ..tabular.datasets import load_table

        return load_table(source, n, seed)[0].reset_index(drop=True)
    if not Path(source).suffix:
        raise DataError(
            f"unknown table '{source}' (built-in: {', '.join(builtin_tables()) or 'none'}; or a "
            ".csv/.parquet file)"
        )
    return read_table(source)


def markers_in_numbers(schema: Schema, frame: pd.DataFrame) -> pd.DataFrame:
    """In place, and returned: the :data:`~dmm.tabular.io.MISSING_MARKERS` (``?``, ``-``, ...)
    of ``frame``'s cells in the run's numeric and date columns made empty, cells to fill (a
    file's own rows may have no number beside them to tell that they are markers)."""
    for c in schema.columns:
        if c.name not in frame.columns or c.type not in (*NUMERIC_TYPES, "datetime"):
            continue
        cells = frame[c.name]
        if cells.dtype == object or pd.api.types.is_string_dtype(cells):
            text = cells.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
            if c.levels:  # an ordinal's text levels are not markers
                text = text.where(~text.isin([lv.lower() for lv in c.levels]))
            frame[c.name] = cells.mask(text.isin(MISSING_MARKERS))
    return frame


def training_table(
    source: str, schema_file: str | None, n: int | None, seed: int
) -> tuple[TabularEntry, pd.DataFrame]:
    """The ``tabular`` entry bound to the table ``source`` (its schema inferred, with the types
    of ``schema_file`` forced) and the table itself."""
    frame = load_source(source, n, seed)
    declared: Mapping[str, Declared] | Schema | None = None
    if schema_file is not None:
        declared = read_schema_file(schema_file)
    schema = resolve_schema(frame, declared)
    return TabularEntry(TableCodec.fit(frame, schema)), frame


def partial_rows(run: Run, frame: pd.DataFrame, fill_empty: bool, resample: int = 1) -> Any:
    """The :class:`~dmm.cli.sample.Given` of ``frame``'s filled cells. ``fill_empty``: its
    empty cells are to be given values (imputation); otherwise whether they are empty is drawn
    too (conditional sampling)."""
    from .sample import Given

    codec = codec_of(run)
    values, given = codec.encode_partial(frame)
    if not fill_empty:  # the indicators of unnamed cells are drawn, not given
        for k, slot in enumerate(codec.slots):
            if slot.indicator:
                given[:, k] = torch.tensor(frame[slot.column].notna().to_numpy())
    return Given(given, values, "replace", values, resample)


def where_frame(run: Run, items: Sequence[str] | Mapping[Any, Any], n: int) -> pd.DataFrame:
    """``n`` rows with the given cells filled and every other cell empty: ``items`` are the
    ``--where COLUMN=VALUE`` texts, or the Python API's ``where={column: value}`` (its errors
    then quote that form)."""
    codec = codec_of(run)
    frame = pd.DataFrame({c: [None] * n for c in codec.schema.names}, dtype=object)
    named: set[str] = set()
    for item, name, text in _where_items(items):
        if name not in codec.schema.names:
            raise UsageError(
                f"{item}: no column '{name}' (columns: {', '.join(codec.schema.names)})"
            )
        if name in named:
            raise UsageError(f"{item}: '{name}' is given twice: give each column one value")
        named.add(name)
        column = codec.schema[name]
        value: Any = text
        if column.type == "id":
            raise UsageError(
                f"{item}: '{name}' is an identifier column (not modelled): every "
                "sampled row gets a new one"
            )
        if column.type == "datetime":
            try:
                column.days(pd.Series([text]))
            except DataError:
                written = (
                    "in ISO 8601 (2024-01-31 or 2024-01-31 14:05)"
                    if column.timestamps
                    else f"as {column.format}"
                )
                raise UsageError(f"{item}: '{name}' takes dates written {written}") from None
        elif column.written_as_text:  # with or without its unit; written with it
            number = column.numbers(pd.Series([text]))
            if number.isna().all() and column.levels:  # an ordinal's ordered levels
                raise UsageError(
                    f"{item}: '{text}' is not a level of '{name}' (levels: "
                    f"{shown_levels(column.levels[:12], ' < ')})"
                )
            if number.isna().all():
                example = column.written(pd.Series([column.low]))[0]
                raise UsageError(f"{item}: '{name}' takes numbers (e.g. {example})")
            if not column.levels:  # a number with its unit: the same checks as without one
                _check_where_number(item, column, float(number.iloc[0]))
            value = column.written(number)[0]
        elif column.type not in ("categorical", "constant") or column.numeric_levels:
            try:
                value = float(text)
            except ValueError:
                raise UsageError(f"{item}: '{name}' takes numbers") from None
            _check_where_number(item, column, value)
        if column.type == "categorical":
            level = column.level_of(str(_level(value)))
            if level is None:
                levels = shown_levels(column.levels[:12])
                levels += ", ..." if len(column.levels) > 12 else ""
                raise UsageError(f"{item}: '{text}' is not a level of '{name}' (levels: {levels})")
            value = level if not column.numeric_levels else value
        frame[name] = [value] * n
    return frame


def _check_where_number(item: str, column: Column, value: float) -> None:
    """A given number against its column's type: above zero for ``positive``, whole for
    ``integer`` and ``ordinal``, at most the column's decimals for ``real`` and ``positive``
    (samples are written at that precision, so a finer value would not come back as given),
    and within an ordinal's or an integer's range (``item``: how
    the error names the cell, :func:`_where_items`). Samples of an integer column are decoded
    into the training rows' range, so a value beyond it could not come back as given."""
    name = column.name
    if not np.isfinite(value):
        raise UsageError(f"{item}: '{name}' takes finite numbers")
    if column.type == "positive" and value <= 0:
        raise UsageError(f"{item}: '{name}' is positive: give a number above 0")
    if column.type in ("integer", "ordinal") and not value.is_integer():
        raise UsageError(f"{item}: '{name}' takes whole numbers")
    places = column.decimals if column.type in ("real", "positive") else None
    if places is not None and round(value, places) != value:  # written rounded to the column's
        raise UsageError(
            f"{item}: '{name}' is written with {places} decimal{'s' * (places != 1)}: give "
            f"{round(value, places):.{places}f} (or another value at that precision)"
        )
    ranged = column.type in ("integer", "ordinal") and column.low is not None
    if ranged and not column.low <= value <= column.high:
        raise UsageError(
            f"{item}: '{name}' takes whole numbers from {column.low:g} to {column.high:g}"
            + (" (the training rows' range)" if column.type == "integer" else "")
        )


def _where_items(items: Sequence[str] | Mapping[Any, Any]) -> list[tuple[str, str, str]]:
    """``(how an error names it, column, value text)`` for each given cell: ``--where
    'COLUMN=VALUE'`` texts, or the API's ``where={column: value}``."""
    if isinstance(items, Mapping):
        return [(f"where={{{k!r}: {v!r}}}", str(k), str(v)) for k, v in items.items()]
    out = []
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--where '{item}': expected COLUMN=VALUE")
        out.append((f"--where '{item}'", name.strip(), text))
    return out


def _level(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def draw_table(
    run: Run,
    setup: dict[str, Any],
    n: int,
    seed: int,
    device: str = "cpu",
    callback: Callable | None = None,
    partial: pd.DataFrame | None = None,
    fill_empty: bool = True,
    resample: int = 1,
) -> pd.DataFrame:
    """``n`` synthetic rows of a table run, or one per row of ``partial`` with its cells kept
    and its empty cells filled (``fill_empty``) or left to the model (module doc); ``resample``:
    RePaint's repeats of each step for the cells to fill (:class:`~dmm.samplers.Inpaint`)."""
    from .sample import draw, require_finite

    codec = codec_of(run)
    if partial is None:
        y = draw(run, setup, n, seed, device, callback)
        require_finite(y)
        return codec.decode(y)
    partial = partial.reset_index(drop=True)
    given = partial_rows(run, partial, fill_empty, resample)
    y = draw(run, setup, len(partial), seed, device, callback, given)
    require_finite(y)
    out = codec.decode(y)
    todo = _empty_draws(codec, partial, out) if fill_empty else np.zeros(len(out), dtype=bool)
    for attempt in range(REDRAWS):
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        sub = dataclasses.replace(
            given, observed=given.observed[rows], values=given.values[rows], raw=given.raw[rows]
        )
        again = codec.decode(draw(run, setup, len(rows), seed + 1 + attempt, device, None, sub))
        again.index = rows
        out.loc[rows] = again
        todo = _empty_draws(codec, partial, out)
    if todo.any():
        _fill_with_modes(run, codec, partial, out)
    for c in codec.schema.columns:  # given cells exactly as given (the others decode exactly)
        keep = partial[c.name].notna().to_numpy()
        if c.type == "id":  # numbered once for the whole table, skipping the given ones
            taken = {str(v) for v in partial.loc[keep, c.name]}
            fresh = [v for v in c.new_ids(len(out) + len(taken)) if str(v) not in taken]
            out[c.name] = c.typed(fresh[: len(out)])
        if c.type in ("real", "positive") and keep.any() and not c.written_as_text:
            out.loc[keep, c.name] = pd.to_numeric(partial.loc[keep, c.name]).to_numpy(float)
        elif c.type == "integer" and keep.any() and not c.written_as_text:  # beyond the range too
            numbers = pd.to_numeric(partial.loc[keep, c.name]).to_numpy(float)
            out.loc[keep, c.name] = numbers.astype(np.int64)
        elif (c.type in ("datetime", "id") or c.written_as_text) and keep.any():
            if c.type == "ordinal":  # its levels decode exactly, as the data writes them
                continue
            values = np.array(out[c.name], dtype=object)
            cells = partial.loc[keep, c.name]
            if c.format and pd.api.types.is_numeric_dtype(cells):  # read as numbers (36.70)
                cells = c.written(cells)
            values[keep] = cells.to_numpy(object)
            out[c.name] = c.typed(values)
    return out


#: rows per sampler call when several fillings of a table are drawn together
FILL_BATCH = 4096


def filling_calls(n: int, draws: int) -> int:
    """How many sampler calls :func:`draw_fillings` makes for ``draws`` fillings of ``n`` rows."""
    per_call = max(1, min(draws, FILL_BATCH // max(n, 1)))
    return -(-draws // per_call)


def draw_fillings(
    run: Run,
    setup: dict[str, Any],
    partial: pd.DataFrame,
    draws: int,
    seed: int,
    device: str = "cpu",
    callback: Callable | None = None,
    resample: int = 1,
) -> list[pd.DataFrame]:
    """``draws`` independent fillings of ``partial``'s empty cells (:func:`draw_table`), drawn
    as copies of its rows stacked into :func:`filling_calls` sampler calls of at most
    :data:`FILL_BATCH` rows (unless one filling is larger), call ``j`` seeded ``seed + j``: the
    sampler's cost per step barely grows with the rows of a small table, so ten fillings cost
    about what one does. One filling is exactly :func:`draw_table`'s."""
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    partial = partial.reset_index(drop=True)
    n, calls = len(partial), filling_calls(len(partial), draws)
    per_call = -(-draws // calls)
    fillings: list[pd.DataFrame] = []
    for j in range(calls):
        k = min(per_call, draws - len(fillings))
        stacked = pd.concat([partial] * k, ignore_index=True)
        out = draw_table(
            run, setup, len(stacked), seed + j, device, callback, stacked, True, resample
        )
        fillings += [out.iloc[i * n : (i + 1) * n].reset_index(drop=True) for i in range(k)]
    return fillings


def filled_in(partial: pd.DataFrame, filled: pd.DataFrame) -> pd.DataFrame:
    """``partial`` with the schema's columns taken from ``filled`` (its filling): the other
    columns of ``partial`` kept as they are, in ``partial``'s column order."""
    out = partial.reset_index(drop=True).copy()
    for name in filled.columns:
        out[name] = filled[name].reset_index(drop=True)
    return out


def _fill_with_modes(run: Run, codec: TableCodec, partial: pd.DataFrame, out: pd.DataFrame) -> None:
    """In place: cells to fill that still came out empty after :data:`REDRAWS` draws (a column
    empty in most training rows, whose model keeps drawing the empty level) get the most
    frequent value of the column's training rows, with a note on stderr naming the columns."""
    train, _ = split_frames(run)
    counts = []
    for c in codec.schema.columns:
        name = c.name
        left = (partial[name].isna() & out[name].isna()).to_numpy()
        values = train[name].dropna()
        if not left.any() or not len(values) or c.type in (*NUMERIC_TYPES, "datetime", "id"):
            continue  # (their cells are drawn as not empty: only levels come out empty)
        mode = values.mode().iloc[0]
        column = out[name].astype(object)
        column[left] = mode
        out[name] = column
        shown = mode.item() if isinstance(mode, np.generic) else mode
        counts.append(f"{int(left.sum())} in '{name}' ({shown!r})")
    if counts:
        print(
            f"note: cells the model kept drawing empty after {REDRAWS + 1} draws got their "
            f"column's most frequent training value: {', '.join(counts)}",
            file=sys.stderr,
            flush=True,
        )


def _empty_draws(codec: TableCodec, partial: pd.DataFrame, out: pd.DataFrame) -> np.ndarray:
    """Rows where a cell to fill came out empty."""
    bad = np.zeros(len(out), dtype=bool)
    for name in codec.schema.names:
        bad |= (partial[name].isna() & out[name].isna()).to_numpy()
    return bad


def split_frames(run: Run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's training rows and the rows it held out, as tables."""
    from .rundir import split_rows

    codec = codec_of(run)
    data = run.built.data
    holdout = run.config.get("holdout") or {}
    keep, held = split_rows(len(data), float(holdout.get("fraction", 0.0)), int(run.config["seed"]))
    return codec.decode(data[keep]), codec.decode(data[held])


def evaluate_table(
    run: Run,
    setup: dict[str, Any],
    n: int | None,
    seed: int,
    data: str | None = None,
    device: str = "cpu",
    callback: Callable | None = None,
    with_floor: bool = False,
    null_permutations: int = NULL_PERMUTATIONS,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The table metrics (:func:`dmm.tabular.metrics.evaluate`) of ``n`` synthetic rows (default:
    as many as the training rows) against the held-out rows, or the table ``data``; with the
    reference and synthetic tables as the metrics read them
    (:meth:`~dmm.tabular.schema.Schema.comparable`). ``with_floor``: also what the training
    rows score in their place (``"floor"``, :func:`dmm.tabular.metrics.floor`).
    ``null_permutations``: the deals that measure the C2ST AUC's null spread
    (:func:`dmm.metrics.classifier.c2st_null`)."""
    try:
        import sklearn  # noqa: F401

        from ..tabular.metrics import evaluate, floor
    except ImportError as exc:
        raise UsageError(
            f"the table metrics need {exc.name or 'scikit-learn'}: "
            "pip install 'denoising-markov-models[metrics]'"
        ) from None
    train, test = split_frames(run)
    what = f"the {len(test)} rows held out at training time"
    if data is not None:
        from .eval import trained_on

        test = load_source(data)
        encoded = codec_of(run).encode(test)  # the same columns, levels, ranges (one-line errors)
        what = f"the {len(test)} rows of {data}" + trained_on(run, encoded)
    if len(test) < 4:
        raise UsageError(
            f"run '{run.dir}' kept {len(test)} rows out of training (dmm train --holdout); "
            "evaluating on training rows would flatter it: give --data TABLE with rows it never saw"
        )
    n = len(train) if n is None else n
    synthetic = draw_table(run, setup, n, seed, device, callback)
    schema = codec_of(run).schema
    train, test, synthetic = (schema.comparable(f) for f in (train, test, synthetic))
    kinds = schema.kinds()
    result = evaluate(train, test, synthetic, kinds, seed=seed, null_permutations=null_permutations)
    result = {"reference": what, **result}
    if with_floor:
        result["floor"] = floor(train, test, kinds, seed=seed)
    return result, test, synthetic


def combine_draws(codec: TableCodec, draws: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One table from several draws of the same rows (multiple imputation): per cell the mean of
    the draws for ``real``, ``positive``, ``integer`` and ``datetime`` columns and for ordinals
    on the whole numbers ``min..max`` (rounded to the column's precision, whole numbers' to a
    whole number: the point estimate squared errors reward, and of the values the column holds,
    the nearest to it), the median for ordinals on listed levels, text or numbers (a level:
    their positions' distances are not the values'), the most frequent value for categories
    (empty cells count as a value); ``id`` and ``constant`` cells as drawn first."""
    out = draws[0].copy()
    for c in codec.schema.columns:
        stack = pd.concat([d[c.name].reset_index(drop=True) for d in draws], axis=1)
        if c.written_as_text:
            stack = pd.concat([c.numbers(stack.iloc[:, j]) for j in range(stack.shape[1])], axis=1)
        if c.type in ("real", "positive"):
            values = stack.astype(float).mean(axis=1)
            values = values.round(c.decimals) if c.decimals is not None else values
            out[c.name] = c.written(values).to_numpy()
        elif c.type in ("integer", "ordinal"):
            numbers = stack.astype("Float64")
            point = numbers.median(axis=1) if c.levels else numbers.mean(axis=1)
            values = point.round().astype("Int64")
            out[c.name] = c.written(values).to_numpy()
        elif c.type == "datetime":
            days = np.stack([c.days(stack.iloc[:, j]) for j in range(stack.shape[1])], axis=1)
            count = np.isfinite(days).sum(axis=1)
            mean = np.nansum(days, axis=1) / np.maximum(count, 1)
            out[c.name] = c.from_days(mean, count == 0).to_numpy()
        elif c.type == "categorical":
            out[c.name] = [_mode(row) for row in stack.itertuples(index=False)]
    return out


def _mode(values: Sequence[Any]) -> Any:
    counts: dict[Any, int] = {}
    for v in values:
        key = None if pd.isna(v) else v
        counts[key] = counts.get(key, 0) + 1
    return max(counts, key=lambda k: counts[k])


__all__ = [
    "REDRAWS",
    "builtin_tables",
    "codec_of",
    "combine_draws",
    "draw_fillings",
    "draw_table",
    "evaluate_table",
    "filled_in",
    "filling_calls",
    "is_table_run",
    "load_source",
    "partial_rows",
    "split_frames",
    "training_table",
    "where_frame",
]
