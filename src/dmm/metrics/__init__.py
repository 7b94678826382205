"""Metrics: two-sample distances between generated samples and reference data."""

from dmm.metrics.classifier import (
    NULL_PERMUTATIONS,
    c2st_auc,
    c2st_null,
    c2st_null_sd,
    c2st_permutation_null,
)
from dmm.metrics.draws import draw_spread, mean_over_draws
from dmm.metrics.likelihood import FlowLikelihood, flow_log_likelihood
from dmm.metrics.manifold import in_knn_manifold, knn_radii, precision_recall
from dmm.metrics.two_sample import (
    Metric,
    default_bandwidths,
    energy_distance,
    ks_per_feature,
    mmd,
    noise_floor,
    sliced_wasserstein,
    two_sample_report,
)

__all__ = [
    "NULL_PERMUTATIONS",
    "FlowLikelihood",
    "Metric",
    "c2st_auc",
    "c2st_null",
    "c2st_null_sd",
    "c2st_permutation_null",
    "default_bandwidths",
    "draw_spread",
    "energy_distance",
    "flow_log_likelihood",
    "in_knn_manifold",
    "knn_radii",
    "ks_per_feature",
    "mean_over_draws",
    "mmd",
    "noise_floor",
    "precision_recall",
    "sliced_wasserstein",
    "two_sample_report",
]
