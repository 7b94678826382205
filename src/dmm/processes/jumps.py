"""The compound-Poisson jump block (MATH.md §1): ``L_t f(x) = λ(t) ∫ [f(x ⊕ w) - f(x)] g(w) dw``.

``x ⊕ w`` is the space's translation (``x + w`` on ``R^d``, ``wrap(x + w)`` on the torus). Backward
block (MATH.md §2): the backward rate of ``y → x`` is ``←λ(y → x) = λ(t) g(y ⊖ x) p_t(x) / p_t(y)``;
with the model, ``p_t(x)/p_t(y)`` becomes the ratio ``ρ_θ(y, x, t)`` (:mod:`dmm.reversal.jumps`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..spaces.base import _expand
from .jump_laws import JumpLaw


def poisson_icdf(u: Tensor, mean: Tensor) -> Tensor:
    """Inverse CDF of ``Poisson(mean)`` at ``u ∈ [0, 1)`` (elementwise, exact up to float rounding).

    Using one uniform per draw couples counts across means monotonically, which keeps coupled Monte
    Carlo differences (Dynkin checks) small.
    """
    mean = mean.to(torch.float64).clamp_min(0)
    top = float(mean.max()) if mean.numel() else 0.0
    n_max = int(top + 12 * top**0.5 + 25)
    k = torch.arange(n_max + 1, dtype=torch.float64, device=u.device)
    shared = mean.numel() > 0 and bool((mean == mean.reshape(-1)[0]).all())
    m = mean.reshape(-1)[:1] if shared else mean.reshape(-1)
    logpmf = torch.special.xlogy(k, m[:, None]) - m[:, None] - torch.lgamma(k + 1)
    cdf = torch.cumsum(torch.exp(logpmf), dim=-1).contiguous()
    uu = u.to(torch.float64).reshape(-1).contiguous()
    # number of CDF values below u = the left insertion index
    count = torch.searchsorted(cdf[0], uu) if shared else torch.searchsorted(cdf, uu[:, None])[:, 0]
    return count.clamp_max(n_max).reshape(u.shape)


def sample_poisson(mean: Tensor, generator: torch.Generator | None) -> Tensor:
    """``Poisson(mean)`` counts (``long``) drawn by inverse CDF from one uniform each."""
    u = torch.rand(mean.shape, generator=generator, device=mean.device, dtype=torch.float64)
    return poisson_icdf(u, mean)


class JumpBlock:
    """Generator block ``L_t f(x) = λ(t) E_{w~g}[f(x ⊕ w) - f(x)]`` (translation-invariant jumps).

    Backward block: ``←L_τ f(y) = λ(t) ∫ g(y ⊖ x) ρ(y, x, t) [f(x) - f(y)] dx``, ``ρ =
    p_t(x)/p_t(y)``.
    Subclasses set ``jump_law`` and implement :meth:`jump_rate` and :meth:`jump_integral`
    (``Λ(t) = ∫_0^t λ``). ``generator_samples`` jumps per point estimate :meth:`block_generator`.
    """

    block_name = "jumps"
    jump_law: JumpLaw
    generator_samples: int = 128

    def jump_rate(self, t: Tensor) -> Tensor:
        """``λ(t)``, shape of ``t``."""
        raise NotImplementedError

    def jump_integral(self, t: Tensor) -> Tensor:
        """``Λ(t) = ∫_0^t λ(s) ds``, shape of ``t``."""
        raise NotImplementedError

    def jump_destination(self, x: Tensor, w: Tensor) -> Tensor:
        """``x ⊕ w``: the space's own translation (a step with drift ``w`` over unit time)."""
        one = torch.ones((), dtype=w.dtype, device=w.device)
        return self.space.step(x, w, 0.0, one, torch.zeros_like(w))

    def sample_jumps(self, x: Tensor, count: Tensor, generator: torch.Generator | None) -> Tensor:
        """Sum of ``count[i]`` independent jumps for each row (a tangent vector, not yet
        applied)."""
        n_max = int(count.max()) if count.numel() else 0
        total = torch.zeros(x.shape[0], *self.space.tangent_shape, dtype=x.dtype, device=x.device)
        if n_max == 0:
            return total
        w = self.jump_law.sample((x.shape[0], n_max), generator, x)
        mask = torch.arange(n_max, device=x.device)[None, :] < count[:, None]
        w = (w * mask[..., None].to(w.dtype)).sum(1)
        return total + w.reshape(total.shape)

    def block_forward_step(self, x: Tensor, t: Tensor, h: Tensor, generator) -> Tensor:
        """Exact step of this block alone: ``N ~ Poisson(Λ(t+h) - Λ(t))`` jumps from ``g``."""
        mean = self.jump_integral(t + h) - self.jump_integral(t)
        count = sample_poisson(mean.expand(x.shape[0]), generator)
        moved = self.jump_destination(x, self.sample_jumps(x, count, generator))
        return torch.where(
            (count > 0).reshape(-1, *[1] * (x.ndim - 1)), moved, x
        )  # no jump: x stays exactly put

    def block_generator(self, f: Callable[[Tensor], Tensor], x: Tensor, t: Tensor) -> Tensor:
        """Monte Carlo ``λ(t) mean_m [f(x ⊕ w_m) - f(x)]`` with ``generator_samples``
        fixed-seed jumps."""
        m = self.generator_samples
        g = torch.Generator(device=x.device).manual_seed(0)
        w = self.jump_law.sample((m,), g, x)
        n = x.shape[0]
        xs = x.repeat_interleave(m, dim=0)
        ws = w.repeat(n, 1).reshape(n * m, *self.space.tangent_shape)
        fx = f(xs).reshape(n, m)
        fy = f(self.jump_destination(xs, ws)).reshape(n, m)
        lam = _expand(self.jump_rate(t), fx).reshape(n)
        return (lam * (fy - fx).mean(1)).detach()


__all__ = ["JumpBlock", "poisson_icdf", "sample_poisson"]
