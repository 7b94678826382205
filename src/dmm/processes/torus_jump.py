"""Pure-jump forward process on the torus ``[-π, π)^d`` with wrapped Gaussian jumps (MATH.md §6).

Generator ``L_t f(x) = λ(t) E_{w~N(0, σ_J(t)² I)} [f(wrap(x + w)) - f(x)]`` (no drift, no
diffusion). Backward generator ``←L_τ f(y) = λ(t) ∫ g_t(y ⊖ x) ρ(y, x, t) [f(x) - f(y)] dx`` with
the ratio ``ρ = p_t(x)/p_t(y)``. Kernel: ``N ~ Poisson(Λ(t))`` jumps at times ``s_1..s_N``,
``x_t = wrap(x_0 + (Σ_k σ_J(s_k)²)^{1/2} ξ)`` (MATH.md §5d), an atom of mass ``e^{-Λ(t)}`` at
``x_0``; reference: the uniform law. With a constant jump size the sum is ``N σ_J²``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from ..spaces import Torus
from ..spaces.base import expand_batch
from ..spaces.torus import wrapped_normal_log_prob
from .base import Process, expand_time
from .jump_laws import GaussianJumps, GaussianMixtureJumps, GeometricJumpScale
from .jumps import Jumps, _gauss_legendre, sample_poisson
from .references import Reference
from .schedules import ExponentialSchedule, Schedule


class TorusUniform(Reference):
    """The uniform law on ``[-π, π)^d`` (density 1 w.r.t. the normalised measure)."""

    def __init__(self, d: int) -> None:
        self.space = Torus(d)

    def sample(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        return self.space.uniform(n, generator, device=device)

    def log_prob(self, x: Tensor) -> Tensor:
        return torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)

    def __repr__(self) -> str:
        return f"TorusUniform({self.space.d})"


def lattice_shell_counts(d: int, m_max: int) -> Tensor:
    """``r_d(m)`` = number of ``k ∈ Z^d`` with ``|k|² = m``, for ``m = 0..m_max`` (float64)."""
    one = torch.zeros(m_max + 1, dtype=torch.float64)
    k = torch.arange(0, int(math.isqrt(m_max)) + 1)
    one[k**2] = 2.0
    one[0] = 1.0
    out = torch.zeros(m_max + 1, dtype=torch.float64)
    out[0] = 1.0
    for _ in range(d):
        full = torch.zeros(2 * m_max + 1, dtype=torch.float64)
        for m in torch.nonzero(one).flatten().tolist():
            full[m : m + m_max + 1] += one[m] * out
        out = full[: m_max + 1]
    return out


class TorusJump(Process):
    """Wrapped Gaussian jumps on ``T^d`` at rate ``λ(t)`` (a :class:`Schedule`, default
    exponential from 0.45 to 181.5, so ``Λ(t) = 0.075 (e^{6t} - 1)`` and ``Λ(1) = 30``), jump law
    ``N(0, σ_J² I)`` with ``σ_J = 0.6`` (``Λ(1) σ_J² = 11``: mixed like a wrapped normal of
    variance 11); reference uniform. See the module docstring for both generators.

    ``sigma_jump_min`` (optional) makes the jump size time-dependent,
    ``σ_J(t) = σ_min (σ_J / σ_min)^{t/T}``: small jumps near the data, ``σ_J`` at ``T``
    (:class:`~dmm.processes.jump_laws.GeometricJumpScale`).

    ``sigma_jump_small`` (optional) makes every jump small (std ``σ_s``) with probability
    ``small_share`` and of size ``σ_J`` otherwise (:class:`~dmm.processes.GaussianMixtureJumps`):
    the kernel is still a wrapped normal given the jumps, of variance the sum of the jumps'
    variances, and ``φ_t(k) = exp(-Λ(t)(1 - Σ_j π_j e^{-σ_j²|k|²/2}))``. Near the data the
    backward process can then refine with small jumps and still return from afar with large ones.

    ``has_exact_transition`` stays ``False`` because there is no conditional *score* (the kernel
    has an atom); the exact kernel sampler is :meth:`sample_transition`, used by
    :meth:`sample_marginal`. The latent kernel (``Γ = (x_0, N σ_J²)``) serves the denoising loss.
    """

    has_exact_transition: ClassVar[bool] = False
    has_latent_kernel: ClassVar[bool] = True

    def __init__(
        self,
        d: int = 2,
        sigma_jump: float = 0.6,
        rate: Schedule | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        sigma_jump_min: float | None = None,
        sigma_jump_small: float | None = None,
        small_share: float = 0.5,
    ) -> None:
        self.d = Torus(d).d  # a positive integer (2.5 became 2 silently)
        self.sigma_jump = float(sigma_jump)
        if sigma_jump_min is not None and not 0 < sigma_jump_min <= sigma_jump:
            raise ValueError(
                f"need 0 < sigma_jump_min <= sigma_jump, got {sigma_jump_min}, {sigma_jump}"
            )
        same = sigma_jump_min is None or sigma_jump_min == sigma_jump
        self.sigma_jump_min = None if same else float(sigma_jump_min)
        if sigma_jump_small is not None:
            if not 0 < sigma_jump_small < sigma_jump or not 0 < small_share < 1:
                raise ValueError(
                    f"need 0 < sigma_jump_small < sigma_jump and 0 < small_share < 1, got "
                    f"{sigma_jump_small}, {sigma_jump}, {small_share}"
                )
            if self.sigma_jump_min is not None:
                raise ValueError("sigma_jump_small and sigma_jump_min do not combine: pick one")
        self.sigma_jump_small = None if sigma_jump_small is None else float(sigma_jump_small)
        self.small_share = float(small_share)
        self.jump_law = (
            GaussianJumps(self.d, self.sigma_jump)
            if self.sigma_jump_small is None
            else GaussianMixtureJumps(
                self.d, (self.sigma_jump_small, self.sigma_jump), (small_share, 1 - small_share)
            )
        )
        # exponential rate: the jumped variance Λ(t)σ_J² grows by the same factor per unit time, so
        # uniform time grids (training and sampling) spend most of their points where p_t still
        # has structure (docs/studies/jumps.md, "What made the model learn"). Smaller jumps (σ_J = 0.25,
        # rate 2.4 -> 968) resolve thin structures better (moons: 2.1x the energy floor against
        # 12x) but lost the checkerboard (0.53 on black cells against 0.88): no single jump size
        # serves both
        self.rate = rate or ExponentialSchedule(0.45, 181.5)
        scale = (
            None
            if self.sigma_jump_min is None
            else GeometricJumpScale(self.sigma_jump_min / self.sigma_jump, T)
        )
        self.jumps = Jumps(self.rate, self.jump_law, scale=scale)
        super().__init__(Torus(self.d), (self.jumps,), TorusUniform(self.d), T, t_min)

    def __repr__(self) -> str:
        low = "" if self.sigma_jump_min is None else f", sigma_jump_min={self.sigma_jump_min}"
        if self.sigma_jump_small is not None:
            low += f", sigma_jump_small={self.sigma_jump_small}, small_share={self.small_share}"
        return (
            f"TorusJump(d={self.d}, sigma_jump={self.sigma_jump}{low}, rate={self.rate!r}, "
            f"T={self.T})"
        )

    @property
    def smallest_jump(self) -> float:
        """The smallest jump std the process makes (``σ_min``, the small size, or ``σ_J``)."""
        return self.sigma_jump_min or self.sigma_jump_small or self.sigma_jump

    # exact kernel ------------------------------------------------------------------------------
    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """``wrap(x_0 + √N σ_J ξ)``, ``N ~ Poisson(Λ(t))`` (counts by inverse CDF, so draws at
        different ``t`` with the same generator state are monotonically coupled)."""
        return self.sample_latent(x0, t, generator)[0]

    def sample_latent(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(x_t, Γ, N = 0)`` with ``Γ = (x_0, V)``, ``V = Σ_{k ≤ N} σ_J(s_k)²`` (``N σ_J²`` for a
        constant jump size): given ``x_0`` and the jumps, ``x_t`` is the wrapped normal
        ``WN(x_0, V I)``, a point mass when ``N = 0`` (latent kernel of the denoising loss,
        MATH.md §5d). Jump times are drawn given ``N`` (i.i.d. with density ``λ(s)/Λ(t)``)."""
        t = torch.as_tensor(t, dtype=x0.dtype, device=x0.device).expand(x0.shape[0])
        count = sample_poisson(self.jumps.jump_integral(t), generator)
        xi = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        var = self._jumped_variance(count, t, generator).to(x0.dtype)
        moved = self.space.wrap(x0 + expand_batch(var.sqrt(), x0) * xi)
        atom = count == 0
        xt = torch.where(atom.reshape(-1, *[1] * (x0.ndim - 1)), x0, moved)  # the atom stays at x_0
        return xt, torch.cat([x0, var[:, None]], 1), atom

    def _jumped_variance(
        self, count: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """``Σ_{k ≤ N} σ_J(s_k)²`` per row, the ``N = count`` jump times drawn on ``[0, t]``; with
        two sizes, the sum of the ``N`` drawn variances."""
        if self.sigma_jump_small is not None:
            n_max = int(count.max()) if count.numel() else 0
            if n_max == 0:
                return torch.zeros_like(t)
            size = self.jump_law.sample_scale((count.shape[0], n_max), generator, t)
            used = torch.arange(n_max, device=t.device)[None, :] < count[:, None]
            return (size * used).sum(1)
        if self.jumps.scale is None:
            return count.to(t.dtype) * self.sigma_jump**2
        n_max = int(count.max()) if count.numel() else 0
        if n_max == 0:
            return torch.zeros_like(t)
        times = self.jumps.draw_jump_times(count, torch.zeros_like(t), t, generator).to(t.dtype)
        size = (self.sigma_jump * self.jumps.scale(times)) ** 2
        used = torch.arange(n_max, device=t.device)[None, :] < count[:, None]
        return (size * used).sum(1)

    def latent_log_density(self, x: Tensor, latent: Tensor, t: Tensor) -> Tensor:
        """``log WN(x; x_0, N σ_J² I)`` (normalised measure), ``Γ = (x_0, N σ_J²)``, ``N ≥ 1``."""
        floor = self.smallest_jump**2
        var = latent[:, -1:].clamp_min(floor)  # one variance per row
        return wrapped_normal_log_prob(self.space.wrap(x - latent[:, :-1]), var).sum(-1)

    def sample_marginal(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        return self.sample_transition(x0, expand_time(t, x0.shape[0], x0), generator)

    def fourier_multiplier(self, k2: Tensor, t: Tensor) -> Tensor:
        """``φ_t(k) = E e^{ik·(X_t - X_0)} = exp(-∫_0^t λ(s) (1 - e^{-σ_J(s)²|k|²/2}) ds)`` for
        ``|k|² = k2`` (``(m,)``) and times ``t`` (``(n,)``): ``(n, m)``, float64. A constant jump
        size gives ``exp(-Λ(t)(1 - e^{-σ_J²|k|²/2}))``; otherwise 64-point Gauss–Legendre."""
        k2, t = k2.to(torch.float64), t.to(torch.float64)
        if self.sigma_jump_small is not None:
            lam = self.jumps.jump_integral(t)[:, None]
            return torch.exp(-lam * (1 - self.jump_law.characteristic(k2))[None])
        if self.jumps.scale is None:
            lam = self.jumps.jump_integral(t)[:, None]
            return torch.exp(-lam * -torch.expm1(-0.5 * self.sigma_jump**2 * k2)[None])
        k2, shell = torch.unique(k2, return_inverse=True)  # |k|² repeats: one integral per shell
        nodes, weights = _gauss_legendre(t, 64)
        s = 0.5 * t[:, None] * (nodes + 1)  # (n, 64)
        size = (self.sigma_jump * self.jumps.scale(s)) ** 2
        weight = 0.5 * t[:, None] * weights * self.jumps.jump_rate(s)  # (n, 64)
        inner = -torch.expm1(-0.5 * size[:, None, :] * k2[None, :, None])  # (n, m, 64)
        return torch.exp(-(inner * weight[:, None, :]).sum(-1))[:, shell]

    # terminal mismatch (MATH.md §6) -------------------------------------------------------------
    def atom_mass(self, t: float | None = None) -> float:
        """``e^{-Λ(t)}``: probability of no jump by time ``t`` (default ``T``)."""
        t = self.T if t is None else t
        return math.exp(
            -float(self.jumps.jump_integral(torch.tensor(float(t), dtype=torch.float64)))
        )

    def continuous_chi2(self) -> float:
        """``χ²_c = Σ_{k≠0} c_k²`` with ``c_k = (e^{-Λ(1-e^{-σ_J²|k|²/2})} - e^{-Λ})/(1 -
        e^{-Λ})``; with a time-dependent jump size the exponent is
        ``-∫_0^T λ(s) (1 - e^{-σ_J(s)²|k|²/2}) ds`` (64-point Gauss–Legendre in ``s``)."""
        T = torch.tensor([self.T], dtype=torch.float64)
        lam = float(self.jumps.jump_integral(T))
        smallest = self.smallest_jump**2
        m_max = int(math.ceil(2 * (80 + 2 * math.log(lam + 1)) / smallest))
        m = torch.arange(m_max + 1, dtype=torch.float64)
        atom = math.exp(-lam)
        c = (self.fourier_multiplier(m, T)[0] - atom) / (1 - atom)
        counts = lattice_shell_counts(self.d, m_max)
        return float((counts[1:] * c[1:] ** 2).sum())

    def terminal_report(self, data_kl: float | None = None) -> dict[str, float]:
        """``KL(p_T || q) ≤ e^{-Λ} KL(p_0 || q) + (1 - e^{-Λ}) log(1 + χ²_c)``.

        ``data_kl`` bounds ``KL(p_0 || q)`` (unknown for sample data; e.g. ``log 2`` for a
        checkerboard that covers half the torus). Without it, ``bound`` is the continuous part only
        and ``atom_mass`` (``e^{-Λ(T)}``) says how much the missing term can weigh.
        """
        atom = self.atom_mass()
        cont = (1 - atom) * math.log1p(self.continuous_chi2())
        bound = cont + (atom * data_kl if data_kl is not None else 0.0)
        return {
            "bound": bound,
            "continuous_part": cont,
            "atom_mass": atom,
            "data_kl": math.nan if data_kl is None else float(data_kl),
        }

    #: what :meth:`terminal_kl` is, as ``dmm eval`` says it (the kernel has an atom at ``x_0``)
    terminal_kl_note = (
        "the continuous part (1 - e^-Lambda) log(1 + chi2_c) of the bound on KL(p_T || q) in nats "
        "(MATH.md section 6); the kernel's atom adds e^-Lambda(T) KL(p_0 || q), with "
        "e^-Lambda(T) = family.terminal_atom_mass"
    )

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """Per sample, the continuous part ``(1 - e^{-Λ}) log(1 + χ²_c)`` of the §6 bound (the
        atom's share ``e^{-Λ(T)} KL(p_0||q)`` is reported by :meth:`terminal_report`)."""
        return torch.full(
            (x0.shape[0],),
            self.terminal_report()["continuous_part"],
            dtype=x0.dtype,
            device=x0.device,
        )


__all__ = ["TorusJump", "TorusUniform", "lattice_shell_counts"]
