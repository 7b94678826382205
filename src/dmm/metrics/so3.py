"""Metrics for samples on SO(3): closeness to a set of modes (mixture means or the ``|G|``
equivalent poses of a symmetric solid), in geodesic angle."""

from __future__ import annotations

import torch
from torch import Tensor

from ..spaces.so3 import rotation_angle


def angle_to_modes(samples: Tensor, modes: Tensor) -> Tensor:
    """``(n, K)`` geodesic distances (rotation angles of ``mᵀ x``) from samples to modes."""
    rel = torch.einsum("kji,njl->nkil", modes.double(), samples.double())
    return rotation_angle(rel)


def fraction_within(samples: Tensor, modes: Tensor, angle: float) -> float:
    """Fraction of samples within ``angle`` (radians) of some mode (precision)."""
    return float((angle_to_modes(samples, modes).min(1).values < angle).double().mean())


def mode_coverage(samples: Tensor, modes: Tensor, angle: float, min_fraction: float = 0.1) -> float:
    """Fraction of modes that received at least ``min_fraction`` of their fair share ``n/K`` of the
    samples within ``angle`` (nearest-mode assignment)."""
    d = angle_to_modes(samples, modes)
    nearest = d.argmin(1)
    near = d.min(1).values < angle
    counts = torch.bincount(nearest[near], minlength=modes.shape[0]).double()
    fair = samples.shape[0] / modes.shape[0]
    return float((counts >= max(1.0, min_fraction * fair)).double().mean())


def symmetric_pose_metrics(
    samples: Tensor, r: Tensor, group: Tensor, angle: float
) -> dict[str, float]:
    """For samples of one view ``R``: precision (fraction within ``angle`` of some ``R g``) and
    coverage (fraction of the ``|G|`` poses ``R g`` hit by at least one sample within ``angle``), and
    the median angle (radians) from a sample to its nearest equivalent pose."""
    modes = r[None] @ group
    d = angle_to_modes(samples, modes)
    hit = (d < angle).any(0).double().mean()
    nearest = d.min(1).values
    return {
        "precision": float((nearest < angle).double().mean()),
        "coverage": float(hit),
        "median_angle": float(nearest.median()),
    }


__all__ = ["angle_to_modes", "fraction_within", "mode_coverage", "symmetric_pose_metrics"]
