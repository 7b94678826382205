"""``TabularModel``: a mixed-type table generator with the scikit-learn shape.

    model = TabularModel(steps=5000).fit(frame)       # a pandas DataFrame
    synthetic = model.sample(1000)                    # a DataFrame: same columns, order, dtypes
    filled = model.impute(frame_with_empty_cells)     # every empty cell filled given the others
    model.save("runs/my-table"); TabularModel.load("runs/my-table")

A fitted model *is* a run folder in the format ``dmm train --process tabular`` writes, so
``dmm sample``, ``dmm eval`` and ``dmm plot`` read a saved model and ``TabularModel.load`` reads
a run trained on the command line. Like the command line, this sits above the library: it uses
the catalogue's ``tabular`` entry (:mod:`dmm.cli.catalog.tabular`) and the run-folder code.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import warnings
import weakref
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.errors import DataError
from .io import frame_dtypes, markers_as_empty, with_dtypes
from .schema import Declared, Schema, check_cells, resolve_schema


class TabularModel:
    """A denoising Markov model of a table (:mod:`dmm.tabular.codec` for the process).

    Parameters are stored as given (scikit-learn style); ``fit`` sets ``run_dir_`` and
    ``schema_``. ``schema``: column types to force (``{column: type}``) or a full
    :class:`~dmm.tabular.schema.Schema`; ``run_dir``: where the run folder goes (default: a
    temporary folder, kept until :meth:`save` copies it or the process exits; a folder holding
    anything but this model's own earlier fit is refused);
    ``sample_steps``: sampler steps (default the recipe's); ``progress``: a progress bar;
    ``observed_context``: train with random observed subsets of each row as context, so that
    :meth:`impute` and ``sample(where=...)`` condition the network on the given cells
    (:class:`~dmm.losses.ObservedSubsets`; ``None``: the ``tabular`` entry's default);
    ``unconditional``: with it, the share of training rows shown no cell (``None``: the
    entry's default, 0.5); ``score_observed``: with it, whether the loss also scores the cells
    shown as context (``None``: the entry's default, ``True``; ``False`` scores the cells to
    fill only); ``numeric_loss``: the real and positive columns' output and loss, ``"velocity"``
    or ``"eps-kl"`` (``None``: the entry's default, ``"velocity"``; ``dmm processes tabular``)."""

    def __init__(
        self,
        steps: int = 5000,
        batch_size: int = 256,
        lr: float | None = None,
        hidden: int = 256,
        depth: int = 3,
        schema: Mapping[str, Declared] | Schema | None = None,
        seed: int = 0,
        sample_steps: int | None = None,
        device: str = "cpu",
        run_dir: str | Path | None = None,
        progress: bool = False,
        observed_context: bool | None = None,
        unconditional: float | None = None,
        score_observed: bool | None = None,
        numeric_loss: str | None = None,
    ) -> None:
        self.steps, self.batch_size, self.lr = steps, batch_size, lr
        self.hidden, self.depth, self.schema = hidden, depth, schema
        self.seed, self.sample_steps, self.device = seed, sample_steps, device
        self.run_dir, self.progress = run_dir, progress
        self.observed_context, self.unconditional = observed_context, unconditional
        self.score_observed, self.numeric_loss = score_observed, numeric_loss

    # --- fitting ------------------------------------------------------------------------------

    def fit(self, frame: pd.DataFrame) -> TabularModel:
        """Train on every row of ``frame`` (hold rows out yourself to evaluate)."""
        from ..cli.catalog import build
        from ..cli.catalog.tabular import TabularEntry
        from ..cli.config import make_train_config, sample_settings
        from ..cli.rundir import check_device, save_data, write_run_config
        from ..tabular.codec import TableCodec
        from ..training import train

        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"fit takes a pandas DataFrame, got {type(frame).__name__}")
        check_device(self.device)  # before any work: cuda on a machine without it
        self._check_run_dir()
        labels = frame.columns.tolist()
        frame = frame.reset_index(drop=True)  # a copy: the caller's frame is left alone
        frame.columns = _names(labels)
        for note in markers_as_empty(frame):  # as dmm train reads a file
            warnings.warn(note, stacklevel=2)
        schema = resolve_schema(frame, self.schema)
        entry = TabularEntry(TableCodec.fit(frame, schema))
        data = entry.codec.encode(frame)
        params: dict[str, Any] = {"hidden": self.hidden, "depth": self.depth}
        if self.observed_context is not None:
            params["observed_context"] = bool(self.observed_context)
        if self.unconditional is not None:
            params["unconditional"] = float(self.unconditional)
        if self.score_observed is not None:
            params["score_observed"] = bool(self.score_observed)
        if self.numeric_loss is not None:
            params["numeric_loss"] = self.numeric_loss
        built = build(entry, data, params, seed=self.seed)
        values: dict[str, Any] = {
            "steps": self.steps,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "device": self.device,
        }
        if self.lr is not None:
            values["lr"] = self.lr
        config = make_train_config(values)
        sample = sample_settings(built, {})
        if self.sample_steps is not None:
            sample["sample_steps"] = int(self.sample_steps)
        out = Path(self.run_dir) if self.run_dir is not None else _temporary(self)
        out.mkdir(parents=True, exist_ok=True)
        subset = save_data(data, out, self.seed)
        write_run_config(
            out,
            entry,
            "(a DataFrame given to TabularModel.fit)",
            len(frame),
            self.seed,
            built.params,
            asdict(config),
            sample,
            subset,
            columns=list(frame.columns),
            holdout={"fraction": 0.0, "rows": 0},
            dtypes=frame_dtypes(frame),
            labels=_recorded(labels),
        )
        train(built.model, built.loss, built.data, config, run_dir=out, progress=self.progress)
        self.run_dir_, self.schema_ = out, schema
        self._run = None
        return self

    def _check_run_dir(self) -> None:
        """``run_dir`` must not hold anything but this model's own earlier fit (finished, failed or
        interrupted): another run there would be overwritten (and a model fitted into it before
        would save this one)."""
        if self.run_dir is None:
            return
        path = Path(self.run_dir)
        own = path.resolve() == getattr(self, "_claimed", None)  # an earlier fit, done or not
        if path.exists() and (not path.is_dir() or any(path.iterdir())) and not own:
            raise FileExistsError(
                f"run_dir '{path}' exists and is not empty: give fit a new folder (or remove it)"
            )
        self._claimed = path.resolve()

    # --- sampling -----------------------------------------------------------------------------

    def sample(
        self,
        n: int,
        seed: int = 0,
        where: Mapping[str, Any] | None = None,
        steps: int | None = None,
    ) -> pd.DataFrame:
        """``n`` synthetic rows; ``where={column: value}`` fixes those cells and draws the rest
        given them; ``steps``: the sampler's steps (default: the model's ``sample_steps``, as
        ``dmm sample --steps``). Columns come back in the pandas dtypes of the fitted frame where
        their values allow it (:func:`~dmm.tabular.io.with_dtypes`: a boolean column with empty
        cells stays ``object``)."""
        from ..cli.tables import draw_table, where_frame

        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n must be a whole number of rows, got {n!r}")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        run = self._loaded()
        partial = None
        if where:
            partial = where_frame(run, dict(where), int(n))
        setup = self._setup(run, steps)
        out = draw_table(run, setup, int(n), seed, self.device, None, partial, False)
        out = with_dtypes(out, run.config.get("dtypes"))
        labels = run.config.get("labels")
        if labels is not None and len(labels) == out.shape[1]:
            out.columns = pd.Index(_restored(labels))  # the fitted frame's own, not their text
        return out

    def impute(
        self,
        frame: pd.DataFrame,
        seed: int = 0,
        draws: int = 1,
        resample: int = 1,
        steps: int | None = None,
    ) -> pd.DataFrame:
        """``frame`` with every empty cell of the model's columns filled by a draw given the
        row's other cells (the replacement method, :mod:`dmm.cli.tables`; ``frame``'s other
        columns are kept as they are); with ``draws > 1``, the cell-wise mean (or
        median of an ordinal's listed levels, or most frequent level) of that many draws
        (:func:`~dmm.cli.tables.combine_draws`): a point estimate, as mean imputation or
        k-NN give, rather than one plausible value. ``resample``: RePaint's repeats of each
        sampler step (:class:`~dmm.samplers.Inpaint`); ``steps``: the sampler's steps (as in
        :meth:`sample`). Columns keep ``frame``'s pandas dtypes
        where the filled values allow it (:func:`~dmm.tabular.io.with_dtypes`), and rows its
        index."""
        from ..cli.tables import (
            codec_of,
            combine_draws,
            draw_fillings,
            filled_in,
            markers_in_numbers,
        )

        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"impute takes a pandas DataFrame, got {type(frame).__name__}")
        run = self._loaded()
        if not len(frame):
            return frame.copy()
        setup = self._setup(run, steps)
        index, labels = frame.index, list(frame.columns)
        frame = frame.reset_index(drop=True)
        frame.columns = _names(labels)
        for name in frame.columns:  # durations, complex numbers, containers: as fit refuses them
            check_cells(str(name), frame[name])
        dtypes = frame_dtypes(frame)
        markers_as_empty(frame)  # '?' among numbers: a cell to fill
        markers_in_numbers(codec_of(run).schema, frame)  # and in the run's numeric columns
        filled = draw_fillings(run, setup, frame, draws, seed, self.device, None, resample)
        out = filled_in(frame, filled[0] if draws == 1 else combine_draws(codec_of(run), filled))
        out = with_dtypes(out, dtypes)
        out.index, out.columns = index, pd.Index(labels)  # tuples: a MultiIndex again
        return out

    # --- persistence --------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Copy the run folder to ``path`` (which must not exist or be empty)."""
        self._loaded()
        path = Path(path)
        if path.exists() and any(path.iterdir()):
            raise FileExistsError(f"'{path}' exists and is not empty")
        if path.resolve() != Path(self.run_dir_).resolve():
            shutil.copytree(self.run_dir_, path, dirs_exist_ok=True)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> TabularModel:
        """A model from a run folder (saved, or trained by ``dmm train --process tabular``)."""
        from ..cli.rundir import load_run
        from ..cli.tables import codec_of, is_table_run

        run = load_run(path, device=device)
        if not is_table_run(run):
            raise ValueError(f"'{path}' is a run of process '{run.spec.name}', not a table run")
        train = run.config.get("train", {})
        model = cls(
            steps=int(train.get("steps", 0)),
            batch_size=int(train.get("batch_size", 256)),
            hidden=int(run.params["hidden"]),
            depth=int(run.params["depth"]),
            seed=int(run.config.get("seed", 0)),
            device=device,
            run_dir=path,
            observed_context=bool(run.params.get("observed_context", False)),
            unconditional=float(run.params.get("unconditional", 0.5)),
            score_observed=bool(run.params.get("score_observed", True)),
            numeric_loss=str(run.params["numeric_loss"]),
        )
        model.run_dir_, model.schema_, model._run = Path(path), codec_of(run).schema, run
        return model

    def _loaded(self):
        if not hasattr(self, "run_dir_"):
            raise RuntimeError("this TabularModel is not fitted: call fit(frame) first")
        if getattr(self, "_run", None) is None:
            from ..cli.rundir import load_run

            self._run = load_run(self.run_dir_, device=self.device)
        return self._run

    def _setup(self, run, steps: int | None = None) -> dict[str, Any]:
        from ..cli.sample import sampling_setup

        if steps is not None and (isinstance(steps, bool) or int(steps) != steps or steps < 1):
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        args = argparse.Namespace(
            sampler=None,
            steps=None if steps is None else int(steps),
            nfe=None,
            denoise=None,
            no_ema=False,
            seed=0,
        )
        return sampling_setup(run, args)


def _names(labels: list[Any]) -> list[str]:
    """A DataFrame's column labels as the text that names the columns in a run (a label ``0``
    is the column ``'0'``); :class:`~dmm.data.DataError` if two labels name the same column."""
    names = [str(c) for c in labels]
    seen: set[str] = set()
    for label, name in zip(labels, names):
        if name in seen:
            raise DataError(f"two columns are named {name!r} (label {label!r}): rename one")
        seen.add(name)
    return names


def _recorded(labels: list[Any]) -> list[Any] | None:
    """The labels a run records to give its tables back with, where some are not text: numbers,
    booleans and tuples of them (a MultiIndex's; recorded as lists, :func:`_restored`). Other
    labels stay named by their text."""
    if all(isinstance(c, str) for c in labels):
        return None

    def plain(label: Any) -> Any:
        if isinstance(label, np.generic):
            label = label.item()
        if isinstance(label, tuple):
            parts = [plain(part) for part in label]
            return None if None in parts else parts
        return label if isinstance(label, (str, int, float, bool)) else None

    recorded = [plain(c) for c in labels]
    return None if None in recorded else recorded


def _restored(labels: list[Any]) -> list[Any]:
    """Recorded labels back: a list was a tuple (a label cannot be a list)."""
    return [tuple(c) if isinstance(c, list) else c for c in labels]


def _temporary(owner: object) -> Path:
    """A run folder removed when ``owner`` is collected (or at exit)."""
    path = Path(tempfile.mkdtemp(prefix="dmm-table-"))
    weakref.finalize(owner, shutil.rmtree, path, True)
    return path


__all__ = ["TabularModel"]
