"""The compound-Poisson jump block (MATH.md §1): ``L_t f(x) = λ(t) ∫ [f(x ⊕ w) - f(x)] g(w) dw``.

``x ⊕ w`` is the space's translation (``x + w`` on ``R^d``, ``wrap(x + w)`` on the torus). Backward
block (MATH.md §2, :mod:`dmm.reversal.jumps`): the backward rate of ``y → x`` is
``←λ(y → x) = λ(t) g(y ⊖ x) p_t(x) / p_t(y)``; with the model, ``p_t(x)/p_t(y)`` becomes the ratio
``ρ_θ(y, x, t)``. Its loss term is score entropy (MATH.md §5d: the denoising form over a latent
kernel, the implicit form otherwise) and its sampler step τ-leaping with proposals from ``g``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from ..spaces import Discrete, Space
from ..spaces.base import expand_batch
from .base import Block, CoefficientError
from .jump_laws import JumpLaw
from .schedules import Schedule


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
    # k log m (a product, not xlogy, which costs several times more per element); at m = 0 the
    # clamp makes k log m = -690 k, so the pmf is 1 at k = 0 and below e^{-700} beyond. The floor
    # at -700 keeps exp's results normal numbers (subnormal ones make it several times slower);
    # the cdf moves by at most n_max e^{-700}, below float64's resolution of 1
    logpmf = k * m.clamp_min(1e-300).log()[:, None] - m[:, None] - torch.lgamma(k + 1)
    cdf = torch.cumsum(torch.exp(logpmf.clamp_min(-700.0)), dim=-1).contiguous()
    uu = u.to(torch.float64).reshape(-1).contiguous()
    # number of CDF values below u = the left insertion index
    count = torch.searchsorted(cdf[0], uu) if shared else torch.searchsorted(cdf, uu[:, None])[:, 0]
    return count.clamp_max(n_max).reshape(u.shape)


def sample_poisson(mean: Tensor, generator: torch.Generator | None) -> Tensor:
    """``Poisson(mean)`` counts (``long``) drawn by inverse CDF from one uniform each."""
    u = torch.rand(mean.shape, generator=generator, device=mean.device, dtype=torch.float64)
    return poisson_icdf(u, mean)


class Jumps(Block):
    """Generator block ``L_t f(x) = λ(t) E_{w~g}[f(x ⊕ w) - f(x)]`` (translation-invariant jumps).

    Backward block: ``←L_τ f(y) = λ(t) ∫ g(y ⊖ x) ρ(y, x, t) [f(x) - f(y)] dx``,
    ``ρ = p_t(x)/p_t(y)``.

    ``rate`` is ``λ``: a number, a :class:`~dmm.processes.schedules.Schedule` (whose integral is
    ``Λ``) or a callable ``t -> λ(t)``, whose integral ``Λ(t) = ∫_0^t λ`` is then taken by
    32-point Gauss–Legendre quadrature unless ``integral`` is given. ``law`` is the jump density
    ``g`` (a :class:`~dmm.processes.jump_laws.JumpLaw`). ``scale`` (optional, a callable
    ``t -> s(t) > 0`` such as :class:`~dmm.processes.jump_laws.GeometricJumpScale`) makes the
    jump law time-dependent: a jump at time ``t`` is ``s(t) w``, ``w ~ g``, so the law at ``t`` is
    ``g_t(w) = s(t)^{-d} g(w / s(t))`` and every ``g`` above reads ``g_t`` (MATH.md §5d).
    ``generator_samples`` jumps per point estimate :meth:`generator`.
    """

    generator_samples: int = 128

    def __init__(
        self,
        rate: float | Schedule | Callable[[Tensor], Tensor | float],
        law: JumpLaw,
        integral: Callable[[Tensor], Tensor] | None = None,
        scale: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        if not isinstance(law, JumpLaw):
            raise TypeError(f"law must be a JumpLaw (e.g. GaussianJumps), got {law!r}")
        if isinstance(rate, (int, float)):
            if not rate > 0:
                raise ValueError(f"jump rate must be positive, got {rate}")
        elif not (isinstance(rate, Schedule) or callable(rate)):
            raise TypeError(f"rate must be a number, a Schedule or a callable, got {rate!r}")
        if scale is not None and not callable(scale):
            raise TypeError(f"scale must be a callable t -> s(t), got {scale!r}")
        self.rate, self.law, self._integral, self.scale = rate, law, integral, scale

    def __repr__(self) -> str:
        tail = "" if self.scale is None else f", scale={self.scale!r}"
        rate = self.rate if isinstance(self.rate, (int, float, Schedule)) else _name(self.rate)
        return f"Jumps(rate={rate}, law={self.law!r}{tail})"

    def check(self, space: Space) -> None:
        if isinstance(space, Discrete):
            raise ValueError(
                f"{space.name} is discrete: jumps ⊕ w with a continuous law need a continuous "
                "space (a chain jumps between states: Chain, UniformRates, ...)"
            )
        if self.law.dim != space.dim:
            raise ValueError(
                f"the jump law {self.law!r} has dimension {self.law.dim}, but {space.name} has "
                f"{space.dim}: give the law dim={space.dim}"
            )

    # the jump law at time t ----------------------------------------------------------------
    def sample_law(
        self, t: Tensor, shape: tuple[int, ...], generator: torch.Generator | None, like: Tensor
    ) -> Tensor:
        """Draws of ``g_t``, shape ``(*shape, dim)``; ``t`` broadcasts to ``shape``."""
        w = self.law.sample(shape, generator, like)
        if self.scale is None:
            return w
        s = torch.as_tensor(self.scale(t), dtype=w.dtype, device=w.device).expand(shape)
        return w * s[..., None]

    def law_log_prob(self, w: Tensor, t: Tensor) -> Tensor:
        """``log g_t(w)`` over the last axis; ``t`` broadcasts to ``w.shape[:-1]``."""
        if self.scale is None:
            return self.law.log_prob(w)
        s = torch.as_tensor(self.scale(t), dtype=w.dtype, device=w.device).expand(w.shape[:-1])
        return self.law.log_prob(w / s[..., None]) - w.shape[-1] * torch.log(s)

    def jump_times(self, u: Tensor, t0: Tensor, t1: Tensor) -> Tensor:
        """The times ``s ∈ [t0, t1]`` with ``Λ(s) = Λ(t0) + u (Λ(t1) - Λ(t0))``: for ``u ~ U(0,
        1)`` the time of one jump of the Poisson process on ``[t0, t1]`` (density
        ``λ(s) / (Λ(t1) - Λ(t0))``). ``t0, t1`` broadcast to ``u``; bisection to 2^-48 of the
        interval (``Λ`` is increasing)."""
        u = u.to(torch.float64)
        lo = torch.as_tensor(t0, dtype=torch.float64, device=u.device).expand(u.shape).clone()
        hi = torch.as_tensor(t1, dtype=torch.float64, device=u.device).expand(u.shape).clone()
        big_a, big_b = self.jump_integral(lo), self.jump_integral(hi)
        target = big_a + u * (big_b - big_a)
        for _ in range(48):
            mid = 0.5 * (lo + hi)
            below = self.jump_integral(mid) < target
            lo = torch.where(below, mid, lo)
            hi = torch.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def draw_jump_times(
        self, count: Tensor, t0: Tensor, t1: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """``(n, max count)`` float64 jump times on ``[t0[i], t1[i]]`` (entries past ``count[i]``
        are drawn too and meant to be masked out)."""
        u = torch.rand((count.shape[0], int(count.max())), generator=generator, device=count.device)
        return self.jump_times(u, t0.reshape(-1, 1), t1.reshape(-1, 1))

    def jump_rate(self, t: Tensor) -> Tensor:
        """``λ(t)``, shape of ``t``."""
        if isinstance(self.rate, (int, float)):
            return torch.full_like(t, float(self.rate))
        if isinstance(self.rate, Schedule):
            return self.rate.beta(t)
        rate = torch.as_tensor(self.rate(t), dtype=t.dtype, device=t.device)
        try:
            return rate.expand(t.shape)
        except RuntimeError:
            raise CoefficientError(
                f"the rate of {self!r} gave shape {tuple(rate.shape)} for times of shape "
                f"{tuple(t.shape)}: it must be a number or one value per time"
            ) from None

    def jump_integral(self, t: Tensor) -> Tensor:
        """``Λ(t) = ∫_0^t λ(s) ds``, shape of ``t``."""
        if isinstance(self.rate, (int, float)):
            return float(self.rate) * t
        if isinstance(self.rate, Schedule):
            return self.rate.integral(t)
        if self._integral is not None:
            return self._integral(t)
        nodes, weights = _gauss_legendre(t)
        s = 0.5 * t[..., None] * (nodes + 1)  # nodes mapped to [0, t]
        lam = self.jump_rate(s.reshape(-1)).reshape(s.shape)
        return 0.5 * t * (weights * lam).sum(-1)

    def jump_destination(self, space: Space, x: Tensor, w: Tensor) -> Tensor:
        """``x ⊕ w``: the space's own translation (a step with drift ``w`` over unit time)."""
        one = torch.ones((), dtype=w.dtype, device=w.device)
        return space.step(x, w, 0.0, one, torch.zeros_like(w))

    def sample_jumps(
        self,
        space: Space,
        x: Tensor,
        count: Tensor,
        generator: torch.Generator | None,
        t0: Tensor | None = None,
        t1: Tensor | None = None,
    ) -> Tensor:
        """Sum of ``count[i]`` independent jumps per row (a tangent vector, not yet applied): the
        jumps of the Poisson process on ``[t0, t1]`` (their times matter only under a ``scale``)."""
        n_max = int(count.max()) if count.numel() else 0
        total = torch.zeros(x.shape[0], *space.tangent_shape, dtype=x.dtype, device=x.device)
        if n_max == 0:
            return total
        if self.scale is None:
            w = self.law.sample((x.shape[0], n_max), generator, x)
        else:
            s = self.draw_jump_times(count, t0, t1, generator).to(x.dtype)
            w = self.sample_law(s, (x.shape[0], n_max), generator, x)
        mask = torch.arange(n_max, device=x.device)[None, :] < count[:, None]
        w = (w * mask[..., None].to(w.dtype)).sum(1)
        return total + w.reshape(total.shape)

    def forward_step(self, space, x, t, h, generator) -> Tensor:
        """Exact step of this block alone: ``N ~ Poisson(Λ(t+h) - Λ(t))`` jumps from ``g``."""
        end = self.jump_integral(t + h)
        mean = end - self.jump_integral(t)
        # a NaN rate made the Poisson draw a torch error, a negative one silently no jumps
        fine = mean >= -1e-6 * end.abs().clamp_min(1)  # False at NaN too
        if not bool(fine.all()):
            raise CoefficientError(
                f"the rate of {self!r} integrates to {float(mean[~fine][0]):.3g} over a step "
                f"from t = {float(torch.as_tensor(t).min()):.3g}: a jump rate must be finite "
                "and >= 0"
            )
        n = x.shape[0]
        count = sample_poisson(mean.expand(n), generator)
        t0 = torch.as_tensor(t, dtype=x.dtype, device=x.device).expand(n)
        jumps = self.sample_jumps(space, x, count, generator, t0, t0 + h)
        moved = self.jump_destination(space, x, jumps)
        # no jump: x stays exactly put
        return torch.where((count > 0).reshape(-1, *[1] * (x.ndim - 1)), moved, x)

    def generator(self, space, f, x, t) -> Tensor:
        """Monte Carlo ``λ(t) mean_m [f(x ⊕ w_m) - f(x)]`` with ``generator_samples`` fixed-seed
        jumps."""
        m = self.generator_samples
        g = torch.Generator(device=x.device).manual_seed(0)
        w = self.law.sample((m,), g, x)
        n = x.shape[0]
        xs = x.repeat_interleave(m, dim=0)
        ws = w.repeat(n, 1)
        if self.scale is not None:
            s = torch.as_tensor(self.scale(t), dtype=x.dtype, device=x.device).expand(n)
            ws = ws * s.repeat_interleave(m)[:, None]
        ws = ws.reshape(n * m, *space.tangent_shape)
        fx = f(xs).reshape(n, m)
        fy = f(self.jump_destination(space, xs, ws)).reshape(n, m)
        lam = expand_batch(self.jump_rate(t), fx).reshape(n)
        return (lam * (fy - fx).mean(1)).detach()


def _name(f) -> str:
    return getattr(f, "__qualname__", type(f).__name__)


@functools.cache
def _legendre(n: int) -> tuple[Tensor, Tensor]:
    x, w = np.polynomial.legendre.leggauss(n)
    return torch.from_numpy(x), torch.from_numpy(w)


def _gauss_legendre(like: Tensor, n: int = 32) -> tuple[Tensor, Tensor]:
    """Gauss–Legendre nodes and weights on ``[-1, 1]`` in ``like``'s dtype and device."""
    x, w = _legendre(n)
    return x.to(like.device, like.dtype), w.to(like.device, like.dtype)


__all__ = ["Jumps", "poisson_icdf", "sample_poisson"]
