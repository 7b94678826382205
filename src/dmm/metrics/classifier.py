"""Classifier two-sample test (C2ST): how well can a classifier tell samples from data?

A gradient-boosting classifier is trained to separate ``x`` (label 1) from ``y`` (label 0); the
cross-validated ROC AUC on held-out folds is reported. ``0.5`` means the classifier cannot tell the
two apart; ``1.0`` means it always can. Unlike energy distance at a few thousand points, it sees
sharp structure (blur, mass in empty regions). Needs scikit-learn (the ``metrics`` extra).

Read an AUC against its null spread, the AUC's standard deviation for two samples of one law.
For a classifier independent of the rows it scores, the AUC is the Mann–Whitney statistic of
``n`` against ``n`` exchangeable scores, with standard deviation ``sqrt((2n + 1) / (12 n²)) ≈
1 / sqrt(6n)`` (:func:`c2st_null_sd`). Cross-validation breaks that independence: each fold is
scored by a classifier fitted on the other folds' rows, so the folds' AUCs are correlated, and the
measured null spread of :func:`c2st_auc` is 1.25–1.55 times that value at 54 to 2000 rows per side
(``benchmarks/c2st_null.py``, ``docs/results/c2st_null.json``). :func:`c2st_null_sd` is therefore
a lower bound; :func:`c2st_permutation_null` measures the spread on the rows at hand: it deals
the pooled rows into two sides at random (the null hypothesis: the labels are exchangeable) and
reruns the test. The deals share one pool of rows, so they see only the part of the spread that
does not come from the pool; against independent pairs of samples the mean of its ten-deal
estimates came out at 0.79–1.14 times their spread (Mann–Whitney: 0.65–0.80 times), and one
ten-deal estimate scatters by about a quarter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .two_sample import as_rows

#: ``HistGradientBoostingClassifier``'s default smallest leaf, kept wherever a fold trains on at
#: least ``5 * LEAF_ROWS`` rows (``≥ 63`` rows per side at 5 folds)
LEAF_ROWS = 20


def leaf_rows(train_rows: int) -> int:
    """The classifier's smallest leaf for a fold of ``train_rows`` rows: ``min(20, train_rows //
    5)``, at least 1. With the default 20 a fold of fewer than 40 rows (about 24 per side at 5
    folds) cannot split at all: every score is the same and the AUC is 0.5 whatever the two
    samples are; a fifth of the rows lets the trees split on small samples."""
    return max(1, min(LEAF_ROWS, train_rows // 5))


def c2st_null_sd(n: int) -> float:
    """The Mann–Whitney statistic's standard deviation for ``n`` against ``n`` scores without
    ties: a lower bound on the null spread of :func:`c2st_auc`, whose cross-validation adds to it
    (module doc; :func:`c2st_permutation_null` measures it)."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    return float(np.sqrt((2 * n + 1) / (12 * n * n)))


def c2st_auc(
    x: torch.Tensor, y: torch.Tensor, folds: int = 5, seed: int = 0, max_iter: int = 200
) -> float:
    """Cross-validated ROC AUC of ``HistGradientBoostingClassifier`` telling ``x`` from ``y``
    (rows flattened; the two are balanced by subsampling the larger one; the smallest leaf is
    :func:`leaf_rows` of a fold's training rows)."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold
    except ImportError as exc:  # an optional extra
        raise ImportError(
            "c2st_auc needs scikit-learn: pip install 'denoising-markov-models[metrics]'"
        ) from exc
    a = as_rows(x).cpu().numpy()
    b = as_rows(y, name="y").cpu().numpy()
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x has {a.shape[1]} features per sample but y has {b.shape[1]}")
    rng = np.random.default_rng(seed)
    n = min(len(a), len(b))
    if n < 2 * folds:
        raise ValueError(f"c2st_auc needs at least {2 * folds} rows per sample, got {n}")
    a, b = a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]
    features = np.concatenate([a, b])
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    scores = np.zeros(2 * n)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        features, labels
    ):
        clf = HistGradientBoostingClassifier(
            max_iter=max_iter, min_samples_leaf=leaf_rows(len(train)), random_state=seed
        )
        clf.fit(features[train], labels[train])
        scores[test] = clf.predict_proba(features[test])[:, 1]
    return float(roc_auc_score(labels, scores))


#: deals of :func:`c2st_permutation_null` that ``dmm eval`` and the table metrics run by default:
#: the estimate's own relative spread is then about 1/sqrt(2 (10 - 1)) = 24%
NULL_PERMUTATIONS = 10


def c2st_null(
    x: torch.Tensor,
    y: torch.Tensor,
    permutations: int = NULL_PERMUTATIONS,
    folds: int = 5,
    seed: int = 0,
    max_iter: int = 200,
) -> dict[str, Any]:
    """What ``dmm eval`` reports beside a C2ST AUC of ``x`` against ``y``: ``c2st_null_sd``,
    measured by :func:`c2st_permutation_null` with ``permutations`` deals (``0``: Mann–Whitney's
    lower bound :func:`c2st_null_sd`, nothing refitted), and how (``c2st_null``)."""
    n = min(len(x), len(y))
    if permutations == 0:
        return {"c2st_null_sd": c2st_null_sd(n), "c2st_null": "mann-whitney bound"}
    null = c2st_permutation_null(x, y, permutations, folds, seed, max_iter)
    return {"c2st_null_sd": null["sd"], "c2st_null": f"{permutations} permutations"}


def c2st_permutation_null(
    x: torch.Tensor,
    y: torch.Tensor,
    permutations: int = NULL_PERMUTATIONS,
    folds: int = 5,
    seed: int = 0,
    max_iter: int = 200,
) -> dict[str, float]:
    """The null spread of :func:`c2st_auc` on these rows: the mean and standard deviation
    (``ddof = 1``) of its AUC over ``permutations`` random deals of the pooled rows into two
    sides of ``min(len(x), len(y))`` rows (deal ``p`` seeded ``seed + 1 + p``, also the
    classifier's seed). Whatever separates ``x`` from ``y``, a deal mixes them, so the AUCs are
    those of two samples of one law, with this test's folds, classifier and sizes."""
    if permutations < 2:
        raise ValueError(f"permutations must be at least 2, got {permutations}")
    n = min(len(x), len(y))
    pooled = torch.cat([x.detach().reshape(len(x), -1)[:n], y.detach().reshape(len(y), -1)[:n]])
    aucs = []
    for p in range(permutations):
        g = torch.Generator().manual_seed(seed + 1 + p)
        deal = pooled[torch.randperm(2 * n, generator=g)]
        aucs.append(c2st_auc(deal[:n], deal[n:], folds, seed + 1 + p, max_iter))
    return {"mean": float(np.mean(aucs)), "sd": float(np.std(aucs, ddof=1))}


__all__ = [
    "LEAF_ROWS",
    "NULL_PERMUTATIONS",
    "c2st_auc",
    "c2st_null",
    "c2st_null_sd",
    "c2st_permutation_null",
    "leaf_rows",
]
