"""dmm's mixed-type tables against the tabular generators people use, on the built-in tables.

    OMP_NUM_THREADS=1 python benchmarks/tabular.py --json docs/results/tabular.json \\
        --markdown docs/results/tabular.md
    OMP_NUM_THREADS=1 python benchmarks/tabular.py --quick    # a smoke run, about half a minute

Protocol (ForestDiffusion's, Jolicoeur-Martineau et al. 2023): per table, ``--splits`` seeded
80/20 train/test splits (split ``s`` is scikit-learn's ``train_test_split(random_state=s)``,
stratified on a categorical target as theirs; the same splits for every method). Each method is fitted once per split on the training rows (seed
``s``) and draws ``len(train)`` synthetic rows ``--generations`` times (seed ``1000 s + g`` for
generation ``g``); fit and sample wall-clock seconds are timed separately. Every generation is
scored by :func:`dmm.tabular.metrics.evaluate` (train, test, synthetic, target, seed
``1000 s + g``: the same for every method); the tables report mean ± std over splits ×
generations. Text columns are ``"categorical"``, all others ``"numeric"``; the target is the
table's (:func:`dmm.tabular.datasets.load_table`). ``diamonds`` is a seeded subsample of
``--diamonds-rows`` (default 2,500) of its 53,940 rows; the output says so.

Methods (a method that is not installed or fails is recorded with its message, the run goes on):

- ``oracle``: the training rows themselves, as ForestDiffusion's table has it: what a perfect
  copy of the training rows scores. On these small tables the held-out rows are few (30 for
  iris), so ``W1 test`` of even the oracle is far from 0; a generator is judged against this
  floor, not against 0.

- ``dmm``: ``dmm.tabular.TabularModel(steps=--steps, batch_size=--dmm-batch-size, seed=s)``
  (either unset: the model's default), ``.fit(train)``, ``.sample(n, seed=1000 s + g)``; imputation ``.impute(frame,
  seed=s, draws=--dmm-draws)`` (the cell-wise mean or most frequent value of 10 fillings).
- ``forest-flow`` / ``forest-vp``: ForestDiffusion's ``ForestDiffusionModel`` (XGBoost, one model
  per noise level) with ``diffusion_type="flow"`` / ``"vp"``: the paper's ``n_t = 50``, 100 trees
  of depth 7, ``eta = 0.3``; ``duplicate_K`` (the paper: 100) lowered until ``n_train · K ·
  width²`` is at most ``--forest-budget`` (``width``: the model's columns after dummy coding;
  ``0``: always ``--forest-k``), but not below 2: a noise level fits ``width`` outputs × 100
  trees on ``width`` features and ``n_train · K`` rows, so its cost is a fixed part per tree
  plus a part growing with ``n_train · K``; ``n_jobs = 1``, ``nthread = --threads``. Text
  columns become level codes (``cat_indexes``; two-level ones ``bin_indexes``, as the paper
  does; missing cells of a text column an extra level); integer-valued numeric columns are
  ``int_indexes``; no label conditioning (``label_y``), like every other method here. ``forest-vp``'s fitted model also imputes
  (``.impute``, no REPAINT), the test rows brought into its dummy-coded, min-max scaled space
  here (the package itself only imputes its own training rows).
- ``gaussian-copula`` / ``ctgan`` / ``tvae``: SDV's ``GaussianCopulaSynthesizer``,
  ``CTGANSynthesizer``, ``TVAESynthesizer``, metadata detected from the training rows
  (``Metadata.detect_from_dataframes``, no keys) with each column's sdtype set to its kind here;
  CTGAN and TVAE train ``--sdv-epochs`` epochs (SDV's default, 300) on the CPU; other settings
  SDV's defaults. Missing text cells reach SDV as the level ``"<missing>"`` (and come back
  empty).

Imputation: in the test rows ``--hide`` (20 %) of the observed cells are hidden at random (seed
``s``, the same mask for every imputer). Scored: RMSE on the hidden numeric cells in units of the
training range (``(x̂ - x) / (max_train - min_train)``, per column, then averaged over the
numeric columns with a hidden cell) and accuracy on the hidden text cells (pooled). Imputers:
``mean-mode`` (training mean / most frequent level), ``knn`` (scikit-learn's ``KNNImputer``,
``k = 5``, fitted on the training rows: numeric columns min-max scaled to the training range,
text columns one-hot coded with all indicators of a hidden cell hidden; a text cell gets the
level with the largest imputed indicator, i.e. the neighbours' vote), ``forest-vp`` and ``dmm``
(their fitted models; fitted for imputation alone when not among ``--methods``). The random mask
leaves a few categorical cells per split (about 6 on iris, 22 on breast cancer), so with
``--impute-columns`` each categorical column is also hidden alone, in every test row, the other
cells given, and the accuracy is pooled over those columns (``column_accuracy``).

Cost, measured on one thread of a shared 2-core machine, ForestDiffusion (flow) per noise level
at the defaults (x 50 levels per fit, x 3 splits, x 2 for flow and VP): iris (K = 100) 1.3 s,
wine (K = 31) 6.6 s, penguins (K = 30; its missing cells make the package fit one model per
column) 5.9 s, breast-cancer (K = 2) 27 s, diamonds with 2,000 training rows (K = 2) 17 s, that
is about 1, 5.5, 5, 22 and 14 minutes per fit; at the paper's K = 100 a breast-cancer or
2,000-row diamonds fit would take over 2 hours. CTGAN, 300 epochs: 14 s on iris, 85 s on 2,000
diamonds rows; TVAE 2 s and 22 s. A full default run takes hours, mostly ForestDiffusion;
``--methods`` without ``forest-*`` or a smaller ``--forest-nt`` shortens it.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dmm.cli.config import positive_whole, writable_file
from dmm.tabular import datasets
from dmm.tabular.datasets import ORDERS

METHODS = ("oracle", "dmm", "forest-flow", "forest-vp", "gaussian-copula", "ctgan", "tvae")
IMPUTERS = ("mean-mode", "knn", "forest-vp", "dmm")
TABLES = ("iris", "wine", "breast-cancer", "penguins", "diamonds")
#: ForestDiffusion's smallest duplicate_K under the cost budget
MIN_K = 2
#: the level that stands for a missing text cell where a peer needs one
MISSING = "<missing>"
#: the per-generation numbers the tables report: key -> column header
METRICS = {
    "c2st_auc": "C2ST AUC",
    "w1_train": "W1 train",
    "w1_test": "W1 test",
    "coverage_train": "cov. train",
    "coverage_test": "cov. test",
    "column_shape": "shape",
    "column_pair": "pair",
    "ml_synthetic": "ML synth.",
    "ml_real": "ML real",
    "dcr_ratio": "DCR ratio",
    "fit_s": "fit s",
    "sample_s": "sample s",
}
FULL = {
    "splits": 3,
    "generations": 5,
    "steps": None,
    "diamonds_rows": 2500,
    "forest_nt": 50,
    "forest_k": 100,
    "forest_trees": 100,
    "forest_budget": 1_000_000,
    "sdv_epochs": 300,
}
QUICK = {
    "splits": 1,
    "generations": 2,
    "steps": 200,
    "diamonds_rows": 400,
    "forest_nt": 8,
    "forest_k": 10,
    "forest_trees": 20,
    "forest_budget": 20_000,
    "sdv_epochs": 10,
}


class Unavailable(Exception):
    """A method whose package is missing: recorded as skipped."""


# ------------------------------------------------------------------------------------- helpers


def kinds_of(frame: pd.DataFrame) -> dict[str, str]:
    """``"numeric"`` for number columns (booleans excluded), ``"categorical"`` for the rest."""
    return {
        c: "numeric"
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        else "categorical"
        for c in frame.columns
    }


def load_table(name: str, n: int | None = None, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """A built-in table as this benchmark's protocol has it: every level column as text (the
    diamonds' ordered categoricals too, so that every method gets the same input; ``dmm``
    declares their order with ``--dmm-ordered``)."""
    frame, target = datasets.load_table(name, n=n, seed=seed)
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(frame[c].cat.categories.dtype)
    return frame, target


def ordered_schema(frame: pd.DataFrame) -> dict[str, str]:
    """Diamonds' ordered levels (:data:`dmm.tabular.datasets.ORDERS`) declared as ``dmm``
    ordinals, for the columns of ``frame`` that have them (``--dmm-ordered``)."""
    return {c: "ordinal " + ",".join(levels) for c, levels in ORDERS.items() if c in frame}


def real_schema(frame: pd.DataFrame) -> dict[str, str]:
    """``frame``'s columns that ``dmm`` infers ``positive``, declared ``real`` (VP on the
    standardised values instead of geometric OU: ``--dmm-real``)."""
    from dmm.tabular import infer_schema

    return {c.name: "real" for c in infer_schema(frame).columns if c.type == "positive"}


def split_rows(
    labels: pd.Series, seed: int, stratify: bool, test_share: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/test row indices, as ForestDiffusion's ``train_test_split(...,
    test_size=0.2, random_state=seed, stratify=y)``: stratified on ``labels`` (the target) when
    ``stratify``, a plain shuffle otherwise."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(labels))
    strata = labels.astype(str).to_numpy() if stratify else None
    train, test = train_test_split(rows, test_size=test_share, random_state=seed, stratify=strata)
    return np.sort(train), np.sort(test)


def hide_cells(frame: pd.DataFrame, share: float, seed: int) -> np.ndarray:
    """A boolean mask over ``frame``'s cells: ``share`` of its observed cells, drawn at random."""
    observed = np.flatnonzero(~frame.isna().to_numpy().ravel())
    chosen = np.random.default_rng(seed).choice(
        observed, size=int(round(share * len(observed))), replace=False
    )
    mask = np.zeros(frame.size, bool)
    mask[chosen] = True
    return mask.reshape(frame.shape)


