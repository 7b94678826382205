"""Exact oracles for torus jumps (MATH.md §9): wrapped-normal mixtures pushed through Gaussian
jumps.

Data ``p_0 = Σ_c w_c WN(μ_c, v_c I)`` on ``T^d``. Under :class:`~dmm.processes.torus_jump.TorusJump`
the Fourier coefficients multiply by ``φ_t(k) = exp(-Λ(t)(1 - e^{-σ_J²|k|²/2}))`` (with a
time-dependent jump size, ``exp(-∫_0^t λ(s)(1 - e^{-σ_J(s)²|k|²/2}) ds)``:
:meth:`~dmm.processes.torus_jump.TorusJump.fourier_multiplier`), so

    p_t(x) = Σ_k Σ_c w_c e^{-v_c|k|²/2} φ_t(k) cos(k·(x - μ_c))

(density w.r.t. the normalised measure ``dx/(2π)^d``), exact up to a truncation ``|k_i| ≤ K`` with
error below ``e^{-40}``. Ratios ``p_t(x)/p_t(y)`` are then exact: :class:`ExactTorusRatio`.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn

from ..processes.torus_jump import TorusJump
from ..spaces.torus import wrap


class WrappedNormalMixture:
    """``Σ_c w_c WN(μ_c, v_c I)`` on ``T^d`` with sampling and the diffused density ``p_t``."""

    def __init__(self, weights: Tensor, means: Tensor, variances: Tensor) -> None:
        self.weights = torch.as_tensor(weights, dtype=torch.float64)
        self.weights = self.weights / self.weights.sum()
        self.means = torch.as_tensor(means, dtype=torch.float64)
        self.variances = torch.as_tensor(variances, dtype=torch.float64).expand(len(self.weights))
        self.dim = self.means.shape[1]
        kmax = int(math.ceil(math.sqrt(2 * 40 / float(self.variances.min()))))
        grid = torch.tensor(
            list(itertools.product(range(-kmax, kmax + 1), repeat=self.dim)), dtype=torch.float64
        )
        self.k, self.kmax = grid, kmax  # (nk, d)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        c = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return wrap(self.means[c] + self.variances[c].sqrt()[:, None] * z).to(
            torch.get_default_dtype()
        )

    def coefficients(self, process: TorusJump, t: Tensor) -> Tensor:
        """Complex Fourier coefficients ``ĉ_k(t) = Σ_c w_c e^{-v_c|k|²/2 - i k·μ_c} φ_t(k)``, shape
        ``(len(t), 2K+1, ..., 2K+1)`` (one axis per dimension, ``k_i = -K..K``)."""
        k2 = (self.k**2).sum(1)
        phi = process.fourier_multiplier(k2, t)
        damp = self.weights[:, None] * torch.exp(-0.5 * self.variances[:, None] * k2)
        base = (damp * torch.exp(-1j * (self.means @ self.k.T))).sum(0)
        side = 2 * self.kmax + 1
        return (base[None] * phi).reshape(len(t), *([side] * self.dim))

    def _contract(self, x: Tensor, coef: Tensor) -> Tensor:
        """``Re Σ_k coef[m, k] e^{ik·x_m}`` for rows ``m`` (``coef`` without the row axis:
        shared)."""
        K = self.kmax
        z = torch.exp(1j * x)  # (m, d)
        pos = torch.cumprod(z[..., None].expand(*z.shape, K), dim=-1)
        e = torch.cat([pos.conj().flip(-1), torch.ones_like(z)[..., None], pos], dim=-1)
        shared = coef.ndim == self.dim  # one coefficient array for all rows
        acc = torch.einsum("mk,k...->m..." if shared else "mk,mk...->m...", e[:, 0], coef)
        for j in range(1, self.dim):
            acc = torch.einsum("mk,mk...->m...", e[:, j], acc)
        return acc.real

    def density(self, x: Tensor, process: TorusJump, t: Tensor, chunk: int = 8192) -> Tensor:
        """``p_t(x)`` (float64) for per-sample times ``t``; ``e^{ik·x}`` is built from powers of
        ``e^{ix_i}`` and contracted one axis at a time (no transcendental call per ``k``)."""
        x = x.to(torch.float64)
        t = t.to(torch.float64)
        out = torch.empty(x.shape[0], dtype=torch.float64)
        times, inverse = torch.unique(t, return_inverse=True)
        if len(times) <= 16:  # few distinct times: share coefficients within each group
            coef = self.coefficients(process, times)
            for u in range(len(times)):
                rows = torch.nonzero(inverse == u).flatten()
                for i in range(0, rows.numel(), chunk):
                    r = rows[i : i + chunk]
                    out[r] = self._contract(x[r], coef[u])
        else:  # many times: coefficients once per distinct time, in chunks of times
            per = max(1, chunk // (2 * self.kmax + 1) ** (self.dim - 1) // 8)
            order = torch.argsort(inverse)
            starts = torch.searchsorted(inverse[order], torch.arange(len(times) + 1))
            for i in range(0, len(times), per):
                j = min(i + per, len(times))
                rows = order[starts[i] : starts[j]]
                coef = self.coefficients(process, times[i:j])
                out[rows] = self._contract(x[rows], coef[inverse[rows] - i])
        return out.clamp_min(1e-300)


class ExactTorusRatio(nn.Module):
    """The exact ratio ``ρ(y, x, t) = p_t(x)/p_t(y)`` of mixture data under ``process`` (a model
    object usable by the reversal, the samplers and the loss)."""

    def __init__(self, process: TorusJump, mixture: WrappedNormalMixture) -> None:
        super().__init__()
        self.process, self.mixture = process, mixture

    def log_density(self, x: Tensor, t: Tensor) -> Tensor:
        return torch.log(self.mixture.density(x, self.process, t))

    def log_ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        both = self.log_density(torch.cat([x, y]), torch.cat([t, t]))
        return (both[: y.shape[0]] - both[y.shape[0] :]).to(y.dtype)

    def ratio(self, y: Tensor, x: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.exp(self.log_ratio(y, x, t, context))

    def ratio_bound(self, t: Tensor, grid: int = 64) -> Tensor:
        """``max p_t / min p_t`` on a grid (times a 1.2 safety factor), for
        :class:`JumpThinning`."""
        axes = torch.linspace(-math.pi, math.pi, grid + 1)[:-1]
        pts = torch.cartesian_prod(*([axes] * self.mixture.dim)).reshape(-1, self.mixture.dim)
        out = []
        for tt in t.unique():
            p = self.mixture.density(pts, self.process, tt.expand(pts.shape[0]))
            out.append((1.2 * p.max() / p.min(), tt))
        lookup = {float(tt): v for v, tt in out}
        return torch.tensor([float(lookup[float(tt)]) for tt in t], dtype=t.dtype)


def standard_torus_mixture(dim: int = 1) -> WrappedNormalMixture:
    """A fixed 3-component wrapped-normal mixture used by the jump oracle tests."""
    means = torch.zeros(3, dim, dtype=torch.float64)
    means[:, 0] = torch.tensor([-2.0, 0.5, 2.4])
    if dim > 1:
        means[:, 1] = torch.tensor([1.0, -1.5, 2.8])
    return WrappedNormalMixture(
        torch.tensor([0.3, 0.5, 0.2]), means, torch.tensor([0.15, 0.1, 0.2])
    )


__all__ = ["ExactTorusRatio", "WrappedNormalMixture", "standard_torus_mixture"]
