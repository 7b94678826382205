"""UniPC (Zhao et al. 2023): a multistep predictor and a corrector that reuses the next step's
network evaluation, in data-prediction form, for Gaussian-kernel processes.

Notation of :mod:`~dmm.samplers.dpm_solver`: ``λ_t = log(α_t / s_t)``, ``x̂_0(y, t)`` Tweedie's
mean, and a step from ``t_k`` to ``t_{k+1}`` with ``h = λ_{t_{k+1}} - λ_{t_k} > 0``. The probability
flow's exact step is

    y_{k+1} = (s_{k+1} / s_k) y_k + α_{k+1} ∫_0^h e^{-(h - τ)} x̂_0(λ_k + τ) dτ.

**Predictor (UniP-p).** ``x̂_0`` is known at the step's start (``x̂_0^k``, one evaluation) and at the
``p - 1`` previous evaluation points ``λ_{k-i}``, at ``r_i = (λ_{k-i} - λ_k) / h < 0`` in units of
``h``. With the divided differences ``D_i = (x̂_0^{k-i} - x̂_0^k) / r_i``,

    ỹ_{k+1} = (s_{k+1} / s_k) y_k + α_{k+1} (1 - e^{-h}) [x̂_0^k + Σ_i ρ_i D_i],

where ``ρ`` solves ``Σ_i ρ_i r_i^{n-1} = b_n`` for ``n = 1 … p - 1``, and ``b_n = J_n / J_0`` with
``J_n = ∫_0^h e^{-(h-τ)} (τ/h)^n dτ``, the kernel's integral of the ``n``-th power of the
extrapolation (:func:`unipc_rhs`; ``b_n → 1/(n+1)`` as ``h → 0``). This is UniPC's
``B(h) = e^{h} - 1`` variant ("bh2"). ``p = 1`` is DDIM; ``p = 2`` is DPM-Solver++(2M): with
``b_1`` as written, the ``φ_2`` form of :class:`~dmm.samplers.DPMSolver2M`; with ``ρ = 1/2``
(:class:`UniPC`'s default ``weights``), the paper's ``(1 - e^{-h}) / (2 r)`` form.

**Corrector (UniC).** The next step evaluates ``x̂_0`` at ``ỹ_{k+1}`` anyway. UniC uses that value
as one more point, at ``r = 1`` with ``D = x̂_0(ỹ_{k+1}) - x̂_0^k``, and recomputes the step with the
``p`` coefficients that solve the system for ``n = 1 … p``:

    y_{k+1} = (s_{k+1} / s_k) y_k + α_{k+1} (1 - e^{-h}) [x̂_0^k + Σ_i ρ^c_i D_i + ρ^c_p D].

The next step then starts from the corrected ``y_{k+1}`` with the evaluation made at ``ỹ_{k+1}``
(it is not repeated): UniPC raises the order from ``p`` to ``p + 1`` at no extra network
evaluation. The last step has no evaluation after it, so its output is the predictor's.

As in DPM-Solver's and UniPC's reference code for short runs, the predictor's order never exceeds
the number of steps left (the last step is first order, the one before at most second): the last
steps land at the lowest noise, where an extrapolated ``x̂_0`` errs the most visibly.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from ..reversal import Reversal
from ..spaces.base import expand_batch
from .dpm_solver import ExponentialIntegrator, Grid
from .grids import log_snr, logsnr_grid


def unipc_rhs(h: Tensor, orders: int) -> Tensor:
    """``(b_1, …, b_orders)`` of the module doc for each step size ``h``, shape ``h.shape +
    (orders,)``, in ``h``'s dtype.

    ``b_n = J_n / J_0`` with ``J_n = ∫_0^h e^{-(h-τ)} (τ/h)^n dτ``: ``J_0 = 1 - e^{-h}`` and, by
    parts, ``J_n = 1 - n J_{n-1} / h``. That recursion loses ``n!/h^n`` in rounding, so below
    ``h = 1`` the series ``J_n / h = Σ_k (-h)^k n! / (n + k + 1)!`` is summed instead (alternating,
    terms below ``1/(k+1)!``: 24 terms reach float64 resolution); both in float64."""
    x = h.double()
    one_minus = -torch.expm1(-x)
    small = x < 1
    out, recursion = [], one_minus
    for n in range(1, orders + 1):
        recursion = 1 - n * recursion / x
        term = torch.full_like(x, 1 / (n + 1))  # k = 0: n!/(n+1)!
        series = term
        for k in range(1, 24):
            term = term * (-x) / (n + k + 1)
            series = series + term
        j_n = torch.where(small, series * x, recursion)
        recursion = j_n  # continue the recursion from the accurate value
        out.append(j_n / one_minus)
    return torch.stack(out, dim=-1).to(h.dtype)


class UniPC(ExponentialIntegrator):
    """UniPC with predictor order ``order`` (1, 2 or 3) and, unless ``corrector=False``, the
    corrector that raises it by one at no extra evaluation (module doc); deterministic, one
    network evaluation per step.

    ``weights="half"`` (the default) gives a combination of one divided difference the weight
    ``ρ = 1/2``, the ``h → 0`` limit of ``b_1`` (the predictor of order 2, and the corrector
    after a first-order step), as the published DPM-Solver++(2M) and UniPC samplers do;
    ``"exact"`` uses ``b_1(h)`` there too. Both keep the order; with few, long steps the smaller
    weight extrapolates ``x̂_0`` less, and measured better (``benchmarks/unipc_grids.py``).

    It keeps the evaluation points of the previous steps and the previous step's start.
    :func:`~dmm.samplers.simulate` clears them in :meth:`start`; a step whose ``t`` is not the
    previous step's ``t_next`` starts afresh (first order, no correction). One object serves one
    run at a time.
    """

    multistep: ClassVar[bool] = True

    def __init__(
        self,
        grid: Grid = logsnr_grid,
        order: int = 2,
        corrector: bool = True,
        weights: str = "half",
    ) -> None:
        if order not in (1, 2, 3):
            raise ValueError(f"UniPC's order must be 1, 2 or 3, got {order}")
        if weights not in ("half", "exact"):
            raise ValueError(f"weights must be 'half' or 'exact', got {weights!r}")
        super().__init__(grid)
        self.weights = weights
        self.predictor_order = order
        self.corrector = corrector
        self.order = float(order + corrector)  # type: ignore[misc]
        self._points: list[tuple[Tensor, Tensor]] = []  # (λ, x̂_0) of evaluations, oldest first
        self._last: tuple | None = None  # the previous step: (t_next, y_k, s_k, λ_k, x̂_0^k, D, r)
        self._left = 0

    def start(self, rev: Reversal, grid: Tensor) -> None:
        self._points, self._last, self._left = [], None, len(grid) - 1

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        process = rev.process
        lam, lam_next = log_snr(process, t), log_snr(process, t_next)
        x0 = self.predict_x0(rev, y, t)
        continues = self._last is not None and torch.equal(self._last[0], t)
        if not continues:
            self._points = []
        elif self.corrector:
            y = self._correct(rev, t, x0)
        self._points = [*self._points, (lam, x0)][-self.predictor_order :]
        left = self._left if self._left > 0 else self.predictor_order  # unknown: stepped by hand
        order = min(self.predictor_order, len(self._points), left)
        self._left -= 1
        h = lam_next - lam
        r = [(self._points[-1 - i][0] - lam) / h for i in range(1, order)]
        d = [(self._points[-1 - i][1] - x0) / expand_batch(r[i - 1], y) for i in range(1, order)]
        a_next, s_next = process.kernel(t_next)
        s = process.kernel(t)[1]
        keep = expand_batch(s_next / s, y)
        mix = expand_batch(-a_next * torch.expm1(-h), y)
        rho = self._weights(r, h) if d else None
        out = keep * y + mix * (x0 + _combine(rho, d, y))
        self._last = (t_next, y, s, lam, x0, d, r)
        return out

    def _correct(self, rev: Reversal, t: Tensor, x0_new: Tensor) -> Tensor:
        _, y_k, s_k, lam_k, x0_k, d, r = self._last  # type: ignore[misc]
        a, s = rev.process.kernel(t)
        h = log_snr(rev.process, t) - lam_k
        points = [*r, torch.ones_like(h)]
        rho = self._weights(points, h)
        keep = expand_batch(s / s_k, y_k)
        mix = expand_batch(-a * torch.expm1(-h), y_k)
        return keep * y_k + mix * (x0_k + _combine(rho, [*d, x0_new - x0_k], y_k))

    def _weights(self, r: list[Tensor], h: Tensor) -> Tensor:
        if len(r) == 1 and self.weights == "half":
            return torch.full((*h.shape, 1), 0.5, dtype=h.dtype, device=h.device)
        return _solve(r, unipc_rhs(h, len(r)))


def _solve(r: list[Tensor], rhs: Tensor) -> Tensor:
    """``ρ`` with ``Σ_i ρ_i r_i^{n-1} = rhs_n``, ``n = 1 … len(r)``, for each row (``(batch, m)``)."""
    m = len(r)
    if m == 1:
        return rhs
    points = [ri.double() for ri in r]
    powers = torch.stack([torch.stack([ri**n for ri in points], dim=-1) for n in range(m)], dim=-2)
    return torch.linalg.solve(powers, rhs.double()).to(rhs.dtype)


def _combine(rho: Tensor | None, d: list[Tensor], like: Tensor) -> Tensor | float:
    if rho is None:
        return 0.0
    return sum(expand_batch(rho[..., i], like) * di for i, di in enumerate(d))


__all__ = ["UniPC", "unipc_rhs"]
