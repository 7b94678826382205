"""The marginal ``p_t`` of a Lévy OU process started from an elliptical law (MATH.md §5d, §6).

Start :class:`~dmm.processes.levy_ou.LevyOU` (Gaussian scale-mixture jumps) from
``X_0 = √V_0 ξ``, ``ξ ~ N(0, I)``, ``V_0`` the scale of a scale-mixture law (e.g. a Student-t of
index ``ν`` and scale ``s``). Given ``V_0``, the jump times and the jump scales, ``X_t`` is
``N(0, W I)`` with ``W = e^{-2θt} V_0 + v``, ``v`` the latent variance of the process's kernel
(``LevyOU.sample_latent``), so

    p_t(x) = E_W N(x; 0, W I) = E_W (2πW)^{-d/2} e^{-|x|²/(2W)},

a function of ``r = |x|`` and ``t``. :class:`LevyOUMarginal` tabulates ``log p_t(r)`` and its
derivative in ``r`` on a grid of times (log-uniform on ``[t_min, T]``) and radii (uniform in
``u = asinh(r/c)``), and interpolates: cubic Hermite in ``u``, linear in ``log t``.

The expectation over ``W`` is a Monte Carlo average over ``draws`` draws, except for the share
``q`` of the largest ones (``tail_share``): above their lower end ``w_q`` the law of ``W`` is
replaced by its Pareto tail, ``P(W > w) = q (w/w_q)^{-κ}``, ``κ = index/2`` (``W``'s tail index is
half that of ``|X_t|``). That part integrates in closed form,

    ∫_{w_q}^∞ (2πw)^{-d/2} e^{-r²/(2w)} κ w_q^κ w^{-κ-1} dw
        = κ w_q^κ (2π)^{-d/2} (r²/2)^{-(d/2+κ)} Γ(d/2+κ) P(d/2+κ, r²/(2w_q)),

``P`` the regularised lower incomplete gamma function, so far out ``p_t(r) ∝ r^{-(d+index)}``
exactly, where a plain average over ``draws`` values of ``W`` would fall off like a Gaussian of the
largest one. Beyond the last radius of the table the same power law continues.

It is an approximation (Monte Carlo plus the Pareto tail): within 0.07 nats of the closed form
at ``t_min`` from ``r = 0.5`` outward, and within 0.1 in log of exact draws of the process on
shells at ``t > 0`` (tests/processes/test_levy_marginal.py). Near the origin it is less accurate
in high dimension, where the average is ruled by the smallest ``W`` (0.14 nats at ``r = 0`` in
8-D for ``ν = 1.5``; at large ``t`` the true ``p_t`` can be singular there). The
``tail-potential`` ratio model uses it as its fixed part and learns the difference
(:class:`~dmm.scores.jump_ratios.TailPotentialRatio`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .jump_laws import JumpLaw
from .levy_ou import LevyOU


class LevyOUMarginal(nn.Module):
    """``log p_t(x)`` of ``process`` started from ``X_0 = √V_0 ξ``, ``V_0`` drawn by
    ``law.sample_scale`` (module docstring).

    ``index``: the tail index of ``|X_t|``, the smaller of the initial law's and the jump law's
    (``ν`` for Student-t, ``α`` for stable); it sets the Pareto tail of ``W`` and the power law
    beyond the table. The table is drawn once, from ``seed``, and kept as buffers (saved with the
    model's state).
    """

    def __init__(
        self,
        process: LevyOU,
        law: JumpLaw,
        index: float,
        draws: int = 16384,
        times: int = 33,
        nodes: int = 97,
        tail_share: float = 0.02,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not law.scale_mixture:
            raise ValueError(f"{law!r} is not a Gaussian scale mixture")
        if not index > 0:
            raise ValueError(f"index must be positive, got {index}")
        if not 0 < tail_share < 0.5 or draws * tail_share < 10:
            raise ValueError(
                f"need 0 < tail_share < 0.5 and at least 10 draws in it, got {tail_share} "
                f"of {draws}"
            )
        self.dim, self.theta, self.index = process.dim, process.theta, float(index)
        f64 = torch.empty(0, dtype=torch.float64)
        ts = torch.exp(
            torch.linspace(math.log(process.t_min), math.log(process.T), times, dtype=torch.float64)
        )
        v0 = law.sample_scale((draws,), torch.Generator().manual_seed(seed), f64)
        ws = []
        for t in ts:  # the same random numbers at every time: the table is smooth in t
            g = torch.Generator().manual_seed(seed + 1)
            v = process.sample_latent(torch.zeros(draws, self.dim, dtype=torch.float64), t, g)[1]
            ws.append(math.exp(-2 * self.theta * float(t)) * v0 + v[:, -1])
        w = torch.stack(ws).clamp_min(1e-300)
        #: radii scale ``c``: a hundredth of the typical standard deviation
        self.c = 0.01 * float(w.median().sqrt())
        self.umax = math.asinh(1e6 / 0.01)  # radii up to 10^6 typical standard deviations
        u = torch.linspace(0, self.umax, nodes, dtype=torch.float64)
        r = (self.c * torch.sinh(u)).clamp_min(1e-3 * self.c)
        rows = [self._log_density(wt, r, tail_share) for wt in w]
        value = torch.stack([row[0] for row in rows])
        slope = torch.stack([row[1] for row in rows]) * (self.c * torch.cosh(u))  # d/du
        self.register_buffer("log_ts", torch.log(ts))
        self.register_buffer("value", value)
        self.register_buffer("slope", slope)

    def _log_density(self, w: Tensor, r: Tensor, share: float) -> tuple[Tensor, Tensor]:
        """``log p(r)`` and ``d log p/dr`` for one time's draws ``w`` (module docstring)."""
        d, kappa = self.dim, self.index / 2
        w = w.sort().values
        cut = len(w) - max(int(round(share * len(w))), 1)
        body, wq, q = w[:cut], w[cut], (len(w) - cut) / len(w)
        # the (radii, draws) sums in single precision: 1e-7 relative, at half the time
        b32, r32 = body.float(), r.float()
        log_n = -0.5 * d * torch.log(2 * math.pi * b32) - 0.5 * r32[:, None] ** 2 / b32
        log_body = torch.logsumexp(log_n, 1).double() - math.log(len(w))
        log_body_nw = torch.logsumexp(log_n - torch.log(b32), 1).double() - math.log(len(w))
        lead = math.log(q * kappa) + kappa * math.log(wq) - 0.5 * d * math.log(2 * math.pi)
        half = 0.5 * r**2

        def pareto(b: float) -> Tensor:
            # log of κ q w_q^κ ∫_{w_q}^∞ (2πw)^{-d/2} e^{-r²/2w} w^{-b-1} dw
            a = 0.5 * d + b
            return (
                lead
                - a * torch.log(half)
                + math.lgamma(a)
                + torch.log(torch.special.gammainc(torch.full_like(r, a), half / wq))
            )

        log_p = torch.logaddexp(log_body, pareto(kappa))
        log_nw = torch.logaddexp(log_body_nw, pareto(kappa + 1))  # E[N/W]: d p/dr = -r E[N/W]
        return log_p, -r * torch.exp(log_nw - log_p)

    def log_prob(self, x: Tensor, t: Tensor) -> Tensor:
        """``log p_t(x)``, ``(batch,)``, for ``x`` ``(batch, d)`` and ``t`` ``(batch,)``;
        differentiable in ``x`` (``C¹`` in ``|x|``)."""
        r = x.reshape(x.shape[0], -1).norm(dim=1).to(self.value.dtype)
        lt = torch.log(t.to(self.value.dtype)).clamp(self.log_ts[0], self.log_ts[-1])
        j = (torch.searchsorted(self.log_ts, lt.detach().contiguous(), right=True) - 1).clamp(
            0, len(self.log_ts) - 2
        )
        h = (lt - self.log_ts[j]) / (self.log_ts[j + 1] - self.log_ts[j])
        nodes = self.value.shape[1]
        step = self.umax / (nodes - 1)
        u = torch.asinh(r / self.c)
        inside = u < self.umax
        pos = u.clamp(max=self.umax) / step
        i = pos.detach().floor().clamp(0, nodes - 2).long()
        s = pos - i
        h00, h10 = (1 + 2 * s) * (1 - s) ** 2, s * (1 - s) ** 2
        h01, h11 = s**2 * (3 - 2 * s), s**2 * (s - 1)

        values, slopes = self.value.reshape(-1), self.slope.reshape(-1)

        def at(k: Tensor) -> Tensor:  # Hermite in u at time node k (flat indices: no row copies)
            at0 = k * nodes + i
            return (
                h00 * values[at0]
                + h10 * step * slopes[at0]
                + h01 * values[at0 + 1]
                + h11 * step * slopes[at0 + 1]
            )

        inner = at(j) * (1 - h) + at(j + 1) * h
        r_max = self.c * math.sinh(self.umax)
        far = torch.log(r.clamp_min(r_max) / r_max) * (self.dim + self.index)
        return (inner - torch.where(inside, 0.0, far)).to(x.dtype)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, index={self.index}, times={len(self.log_ts)}"


__all__ = ["LevyOUMarginal"]
