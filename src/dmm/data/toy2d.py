"""Two-dimensional toy distributions from the score-based and flow-matching literature.

Every sampler has the signature ``f(n, generator) -> Tensor`` of shape ``(n, 2)`` and dtype
``float32``. All randomness comes from the given ``torch.Generator``, so a sampler is a
deterministic function of the generator's state. Each distribution is shifted and scaled
isotropically (the shape is not distorted) to mean about zero and per-coordinate standard
deviation about one; the shift and scale constants were measured once by Monte Carlo with
10^7 draws and are fixed here, so they do not depend on ``n``.
"""

from __future__ import annotations

import math

import torch

__all__ = ["checkerboard", "circles", "eight_gaussians", "moons", "pinwheel", "swissroll"]

_DTYPE = torch.float32

# Shape parameters.
EIGHT_GAUSSIANS_RADIUS = 1.4
EIGHT_GAUSSIANS_STD = 0.15
CIRCLES_NOISE = 0.08

# Normalisation constants. Centres are exact (by symmetry or by integrating t cos t and t sin t);
# scales are the root-mean per-coordinate standard deviation measured with 10^7 draws.
_SWISSROLL_CENTER = (2.0, 2.0 / (3.0 * math.pi))
_SWISSROLL_SCALE = 6.81
_MOONS_CENTER = (0.5, 0.25)
_MOONS_SCALE = 0.712
_PINWHEEL_SCALE = 0.742


def _check_n(n: int) -> None:
    if n < 0:
        raise ValueError(f"number of samples must be non-negative, got {n}")


def _normalise(x: torch.Tensor, center: tuple[float, float], scale: float) -> torch.Tensor:
    """Shift by ``center`` and divide by ``scale`` (isotropic, so the shape is kept)."""
    return ((x - torch.tensor(center, dtype=x.dtype)) / scale).to(_DTYPE)


def checkerboard(n: int, generator: torch.Generator) -> torch.Tensor:
    """Uniform on the 8 "black" cells of a 4x4 checkerboard covering ``[-2, 2]^2``.

    A cell ``[i - 2, i - 1) x [j - 2, j - 1)`` is black when ``i + j`` is even. Mean zero and
    per-coordinate standard deviation ``sqrt(4/3) ~ 1.15`` hold exactly, so no rescaling is done.
    """
    _check_n(n)
    cell = torch.randint(0, 8, (n,), generator=generator)
    row = cell // 2
    col = 2 * (cell % 2) + row % 2  # column parity equals row parity: i + j even
    u = torch.rand(n, 2, generator=generator)
    return torch.stack([col + u[:, 0] - 2.0, row + u[:, 1] - 2.0], dim=1).to(_DTYPE)


def swissroll(n: int, generator: torch.Generator) -> torch.Tensor:
    """A 2-D Swiss roll: ``t (cos t, sin t)`` with ``t ~ U[1.5 pi, 4.5 pi]`` plus Gaussian noise."""
    _check_n(n)
    t = 1.5 * math.pi * (1.0 + 2.0 * torch.rand(n, generator=generator))
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    x = x + 0.5 * torch.randn(n, 2, generator=generator)
    return _normalise(x, _SWISSROLL_CENTER, _SWISSROLL_SCALE)


def moons(n: int, generator: torch.Generator) -> torch.Tensor:
    """Two interleaving half circles of radius one with Gaussian noise (std 0.1 before scaling)."""
    _check_n(n)
    upper = torch.randint(0, 2, (n,), generator=generator).bool()
    t = math.pi * torch.rand(n, generator=generator)
    outer = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    inner = torch.stack([1.0 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)
    x = torch.where(upper[:, None], outer, inner)
    x = x + 0.1 * torch.randn(n, 2, generator=generator)
    return _normalise(x, _MOONS_CENTER, _MOONS_SCALE)


def eight_gaussians(n: int, generator: torch.Generator) -> torch.Tensor:
    """Equal mixture of 8 Gaussians (std 0.15) on a circle of radius 1.4 at angles ``k pi / 4``."""
    _check_n(n)
    k = torch.randint(0, 8, (n,), generator=generator)
    angle = k.to(torch.float64) * (math.pi / 4.0)
    centers = EIGHT_GAUSSIANS_RADIUS * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    noise = EIGHT_GAUSSIANS_STD * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return (centers + noise).to(_DTYPE)


def circles(n: int, generator: torch.Generator) -> torch.Tensor:
    """Two concentric rings of radii 2 and 1 (equal mass) with Gaussian noise of std 0.08."""
    _check_n(n)
    radius = torch.where(torch.rand(n, generator=generator) < 0.5, 2.0, 1.0)
    t = 2.0 * math.pi * torch.rand(n, generator=generator)
    x = radius[:, None] * torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    return (x + CIRCLES_NOISE * torch.randn(n, 2, generator=generator)).to(_DTYPE)


def pinwheel(n: int, generator: torch.Generator) -> torch.Tensor:
    """Five curved arms: radius ``r = 1 + 0.3 N(0, 1)``, tangential offset ``0.1 N(0, 1)``,
    rotated by ``0.25 e^r`` so the arms curl."""
    _check_n(n)
    arm = torch.randint(0, 5, (n,), generator=generator)
    feats = torch.randn(n, 2, generator=generator) * torch.tensor([0.3, 0.1])
    r = feats[:, 0] + 1.0
    angle = arm * (2.0 * math.pi / 5.0) + 0.25 * torch.exp(r)
    cos, sin = torch.cos(angle), torch.sin(angle)
    x = torch.stack([r * cos + feats[:, 1] * sin, -r * sin + feats[:, 1] * cos], dim=1)
    return _normalise(x, (0.0, 0.0), _PINWHEEL_SCALE)
