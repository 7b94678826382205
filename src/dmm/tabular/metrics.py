"""A synthetic table judged against real rows: marginals, pairs, a classifier, utility, distance.

:func:`evaluate` compares a synthetic table ``S`` with the real training rows ``R_train`` (the rows
the generator saw) and held-out real rows ``R_test``; every column is ``"numeric"`` or
``"categorical"``. Missing cells are allowed anywhere: a categorical missing cell is the level
``"<missing>"``; numeric metrics use the non-missing values and the missing fractions are compared
separately. Categorical cells are compared as ``str(cell)``.

Fidelity, ``S`` against ``R_test`` (the SDMetrics "column shapes" / "column pair trends" idea):

* per column: numeric ``KS = sup_t |F_S(t) - F_test(t)|`` (two-sample Kolmogorov–Smirnov
  statistic), categorical ``TV = ½ Σ_v |p_S(v) - p_test(v)|`` over the levels;
  ``missing_diff = |P_S(missing) - P_test(missing)|``;
  ``column_shape = mean_c (1 - KS_c or 1 - TV_c)``;
* pairs: an association ``A_ij`` for every pair of columns — Pearson's ``r ∈ [-1, 1]`` (numeric ×
  numeric, rows where both are present), the bias-uncorrected Cramér's
  ``V = sqrt(χ² / (n (min(r, c) - 1))) ∈ [0, 1]`` (categorical × categorical, ``r × c`` table of
  the levels present), the correlation ratio ``η = sqrt(Σ_g n_g (x̄_g - x̄)² / Σ_i (x_i - x̄)²)
  ∈ [0, 1]`` (numeric × categorical, rows where the number is present); a constant column's
  association counts as 0, and one read from fewer than :data:`MIN_PAIR_ROWS` rows (a mostly
  empty column: Pearson's ``r`` from five rows moves by about ±0.4 by chance) is undefined,
  ``NaN`` in the matrices (``null`` in JSON, grey in the heat map); the two scores that follow
  average over the pairs defined in the held-out table, a pair the synthetic table leaves
  undefined counting as the largest error ``w_ij``;
  ``pair_error = mean_{i<j} |A^S_ij - A^test_ij|`` and
  ``column_pair = mean_{i<j} (1 - |A^S_ij - A^test_ij| / w_ij)`` with ``w_ij = 2`` for a Pearson
  pair (range ``[-1, 1]``) and ``w_ij = 1`` otherwise, so every pair scores in ``[0, 1]``;
* ``c2st_auc``: the 5-fold cross-validated ROC AUC of a ``HistGradientBoostingClassifier``
  (``max_iter = 100``) telling ``S`` from ``R_test`` rows on the features below (equal numbers of
  rows, the larger side subsampled; one AUC over the pooled out-of-fold scores, by
  :func:`dmm.metrics.classifier.c2st_auc`); ``0.5`` = indistinguishable, ``1`` = always told apart;
  ``c2st_null_sd``: its standard deviation for two samples of one law of these sizes, the scale
  to read it on, measured by rerunning the test on ``null_permutations`` random deals of the
  pooled rows into two sides (:func:`~dmm.metrics.classifier.c2st_null`; ``0``: Mann–Whitney's
  lower bound, which cross-validation exceeds by 1.25–1.55 times), with ``c2st_null`` saying which.

Utility: ``ml_efficiency`` fits ``HistGradientBoosting`` (``max_iter = 100``; a classifier for a
categorical target: accuracy and macro F1; a regressor for a numeric one: ``R²`` and RMSE, rows
with a missing target left out) on ``S`` and, for reference, on ``R_train``, and scores both on
``R_test``.

Distances in the scaled space of ForestDiffusion (Jolicoeur-Martineau et al. 2023): a numeric
column is min-max scaled with the *training* range, ``(x - min_train) / (max_train - min_train)``;
a categorical column is one-hot encoded over all levels seen in any of the three tables, each
entry divided by 2 (:data:`CATEGORY_SCALE`, as ForestDiffusion's ``minmax_scale_dummy(...,
divide_by=2)``), so a mismatch costs 1 in L1 — the Gower distance — and ``1/√2`` in Euclidean
distance. A numeric column
with a missing cell in any table gets the scaled training median in place of the missing value
plus a 0/1 missing-indicator column (a table without missing cells gets no indicators). The
classifiers use the same features (trees do not care about the scaling), except
that a categorical column of more than ``MAX_LEVELS = 30`` levels enters them (as a feature or as
the target) as its 29 most frequent training levels plus ``"<other>"``: the boosted trees cost
time linear in the one-hot width and, for a target, in the number of classes.

* ``w1_train`` / ``w1_test``: ``W1(S, R) = min_π Σ_ij π_ij |s_i - r_j|_1`` over couplings of the
  uniform laws on the rows, solved exactly (``ot.emd2`` of POT if importable, each side capped at
  ``max_rows`` rows by subsampling; without POT, ``scipy.optimize.linear_sum_assignment`` on
  equal-size subsamples of ``min(|S|, |R|, max_rows)`` rows — an optimal coupling of two uniform
  laws on ``n`` points each is a permutation, so this is exact for the subsamples);
* ``coverage_train`` / ``coverage_test`` (Naeem et al. 2020, "prdc"): the share of real rows
  ``r`` whose closed ball ``B(r, ρ_k(r))``, ``ρ_k(r)`` the Euclidean distance to the ``k``-th
  nearest *other* real row (``k = 5``), holds a synthetic row — Euclidean as in ForestDiffusion's
  use of prdc (prdc uses an open ball; the two differ only on ties, which matter for duplicated
  categorical rows); both sides capped at ``max_rows``;
* ``dcr``: distance to closest record, a privacy sanity check: for each synthetic row the L1
  distance to its nearest training row, next to the same for held-out real rows;
  ``dcr_ratio = median DCR(S) / median DCR(R_test)`` (``≪ 1``: rows copied from the training set;
  ``None`` when the held-out median is 0, as for duplicated categorical rows).
  Query rows are capped at ``max_rows``, training rows at ``10 max_rows``.

If the optional ``sdmetrics`` package imports, its ``QualityReport`` scores (``S`` against
``R_test``) are added under ``"sdmetrics"``; otherwise the key is absent. Everything random draws
from ``seed`` (``numpy.random.default_rng`` and ``random_state``), so a call is deterministic.
Needs numpy, pandas, scipy and scikit-learn (the ``metrics`` extra).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dmm.metrics.classifier import NULL_PERMUTATIONS, c2st_null

__all__ = [
    "FLOOR_KEYS",
    "MISSING",
    "coverage",
    "evaluate",
    "floor",
    "report_markdown",
    "wasserstein1",
]

#: the level a missing categorical cell is counted as
MISSING = "<missing>"
#: the level the rarest levels of a wide categorical column are pooled into for the classifiers
OTHER = "<other>"
#: the classifiers (C2ST, ML efficiency) see a categorical column of more levels than this as its
#: ``MAX_LEVELS - 1`` most frequent training levels plus OTHER (features and target alike)
MAX_LEVELS = 30
#: one-hot entries of a categorical column in the scaled space (ForestDiffusion: divide_by=2)
CATEGORY_SCALE = 0.5
NUMERIC, CATEGORICAL = "numeric", "categorical"
_BLOCK_ELEMENTS = 1 << 22  # entries per block of a pairwise distance matrix (32 MiB in float64)


# ---------------------------------------------------------------------------------------- columns


def _numeric(values: pd.Series, column: Any) -> np.ndarray:
    try:
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"numeric column {column!r} holds a cell that is not a number") from exc


def _categorical(values: pd.Series) -> np.ndarray:
    out = np.array([str(v) for v in values.to_numpy(dtype=object)], dtype=object)
    out[values.isna().to_numpy()] = MISSING
    return out


def _prepare(frame: pd.DataFrame, kinds: Mapping[str, str]) -> dict[Any, np.ndarray]:
    """Column → float array (NaN = missing) or str object array (``MISSING`` = missing)."""
    return {
        c: _numeric(frame[c], c) if kinds[c] == NUMERIC else _categorical(frame[c])
        for c in frame.columns
    }


def _check(frames: Mapping[str, pd.DataFrame], kinds: Mapping[str, str]) -> list:
    columns = list(frames["train"].columns)
    if not columns:
        raise ValueError("the tables have no columns")
    for name, frame in frames.items():
        if list(frame.columns) != columns:
            raise ValueError(f"the {name} table's columns differ from the training table's")
        if len(frame) == 0:
            raise ValueError(f"the {name} table has no rows")
    for c in columns:
        if c not in kinds:
            raise ValueError(f"kinds has no entry for column {c!r}")
        if kinds[c] not in (NUMERIC, CATEGORICAL):
            raise ValueError(f"kinds[{c!r}] = {kinds[c]!r}; expected 'numeric' or 'categorical'")
    return columns


# -------------------------------------------------------------------------------- the scaled space


class _Space:
    """The ForestDiffusion space (module docstring), its parameters taken from the training rows."""

    def __init__(self, columns: Sequence, kinds: Mapping, tables: Mapping[str, Mapping]) -> None:
        train = tables["train"]
        self.columns, self.kinds, self.params, self.pooled = list(columns), kinds, {}, {}
        for c in self.columns:
            if kinds[c] == NUMERIC:
                x = train[c][~np.isnan(train[c])]
                lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
                span = hi - lo if hi > lo else 1.0
                fill = (float(np.median(x)) - lo) / span if len(x) else 0.0
                flag = any(np.isnan(t[c]).any() for t in tables.values())
                self.params[c] = (lo, span, fill, flag)
            else:
                levels = sorted(set().union(*(set(t[c]) for t in tables.values())))
                self.params[c] = {v: i for i, v in enumerate(levels)}
                if len(levels) > MAX_LEVELS:
                    self.pooled[c] = {v: i for i, v in enumerate(_top_levels(train[c]))}

    def embed(
        self, table: Mapping, columns: Sequence | None = None, pooled: bool = False
    ) -> np.ndarray:
        """The rows of ``table`` in the space; with ``pooled``, a categorical column of more than
        ``MAX_LEVELS`` levels is one-hot over its top training levels plus one "other" column."""
        blocks = []
        for c in self.columns if columns is None else columns:
            if self.kinds[c] == NUMERIC:
                lo, span, fill, flag = self.params[c]
                missing = np.isnan(table[c])
                blocks.append(np.where(missing, fill, (table[c] - lo) / span)[:, None])
                if flag:
                    blocks.append(missing.astype(float)[:, None])
            elif pooled and c in self.pooled:
                index = self.pooled[c]
                codes = np.fromiter((index.get(v, MAX_LEVELS - 1) for v in table[c]), np.int64)
                blocks.append(np.eye(MAX_LEVELS)[codes])
            else:
                index = self.params[c]
                codes = np.fromiter((index[v] for v in table[c]), dtype=np.int64)
                blocks.append(CATEGORY_SCALE * np.eye(len(index))[codes])
        n = len(next(iter(table.values())))
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0))

    def points(self, table: Mapping) -> _Points:
        """The rows of ``table`` in the space (unpooled), one-hot blocks held as level codes."""
        numeric = [c for c in self.columns if self.kinds[c] == NUMERIC]
        codes = [
            np.fromiter((self.params[c][v] for v in table[c]), dtype=np.int64)
            for c in self.columns
            if self.kinds[c] == CATEGORICAL
        ]
        n = len(next(iter(table.values())))
        return _Points(
            self.embed(table, numeric) if numeric else np.zeros((n, 0)),
            np.stack(codes, axis=1) if codes else np.zeros((n, 0), dtype=np.int64),
        )


@dataclass(frozen=True)
class _Points:
    """Rows of the scaled space, compact: the numeric coordinates (scaled values and missing
    indicators) and one level code per categorical column, whose one-hot block (entries
    :data:`CATEGORY_SCALE`) is implicit — two rows with different levels differ by ½ in two
    one-hot coordinates, so a mismatch adds 1 to the L1 distance and ½ to the squared Euclidean
    one. Pairwise distances then cost
    ``O(numeric columns + categorical columns)`` per pair whatever the number of levels."""

    numeric: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.numeric)

    def __getitem__(self, rows: Any) -> _Points:
        return _Points(self.numeric[rows], self.codes[rows])


def _rows(x: np.ndarray | _Points) -> np.ndarray | _Points:
    if isinstance(x, _Points):
        return x
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"expected a (rows, features) array, got shape {x.shape}")
    return x


def _pairwise(a: np.ndarray | _Points, b: np.ndarray | _Points, metric: str) -> np.ndarray:
    """``(len(a), len(b))`` L1 (``metric = "cityblock"``) or Euclidean distances, from the
    differences themselves (equal rows are at distance exactly 0)."""
    from scipy.spatial.distance import cdist

    if not isinstance(a, _Points):
        return cdist(a, b, metric=metric)
    squared = metric == "euclidean"
    if a.numeric.shape[1]:
        d = cdist(a.numeric, b.numeric, metric="sqeuclidean" if squared else "cityblock")
    else:
        d = np.zeros((len(a), len(b)))
    cost = CATEGORY_SCALE**2 * 2.0 if squared else CATEGORY_SCALE * 2.0  # two one-hot entries
    for j in range(a.codes.shape[1]):
        d += cost * (a.codes[:, j, None] != b.codes[None, :, j])
    return np.sqrt(d) if squared else d


def _top_levels(values: np.ndarray) -> list[str]:
    """The ``MAX_LEVELS - 1`` most frequent levels, ties broken by the level's name."""
    counts = pd.Series(values).value_counts(sort=False)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [level for level, _ in ranked[: MAX_LEVELS - 1]]