def conform(synthetic: pd.DataFrame, like: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``synthetic`` with ``like``'s columns in ``like``'s order: text columns as text (missing
    kept), numeric ones as numbers."""
    missing = [c for c in like.columns if c not in synthetic.columns]
    if missing:
        raise ValueError(f"the synthetic table lacks the columns {missing}")
    out = pd.DataFrame(index=pd.RangeIndex(len(synthetic)))
    for c in like.columns:
        values = synthetic[c].reset_index(drop=True)
        if kinds[c] == "categorical":
            text = values.map(lambda v: v if pd.isna(v) else str(v)).astype(object)
            out[c] = text.astype(like[c].dtype) if like[c].dtype != object else text
        else:
            out[c] = pd.to_numeric(values, errors="coerce")
    return out


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass


def first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text[:400]}"


def summary(values: Sequence[float | None]) -> dict[str, Any]:
    present = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not present:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": float(np.mean(present)), "std": float(np.std(present)), "n": len(present)}


def fmt(stat: dict[str, Any] | None, digits: int = 3) -> str:
    if not stat or stat.get("mean") is None:
        return "—"
    mean, std = stat["mean"], stat["std"]
    if abs(mean) >= 100:
        return f"{mean:.0f} ± {std:.0f}"
    if abs(mean) >= 10:
        return f"{mean:.1f} ± {std:.1f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


# ------------------------------------------------------------------------------------- methods


class Method:
    """One generator: ``fit`` on training rows, ``sample`` rows, maybe ``impute`` cells."""

    name = ""
    can_impute = False

    def settings(self) -> dict[str, Any]:
        return {}

    def fit(self, train: pd.DataFrame, kinds: dict[str, str], seed: int) -> None:
        raise NotImplementedError

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        raise NotImplementedError

    def impute(self, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        raise NotImplementedError(f"{self.name} does not impute")


class Oracle(Method):
    """The training rows themselves as the synthetic table (ForestDiffusion's ``oracle``): the
    floor of every distance to the held-out rows, and the C2ST AUC of train against test."""

    name = "oracle"

    def fit(self, train: pd.DataFrame, kinds: dict[str, str], seed: int) -> None:
        self.train = train

    def sample(self, n: int, seed: int) -> pd.DataFrame:
        if n == len(self.train):
            return self.train.copy()
        rows = np.random.default_rng(seed).choice(len(self.train), size=n, replace=True)
        return self.train.iloc[rows].reset_index(drop=True)


class Dmm(Method):
    name = "dmm"
    can_impute = True

    def __init__(self, args: argparse.Namespace) -> None:
        try:
            from dmm.tabular import TabularModel
        except ImportError as exc:
            raise Unavailable(
                f"dmm.tabular.TabularModel is not importable yet ({first_line(exc)})"
            ) from exc
        self.cls = TabularModel
        self.steps = args.steps
        self.draws = args.dmm_draws
        self.batch_size = args.dmm_batch_size
        self.observed_context = args.dmm_observed_context
        self.unconditional = args.dmm_unconditional
        self.ordered = args.dmm_ordered
        self.real = args.dmm_real
        self.model = None

    def settings(self) -> dict[str, Any]:
        if self.model is None:
            return {"steps": self.steps}
        keys = ("steps", "batch_size", "lr", "hidden", "depth", "sample_steps", "device")
        keys += ("observed_context", "unconditional", "schema")
        out = {k: getattr(self.model, k) for k in keys if hasattr(self.model, k)}
        out["steps_source"] = "--steps" if self.steps is not None else "TabularModel default"
        return out

    def fit(self, train, kinds, seed):
        seed_everything(seed)
        kwargs: dict[str, Any] = {"seed": seed}
        if self.steps is not None:
            kwargs["steps"] = self.steps
        if self.batch_size is not None:
            kwargs["batch_size"] = self.batch_size
        if self.observed_context is not None:
            kwargs["observed_context"] = self.observed_context == "true"
        if self.unconditional is not None:
            kwargs["unconditional"] = self.unconditional
        schema = {}
        if self.ordered:
            schema |= ordered_schema(train)
        if self.real:
            schema |= real_schema(train)
        if schema:
            kwargs["schema"] = schema
        self.model = self.cls(**kwargs).fit(train)

    def _call(self, method: str, first: Any, seed: int) -> pd.DataFrame:
        """``model.method(first, seed=seed)`` where it takes a seed (else the global seeds):
        every generation must be a fresh draw."""
        seed_everything(seed)
        function = getattr(self.model, method)
        if "seed" in inspect.signature(function).parameters:
            return function(first, seed=seed)
        return function(first)

    def sample(self, n, seed):
        return self._call("sample", n, seed)

    def impute(self, frame, seed):
        # multiple imputation: the cell-wise mean / most frequent value of --dmm-draws fillings
        seed_everything(seed)
        return self.model.impute(frame, seed=seed, draws=self.draws)


class Forest(Method):
    """ForestDiffusion on level codes (see the module docstring)."""

    can_impute = False

    def __init__(self, args: argparse.Namespace, diffusion_type: str) -> None:
        try:
            from ForestDiffusion import ForestDiffusionModel
        except ImportError as exc:  # not installed, or installed and failing: say which
            missing = isinstance(exc, ModuleNotFoundError) and exc.name == "ForestDiffusion"
            raise Unavailable(
                "ForestDiffusion is not installed (pip install forestdiffusion)"
                if missing
                else f"ForestDiffusion does not import: {first_line(exc)}"
            ) from exc
        self.cls = ForestDiffusionModel
        self.name = f"forest-{diffusion_type}"
        self.can_impute = diffusion_type == "vp"
        self.diffusion_type = diffusion_type
        self.n_t, self.k_max, self.trees = args.forest_nt, args.forest_k, args.forest_trees
        self.budget, self.threads = args.forest_budget, args.threads
        self.k_used: list[int] = []

    def settings(self):
        return {
            "diffusion_type": self.diffusion_type,
            "n_t": self.n_t,
            "duplicate_K": sorted(set(self.k_used)) or None,
            "duplicate_K_max": self.k_max,
            "budget_n_K_width2": self.budget,
            "model": "xgboost",
            "n_estimators": self.trees,
            "max_depth": 7,
            "eta": 0.3,
            "n_jobs": 1,
            "nthread": self.threads,
            "label_y": None,
            "impute": "repaint=False" if self.can_impute else None,
        }

    # -- coding
    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        columns = []
        for c in self.columns:
            if self.kinds[c] == "categorical":
                lookup = {level: i for i, level in enumerate(self.levels[c])}
                codes = [
                    (self.missing_code[c] if self.missing_code[c] is not None else np.nan)
                    if pd.isna(v)
                    else lookup.get(str(v), np.nan)
                    for v in frame[c]
                ]
                columns.append(np.asarray(codes, float))
            else:
                columns.append(pd.to_numeric(frame[c]).to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(columns)

    def _decode(self, x: np.ndarray) -> pd.DataFrame:
        out = {}
        for j, c in enumerate(self.columns):
            if self.kinds[c] == "categorical":
                codes = np.clip(np.rint(x[:, j]), 0, self.n_levels[c] - 1).astype(int)
                levels = self.levels[c]  # a code past the levels: the missing cells' level
                out[c] = [levels[k] if k < len(levels) else None for k in codes]
            else:
                out[c] = x[:, j].astype(float)
        return pd.DataFrame(out)

    def fit(self, train, kinds, seed):
        self.columns, self.kinds = list(train.columns), kinds
        self.levels, self.n_levels, self.missing_code = {}, {}, {}
        cat, binary, integer = [], [], []
        width = 0
        for j, c in enumerate(self.columns):
            if kinds[c] == "categorical":
                self.levels[c] = sorted({str(v) for v in train[c].dropna()})
                self.missing_code[c] = len(self.levels[c]) if train[c].isna().any() else None
                self.n_levels[c] = len(self.levels[c]) + (self.missing_code[c] is not None)
                if self.n_levels[c] >= 3:
                    cat.append(j)
                    width += self.n_levels[c] - 1  # dummies, first level dropped
                else:
                    binary.append(j)  # 2 levels (or 1): rounded and clipped like an integer
                    width += 1
            else:
                values = pd.to_numeric(train[c]).dropna().to_numpy(dtype=float)
                if len(values) and np.all(values == np.round(values)):
                    integer.append(j)
                width += 1
        x = self._encode(train)
        k = self.k_max
        if self.budget > 0:  # the cost of a noise level grows like n_train · K · width²
            k = int(min(self.k_max, max(MIN_K, self.budget // (len(train) * width**2))))
        self.k_used.append(k)
        seed_everything(seed)
        self.model = self.cls(
            x,
            n_t=self.n_t,
            model="xgboost",
            diffusion_type=self.diffusion_type,
            n_estimators=self.trees,
            max_depth=7,
            eta=0.3,
            duplicate_K=k,
            cat_indexes=cat,
            bin_indexes=binary,
            int_indexes=integer,
            n_jobs=1,
            seed=seed,
            nthread=self.threads,
        )
        # with pandas 3 (copy-on-write) the package's un-dummying returns a read-only array that
        # its clip_extremes then writes to: hand it a writable copy
        undummy = self.model.clean_onehot_data
        self.model.clean_onehot_data = lambda x: np.array(undummy(x), dtype=float, copy=True)

    def sample(self, n, seed):
        np.random.seed(seed % 2**32)
        return self._decode(self.model.generate(batch_size=n))

    def _model_space(self, codes: np.ndarray) -> np.ndarray:
        """Rows of level codes (NaN: to impute) in the fitted model's dummy-coded, scaled space."""
        model = self.model
        names = list(getattr(model, "X_names_after", [str(j) for j in range(codes.shape[1])]))
        parts = []
        for name in names:
            if "_" in name:  # a dummy "j_code" of categorical column j
                j, code = name.split("_", 1)
                col = codes[:, int(j)]
                dummy = (col == float(code)).astype(float)
                dummy[np.isnan(col)] = np.nan
                parts.append(dummy)
            else:
                parts.append(codes[:, int(name)])
        return model.scaler.transform(np.column_stack(parts))

    def impute(self, frame, seed):
        np.random.seed(seed % 2**32)
        filled = self.model.impute(k=1, X=self._model_space(self._encode(frame)))
        return self._decode(np.asarray(filled, float))


class Sdv(Method):
    """SDV single-table synthesizers."""

    CLASSES = {
        "gaussian-copula": "GaussianCopulaSynthesizer",
        "ctgan": "CTGANSynthesizer",
        "tvae": "TVAESynthesizer",
    }

    def __init__(self, args: argparse.Namespace, name: str) -> None:
        try:
            import sdv.single_table
            from sdv.metadata import Metadata
        except ImportError as exc:
            raise Unavailable(f"SDV is not installed (pip install sdv): {first_line(exc)}") from exc
        self.name = name
        self.cls = getattr(sdv.single_table, self.CLASSES[name])
        self.metadata_cls = Metadata
        self.epochs = args.sdv_epochs if name in ("ctgan", "tvae") else None

    def settings(self):
        out = {"synthesizer": self.CLASSES[self.name], "metadata": "detected, sdtypes = kinds"}
        if self.epochs is not None:
            out["epochs"] = self.epochs
            out["device"] = "cpu"
        return out

    def fit(self, train, kinds, seed):
        metadata = self.metadata_cls.detect_from_dataframes({"table": train}, infer_keys=None)
        for c, kind in kinds.items():
            sdtype = "categorical" if kind == "categorical" else "numerical"
            metadata.update_column(column_name=c, table_name="table", sdtype=sdtype)
        self.text = [c for c, kind in kinds.items() if kind == "categorical"]
        train = self._fill(train)
        kwargs = {} if self.epochs is None else {"epochs": self.epochs}
        if self.name in ("ctgan", "tvae"):
            kwargs["enable_gpu"] = False
        seed_everything(seed)
        self.model = self.cls(metadata, **kwargs)
        self.model.fit({"table": train})

    def _fill(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Missing text cells as the level ``MISSING``: rdt's uniform encoder (GaussianCopula)
        breaks on missing text cells under pandas 3 (NaN intervals, then OverflowError)."""
        frame = frame.copy()
        for c in self.text:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), MISSING)
        return frame

    def sample(self, n, seed):
        seed_everything(seed)
        out = self.model.sample(num_rows=n)
        out = (out["table"] if isinstance(out, dict) else out).copy()
        for c in self.text:
            out[c] = out[c].astype(object).where(out[c].astype(object) != MISSING, None)
        return out


def make_method(name: str, args: argparse.Namespace) -> Method:
    if name == "oracle":
        return Oracle()
    if name == "dmm":
        return Dmm(args)
    if name in ("forest-flow", "forest-vp"):
        return Forest(args, name.split("-")[1])
    if name in Sdv.CLASSES:
        return Sdv(args, name)
    raise ValueError(f"unknown method {name!r}; the methods are {', '.join(METHODS)}")


# ------------------------------------------------------------------------------------ imputation


def impute_mean_mode(train: pd.DataFrame, masked: pd.DataFrame, kinds) -> pd.DataFrame:
    out = masked.copy()
    for c in train.columns:
        if kinds[c] == "numeric":
            out[c] = out[c].fillna(pd.to_numeric(train[c]).mean())
        else:
            out[c] = out[c].fillna(train[c].mode().iloc[0])
    return out


def impute_knn(train: pd.DataFrame, masked: pd.DataFrame, kinds, k: int = 5) -> pd.DataFrame:
    from sklearn.impute import KNNImputer

    numeric = [c for c in train.columns if kinds[c] == "numeric"]
    text = [c for c in train.columns if kinds[c] == "categorical"]
    low = {c: float(pd.to_numeric(train[c]).min()) for c in numeric}
    span = {c: float(pd.to_numeric(train[c]).max()) - low[c] or 1.0 for c in numeric}
    levels = {c: sorted({str(v) for v in train[c].dropna()}) for c in text}

    def code(frame: pd.DataFrame) -> np.ndarray:
        parts = [(pd.to_numeric(frame[c]).to_numpy(float) - low[c]) / span[c] for c in numeric]
        for c in text:
            cells = frame[c]
            for level in levels[c]:
                dummy = (cells.astype(object) == level).to_numpy(float)
                dummy[cells.isna().to_numpy()] = np.nan
                parts.append(dummy)
        return np.column_stack(parts)

    x_train = code(train)
    keep = ~np.isnan(x_train).all(1)
    imputer = KNNImputer(n_neighbors=k, keep_empty_features=True).fit(x_train[keep])
    filled = imputer.transform(code(masked))
    out = masked.copy()
    for j, c in enumerate(numeric):
        out[c] = filled[:, j] * span[c] + low[c]
    start = len(numeric)
    for c in text:
        block = filled[:, start : start + len(levels[c])]
        start += len(levels[c])
        guess = pd.Series([levels[c][i] for i in block.argmax(1)], index=out.index)
        out[c] = out[c].where(out[c].notna(), guess)
    return out


def column_accuracy(
    imputer: str, method: Method | None, train: pd.DataFrame, test: pd.DataFrame, kinds, seed: int
) -> float | None:
    """``--impute-columns``: each categorical column in turn has every observed test cell hidden
    and filled given the row's other cells; the accuracy pooled over those columns (every test row
    counts, where the random 20% mask leaves a few cells per column)."""
    right = total = 0
    for j, c in enumerate(test.columns):
        if kinds[c] != "categorical":
            continue
        mask = np.zeros(test.shape, bool)
        mask[:, j] = test[c].notna().to_numpy()
        masked = test.mask(mask)
        if imputer == "mean-mode":
            filled = impute_mean_mode(train, masked, kinds)
        elif imputer == "knn":
            filled = impute_knn(train, masked, kinds)
        else:
            filled = conform(method.impute(masked, seed=seed), test, kinds)
        score = imputation_scores(test, filled, mask, train, kinds)
        right += round(score["accuracy"] * score["hidden_categorical_cells"])
        total += score["hidden_categorical_cells"]
    return right / total if total else None


def imputation_scores(
    truth: pd.DataFrame, filled: pd.DataFrame, mask: np.ndarray, train: pd.DataFrame, kinds
) -> dict[str, Any]:
    rmse, right, total, unfilled = {}, 0, 0, 0
    for j, c in enumerate(truth.columns):
        rows = mask[:, j]
        if not rows.any():
            continue
        if kinds[c] == "numeric":
            values = pd.to_numeric(train[c])
            span = float(values.max() - values.min()) or 1.0
            got = pd.to_numeric(filled[c].iloc[rows], errors="coerce").to_numpy(float)
            want = pd.to_numeric(truth[c].iloc[rows]).to_numpy(float)
            err = (got - want) / span
            unfilled += int((~np.isfinite(err)).sum())
            rmse[c] = float(np.sqrt(np.mean(err**2)))
        else:
            got = filled[c].iloc[rows].map(lambda v: None if pd.isna(v) else str(v))
            want = truth[c].iloc[rows].map(str)
            right += int((got.to_numpy(object) == want.to_numpy(object)).sum())
            unfilled += int(got.isna().sum())
            total += int(rows.sum())
    if unfilled:  # an imputer that leaves hidden cells empty gets no score
        raise ValueError(f"{unfilled} hidden cells left empty")
    return {
        "rmse_scaled": float(np.mean(list(rmse.values()))) if rmse else None,
        "rmse_by_column": rmse,
        "accuracy": right / total if total else None,
        "hidden_numeric_columns": len(rmse),
        "hidden_categorical_cells": total,
    }


# ------------------------------------------------------------------------------------- the run


def generation_row(result: dict[str, Any]) -> dict[str, Any]:
    """The scalar numbers of one :func:`evaluate` result that the tables report."""
    row = {k: result.get(k) for k in METRICS if k in result}
    dcr = result.get("dcr_ratio", (result.get("dcr") or {}).get("dcr_ratio"))
    row["dcr_ratio"] = dcr
    row["pair_error"] = result.get("pair_error")
    ml = result.get("ml_efficiency") or {}
    if ml:
        key = "accuracy" if ml.get("task") == "classification" else "r2"
        row["ml_metric"] = key
        row["ml_synthetic"] = (ml.get("synthetic") or {}).get(key)
        row["ml_real"] = (ml.get("real") or {}).get(key)
    if "sdmetrics" in result:
        row["sdmetrics"] = result["sdmetrics"]
    return row


def run_table(
    name: str, args: argparse.Namespace, methods: list[str], imputers: list[str], log: Callable
) -> dict[str, Any]:
    rows = args.diamonds_rows if name == "diamonds" else None
    frame, target = load_table(name, n=rows, seed=0)
    kinds = kinds_of(frame)
    note = (
        f"{len(frame)} rows seeded-subsampled from 53,940 (--diamonds-rows)"
        if name == "diamonds"
        else f"all {len(frame)} rows"
    )
    log(f"\n## {name}: {note}, {frame.shape[1]} columns, target {target!r}")
    out: dict[str, Any] = {
        "rows": len(frame),
        "columns": frame.shape[1],
        "target": target,
        "kinds": kinds,
        "note": note,
        "methods": {},
        "imputation": {},
    }
    from dmm.tabular.metrics import evaluate

    fitted_for_imputation = {}
    records = {m: {"status": "ok", "errors": [], "generations": [], "fit_s": []} for m in methods}
    impute_records = {i: {"status": "ok", "errors": [], "splits": []} for i in imputers}
    needed = list(dict.fromkeys(methods + [i for i in imputers if i in METHODS]))
    instances: dict[str, Method | None] = {}
    for m in needed:
        try:
            instances[m] = make_method(m, args)
        except Unavailable as exc:
            instances[m] = None
            log(f"  {m}: skipped — {exc}")
            for rec in (records.get(m), impute_records.get(m)):
                if rec is not None:
                    rec.update(status="skipped", errors=[str(exc)])

    for s in range(args.first_split, args.first_split + args.splits):
        train_idx, test_idx = split_rows(frame[target], s, stratify=kinds[target] != "numeric")
        train = frame.iloc[train_idx].reset_index(drop=True)
        test = frame.iloc[test_idx].reset_index(drop=True)
        mask = hide_cells(test, args.hide, seed=s)
        masked = test.mask(mask)
        fitted_for_imputation.clear()
        for m in needed:
            method = instances[m]
            if method is None:
                continue
            try:
                t0 = time.perf_counter()
                method.fit(train, kinds, seed=s)
                fit_s = time.perf_counter() - t0
            except Exception as exc:  # recorded, the run goes on
                log(f"  {m} split {s}: fit failed — {first_line(exc)}")
                for rec in (records.get(m), impute_records.get(m)):
                    if rec is not None:
                        rec["status"] = "failed"
                        rec["errors"].append(f"split {s} fit: {first_line(exc)}")
                if args.traceback:
                    traceback.print_exc()
                continue
            fitted_for_imputation[m] = fit_s
            if m in records:
                records[m]["fit_s"].append(fit_s)
                for g in range(args.generations):
                    try:
                        t0 = time.perf_counter()
                        synthetic = method.sample(len(train), seed=1000 * s + g)
                        sample_s = time.perf_counter() - t0
                        synthetic = conform(synthetic, train, kinds)
                        t0 = time.perf_counter()
                        result = evaluate(train, test, synthetic, kinds, target, 1000 * s + g)
                        row = generation_row(result)
                        row.update(
                            split=s,
                            generation=g,
                            fit_s=fit_s,
                            sample_s=sample_s,
                            evaluate_s=time.perf_counter() - t0,
                        )
                        records[m]["generations"].append(row)
                    except Exception as exc:
                        log(f"  {m} split {s} generation {g}: failed — {first_line(exc)}")
                        records[m]["status"] = "failed"
                        records[m]["errors"].append(f"split {s} gen {g}: {first_line(exc)}")
                        if args.traceback:
                            traceback.print_exc()
                last = records[m]["generations"][-1:] or [{}]
                log(
                    f"  {m} split {s}: fit {fit_s:.1f} s, "
                    f"C2ST {last[0].get('c2st_auc', float('nan')):.3f} (last generation)"
                )
        for i in imputers:
            rec = impute_records[i]
            if rec["status"] == "skipped":
                continue
            try:
                t0 = time.perf_counter()
                if i == "mean-mode":
                    filled = impute_mean_mode(train, masked, kinds)
                elif i == "knn":
                    filled = impute_knn(train, masked, kinds)
                elif i in fitted_for_imputation:
                    filled = conform(instances[i].impute(masked, seed=s), test, kinds)
                else:
                    continue  # its fit failed: already recorded
                scores = imputation_scores(test, filled, mask, train, kinds)
                scores.update(split=s, impute_s=time.perf_counter() - t0)
                if args.impute_columns:
                    scores["column_accuracy"] = column_accuracy(
                        i, instances.get(i), train, test, kinds, s
                    )
                rec["splits"].append(scores)
            except Exception as exc:
                log(f"  imputer {i} split {s}: failed — {first_line(exc)}")
                rec["status"] = "failed"
                rec["errors"].append(f"split {s}: {first_line(exc)}")
                if args.traceback:
                    traceback.print_exc()

    for m in methods:
        rec = records[m]
        gens = rec["generations"]
        rec["summary"] = {k: summary([g.get(k) for g in gens]) for k in METRICS}
        rec["ml_metric"] = next((g["ml_metric"] for g in gens if g.get("ml_metric")), None)
        rec["settings"] = instances[m].settings() if instances.get(m) is not None else {}
        rec["errors"] = list(dict.fromkeys(rec["errors"]))
        out["methods"][m] = rec
    for i in imputers:
        rec = impute_records[i]
        rec["summary"] = {
            k: summary([r.get(k) for r in rec["splits"]])
            for k in ("rmse_scaled", "accuracy", "impute_s", "column_accuracy")
        }
        out["imputation"][i] = rec
    return out


def markdown_table(name: str, table: dict[str, Any], args: argparse.Namespace) -> str:
    ml = next((r["ml_metric"] for r in table["methods"].values() if r.get("ml_metric")), None)
    head = [*METRICS.values()]
    if ml:
        head[head.index("ML synth.")] = f"ML synth. ({ml})"
        head[head.index("ML real")] = f"ML real ({ml})"
    lines = [
        f"### {name} ({table['note']}; {table['columns']} columns; target `{table['target']}`; "
        f"{args.splits} splits × {args.generations} generations)",
    ]
    if table["methods"]:
        lines += ["", "| method | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    notes = []
    for m, rec in table["methods"].items():
        if rec["status"] == "skipped" or not rec["generations"]:
            lines.append(f"| {m} | " + " | ".join("—" for _ in head) + " |")
            notes.append(f"- {m}: {rec['status']}: {'; '.join(rec['errors'][:3])}")
            continue
        cells = [fmt(rec["summary"][k], 2 if k.endswith("_s") else 3) for k in METRICS]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
        if rec["errors"]:
            notes.append(f"- {m}: partly failed: {'; '.join(rec['errors'][:3])}")
    if table["imputation"]:
        lines += [
            "",
            f"Imputation ({args.hide:.0%} of the observed test cells hidden, same mask for all; "
            "RMSE in training-range units, mean over numeric columns):",
            "",
            "| imputer | RMSE (scaled) | accuracy (text cells) | seconds |",
            "|---|---|---|---|",
        ]
        for i, rec in table["imputation"].items():
            if not rec["splits"]:
                lines.append(f"| {i} | — | — | — |")
                notes.append(f"- imputer {i}: {rec['status']}: {'; '.join(rec['errors'][:3])}")
                continue
            sm = rec["summary"]
            lines.append(
                f"| {i} | {fmt(sm['rmse_scaled'])} | {fmt(sm['accuracy'])} | "
                f"{fmt(sm['impute_s'], 2)} |"
            )
        if args.impute_columns:
            lines += [
                "",
                "One categorical column at a time (every test cell of it hidden, the rest given; "
                "accuracy pooled over the categorical columns):",
                "",
                "| imputer | accuracy |",
                "|---|---|",
            ]
            for i, rec in table["imputation"].items():
                if rec["splits"]:
                    lines.append(f"| {i} | {fmt(rec['summary'].get('column_accuracy'))} |")
    settings = [
        f"- {m}: " + ", ".join(f"{k}={v}" for k, v in rec["settings"].items())
        for m, rec in table["methods"].items()
        if rec.get("settings")
    ]
    if settings:
        lines += ["", "Settings:", *settings]
    if notes:
        lines += ["", "Not run or failed:", *notes]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", default=None, help=f"comma-separated (default {','.join(TABLES)})")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated, or 'none'")
    ap.add_argument(
        "--dmm-draws",
        type=int,
        default=10,
        help="dmm imputes each cell by the mean (numbers) or most frequent value (categories) of "
        "this many fillings (1: one draw)",
    )
    ap.add_argument(
        "--dmm-batch-size",
        type=int,
        default=None,
        help="dmm's training batch (default: TabularModel's)",
    )
    ap.add_argument(
        "--dmm-observed-context",
        choices=("true", "false"),
        default=None,
        help="dmm trains with random observed subsets of each row as context (default: "
        "TabularModel's)",
    )
    ap.add_argument(
        "--dmm-unconditional",
        type=float,
        default=None,
        help="dmm's share of training rows shown no cell (default: TabularModel's)",
    )
    ap.add_argument(
        "--dmm-ordered",
        action="store_true",
        help="dmm models diamonds' cut, color and clarity as ordinals on their ordered levels "
        "(default: categories, as inferred from their text)",
    )
    ap.add_argument(
        "--dmm-real",
        action="store_true",
        help="dmm models the columns it infers positive as real (VP instead of geometric OU)",
    )
    ap.add_argument(
        "--imputers",
        default="auto",
        help="comma-separated, or 'none'; auto: mean-mode, knn and those of forest-vp, dmm that "
        "are among --methods",
    )
    ap.add_argument(
        "--splits",
        type=positive_whole("--splits"),
        default=None,
        help="train/test splits (default 3)",
    )
    ap.add_argument(
        "--first-split",
        type=int,
        default=0,
        help="run splits F, F + 1, ... (more splits of an earlier run, seeded as they would be)",
    )
    ap.add_argument(
        "--generations",
        type=positive_whole("--generations"),
        default=None,
        help="draws per fit (default 5)",
    )
    ap.add_argument(
        "--steps", type=positive_whole("--steps"), default=None, help="dmm training steps"
    )
    ap.add_argument("--diamonds-rows", type=int, default=None, help="default 2500 of 53,940")
    ap.add_argument("--hide", type=float, default=0.2, help="share of test cells to impute")
    ap.add_argument(
        "--impute-columns",
        action="store_true",
        help="also impute each categorical column alone, all its test cells hidden (accuracy)",
    )
    ap.add_argument("--forest-nt", type=int, default=None, help="noise levels (default 50)")
    ap.add_argument("--forest-k", type=int, default=None, help="largest duplicate_K (100)")
    ap.add_argument("--forest-trees", type=int, default=None, help="XGBoost trees (100)")
    ap.add_argument(
        "--forest-budget",
        type=int,
        default=None,
        help="cap on n_train·K·width² (1000000); 0: always --forest-k",
    )
    ap.add_argument("--sdv-epochs", type=int, default=None, help="CTGAN/TVAE epochs (300)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="a tiny smoke run")
    ap.add_argument("--json", type=writable_file("--json"), default=None)
    ap.add_argument("--markdown", type=writable_file("--markdown"), default=None)
    ap.add_argument("--traceback", action="store_true", help="print failures' tracebacks")
    args = ap.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.tables is None:
        args.tables = "iris" if args.quick else ",".join(TABLES)
    return args


def names(text: str, allowed: Sequence[str], what: str) -> list[str]:
    if text.strip().lower() == "none":
        return []
    out = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in out if t not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from dmm.tabular.datasets import table_names

    tables = names(args.tables, table_names(), "tables")
    methods = names(args.methods, METHODS, "methods")
    if args.imputers == "auto":
        imputers = ["mean-mode", "knn", *[m for m in ("forest-vp", "dmm") if m in methods]]
    else:
        imputers = names(args.imputers, IMPUTERS, "imputers")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass
    from threadpoolctl import threadpool_limits

    def log(text: str) -> None:
        print(text, flush=True)

    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report: dict[str, Any] = {"settings": settings, "tables": {}}
    markdown = [
        "# dmm against tabular generators",
        "",
        f"Per table: {args.splits} seeded 80/20 splits × {args.generations} generations of "
        f"len(train) rows; mean ± std. C2ST AUC: 0.5 best; W1: lower better; coverage, shape, "
        f"pair: 1 best; ML: a HistGradientBoosting model fitted on synthetic (synth.) or real "
        f"training rows (real), scored on the test rows; DCR ratio ≈ 1 (≪ 1: copies).",
        "",
    ]
    started = time.perf_counter()
    with threadpool_limits(limits=args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in tables:
            try:
                table = run_table(name, args, methods, imputers, log)
            except Exception as exc:  # the table itself could not be loaded
                log(f"\n## {name}: not run — {first_line(exc)}")
                report["tables"][name] = {"error": first_line(exc)}
                markdown += [f"### {name}", "", f"Not run: {first_line(exc)}", ""]
                continue
            report["tables"][name] = table
            text = markdown_table(name, table, args)
            log("\n" + text)
            markdown.append(text)
    report["wall_s"] = time.perf_counter() - started
    log(f"total {report['wall_s']:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str) + "\n")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(markdown))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
