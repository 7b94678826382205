"""Time grids for Gaussian-kernel processes, uniform in a function of the log-SNR.

For a kernel ``N(α_t x_0, s_t² I)`` (in ``x`` or in other coordinates, as the orthant diffusions'
standardised logarithm) the half log-SNR is ``λ_t = log(α_t / s_t)`` and the noise level
``σ_t = s_t / α_t = e^{-λ_t}``; both are monotone in ``t`` (``λ`` decreases from ``λ(t_min)`` to
``λ(T)``). A grid is built in the variable ``u = φ(λ)`` and mapped back to forward time by
bisection on ``λ(t)``, so it needs nothing of the process but its kernel:

* :func:`logsnr_grid` — uniform in ``λ`` (DPM-Solver, Lu et al. 2022);
* :func:`edm_grid` — uniform in ``σ^{1/ρ}`` (Karras et al. 2022, ``ρ = 7``):
  ``σ_i = (σ_max^{1/ρ} + i/N (σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ``;
* :func:`straight_grid` — uniform in ``u = σ/(1 + σ) = s_t/(α_t + s_t)``, the time of the straight
  path: ``y/(α_t + s_t) = (1 - u) x_0 + u ε``, so this grid is the uniform grid of rectified flow /
  conditional flow matching (Liu et al. 2022, Lipman et al. 2022) carried to this process.

Both run from ``t_start`` (default ``T``) down to ``t_end`` (default ``t_min``), endpoints exact.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..processes.base import Process
from ..processes.gaussian import gaussian_kernel

#: bisection halvings: ``T / 2^64`` is far below float64 resolution
_BISECTIONS = 64


def log_snr(process: Process, t: Tensor) -> Tensor:
    """``λ_t = log(α_t / s_t)`` (half the log signal-to-noise ratio) of a kernel that is
    ``N(α_t u_0 + c_t, s_t² I)`` in some coordinates ``u`` (``u = x`` for the Gaussian
    diffusions; :meth:`~dmm.processes.CoordinateGaussian.isotropic`)."""
    a, s = process.gaussian_coordinates(t).isotropic("the log-SNR")
    return (torch.log(a) - torch.log(s)).reshape(t.shape)


def time_of_log_snr(
    process: Process, lam: Tensor, lo: float | Tensor, hi: float | Tensor
) -> Tensor:
    """The times in ``[lo, hi]`` (numbers, or tensors shaped like ``lam``) where ``λ_t = lam``
    (``λ`` decreasing in ``t``), by bisection."""
    lo_t = torch.as_tensor(lo, dtype=lam.dtype, device=lam.device).expand_as(lam).clone()
    hi_t = torch.as_tensor(hi, dtype=lam.dtype, device=lam.device).expand_as(lam).clone()
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo_t + hi_t)
        above = log_snr(process, mid) > lam  # λ(mid) still too large: the time is later
        lo_t = torch.where(above, mid, lo_t)
        hi_t = torch.where(above, hi_t, mid)
    return 0.5 * (lo_t + hi_t)


def _grid_in(
    process: Process,
    steps: int,
    to_u: Callable[[Tensor], Tensor],
    from_u: Callable[[Tensor], Tensor],
    t_start: float | None,
    t_end: float | None,
    dtype: torch.dtype | None,
    what: str,
) -> Tensor:
    process.gaussian_coordinates(torch.full((1,), process.T)).isotropic(what)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    t0 = process.T if t_start is None else float(t_start)
    t1 = process.t_min if t_end is None else float(t_end)
    if not t0 > t1:
        raise ValueError(f"need t_start > t_end, got {t0} and {t1}")
    ends = torch.tensor([t0, t1], dtype=torch.float64)
    u = to_u(log_snr(process, ends))
    lam = from_u(torch.linspace(float(u[0]), float(u[1]), steps + 1, dtype=torch.float64))
    grid = time_of_log_snr(process, lam, t1, t0)
    grid[0], grid[-1] = t0, t1  # exact endpoints, whatever the bisection's last bit
    return grid.to(dtype or torch.get_default_dtype())


def logsnr_grid(
    process: Process,
    steps: int,
    t_start: float | None = None,
    t_end: float | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """``steps + 1`` times from ``t_start`` down to ``t_end`` with ``λ_t`` uniformly spaced."""
    return _grid_in(
        process, steps, lambda lam: lam, lambda u: u, t_start, t_end, dtype, "a log-SNR grid"
    )


def edm_grid(
    process: Process,
    steps: int,
    t_start: float | None = None,
    t_end: float | None = None,
    dtype: torch.dtype | None = None,
    rho: float = 7.0,
) -> Tensor:
    """``steps + 1`` times with ``σ_t^{1/ρ}`` uniformly spaced (``σ_t = s_t/α_t``; EDM's grid)."""
    if rho <= 0:
        raise ValueError(f"rho must be positive, got {rho}")
    return _grid_in(
        process,
        steps,
        lambda lam: torch.exp(-lam / rho),  # σ^{1/ρ}
        lambda u: -rho * torch.log(u),
        t_start,
        t_end,
        dtype,
        "the EDM grid",
    )


def straight_grid(
    process: Process,
    steps: int,
    t_start: float | None = None,
    t_end: float | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """``steps + 1`` times with ``u = σ_t/(1 + σ_t)`` uniformly spaced (the straight path's time;
    ``σ_t = e^{-λ_t}``, so ``u = 1/(1 + e^{λ_t})``)."""
    return _grid_in(
        process,
        steps,
        lambda lam: torch.sigmoid(-lam),
        lambda u: torch.log1p(-u) - torch.log(u),
        t_start,
        t_end,
        dtype,
        "the straight-path grid",
    )


__all__ = [
    "edm_grid",
    "gaussian_kernel",
    "log_snr",
    "logsnr_grid",
    "straight_grid",
    "time_of_log_snr",
]
