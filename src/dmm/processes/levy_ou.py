"""Lévy-driven Ornstein–Uhlenbeck process on ``R^d`` (MATH.md §1, §6).

``dX = -θ X dt + σ dW + dJ`` with ``J`` compound Poisson (rate ``λ``, symmetric jump law ``g``).
Generator ``L f = -θ x·∇f + ½σ² Δf + λ E_{w~g}[f(x + w) - f(x)]``. Backward generator
``←L f(y) = (θ y + σ² ∇log p_t)·∇f + ½σ² Δf + λ ∫ g(y - x) ρ(y, x) [f(x) - f(y)] dx`` with
``ρ = p_t(x)/p_t(y)`` (no compensator: the jump part has finite intensity and ``g`` is symmetric).

Exact simulation: ``X_t = e^{-θt} x_0 + sqrt(σ²(1 - e^{-2θt})/2θ) ξ + Σ_{k≤N} e^{-θ(t-s_k)} Z_k``,
``N ~ Poisson(λt)``, ``s_k ~ U(0, t)``, ``Z_k ~ g``. Reference: the stationary law, sampled by
the same
formula from ``x_0 = 0`` over a horizon ``12/θ`` (residual weight ``e^{-12}``). Jump laws: Student-t
(:meth:`LevyOU.student_t`, no Brownian part) or the truncated isotropic ``α``-stable measure
with its
small jumps replaced by a Brownian term of the same covariance (:meth:`LevyOU.truncated_stable`).

Latent kernel (MATH.md §5d, denoising loss): when ``g`` is a Gaussian scale mixture
(``Z_k = √V_k ξ_k``, :attr:`JumpLaw.scale_mixture`), then given ``x_0``, the jump times ``s_k`` and
the scales ``V_k``, ``X_t`` is Gaussian: ``N(e^{-θt} x_0, v I)`` with
``v = σ²(1 - e^{-2θt})/2θ + Σ_k e^{-2θ(t-s_k)} V_k``. So ``Γ = (e^{-θt} x_0, v)``, ``p_t = E_Γ
N(m, vI)``, and the rows with ``v = 0`` (``σ = 0``, no jump yet) are atoms.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..spaces import Euclidean
from ..spaces.base import expand_batch
from .base import MissingCapability, Process, expand_time
from .diffusion import Diffusion
from .jump_laws import JumpLaw, StableMixtureJumps, StudentTJumps, TruncatedStableJumps
from .jumps import Jumps, sample_poisson
from .references import Reference


class LevyOU(Process):
    """``dX = -θX dt + σ dW + dJ``; see the module docstring for both generators.

    ``sample_marginal`` is exact (no conditional score exists, so ``has_exact_transition`` is
    False).
    With ``sigma = 0`` the diffusion block is a pure drift (``D = 0``). ``has_latent_kernel``
    holds when the jump law is a Gaussian scale mixture (Student-t, Gaussian, the variance-truncated
    stable law), see the module docstring.
    """

    @property
    def has_latent_kernel(self) -> bool:  # type: ignore[override]
        """Declared by the jump law: ``Z = √V ξ`` makes ``X_t`` Gaussian given the scales."""
        return self.jump_law.scale_mixture

    def __init__(
        self,
        dim: int,
        jump_law: JumpLaw,
        rate: float = 1.0,
        theta: float = 1.0,
        sigma: float = 0.0,
        T: float = 5.0,
        t_min: float = 1e-3,
    ) -> None:
        if rate <= 0 or theta <= 0 or sigma < 0:
            raise ValueError(f"need rate > 0, theta > 0, sigma >= 0; got {rate}, {theta}, {sigma}")
        if jump_law.dim != dim:
            raise ValueError(f"jump law has dimension {jump_law.dim}, process has {dim}")
        self.dim = int(dim)
        self.jump_law, self.rate = jump_law, float(rate)
        self.theta, self.sigma = float(theta), float(sigma)
        blocks = (
            Diffusion(self.drift, self.diffusion, state_dependent=False),
            Jumps(self.rate, jump_law),
        )
        super().__init__(Euclidean(self.dim), blocks, None, T, t_min)
        self.reference = LevyOUStationary(self)

    @classmethod
    def student_t(
        cls, dim: int, nu: float = 1.5, scale: float = 1.0, rate: float = 1.0, **kw
    ) -> LevyOU:
        """Compound-Poisson Student-t jumps (tail index ``nu``), no Brownian part."""
        return cls(dim, StudentTJumps(dim, nu, scale), rate=rate, **kw)

    @classmethod
    def truncated_stable(
        cls,
        dim: int,
        alpha: float = 1.5,
        epsilon: float = 0.5,
        intensity: float = 1.0,
        truncation: str = "radius",
        **kw,
    ) -> LevyOU:
        """Isotropic ``α``-stable Lévy measure: ``truncation="radius"``: jumps ``|w| > ε``
        compound Poisson at rate ``c ε^{-α}/α``, small jumps replaced by
        ``σ² = c ε^{2-α}/((2-α)d)`` (Asmussen–Rosiński); ``"variance"``: the scale-mixture
        truncation ``v ≥ ε²`` of :class:`StableMixtureJumps` (has a latent kernel)."""
        laws = {"radius": TruncatedStableJumps, "variance": StableMixtureJumps}
        if truncation not in laws:
            raise ValueError(f"truncation must be 'radius' or 'variance', got {truncation!r}")
        law = laws[truncation](dim, alpha, epsilon, intensity)
        return cls(dim, law, rate=law.rate(), sigma=math.sqrt(law.small_jump_variance()), **kw)

    def __repr__(self) -> str:
        return (
            f"LevyOU(dim={self.dim}, jump_law={self.jump_law!r}, rate={self.rate}, "
            f"theta={self.theta}, sigma={self.sigma}, T={self.T})"
        )

    # blocks
    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        return -self.theta * x

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        return torch.full((1,) * x.ndim, self.sigma, dtype=x.dtype, device=x.device)

    # exact simulation
    def sample_marginal(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """Exact ``X_t | X_0 = x0`` (see the module docstring); ``t`` scalar or ``(batch,)``."""
        n = x0.shape[0]
        t = expand_time(t, n, x0)
        decay = torch.exp(-self.theta * t)
        var = self.sigma**2 * -torch.expm1(-2 * self.theta * t) / (2 * self.theta)
        xi = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        out = expand_batch(decay, x0) * x0 + expand_batch(var.sqrt(), x0) * xi
        count = sample_poisson(self.rate * t, generator)
        k = int(count.max()) if n else 0
        if k == 0:
            return out
        z = self.jump_law.sample((n, k), generator, x0)
        s = torch.rand((n, k), generator=generator, device=x0.device, dtype=x0.dtype) * t[:, None]
        live = torch.arange(k, device=x0.device)[None, :] < count[:, None]
        weight = torch.exp(-self.theta * (t[:, None] - s)) * live.to(x0.dtype)
        return out + (weight[..., None] * z).sum(1).reshape(x0.shape)

    def sample_latent(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(x_t, Γ, atom)``, ``Γ = (e^{-θt} x_0, v)`` with ``v`` the variance given the jump
        times and scales (module docstring); ``atom = (v == 0)``: no Brownian part, no jump."""
        if not self.has_latent_kernel:
            raise MissingCapability(f"{self.jump_law!r} is not a Gaussian scale mixture")
        n = x0.shape[0]
        t = torch.as_tensor(t, dtype=x0.dtype, device=x0.device).expand(n)
        mean = expand_batch(torch.exp(-self.theta * t), x0) * x0
        var = self.sigma**2 * -torch.expm1(-2 * self.theta * t) / (2 * self.theta)
        count = sample_poisson(self.rate * t, generator)
        k = int(count.max()) if n else 0
        if k:
            scale = self.jump_law.sample_scale((n, k), generator, x0)
            s = torch.rand((n, k), generator=generator, device=x0.device, dtype=x0.dtype)
            live = torch.arange(k, device=x0.device)[None, :] < count[:, None]
            decay = torch.exp(-2 * self.theta * (t[:, None] * (1 - s))) * live.to(x0.dtype)
            var = var + (decay * scale).sum(1)
        xi = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        xt = mean + expand_batch(var.sqrt(), x0) * xi
        return xt, torch.cat([mean.reshape(n, -1), var[:, None]], 1), var == 0

    def latent_log_density(self, x: Tensor, latent: Tensor, t: Tensor) -> Tensor:
        """``log N(x; m, v I)`` (normalised), ``Γ = (m, v)``, ``v > 0``."""
        n = x.shape[0]
        var = latent[:, -1].clamp_min(torch.finfo(x.dtype).tiny)
        sq = ((x.reshape(n, -1) - latent[:, :-1]) ** 2).sum(1)
        return -0.5 * sq / var - 0.5 * self.dim * torch.log(2 * math.pi * var)

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """Not available: with ``σ = 0`` the kernel keeps an atom of mass ``e^{-λT}`` (no jump by
        ``T``) that the stationary law lacks, so the KL is infinite; with ``σ > 0`` it has no
        closed form. :meth:`terminal_tv` bounds the total variation instead."""
        why = "is infinite (the kernel's atom)" if self.sigma == 0 else "has no closed form"
        raise MissingCapability(
            f"the terminal KL of levy-ou {why}; the report's tv_bound bounds its total variation instead"
        )

    def terminal_tv(
        self, x0: Tensor, generator: torch.Generator | None = None, draws: int = 256
    ) -> Tensor:
        """Per-sample bound on ``TV(p_{T|0}(·|x_0), q)``, by coupling (needs the latent kernel).

        ``X_T = e^{-θT} x_0 + N_T`` with ``N_T ~ N(0, vI)`` given the latent variance ``v``; the
        stationary law is that of ``e^{-θT} X' + N_T``, ``X' ~ q`` independent of ``N_T``
        (start at ``q``, run to ``T``). Sharing ``v`` and conditioning (joint convexity of TV):

            TV ≤ E_{X', v} TV(N(e^{-θT}x_0, vI), N(e^{-θT}X', vI))
               = E_{X', v} erf(e^{-θT} |x_0 - X'| / (2 sqrt(2v))),

        with the atom ``v = 0`` (``σ = 0``, no jump: probability ``e^{-λT}``) counting 1. Monte
        Carlo over ``draws`` pairs ``(X', v)`` per row (standard error at most
        ``0.5/sqrt(draws)``). Finite whenever ``E|x_0| < ∞``: heavy-tailed data of index > 1."""
        n = x0.shape[0]
        flat = x0.reshape(n, -1)
        rows = max(1, 16384 // draws)  # rows per chunk: the stationary draws simulate ~12λ jumps
        out = []
        for part in flat.split(rows):
            m = part.shape[0] * draws
            ref = self.reference.sample(m, generator, x0.device).to(flat.dtype)
            zero = torch.zeros(m, self.dim, dtype=flat.dtype, device=x0.device)
            _, latent, _ = self.sample_latent(zero, torch.tensor(self.T), generator)
            gap = (part.repeat_interleave(draws, 0) - ref).norm(dim=1)
            gap = math.exp(-self.theta * self.T) * gap
            v = latent[:, -1]
            tv = torch.where(v > 0, torch.erf(gap / (2 * torch.sqrt(2 * v.clamp_min(1e-30)))), 1.0)
            out.append(tv.reshape(-1, draws).mean(1))
        return torch.cat(out) if out else flat.new_zeros(0)


class LevyOUStationary(Reference):
    """The stationary law of a :class:`LevyOU` process, sampled by exact simulation from 0 over a
    horizon of ``12/θ``. It has no closed-form density (``log_prob`` is unavailable)."""

    def __init__(self, process: LevyOU, horizon: float | None = None) -> None:
        self.process = process
        self.horizon = 12.0 / process.theta if horizon is None else float(horizon)

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        x0 = torch.zeros(n, self.process.dim, device=device)
        return self.process.sample_marginal(x0, torch.tensor(self.horizon), generator)

    def log_prob(self, x: Tensor) -> Tensor:
        raise NotImplementedError("the Lévy-OU stationary law has no closed-form density")


__all__ = ["LevyOU", "LevyOUStationary"]