def _subsample(x: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    return x if len(x) <= m else x[np.sort(rng.choice(len(x), m, replace=False))]


def _kth_nearest(
    a: np.ndarray | _Points,
    b: np.ndarray | _Points,
    metric: str,
    k: int = 1,
    exclude_self: bool = False,
) -> np.ndarray:
    """Distance from each row of ``a`` to its ``k``-th nearest row of ``b`` (with
    ``exclude_self``, ``a`` is ``b`` and a row is not its own neighbour; duplicates still count)."""
    out = np.empty(len(a))
    chunk = max(1, _BLOCK_ELEMENTS // max(len(b), 1))
    for start in range(0, len(a), chunk):
        d = _pairwise(a[start : start + chunk], b, metric)
        if exclude_self:
            d[np.arange(len(d)), np.arange(start, start + len(d))] = np.inf
        out[start : start + len(d)] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return out


def wasserstein1(a: np.ndarray | _Points, b: np.ndarray | _Points) -> float:
    """Exact ``W1 = min_π Σ_ij π_ij |a_i - b_j|_1`` between the uniform laws on the rows of ``a``
    ``(n, d)`` and ``b`` ``(m, d)``: POT's ``ot.emd2`` if it imports, else (``n = m`` only)
    ``scipy.optimize.linear_sum_assignment`` (an optimal coupling is then a permutation)."""
    a, b = _rows(a), _rows(b)
    cost = _pairwise(a, b, "cityblock")
    try:
        import ot
    except ImportError:
        ot = None
    if ot is not None:
        weights_a, weights_b = np.full(len(a), 1.0 / len(a)), np.full(len(b), 1.0 / len(b))
        return float(ot.emd2(weights_a, weights_b, cost, numItermax=100_000_000))
    if len(a) != len(b):
        raise ValueError(f"without POT, wasserstein1 needs equal sizes, got {len(a)} and {len(b)}")
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def coverage(real: np.ndarray | _Points, synthetic: np.ndarray | _Points, k: int = 5) -> float:
    """Share of rows ``r`` of ``real`` whose closed Euclidean ball of radius ``ρ_k(r)`` (distance
    to the ``k``-th nearest other real row) holds a row of ``synthetic`` (Naeem et al. 2020)."""
    real, synthetic = _rows(real), _rows(synthetic)
    if len(real) <= k:
        raise ValueError(f"coverage with k = {k} needs more than {k} real rows, got {len(real)}")
    radii = _kth_nearest(real, real, "euclidean", k, exclude_self=True)
    closest = _kth_nearest(real, synthetic, "euclidean")
    return float(np.mean(closest <= radii))


# ------------------------------------------------------------------------------------ the columns


def _column(kind: str, synth: np.ndarray, test: np.ndarray) -> dict[str, Any]:
    if kind == NUMERIC:
        m_s, m_t = float(np.isnan(synth).mean()), float(np.isnan(test).mean())
        s, t = synth[~np.isnan(synth)], test[~np.isnan(test)]
        if len(s) and len(t):
            from scipy.stats import ks_2samp

            ks = float(ks_2samp(s, t).statistic)
        else:
            ks = 0.0 if len(s) == len(t) else 1.0
        tv = None
    else:
        m_s, m_t = float(np.mean(synth == MISSING)), float(np.mean(test == MISSING))
        levels = sorted(set(synth) | set(test))
        p_s = pd.Series(synth).value_counts(normalize=True).reindex(levels, fill_value=0.0)
        p_t = pd.Series(test).value_counts(normalize=True).reindex(levels, fill_value=0.0)
        ks, tv = None, float(0.5 * np.abs(p_s.to_numpy() - p_t.to_numpy()).sum())
    return {
        "kind": kind,
        "ks": ks,
        "tv": tv,
        "missing_diff": abs(m_s - m_t),
        "missing_test": m_t,
        "missing_synthetic": m_s,
    }


#: the fewest rows an association is read from (module doc)
MIN_PAIR_ROWS = 10


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    keep = ~(np.isnan(x) | np.isnan(y))
    if keep.sum() < MIN_PAIR_ROWS:
        return math.nan
    x, y = x[keep] - x[keep].mean(), y[keep] - y[keep].mean()
    denominator = math.sqrt(float((x * x).sum() * (y * y).sum()))
    return float(np.clip((x * y).sum() / denominator, -1, 1)) if denominator > 0 else 0.0


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    r, c = int(ia.max()) + 1, int(ib.max()) + 1
    if min(r, c) < 2:
        return 0.0
    if len(a) < MIN_PAIR_ROWS:
        return math.nan
    table = np.bincount(ia * c + ib, minlength=r * c).reshape(r, c).astype(float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.clip(math.sqrt(chi2 / (table.sum() * (min(r, c) - 1))), 0, 1))


def _correlation_ratio(x: np.ndarray, g: np.ndarray) -> float:
    keep = ~np.isnan(x)
    x, g = x[keep], g[keep]
    if len(x) < MIN_PAIR_ROWS:
        return math.nan
    _, ig = np.unique(g, return_inverse=True)
    counts, sums = np.bincount(ig), np.bincount(ig, weights=x)
    total = float(((x - x.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    between = float((counts * (sums / counts - x.mean()) ** 2).sum())
    return math.sqrt(min(between / total, 1.0))


def _associations(table: Mapping, columns: Sequence, kinds: Mapping) -> np.ndarray:
    """The matrix ``A_ij`` of the module docstring (``A_ii = 1``)."""
    p = len(columns)
    a = np.eye(p)
    for i in range(p):
        for j in range(i + 1, p):
            (ci, ki), (cj, kj) = (columns[i], kinds[columns[i]]), (columns[j], kinds[columns[j]])
            if ki == kj == NUMERIC:
                a[i, j] = _pearson(table[ci], table[cj])
            elif ki == kj == CATEGORICAL:
                a[i, j] = _cramers_v(table[ci], table[cj])
            elif ki == NUMERIC:
                a[i, j] = _correlation_ratio(table[ci], table[cj])
            else:
                a[i, j] = _correlation_ratio(table[cj], table[ci])
            a[j, i] = a[i, j]
    return a


# -------------------------------------------------------------------------------------- utility


def _fit_and_score(
    task: str,
    x_fit: np.ndarray,
    y_fit: np.ndarray,
    x_eval: np.ndarray,
    y_eval: np.ndarray,
    seed: int,
) -> dict[str, float | None]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, f1_score, r2_score

    if task == "classification":
        if len(set(y_fit)) < 2:  # one class seen: predict it
            predicted = np.full(len(y_eval), y_fit[0] if len(y_fit) else MISSING, dtype=object)
        else:
            model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
            predicted = model.fit(x_fit, y_fit).predict(x_eval)
        return {
            "accuracy": float(accuracy_score(y_eval, predicted)),
            "macro_f1": float(f1_score(y_eval, predicted, average="macro", zero_division=0)),
        }
    if len(y_fit) < 2 or len(y_eval) < 2:
        return {"r2": None, "rmse": None}
    model = HistGradientBoostingRegressor(max_iter=100, random_state=seed)
    predicted = model.fit(x_fit, y_fit).predict(x_eval)
    return {
        "r2": float(r2_score(y_eval, predicted)),
        "rmse": float(np.sqrt(np.mean((predicted - y_eval) ** 2))),
    }


def _ml_efficiency(
    space: _Space, tables: Mapping, columns: Sequence, kinds: Mapping, target: Any, seed: int
) -> dict[str, Any] | None:
    features = [c for c in columns if c != target]
    if not features:
        return None
    task = "classification" if kinds[target] == CATEGORICAL else "regression"
    kept = None
    if task == "classification":  # one tree per class and round: pool the rarest classes
        if len(set(tables["train"][target])) > MAX_LEVELS:
            kept = set(_top_levels(tables["train"][target]))
    data = {}
    for name, table in tables.items():
        x, y = space.embed(table, features, pooled=True), table[target]
        if kept is not None:
            y = np.array([v if v in kept else OTHER for v in y], dtype=object)
        keep = np.ones(len(y), bool) if task == "classification" else ~np.isnan(y)
        data[name] = (x[keep], y[keep])
    x_test, y_test = data["test"]
    if len(y_test) == 0:
        return None
    return {
        "target": str(target),
        "task": task,
        "synthetic": _fit_and_score(task, *data["synthetic"], x_test, y_test, seed),
        "real": _fit_and_score(task, *data["train"], x_test, y_test, seed),
    }


def _sdmetrics(test: pd.DataFrame, synthetic: pd.DataFrame, kinds: Mapping) -> dict | None:
    """SDMetrics' QualityReport scores, or ``None`` when the optional package is absent or fails."""
    try:
        with warnings.catch_warnings():  # its single-table report is marked deprecated
            warnings.simplefilter("ignore")
            from sdmetrics.reports.single_table import QualityReport

        sdtype = {NUMERIC: "numerical", CATEGORICAL: "categorical"}
        metadata = {"columns": {c: {"sdtype": sdtype[kinds[c]]} for c in test.columns}}
        report = QualityReport()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report.generate(test, synthetic, metadata, verbose=False)
        scores = dict(zip(*(report.get_properties()[k] for k in ("Property", "Score"))))
        return {
            "column_shapes": float(scores["Column Shapes"]),
            "column_pair_trends": float(scores["Column Pair Trends"]),
        }
    except Exception:  # an optional extra: absent, or an API this code does not know
        return None


# ------------------------------------------------------------------------------------ evaluation


def _plain(value: Any) -> Any:
    """JSON-ready: builtin containers and scalars; a non-finite float becomes ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def evaluate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: Mapping[str, str],
    target: str | None = None,
    seed: int = 0,
    *,
    max_rows: int = 2000,
    k: int = 5,
    null_permutations: int = NULL_PERMUTATIONS,
) -> dict[str, Any]:
    """Every metric of the module docstring for ``synthetic`` against ``train`` and ``test``.

    Args:
        train, test, synthetic: tables with the same columns in the same order.
        kinds: ``"numeric"`` or ``"categorical"`` for every column.
        target: the column of ``ml_efficiency``; by default the last categorical column, else
            the last column.
        seed: seeds every subsample, fold split and model.
        max_rows: cap on the rows per side of the C2ST, W1 and coverage, and on the DCR query rows
            (the training rows of DCR are capped at ``10 max_rows``); larger sides are subsampled.
        k: the neighbour rank of coverage.
        null_permutations: the deals that measure the C2ST AUC's null spread (``0``: the
            Mann–Whitney bound, nothing refitted).

    Returns:
        A JSON-ready dict: ``n_train``, ``n_test``, ``n_synthetic``, ``columns`` (per column
        ``kind``, ``ks``, ``tv``, ``missing_diff``, ``missing_test``, ``missing_synthetic``),
        ``marginal_ks_mean``, ``marginal_tv_mean``, ``column_shape``, ``pair_columns``,
        ``pair_matrix_real`` (test rows), ``pair_matrix_synthetic``, ``pair_error``,
        ``column_pair``, ``c2st_auc``, ``c2st_null_sd``, ``ml_efficiency``, ``w1_train``, ``w1_test``,
        ``w1_method``, ``coverage_train``, ``coverage_test``, ``coverage_k``, ``dcr`` and
        ``sdmetrics`` (only when that package imports). A value that cannot be computed (too
        few rows, no pairs) is ``None``.
    """
    frames = {"train": train, "test": test, "synthetic": synthetic}
    columns = _check(frames, kinds)
    if target is None:
        categorical = [c for c in columns if kinds[c] == CATEGORICAL]
        target = categorical[-1] if categorical else columns[-1]
    elif target not in columns:
        raise ValueError(f"target {target!r} is not a column")
    tables = {name: _prepare(frame, kinds) for name, frame in frames.items()}
    space = _Space(columns, kinds, tables)
    rng = np.random.default_rng(seed)

    per_column = {c: _column(kinds[c], tables["synthetic"][c], tables["test"][c]) for c in columns}
    ks = [v["ks"] for v in per_column.values() if v["kind"] == NUMERIC]
    tv = [v["tv"] for v in per_column.values() if v["kind"] == CATEGORICAL]

    a_real = _associations(tables["test"], columns, kinds)
    a_synth = _associations(tables["synthetic"], columns, kinds)
    upper = np.triu_indices(len(columns), 1)
    diff = np.abs(a_synth - a_real)[upper]
    width = np.array(
        [2.0 if kinds[columns[i]] == kinds[columns[j]] == NUMERIC else 1.0 for i, j in zip(*upper)]
    )
    # pairs read from enough held-out rows; one the synthetic rows leave undefined (a column
    # they leave empty) counts as the largest error, not as a pair left out
    real_defined = np.isfinite(a_real[upper])
    diff = np.where(np.isfinite(diff), diff, width)[real_defined]
    width = width[real_defined]

    def some(table: Mapping, m: int) -> dict:  # at most m rows, drawn before embedding
        n = len(next(iter(table.values())))
        rows = np.arange(n) if n <= m else np.sort(rng.choice(n, m, replace=False))
        return {c: v[rows] for c, v in table.items()}

    rows = {name: some(table, max_rows) for name, table in tables.items()}
    capped = {name: space.points(table) for name, table in rows.items()}

    c2st, null = None, {"c2st_null_sd": None, "c2st_null": None}
    if min(len(capped["synthetic"]), len(capped["test"])) >= 10:
        import torch

        from dmm.metrics.classifier import c2st_auc

        x_s, x_t = (
            torch.from_numpy(space.embed(rows[n], pooled=True)) for n in ("synthetic", "test")
        )
        c2st = c2st_auc(x_s, x_t, folds=5, seed=seed, max_iter=100)
        null = c2st_null(x_s, x_t, null_permutations, seed=seed, max_iter=100)

    try:
        import ot  # noqa: F401

        w1_method = "ot.emd2"
    except ImportError:
        w1_method = "linear_sum_assignment"
    w1 = {}
    for name in ("train", "test"):
        s, r = capped["synthetic"], capped[name]
        if w1_method == "linear_sum_assignment":
            n = min(len(s), len(r))
            s, r = _subsample(s, n, rng), _subsample(r, n, rng)
        w1[name] = wasserstein1(s, r)
    cover = {
        name: coverage(capped[name], capped["synthetic"], k) if len(capped[name]) > k else None
        for name in ("train", "test")
    }

    reference = space.points(some(tables["train"], 10 * max_rows))
    dcr_s = _kth_nearest(capped["synthetic"], reference, "cityblock")
    dcr_t = _kth_nearest(capped["test"], reference, "cityblock")
    dcr = {
        "dcr_synthetic_median": float(np.median(dcr_s)),
        "dcr_synthetic_p5": float(np.percentile(dcr_s, 5)),
        "dcr_test_median": float(np.median(dcr_t)),
        "dcr_test_p5": float(np.percentile(dcr_t, 5)),
        "dcr_ratio": float(np.median(dcr_s) / np.median(dcr_t)) if np.median(dcr_t) > 0 else None,
        "metric": "L1",
    }

    result: dict[str, Any] = {
        "n_train": len(train),
        "n_test": len(test),
        "n_synthetic": len(synthetic),
        "columns": per_column,
        "marginal_ks_mean": _mean(ks),
        "marginal_tv_mean": _mean(tv),
        "column_shape": _mean([1.0 - x for x in ks + tv]),
        "pair_columns": [str(c) for c in columns],
        "pair_matrix_real": a_real,
        "pair_matrix_synthetic": a_synth,
        "pair_error": _mean(diff),
        "column_pair": _mean(1.0 - diff / width),
        "c2st_auc": c2st,
        **null,
        "ml_efficiency": _ml_efficiency(space, tables, columns, kinds, target, seed),
        "w1_train": w1["train"],
        "w1_test": w1["test"],
        "w1_method": w1_method,
        "coverage_train": cover["train"],
        "coverage_test": cover["test"],
        "coverage_k": k,
        "dcr": dcr,
        "seed": seed,
    }
    sdmetrics = _sdmetrics(test, synthetic, kinds)
    if sdmetrics is not None:
        result["sdmetrics"] = sdmetrics
    return _plain(result)


#: the metrics of :func:`evaluate` against the held-out rows that :func:`floor` reports
FLOOR_KEYS = (
    "c2st_auc",
    "column_shape",
    "column_pair",
    "pair_error",
    "marginal_ks_mean",
    "marginal_tv_mean",
    "w1_test",
    "coverage_test",
)


def floor(
    train: pd.DataFrame,
    test: pd.DataFrame,
    kinds: Mapping[str, str],
    seed: int = 0,
    *,
    max_rows: int = 2000,
    k: int = 5,
) -> dict[str, Any]:
    """What the training rows themselves score against the held-out rows: :func:`evaluate` with
    ``train`` in place of the synthetic table, its :data:`FLOOR_KEYS`. A perfect copy of the
    training law scores about this, not the ideal values: with few held-out rows the C2ST AUC
    scatters around 0.5, the associations of the held-out rows differ from the training rows'
    by chance (``pair_error``), and ``w1_test`` stays well above 0 (ForestDiffusion's results
    read their table against the same row)."""
    result = evaluate(
        train, test, train, kinds, seed=seed, max_rows=max_rows, k=k, null_permutations=0
    )
    return {key: result[key] for key in FLOOR_KEYS}


# ---------------------------------------------------------------------------------------- report


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def report_markdown(
    result: Mapping[str, Any], title: str = "Synthetic table against held-out rows"
) -> str:
    """A short Markdown report of :func:`evaluate`'s dict: a headline table, then one row per
    column."""
    ml = result.get("ml_efficiency") or {}
    dcr = result.get("dcr") or {}
    low = result.get("floor") or {}

    def ref(key: str) -> str:  # what the training rows score (module doc of floor)
        return _fmt(low.get(key))

    spread = result.get("draw_sd") or {}

    def val(key: str) -> str:  # the value, with its spread over the draws when there are several
        sd = spread.get(key)
        return _fmt(result.get(key)) + ("" if sd is None else f" (sd {_fmt(sd)})")

    draws = result.get("draws") or 1
    rows = f"{result['n_synthetic']} synthetic rows"
    if draws > 1:
        rows = f"Means over {draws} draws of {result['n_synthetic']} synthetic rows (sd: over the draws)"
    lines = [
        f"# {title}",
        "",
        f"{rows} against {result['n_train']} training and "
        f"{result['n_test']} held-out rows. *Training rows*: the training rows themselves scored "
        "the same way, what a perfect copy of the training law gets with this many held-out rows.",
        "",
        "| metric | value | training rows | ideal |",
        "|---|---|---|---|",
        f"| C2ST AUC (synthetic vs held-out; null sd {_fmt(result.get('c2st_null_sd'))}"
        f"{', ' + result['c2st_null'] if result.get('c2st_null') else ''}) "
        f"| {val('c2st_auc')} | {ref('c2st_auc')} | 0.5 |",
        f"| column shape (mean 1 − KS / 1 − TV) | {val('column_shape')} "
        f"| {ref('column_shape')} | 1 |",
        f"| column pair (mean 1 − abs. association difference / range) "
        f"| {val('column_pair')} | {ref('column_pair')} | 1 |",
        f"| W1 to train / held-out rows | {val('w1_train')} / "
        f"{val('w1_test')} | — / {ref('w1_test')} | low |",
        f"| coverage of train / held-out rows (k = {result.get('coverage_k')}) | "
        f"{val('coverage_train')} / {val('coverage_test')} "
        f"| — / {ref('coverage_test')} | 1 |",
    ]
    if ml:
        for key in ml["synthetic"]:
            lines.append(
                f"| ML efficiency, {key} on `{ml['target']}`: synthetic vs real training rows | "
                f"{_fmt(ml['synthetic'][key])} vs {_fmt(ml['real'][key])} | | equal |"
            )
    lines += [
        f"| DCR ratio (median, synthetic / held-out) | {_fmt(dcr.get('dcr_ratio'))} | | ≈ 1 |",
        "",
        "| column | kind | KS | TV | missing diff |",
        "|---|---|---|---|---|",
    ]
    for name, column in result["columns"].items():
        lines.append(
            f"| {name} | {column['kind']} | {_fmt(column.get('ks'))} | {_fmt(column.get('tv'))} "
            f"| {_fmt(column.get('missing_diff'))} |"
        )
    return "\n".join(lines) + "\n"
