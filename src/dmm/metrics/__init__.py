"""Metrics: two-sample distances between generated samples and reference data."""

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
    "Metric",
    "default_bandwidths",
    "energy_distance",
    "ks_per_feature",
    "mmd",
    "noise_floor",
    "sliced_wasserstein",
    "two_sample_report",
]
