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

__all__ = [
    "BAND_STDS",
    "checkerboard",
    "checkerboard_support",
    "circles",
    "circles_support",
    "eight_gaussians",
    "eight_gaussians_support",
    "moons",
    "moons_support",
    "on_black_cells",
    "pinwheel",
    "pinwheel_support",
    "swissroll",
    "swissroll_support",
]

_DTYPE = torch.float32

# Shape parameters.
EIGHT_GAUSSIANS_RADIUS = 1.4
EIGHT_GAUSSIANS_STD = 0.15
CIRCLES_NOISE = 0.08
MOONS_NOISE = 0.1
SWISSROLL_NOISE = 0.5
PINWHEEL_RADIAL_STD = 0.3
PINWHEEL_TANGENTIAL_STD = 0.1

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
    x = x + SWISSROLL_NOISE * torch.randn(n, 2, generator=generator)
    return _normalise(x, _SWISSROLL_CENTER, _SWISSROLL_SCALE)


def moons(n: int, generator: torch.Generator) -> torch.Tensor:
    """Two interleaving half circles of radius one with Gaussian noise (std 0.1 before scaling)."""
    _check_n(n)
    upper = torch.randint(0, 2, (n,), generator=generator).bool()
    t = math.pi * torch.rand(n, generator=generator)
    outer = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    inner = torch.stack([1.0 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)
    x = torch.where(upper[:, None], outer, inner)
    x = x + MOONS_NOISE * torch.randn(n, 2, generator=generator)
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
    feats = torch.randn(n, 2, generator=generator) * torch.tensor(
        [PINWHEEL_RADIAL_STD, PINWHEEL_TANGENTIAL_STD]
    )
    r = feats[:, 0] + 1.0
    angle = arm * (2.0 * math.pi / 5.0) + 0.25 * torch.exp(r)
    cos, sin = torch.cos(angle), torch.sin(angle)
    x = torch.stack([r * cos + feats[:, 1] * sin, -r * sin + feats[:, 1] * cos], dim=1)
    return _normalise(x, (0.0, 0.0), _PINWHEEL_SCALE)


# -- supports -------------------------------------------------------------------------------------
# Each ``*_support(x)`` returns a bool per row of ``x`` (shape ``(n, 2)``): whether the row lies on
# the support declared for the data set (non-finite rows never do). The checkerboard's support is
# exact; a shape drawn with Gaussian noise around a noiseless curve or points has unbounded support,
# so its declared support is the band of points within ``BAND_STDS`` noise standard deviations of
# the noiseless shape. Isotropic 2-D noise ``σ ξ`` moves a point by ``σ |ξ|``, and
# ``P(|ξ| > 4) = e^{-8}``: a fresh draw is in the band with probability at least ``1 - e^{-8}
# ~ 0.99966`` (the distance to the shape is at most the length of the noise).

BAND_STDS = 4.0
"""Half-width of the support band of the noisy shapes, in noise standard deviations."""

_BLOCK_ELEMENTS = 1 << 20  # (rows x segments) entries per block of the polyline distance


def _rows2(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x as float64 with non-finite rows zeroed, finite-row mask)``; ``x`` must be ``(n, 2)``."""
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points of the plane need shape (n, 2), got {tuple(x.shape)}")
    a = x.detach().to(torch.float64)
    finite = torch.isfinite(a).all(dim=1)
    return torch.where(finite[:, None], a, 0.0), finite


def on_black_cells(x: torch.Tensor, *, periodic: bool = False, tol: float = 0.0) -> torch.Tensor:
    """Whether each row of ``x`` lies in a closed black cell of the 4x4 board on ``[-2, 2]^2``
    (the cell ``[i - 2, i - 1] x [j - 2, j - 1]`` with ``i + j`` even), grown by ``tol``.

    With ``periodic=True`` the board tiles the plane with period 4 (the torus board).
    """
    if not 0.0 <= tol < 0.5:
        raise ValueError(f"tol must be in [0, 0.5), got {tol}")
    a, finite = _rows2(x)
    a = torch.remainder(a + 2.0, 4.0) if periodic else (a + 2.0).clamp(-1.0, 5.0)
    # the closed cells [i, i + 1] holding a coordinate a are i in {ceil(a - 1), ..., floor(a)}
    lo, hi = torch.ceil(a - 1.0 - tol).long(), torch.floor(a + tol).long()
    on = torch.zeros(len(a), dtype=torch.bool)
    for i in (lo[:, 0], hi[:, 0]):
        for j in (lo[:, 1], hi[:, 1]):
            black = (i + j) % 2 == 0  # periodic: parity is the same modulo 4
            if not periodic:
                black &= (i >= 0) & (i <= 3) & (j >= 0) & (j <= 3)
            on |= black
    return on & finite


def checkerboard_support(x: torch.Tensor) -> torch.Tensor:
    """Exactly the closed black cells of :func:`checkerboard`."""
    return on_black_cells(x)


def _distance_to_polylines(p: torch.Tensor, vertices: torch.Tensor) -> torch.Tensor:
    """Distance from each row of ``p`` to the nearest segment of the polylines ``vertices`` of
    shape ``(curves, m, 2)``, over blocks of rows."""
    a = vertices[:, :-1].reshape(-1, 2)
    ab = vertices[:, 1:].reshape(-1, 2) - a
    ab_sq = (ab * ab).sum(dim=1)
    out = torch.empty(len(p), dtype=torch.float64)
    chunk = max(1, _BLOCK_ELEMENTS // len(a))
    for start in range(0, len(p), chunk):
        ap = p[start : start + chunk, None, :] - a[None]
        t = ((ap * ab).sum(dim=2) / ab_sq).clamp(0.0, 1.0)
        out[start : start + chunk] = (ap - t[..., None] * ab).norm(dim=2).amin(dim=1)
    return out


def eight_gaussians_support(x: torch.Tensor) -> torch.Tensor:
    """Within ``BAND_STDS`` standard deviations (0.6) of one of the 8 centres."""
    a, finite = _rows2(x)
    angle = torch.arange(8, dtype=torch.float64) * (math.pi / 4.0)
    centers = EIGHT_GAUSSIANS_RADIUS * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    near = torch.cdist(a, centers).amin(dim=1) <= BAND_STDS * EIGHT_GAUSSIANS_STD
    return near & finite


def circles_support(x: torch.Tensor) -> torch.Tensor:
    """Within ``BAND_STDS`` noise standard deviations (0.32) of the circle of radius 1 or 2."""
    a, finite = _rows2(x)
    radius = a.norm(dim=1)
    gap = torch.minimum((radius - 1.0).abs(), (radius - 2.0).abs())
    return (gap <= BAND_STDS * CIRCLES_NOISE) & finite


def _half_circle_distance(
    p: torch.Tensor, center: tuple[float, float], upper: bool
) -> torch.Tensor:
    """Distance to the unit half circle around ``center`` on the side ``y >= center_y``
    (``upper``) or ``y <= center_y``: radial inside its angular range, else the nearer end."""
    q = p - torch.tensor(center, dtype=torch.float64)
    inside = q[:, 1] >= 0 if upper else q[:, 1] <= 0
    ends = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)
    to_ends = torch.cdist(q, ends).amin(dim=1)
    return torch.where(inside, (q.norm(dim=1) - 1.0).abs(), to_ends)


def moons_support(x: torch.Tensor) -> torch.Tensor:
    """Within ``BAND_STDS`` noise standard deviations (0.4 before scaling) of either half circle."""
    a, finite = _rows2(x)
    p = a * _MOONS_SCALE + torch.tensor(_MOONS_CENTER, dtype=torch.float64)
    gap = torch.minimum(
        _half_circle_distance(p, (0.0, 0.0), upper=True),
        _half_circle_distance(p, (1.0, 0.5), upper=False),
    )
    return (gap <= BAND_STDS * MOONS_NOISE) & finite


def swissroll_support(x: torch.Tensor) -> torch.Tensor:
    """Within ``BAND_STDS`` noise standard deviations (2.0 before scaling) of the spiral
    ``t (cos t, sin t)``, ``t in [1.5 pi, 4.5 pi]``. The spiral is replaced by an inscribed
    polyline of 1024 chords, within 3e-4 of it (chord length^2 x curvature / 8)."""
    a, finite = _rows2(x)
    p = a * _SWISSROLL_SCALE + torch.tensor(_SWISSROLL_CENTER, dtype=torch.float64)
    t = torch.linspace(1.5 * math.pi, 4.5 * math.pi, 1025, dtype=torch.float64)
    curve = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    return (_distance_to_polylines(p, curve[None]) <= BAND_STDS * SWISSROLL_NOISE) & finite


def pinwheel_support(x: torch.Tensor) -> torch.Tensor:
    """Within ``BAND_STDS`` tangential standard deviations (0.4 before scaling) of the 5 arm
    curves ``r (cos θ, -sin θ)``, ``θ = 2πk/5 + e^r / 4``, for radii ``1 ± BAND_STDS · 0.3``.

    A draw is ``c(r) + f n`` with ``|n| = 1``: its distance to the arm is at most ``|f|`` when
    ``r`` is in range, so it is in the band with probability at least ``(1 - P(|ξ| > 4))^2 ~
    0.99987`` (``ξ`` standard normal). The arms are inscribed polylines of 256 chords each,
    within 3e-4 of the curves."""
    a, finite = _rows2(x)
    p = a * _PINWHEEL_SCALE
    spread = BAND_STDS * PINWHEEL_RADIAL_STD
    r = torch.linspace(1.0 - spread, 1.0 + spread, 257, dtype=torch.float64)
    arm = torch.arange(5, dtype=torch.float64)[:, None] * (2.0 * math.pi / 5.0)
    angle = arm + 0.25 * torch.exp(r)[None, :]
    curves = r[None, :, None] * torch.stack([torch.cos(angle), -torch.sin(angle)], dim=2)
    gap = _distance_to_polylines(p, curves)
    return (gap <= BAND_STDS * PINWHEEL_TANGENTIAL_STD) & finite
