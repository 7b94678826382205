"""The isotropic Gaussian on SO(3), IGSO(3): the heat kernel of ``½Δ`` run for variance-time ``B``
(MATH.md §6).

With the bi-invariant metric ``⟨A, B⟩ = ½ tr(AᵀB)`` (orthonormal hat basis, geodesic distance =
rotation angle ``ω``), the density of ``X_B = x_0 exp(ŵ)`` w.r.t. normalised Haar measure depends
only on the angle ``ω`` of ``x_0ᵀ X_B``:

    f(ω; B) = Σ_{l≥0} (2l+1) e^{-l(l+1)B/2} sin((l+½)ω) / sin(ω/2)          (series)
            = Σ_{m≥0} c_m cos(mω),   c_0 = Σ_l a_l,  c_m = 2 Σ_{l≥m} a_l,
      a_l = (2l+1) e^{-l(l+1)B/2}

(the character ``χ_l(ω) = 1 + 2 Σ_{m=1}^{l} cos(mω)`` makes the cosine form exact and stable at
``ω=0``). Poisson summation over the odd frequencies gives the exact image sum

    f(ω; B) = √π ε^{-3/2} e^{ε/4} / (2 sin(ω/2)) Σ_{j∈Z} (-1)^j (ω - 2πj) e^{-(ω-2πj)²/(2B)},
    ε = B/2,

whose terms ``j ≠ 0`` are ``O(e^{-2π²/B})`` away from ``ω ≈ π``; keeping ``j ∈ {-1, 0, 1}`` is the
*small-time form*, with relative error ``≤ e^{-4π²/B}`` (1e-17 at ``B = 1``). The series is
truncated at ``L`` with ``L(L+1)B/2 ≥ 40`` (tail ``≲ L² e^{-40}``). :func:`density` uses the
small-time form for ``B < 0.5`` and the series otherwise; the tests check that both agree on ``B ∈
[0.05, 1]``.

The rotation angle has density ``g(ω) = f(ω; B)(1 - cos ω)/π`` on ``[0, π]`` (Haar: ``f = 1``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

#: variance-time below which :func:`density` uses the small-time (image) form
SWITCH_B = 0.5
_TAIL = 40.0  # truncation exponent of the series: dropped terms are below e^{-40} relative
#: variance-time below which :func:`sample_angle` proposes from the small-time (Maxwell) law
SAMPLER_SWITCH_B = 1.0


def series_terms(B: float | Tensor) -> int:
    """Number of terms ``L`` of the series for variance-time ``B`` (largest ``B`` wins for a
    batch)."""
    b = float(torch.as_tensor(B).min())
    return int(math.ceil(math.sqrt(2 * _TAIL / max(b, 1e-12)))) + 2


def _cosine_coefficients(B: Tensor, L: int) -> Tensor:
    """``c_m``, ``m = 0..L`` of ``f = Σ c_m cos(mω)`` for each ``B`` (shape ``(batch, L+1)``)."""
    ell = torch.arange(L + 1, dtype=B.dtype, device=B.device)
    a = (2 * ell + 1) * torch.exp(-ell * (ell + 1) * B[:, None] / 2)
    tail = torch.flip(torch.cumsum(torch.flip(a, [1]), 1), [1])  # Σ_{l ≥ m} a_l
    return torch.cat([tail[:, :1], 2 * tail[:, 1:]], dim=1)


def _broadcast(omega: Tensor, B: Tensor | float) -> tuple[Tensor, Tensor]:
    omega = torch.as_tensor(omega, dtype=torch.float64)
    B = torch.as_tensor(B, dtype=torch.float64, device=omega.device)
    omega, B = torch.broadcast_tensors(omega, B)
    return omega.reshape(-1), B.reshape(-1)


def series(omega: Tensor, B: Tensor | float, L: int | None = None) -> Tensor:
    """``f(ω; B)`` by the truncated series (float64, shape of ``broadcast(ω, B)``)."""
    shape = torch.broadcast_shapes(torch.as_tensor(omega).shape, torch.as_tensor(B).shape)
    w, b = _broadcast(omega, B)
    c = _cosine_coefficients(b, L or series_terms(b))
    m = torch.arange(c.shape[1], dtype=w.dtype, device=w.device)
    return (c * torch.cos(m * w[:, None])).sum(1).reshape(shape)


def _image_parts(w: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """``P(ω) = Ŝ(ω)/ω`` and ``P'(ω)`` where ``f = C(B) e^{-ω²/2B} P(ω) ω/(2 sin(ω/2))``.

    ``Ŝ/ω = 1 + Σ_{j=±1} (-1)^j (1 - 2πj/ω) e^{-2πj(πj - ω)/B}``; the ``j = ±1`` terms are evaluated
    at ``max(ω, 0.05)`` (they are even in ``ω`` and of size ``(2π)²/B · e^{-2π²/B}`` there, below
    1e-14 for ``B < 0.5``, the only range where the small-time form is used by :func:`density`).
    """
    wc = w.clamp_min(0.05)
    p = torch.ones_like(w)
    dp = torch.zeros_like(w)
    for j in (1, -1):
        c = 2 * math.pi * j
        e = torch.exp(-c * (math.pi * j - wc) / b)
        p = p - (1 - c / wc) * e
        dp = dp - (c / wc**2 + (1 - c / wc) * c / b) * e
    dp = torch.where(w < 0.05, torch.zeros_like(dp), dp)
    return p, dp


def _log_norm_small(b: Tensor) -> Tensor:
    eps = b / 2
    return 0.5 * math.log(math.pi) - 1.5 * torch.log(eps) + eps / 4


def _half_angle_ratio(w: Tensor) -> Tensor:
    """``ω / (2 sin(ω/2))`` (stable at 0)."""
    return 1.0 / torch.sinc(w / (2 * math.pi))


def small_time(omega: Tensor, B: Tensor | float) -> Tensor:
    """``f(ω; B)`` by the image sum with ``j ∈ {-1, 0, 1}`` (float64)."""
    return log_density_small_time(omega, B).exp()


def log_density_small_time(omega: Tensor, B: Tensor | float) -> Tensor:
    shape = torch.broadcast_shapes(torch.as_tensor(omega).shape, torch.as_tensor(B).shape)
    w, b = _broadcast(omega, B)
    p, _ = _image_parts(w, b)
    out = (
        _log_norm_small(b)
        - w**2 / (2 * b)
        + torch.log(p.clamp_min(1e-300))
        + torch.log(_half_angle_ratio(w))
    )
    return out.reshape(shape)


def log_density(omega: Tensor, B: Tensor | float) -> Tensor:
    """``log f(ω; B)``, density of IGSO(3) w.r.t. normalised Haar measure (float64)."""
    shape = torch.broadcast_shapes(torch.as_tensor(omega).shape, torch.as_tensor(B).shape)
    w, b = _broadcast(omega, B)
    out = torch.empty_like(w)
    small = b < SWITCH_B
    if small.any():
        out[small] = log_density_small_time(w[small], b[small])
    if (~small).any():
        out[~small] = torch.log(series(w[~small], b[~small]).clamp_min(1e-300))
    return out.reshape(shape)


def density(omega: Tensor, B: Tensor | float) -> Tensor:
    """``f(ω; B)`` (small-time form for ``B < 0.5``, series otherwise)."""
    return log_density(omega, B).exp()


def angle_density(omega: Tensor, B: Tensor | float) -> Tensor:
    """Density of the rotation angle on ``[0, π]``: ``f(ω; B)(1 - cos ω)/π``."""
    w = torch.as_tensor(omega, dtype=torch.float64)
    return density(w, B) * (1 - torch.cos(w)) / math.pi


def score_over_angle(omega: Tensor, B: Tensor | float) -> Tensor:
    """``q(ω) = (d log f/dω)/ω``, so that the Riemannian score is ``q(ω) v`` with ``v = log(x_0ᵀ
    x)``.

    Stable at ``ω = 0`` (``q → f''(0)/f(0)``): series branch ``q = -Σ m² c_m sinc(mω)/f``;
    small-time branch ``q = -1/B + P'/(ωP) + (1/ω - ½cot(ω/2))/ω``.
    """
    shape = torch.broadcast_shapes(torch.as_tensor(omega).shape, torch.as_tensor(B).shape)
    w, b = _broadcast(omega, B)
    out = torch.empty_like(w)
    small = b < SWITCH_B
    if small.any():
        ws, bs = w[small], b[small]
        p, dp = _image_parts(ws, bs)
        out[small] = -1 / bs + dp / (ws.clamp_min(0.05) * p) + _cot_correction(ws)
    if (~small).any():
        wl, bl = w[~small], b[~small]
        c = _cosine_coefficients(bl, series_terms(bl))
        m = torch.arange(c.shape[1], dtype=w.dtype, device=w.device)
        f = (c * torch.cos(m * wl[:, None])).sum(1)
        num = (m**2 * c * torch.sinc(m * wl[:, None] / math.pi)).sum(1)
        out[~small] = -num / f
    return out.reshape(shape)


def _cot_correction(w: Tensor) -> Tensor:
    """``(1/ω - ½ cot(ω/2))/ω`` = ``1/12 + ω²/720 + ω⁴/30240 + …`` (series below 0.1)."""
    ws = w.clamp_min(0.1)
    direct = (1 / ws - 0.5 / torch.tan(ws / 2)) / ws
    taylor = 1 / 12 + w**2 / 720 + w**4 / 30240
    return torch.where(w < 0.1, taylor, direct)


def angle_cdf_grid(B: Tensor, points: int = 1024) -> tuple[Tensor, Tensor]:
    """Per-``B`` grid ``ω_k`` on ``[0, min(π, 12√B)]`` and the normalised CDF there (trapezoid
    rule).

    Beyond ``12√B`` the angle law has mass below ``e^{-70}`` (for small ``B`` it is close to
    ``√B χ_3``). Returns ``(omega, cdf)`` of shape ``(batch, points)``.
    """
    b = torch.as_tensor(B, dtype=torch.float64).reshape(-1)
    top = torch.clamp(12 * b.sqrt(), max=math.pi)
    u = torch.linspace(0, 1, points, dtype=torch.float64, device=b.device)
    w = top[:, None] * u[None]
    g = angle_density(w, b[:, None].expand_as(w))
    steps = 0.5 * (g[:, 1:] + g[:, :-1]) * (w[:, 1:] - w[:, :-1])
    cdf = torch.cat([torch.zeros_like(b)[:, None], torch.cumsum(steps, 1)], 1)
    return w, cdf / cdf[:, -1:]


def sample_angle(
    B: Tensor, generator: torch.Generator | None = None, max_rounds: int = 200
) -> Tensor:
    """Exact rotation angles of IGSO(3)(B), one per entry of ``B`` (float64), by rejection.

    ``B < 1``: proposal ``ω = √B |ξ|``, ``ξ ~ N(0, I₃)`` (density ``∝ ω² e^{-ω²/2B}``); the target
    ``g ∝ e^{-ω²/2B} P(ω) ω sin(ω/2)`` on ``[0, π]`` (image form) gives the acceptance ratio
    ``P(ω) sin(ω/2)/(ω/2) / 2 ≤ 1`` (each of the two parts of ``P·sinc`` is at most 1).
    ``B ≥ 1``: proposal the Haar angle law ``(1 - cos ω)/π``, ratio ``f(ω; B)/f(0; B) ≤ 1``
    (``|χ_l(ω)| ≤ χ_l(0)``, ``f(0; 1) ≈ 5.7``). Acceptance is above 0.15 everywhere. The image form
    used for ``B < 1`` has relative error below 1e-7 there (see :func:`_image_parts`).
    """
    b = torch.as_tensor(B, dtype=torch.float64).reshape(-1)
    out = torch.full_like(b, float("nan"))
    todo = torch.ones_like(b, dtype=torch.bool)
    m = 16  # proposals per sample and round: all 16 rejected with probability < 0.06
    for _ in range(max_rounds):
        idx = torch.nonzero(todo).flatten()
        if idx.numel() == 0:
            return out
        bi = b[idx][:, None].expand(-1, m).reshape(-1)
        small = bi < SAMPLER_SWITCH_B
        xi = torch.randn(bi.numel(), 3, generator=generator, dtype=torch.float64, device=b.device)
        q = torch.randn(bi.numel(), 4, generator=generator, dtype=torch.float64, device=b.device)
        haar = 2 * torch.atan2(q[:, 1:].norm(dim=1), q[:, 0].abs())
        w = torch.where(small, bi.sqrt() * xi.norm(dim=1), haar)
        ratio = torch.zeros_like(bi)
        ok = small & (w <= math.pi)
        if ok.any():
            p, _ = _image_parts(w[ok], bi[ok])
            ratio[ok] = 0.5 * p * torch.sinc(w[ok] / (2 * math.pi))
        if (~small).any():
            wl, bl = w[~small], bi[~small]
            ratio[~small] = series(wl, bl) / series(torch.zeros_like(wl), bl)
        u = torch.rand(bi.numel(), generator=generator, dtype=torch.float64, device=b.device)
        accept = (u < ratio).reshape(-1, m)
        first = accept.double().argmax(1)  # the first accepted proposal of each sample
        got = accept.any(1)
        out[idx[got]] = w.reshape(-1, m)[got, first[got]]
        todo[idx[got]] = False
    raise RuntimeError("IGSO(3) rejection sampler did not finish; this should not happen")


def kl_to_haar(B: float, points: int = 4001) -> float:
    """``KL(IGSO3(B) || Haar) = ∫_0^π g(ω) log f(ω; B) dω`` by Simpson's rule on
    ``[0, min(π, 12√B)]``."""
    top = min(math.pi, 12 * math.sqrt(B))
    w = torch.linspace(0, top, points, dtype=torch.float64)
    lf = log_density(w, torch.full_like(w, B))
    integrand = lf.exp() * (1 - torch.cos(w)) / math.pi * lf
    h = top / (points - 1)
    wts = torch.ones(points, dtype=torch.float64)
    wts[1:-1:2], wts[2:-1:2] = 4, 2
    return float((integrand * wts).sum() * h / 3)


__all__ = [
    "SAMPLER_SWITCH_B",
    "SWITCH_B",
    "angle_cdf_grid",
    "angle_density",
    "density",
    "kl_to_haar",
    "log_density",
    "log_density_small_time",
    "sample_angle",
    "score_over_angle",
    "series",
    "series_terms",
    "small_time",
]
