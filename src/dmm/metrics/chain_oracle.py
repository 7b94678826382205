"""Exact oracles for chains on tiny joint spaces (MATH.md §9): everything here enumerates all
``n^d`` joint states, so it is only for ``n^d ≲ 4096``. Nothing else in ``dmm`` is exponential in
``d``.

* :class:`ExactChain` — the joint law ``p_t = p_0 ⊗_i exp(B(t) R)``, exact ratios and posteriors
  (:meth:`ExactChain.model` is a model object usable wherever a trained ratio model is), the
  backward generator matrix of any model, the exact law of the continuous-time model and of any
  factorised sampler, and the path KL / expected score entropy by quadrature over ``t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ..losses.score_entropy import score_entropy_integrand
from ..processes.chains import ChainProcess
from ..reversal import Reversal
from ..reversal.chains import backward_rates
from ..samplers.chains import FactorisedChainSampler
from ..scores.ratios import LOG_RATIO_MAX


def joint_states(d: int, n: int) -> Tensor:
    """All ``n^d`` states of ``{0..n-1}^d`` in lexicographic order, ``(n^d, d)`` long."""
    if n**d > 1_000_000:
        raise ValueError(f"{n}^{d} joint states is too many for an exact oracle")
    return torch.cartesian_prod(*[torch.arange(n)] * d).reshape(n**d, d)


def joint_index(x: Tensor, n: int) -> Tensor:
    """Lexicographic index of states ``x`` ``(batch, d)`` in :func:`joint_states`."""
    powers = n ** torch.arange(x.shape[1] - 1, -1, -1, device=x.device)
    return (x.long() * powers).sum(1)


def time_nodes(t_min: float, T: float, panels: int = 64, order: int = 8) -> tuple[Tensor, Tensor]:
    """Composite Gauss–Legendre nodes and weights on ``[t_min, T]`` after the map
    ``t = t_min + (T - t_min)(1 - cos πu)/2`` (dense near both ends, where the rates are stiff)."""
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(0, 1, panels + 1)
    u = (
        (edges[:-1, None] + edges[1:, None]) / 2 + (edges[1:, None] - edges[:-1, None]) / 2 * x
    ).ravel()
    wu = ((edges[1:, None] - edges[:-1, None]) / 2 * w).ravel()
    t = t_min + (T - t_min) * (1 - np.cos(np.pi * u)) / 2
    dt = (T - t_min) * np.pi * np.sin(np.pi * u) / 2
    return torch.tensor(t), torch.tensor(wu * dt)


class ExactChain:
    """Exact joint law of ``process`` started from ``p0`` (a pmf over the ``S^d`` data states)."""

    def __init__(self, process: ChainProcess, p0: Tensor) -> None:
        self.process = process
        d, S, n = process.d, process.S, process.n_states
        p0 = torch.as_tensor(p0, dtype=torch.float64).reshape(-1)
        if p0.numel() != S**d or (p0 < 0).any():
            raise ValueError(f"p0 must be a pmf over {S}^{d} states")
        self.p0_data = p0 / p0.sum()
        self.states = joint_states(d, n)
        self.data_states = joint_states(d, S)
        lifted = torch.zeros(n**d, dtype=torch.float64)
        lifted[joint_index(self.data_states, n)] = self.p0_data
        self.p0 = lifted

    @property
    def n(self) -> int:
        return self.process.n_states

    def marginal(self, t: Tensor) -> Tensor:
        """``p_t`` over all joint states for times ``t`` ``(batch,)`` -> ``(batch, n^d)``."""
        t = torch.as_tensor(t, dtype=torch.float64).reshape(-1)
        chain = self.process.chain
        P = chain.transition_matrix(chain.integral(t))
        return self.push(self.p0.expand(len(t), -1), P)

    def push(self, p: Tensor, P: Tensor) -> Tensor:
        """Apply the per-coordinate kernel ``P`` ``(batch, n, n)`` to every coordinate of ``p``."""
        n, d = self.n, self.process.d
        for i in range(d):
            p = p.reshape(p.shape[0], n**i, n, n ** (d - 1 - i))
            p = torch.einsum("bxay,bac->bxcy", p, P)
        return p.reshape(p.shape[0], -1)

    def neighbours(self, y: Tensor) -> Tensor:
        """Joint index of ``y^{i←v}`` for all ``i, v``: ``(batch, d, n)``."""
        n, d = self.n, self.process.d
        powers = n ** torch.arange(d - 1, -1, -1)
        base = joint_index(y, n)[:, None, None]
        return base + (torch.arange(n)[None, None, :] - y[..., None]) * powers[None, :, None]

    def log_ratios(self, y: Tensor, t: Tensor) -> Tensor:
        """Exact ``log p_t(y^{i←v}) / p_t(y)`` (clamped like a model's), ``(batch, d, n)``."""
        pt = self.marginal(t)
        nb = torch.gather(pt, 1, self.neighbours(y).reshape(len(y), -1)).reshape(*y.shape, self.n)
        here = torch.gather(pt, 1, joint_index(y, self.n)[:, None])[..., None]
        lr = torch.log(nb.clamp_min(1e-300)) - torch.log(here.clamp_min(1e-300))
        return lr.clamp(-LOG_RATIO_MAX, LOG_RATIO_MAX).to(torch.get_default_dtype())

    def x0_probs(self, y: Tensor, t: Tensor) -> Tensor:
        """Exact ``p(x_0^i = a | X_t = y)``, ``(batch, d, S)``."""
        p = self.process
        P = p.chain.transition_matrix(
            p.chain.integral(torch.as_tensor(t, dtype=torch.float64))
        )  # (b, n, n)
        x0 = self.data_states  # (N0, d)
        lik = torch.ones(len(y), len(x0), dtype=torch.float64)
        for i in range(p.d):
            lik = (
                lik
                * P[:, x0[:, i], :].gather(2, y[:, i].reshape(-1, 1, 1).expand(-1, len(x0), 1))[
                    ..., 0
                ]
            )
        post = lik * self.p0_data
        post = post / post.sum(1, keepdim=True).clamp_min(1e-300)
        onehot = nn.functional.one_hot(x0, p.S).to(torch.float64)  # (N0, d, S)
        return torch.einsum("bk,kis->bis", post, onehot).to(torch.get_default_dtype())

    def model(self) -> nn.Module:
        """The exact ratios as a model object (``ratios``, ``log_ratios``, ``x0_probs``)."""
        return _ExactModel(self)

    # --- laws of the backward model and of samplers ------------------------------------------
    def generator_matrix(self, rev: Reversal, t: float) -> Tensor:
        """The model's backward generator ``←Q_t`` on the joint space, ``(n^d, n^d)``."""
        y = self.states
        rates = backward_rates(rev, y, torch.full((len(y),), float(t))).double()
        G = torch.zeros(len(y), len(y), dtype=torch.float64)
        G.scatter_add_(1, self.neighbours(y).reshape(len(y), -1), rates.reshape(len(y), -1))
        G.diagonal().zero_()
        G.diagonal().sub_(G.sum(1))
        return G

    def model_law(self, rev: Reversal, start: Tensor, steps: int = 2000) -> Tensor:
        """Law at ``t_min`` of the continuous-time backward model started from the joint pmf
        ``start`` at ``T`` (exponential midpoint rule on a grid dense near both ends)."""
        p = self.process
        u = torch.linspace(0, 1, steps + 1, dtype=torch.float64)
        grid = p.T - (p.T - p.t_min) * (1 - torch.cos(math.pi * u)) / 2
        law = start.double().reshape(1, -1)
        for k in range(steps):
            h = float(grid[k] - grid[k + 1])
            law = law @ torch.linalg.matrix_exp(
                h * self.generator_matrix(rev, float(grid[k] - h / 2))
            )
        return law.flatten()

    def sampler_law(
        self, rev: Reversal, sampler: FactorisedChainSampler, start: Tensor, grid: Tensor
    ) -> Tensor:
        """Exact law of a factorised sampler on ``grid`` (decreasing times) from the pmf
        ``start``."""
        y, N = self.states, len(self.states)
        law = start.double().reshape(1, -1)
        for k in range(len(grid) - 1):
            t, s = torch.full((N,), float(grid[k])), torch.full((N,), float(grid[k + 1]))
            probs = sampler.coordinate_probs(rev, y, t, s).double()  # (N, d, n)
            M = torch.ones(N, N, dtype=torch.float64)
            for i in range(y.shape[1]):
                M = M * probs[:, i, :][:, y[:, i]]
            law = law @ M
        return law.flatten()

    def decode(self, rev: Reversal, law: Tensor, t: float) -> Tensor:
        """``p̂(x_0) = Σ_y law(y) Π_i p_θ(x_0^i | y)`` over the ``S^d`` data states."""
        y = self.states
        probs = rev.model.x0_probs(y, torch.full((len(y),), float(t)), rev.context).double()
        x0 = self.data_states
        M = torch.ones(len(y), len(x0), dtype=torch.float64)
        for i in range(y.shape[1]):
            M = M * probs[:, i, :][:, x0[:, i]]
        return law.double() @ M

    # --- KL by quadrature ---------------------------------------------------------------------
    def path_kl(self, model: nn.Module, panels: int = 64) -> float:
        """``∫_{t_min}^T Σ_y p_t(y) I_θ(y, t) dt`` (MATH.md §4) with the exact marginal ratios."""

        def integrand(t: float) -> Tensor:
            tt = torch.full((len(self.states),), t)
            exact = torch.exp(self.log_ratios(self.states, tt))
            i = score_entropy_integrand(
                self.process, self.states, tt, model.log_ratios(self.states, tt), exact
            )
            return (self.marginal(tt[:1])[0] * i.double()).sum()

        return float(self._integrate(integrand, panels))

    def expected_loss(self, model: nn.Module, panels: int = 64) -> Tensor:
        """Exact denoising score entropy ``ℓ(x_0)`` for every data state (vector over ``S^d``)."""
        p, y, x0 = self.process, self.states, self.data_states

        def integrand(t: float) -> Tensor:
            tt = torch.full((len(y),), t)
            lr = model.log_ratios(y, tt)
            P = p.transition_probs(x0, torch.full((len(x0),), t)).double()  # p(v | x0_i)
            cond = torch.ones(len(x0), len(y), dtype=torch.float64)
            out = torch.zeros(len(x0), dtype=torch.float64)
            for i in range(p.d):
                cond = cond * P[:, i, :][:, y[:, i]]
            for k in range(len(x0)):
                Pk = P[k][None].expand(len(y), -1, -1)
                r0 = Pk / Pk.gather(2, y[..., None]).clamp_min(1e-300)
                val = score_entropy_integrand(p, y, tt, lr, r0.to(lr.dtype)).double()
                out[k] = (cond[k] * val).sum()
            return out

        return self._integrate(integrand, panels)

    def _integrate(self, f: Callable[[float], Tensor], panels: int) -> Tensor:
        t, w = time_nodes(self.process.t_min, self.process.T, panels)
        with torch.no_grad():
            return sum(float(wk) * f(float(tk)) for tk, wk in zip(t, w, strict=True))


class _ExactModel(nn.Module):
    def __init__(self, oracle: ExactChain) -> None:
        super().__init__()
        self.oracle = oracle

    def log_ratios(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.oracle.log_ratios(y, t)

    def ratios(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return torch.exp(self.log_ratios(y, t))

    def x0_probs(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.oracle.x0_probs(y, t)


__all__ = ["ExactChain", "joint_index", "joint_states", "time_nodes"]
