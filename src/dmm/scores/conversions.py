"""Conversions between parameterisations for Gaussian kernels ``N(α_t x_0, s_t² I)`` (MATH.md §3):
``s = -ε/s_t = (α_t x̂_0 - x)/s_t²``."""

from __future__ import annotations

from torch import Tensor


def eps_to_score(eps: Tensor, std: Tensor) -> Tensor:
    """``s = -ε / s_t``."""
    return -eps / std


def score_to_eps(score: Tensor, std: Tensor) -> Tensor:
    """``ε = -s_t s``."""
    return -std * score


def x0_to_score(x0: Tensor, x: Tensor, alpha: Tensor, std: Tensor) -> Tensor:
    """``s = (α_t x̂_0 - x) / s_t²``."""
    return (alpha * x0 - x) / std**2


def score_to_x0(score: Tensor, x: Tensor, alpha: Tensor, std: Tensor) -> Tensor:
    """``x̂_0 = (x + s_t² s) / α_t`` (Tweedie)."""
    return (x + std**2 * score) / alpha
