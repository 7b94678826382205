"""Jump laws ``g``: probability densities of the jump size ``w`` of a compound-Poisson block.

A jump law samples ``w`` in the tangent shape and evaluates ``log g(w)`` (w.r.t. Lebesgue measure on
``R^d``). All laws here are symmetric, ``g(-w) = g(w)``, which is what the implicit score entropy of
MATH.md §5d assumes; ``symmetric`` declares it.

* :class:`GaussianJumps` — ``N(0, σ_J² I)`` (wrapped by the space on the torus);
* :class:`GaussianMixtureJumps` — ``Σ_j π_j N(0, σ_j² I)``, jumps of several sizes;
* :class:`StudentTJumps` — multivariate Student-t with ``ν`` degrees of freedom, tail
``P(|w|>r) ~ r^{-ν}``;
* :class:`TruncatedStableJumps` — the big jumps ``|w| > ε`` of the isotropic ``α``-stable Lévy
measure
  ``m(dw) = c |w|^{-d-α} dw`` (normalised), with the rate and small-jump covariance of the
  truncation;
* :class:`StableMixtureJumps` — the same Lévy measure written as a Gaussian scale mixture and
  truncated in the *variance*: ``m(dw) = ∫ N(w; 0, vI) π(dv)``, ``π(dv) ∝ v^{-1-α/2} dv``, jumps
  with ``v ≥ ε²`` compound Poisson, ``v < ε²`` replaced by a Brownian term.

Gaussian scale mixtures declare ``scale_mixture = True`` and implement :meth:`JumpLaw.sample_scale`:
``w = √V ξ``, ``ξ ~ N(0, I)``, with ``V`` drawn by ``sample_scale``. Given the scales, a linear
process driven by such jumps is Gaussian (the latent kernel of :class:`~dmm.processes.LevyOU`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor


class JumpLaw:
    """A jump-size density ``g`` on ``R^d`` (``d = dim``)."""

    symmetric: ClassVar[bool] = True
    #: ``w = √V ξ`` with ``ξ ~ N(0, I)`` independent of the scale ``V`` (:meth:`sample_scale`)
    scale_mixture: ClassVar[bool] = False

    def __init__(self, dim: int) -> None:
        if int(dim) <= 0:
            raise ValueError(f"jump law dimension must be positive, got {dim}")
        self.dim = int(dim)

    def sample(
        self, shape: tuple[int, ...], generator: torch.Generator | None, like: Tensor
    ) -> Tensor:
        """Draws of shape ``(*shape, dim)`` on ``like``'s device and dtype."""
        raise NotImplementedError

    def log_prob(self, w: Tensor) -> Tensor:
        """``log g(w)`` over the last axis."""
        raise NotImplementedError

    def sample_scale(
        self, shape: tuple[int, ...], generator: torch.Generator | None, like: Tensor
    ) -> Tensor:
        """Variances ``V`` of shape ``shape`` such that ``√V ξ ~ g`` (scale mixtures only)."""
        raise NotImplementedError(f"{type(self).__name__} is not a Gaussian scale mixture")


class GeometricJumpScale:
    """A time-dependent jump size (MATH.md §5d): at time ``t`` the jumps are ``s(t) w``, ``w ~ g``,
    with ``s(t) = s_0^{1 - t/T}``: ``s(0) = s_0`` (small jumps near the data when ``s_0 < 1``) and
    ``s(T) = 1`` (the law ``g`` itself at the end). The jump law at time ``t`` is then
    ``g_t(w) = s(t)^{-d} g(w / s(t))``, symmetric when ``g`` is."""

    def __init__(self, start: float, T: float = 1.0) -> None:
        if not start > 0 or not T > 0:
            raise ValueError(f"need a positive start scale and T, got {start}, {T}")
        self.start, self.T = float(start), float(T)

    def __call__(self, t: Tensor) -> Tensor:
        return torch.exp(math.log(self.start) * (1 - t / self.T))

    def __repr__(self) -> str:
        return f"GeometricJumpScale(start={self.start}, T={self.T})"


def _randn(shape, dim, generator, like) -> Tensor:
    return torch.randn((*shape, dim), generator=generator, device=like.device, dtype=like.dtype)


class GaussianJumps(JumpLaw):
    """``g = N(0, σ_J² I_d)``."""

    def __init__(self, dim: int, sigma: float) -> None:
        super().__init__(dim)
        if sigma <= 0:
            raise ValueError(f"jump sigma must be positive, got {sigma}")
        self.sigma = float(sigma)

    scale_mixture: ClassVar[bool] = True

    def sample(self, shape, generator, like):
        return self.sigma * _randn(shape, self.dim, generator, like)

    def sample_scale(self, shape, generator, like):
        """``V = σ_J²`` (a degenerate mixture)."""
        return torch.full(shape, self.sigma**2, device=like.device, dtype=like.dtype)

    def log_prob(self, w: Tensor) -> Tensor:
        return (-0.5 * (w / self.sigma) ** 2).sum(-1) - self.dim * (
            math.log(self.sigma) + 0.5 * math.log(2 * math.pi)
        )

    def __repr__(self) -> str:
        return f"GaussianJumps(dim={self.dim}, sigma={self.sigma})"


class GaussianMixtureJumps(JumpLaw):
    """``g = Σ_j π_j N(0, σ_j² I_d)``: jumps of several sizes at once (a finite Gaussian scale
    mixture, ``V = σ_j²`` with probability ``π_j``)."""

    scale_mixture: ClassVar[bool] = True

    def __init__(self, dim: int, sigmas: tuple[float, ...], weights: tuple[float, ...]) -> None:
        super().__init__(dim)
        if len(sigmas) != len(weights) or not sigmas:
            raise ValueError(f"need as many weights as sizes, got {sigmas} and {weights}")
        if any(s <= 0 for s in sigmas) or any(w <= 0 for w in weights):
            raise ValueError(f"jump sizes and weights must be positive, got {sigmas}, {weights}")
        total = float(sum(weights))
        self.sigmas = tuple(float(s) for s in sigmas)
        self.weights = tuple(float(w) / total for w in weights)

    def sample_scale(self, shape, generator, like):
        """``V = σ_j²`` with probability ``π_j``."""
        pick = torch.multinomial(
            torch.tensor(self.weights), math.prod(shape) or 1, True, generator=generator
        )[: math.prod(shape)]
        var = torch.tensor([s**2 for s in self.sigmas], dtype=like.dtype)[pick]
        return var.reshape(shape).to(like.device)

    def sample(self, shape, generator, like):
        v = self.sample_scale(shape, generator, like)
        return v.sqrt()[..., None] * _randn(shape, self.dim, generator, like)

    def log_prob(self, w: Tensor) -> Tensor:
        sq = (w**2).sum(-1)
        parts = [
            math.log(pi) - 0.5 * sq / s**2 - self.dim * (math.log(s) + 0.5 * math.log(2 * math.pi))
            for s, pi in zip(self.sigmas, self.weights, strict=True)
        ]
        return torch.logsumexp(torch.stack(parts), 0)

    def characteristic(self, k2: Tensor) -> Tensor:
        """``E e^{i k·w} = Σ_j π_j e^{-σ_j² |k|²/2}`` at ``|k|² = k2``."""
        return sum(
            pi * torch.exp(-0.5 * s**2 * k2)
            for s, pi in zip(self.sigmas, self.weights, strict=True)
        )

    def __repr__(self) -> str:
        return f"GaussianMixtureJumps(dim={self.dim}, sigmas={self.sigmas}, weights={self.weights})"


class StudentTJumps(JumpLaw):
    """Multivariate Student-t ``w = s ξ / sqrt(χ²_ν / ν)``, ``ξ ~ N(0, I)``: density
    ``Γ((ν+d)/2) / (Γ(ν/2) (νπ)^{d/2} s^d) (1 + |w|²/(ν s²))^{-(ν+d)/2}``."""

    def __init__(self, dim: int, nu: float, scale: float = 1.0) -> None:
        super().__init__(dim)
        if nu <= 0 or scale <= 0:
            raise ValueError(f"need nu > 0 and scale > 0, got {nu}, {scale}")
        self.nu, self.scale = float(nu), float(scale)

    scale_mixture: ClassVar[bool] = True

    def sample(self, shape, generator, like):
        xi = _randn(shape, self.dim, generator, like)
        return self.sample_scale(shape, generator, like)[..., None].sqrt() * xi

    def sample_scale(self, shape, generator, like):
        """``V = s² ν / χ²_ν`` (inverse gamma)."""
        # χ²_ν = 2 Gamma(ν/2, 1); torch's gamma sampler takes no generator, so use Marsaglia–Tsang
        # float32 ``rand`` returns exactly 0 w.p. 2^-24, which would make χ² = 0 and V = inf:
        # the floor keeps V finite (≤ 1e30 s² ν) and changes nothing else
        chi2 = 2.0 * _gamma(shape, self.nu / 2, generator, like).clamp_min(1e-30)
        return self.scale**2 * self.nu / chi2

    def log_prob(self, w: Tensor) -> Tensor:
        d, nu = self.dim, self.nu
        q = (w**2).sum(-1) / (nu * self.scale**2)
        c = (
            math.lgamma((nu + d) / 2)
            - math.lgamma(nu / 2)
            - 0.5 * d * math.log(nu * math.pi)
            - d * math.log(self.scale)
        )
        return c - 0.5 * (nu + d) * torch.log1p(q)

    def __repr__(self) -> str:
        return f"StudentTJumps(dim={self.dim}, nu={self.nu}, scale={self.scale})"


class _StableLevyMeasure(JumpLaw):
    """The isotropic ``α``-stable Lévy measure ``c |w|^{-d-α}``, its truncation level ``ε`` and
    intensity (the parameters shared by the two truncations below)."""

    def __init__(self, dim: int, alpha: float, epsilon: float, intensity: float = 1.0) -> None:
        super().__init__(dim)
        if not 0 < alpha < 2 or epsilon <= 0 or intensity <= 0:
            raise ValueError(
                f"need 0 < alpha < 2, epsilon > 0, intensity > 0; got {alpha}, "
                f"{epsilon}, {intensity}"
            )
        self.alpha, self.epsilon, self.intensity = float(alpha), float(epsilon), float(intensity)


class TruncatedStableJumps(_StableLevyMeasure):
    """Big jumps of the isotropic ``α``-stable Lévy measure ``m(dw) = c |w|^{-d-α} dw``, ``|w|
    > ε``.

    In polar form the radial Lévy measure is ``c_r r^{-1-α} dr`` (``c_r = c · |S^{d-1}|``, the
    ``intensity``), the direction is uniform. Truncation gives a compound-Poisson part with rate
    ``λ = c_r ε^{-α} / α`` and Pareto radii ``r = ε U^{-1/α}``; the small jumps ``|w| ≤ ε`` have
    covariance ``c_r ε^{2-α} / ((2-α) d) I`` per unit time (Asmussen–Rosiński), see
    :meth:`rate` and :meth:`small_jump_variance`.
    """

    def rate(self) -> float:
        """Total mass ``c_r ε^{-α} / α`` of the truncated Lévy measure (the jump rate)."""
        return self.intensity * self.epsilon ** (-self.alpha) / self.alpha

    def small_jump_variance(self) -> float:
        """Per-coordinate variance rate ``c_r ε^{2-α} / ((2-α) d)`` of the removed small jumps."""
        return self.intensity * self.epsilon ** (2 - self.alpha) / ((2 - self.alpha) * self.dim)

    def sample(self, shape, generator, like):
        xi = _randn(shape, self.dim, generator, like)
        direction = xi / xi.norm(dim=-1, keepdim=True)
        u = torch.rand((*shape, 1), generator=generator, device=like.device, dtype=like.dtype)
        return direction * self.epsilon * u.clamp_min(1e-30) ** (-1 / self.alpha)

    def log_prob(self, w: Tensor) -> Tensor:
        d, a = self.dim, self.alpha
        r = w.norm(dim=-1)
        log_sphere = math.log(2) + 0.5 * d * math.log(math.pi) - math.lgamma(d / 2)
        lp = (
            math.log(a)
            + a * math.log(self.epsilon)
            - (1 + a) * torch.log(r)
            - (d - 1) * torch.log(r)
            - log_sphere
        )
        return torch.where(r > self.epsilon, lp, torch.full_like(lp, -math.inf))

    def __repr__(self) -> str:
        return (
            f"TruncatedStableJumps(dim={self.dim}, alpha={self.alpha}, epsilon={self.epsilon}, "
            f"intensity={self.intensity})"
        )


class StableMixtureJumps(_StableLevyMeasure):
    """Big jumps of the isotropic ``α``-stable Lévy measure ``m(dw) = c |w|^{-d-α} dw`` as a
    *truncated Gaussian scale mixture*.

    ``c |w|^{-d-α} = ∫_0^∞ N(w; 0, vI) π(dv)`` with ``π(dv) = k v^{-1-α/2} dv``,
    ``k = c (2π)^{d/2} 2^{-(d+α)/2} / Γ((d+α)/2)`` (substitute ``u = |w|²/2v``). Keeping
    ``v ≥ ε²`` gives a compound-Poisson part with rate ``π([ε², ∞)) = 2k ε^{-α}/α`` and jumps
    ``√V ξ``, ``V = ε² U^{-2/α}`` (Pareto); the part ``v < ε²`` is replaced by a Brownian term of
    the same covariance ``k ε^{2-α}/(1-α/2) I`` per unit time. Its error in the Lévy exponent is
    ``∫_0^{ε²} (1 - e^{-v|u|²/2} - v|u|²/2) π(dv) = O(ε^{4-α} |u|⁴)``, the same order as the radial
    truncation (:class:`TruncatedStableJumps`), but given the scales every jump is Gaussian.
    ``intensity`` is ``c |S^{d-1}|`` as for :class:`TruncatedStableJumps` (the same Lévy measure).
    Density: ``g(w) = k (2π)^{-d/2} (|w|²/2)^{-a} Γ(a) P(a, |w|²/2ε²) / rate``, ``a = (d+α)/2``,
    ``P`` the regularised lower incomplete gamma function.
    """

    scale_mixture: ClassVar[bool] = True

    def __init__(self, dim: int, alpha: float, epsilon: float, intensity: float = 1.0) -> None:
        super().__init__(dim, alpha, epsilon, intensity)
        d, a = self.dim, self.alpha
        log_sphere = math.log(2) + 0.5 * d * math.log(math.pi) - math.lgamma(d / 2)
        #: ``log k`` of the mixing measure ``π(dv) = k v^{-1-α/2} dv``
        self.log_k = (
            math.log(self.intensity)
            - log_sphere
            + 0.5 * d * math.log(2 * math.pi)
            - 0.5 * (d + a) * math.log(2)
            - math.lgamma(0.5 * (d + a))
        )

    def rate(self) -> float:
        """``π([ε², ∞)) = 2k ε^{-α}/α`` (the jump rate)."""
        return 2 * math.exp(self.log_k) * self.epsilon ** (-self.alpha) / self.alpha

    def small_jump_variance(self) -> float:
        """Per-coordinate variance rate ``∫_0^{ε²} v π(dv) = k ε^{2-α}/(1 - α/2)``."""
        return math.exp(self.log_k) * self.epsilon ** (2 - self.alpha) / (1 - self.alpha / 2)

    def sample_scale(self, shape, generator, like):
        """``V = ε² U^{-2/α}``: ``P(V > v) = (v/ε²)^{-α/2}``."""
        u = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
        # the floor only acts on u = 0 exactly and keeps V finite in float32
        return self.epsilon**2 * u.clamp_min(1e-12) ** (-2 / self.alpha)

    def sample(self, shape, generator, like):
        xi = _randn(shape, self.dim, generator, like)
        return self.sample_scale(shape, generator, like)[..., None].sqrt() * xi

    def log_prob(self, w: Tensor) -> Tensor:
        d, a = self.dim, 0.5 * (self.dim + self.alpha)
        half_sq = 0.5 * (w**2).sum(-1)
        x = half_sq / self.epsilon**2
        # log Γ(a) P(a, x) - a log(|w|²/2); near 0 by the series P = x^a e^{-x}/Γ(a+1) Σ x^n/(a+1)_n
        series = (
            -a * math.log(self.epsilon**2)
            - x
            - math.log(a)
            + torch.log1p(x / (a + 1) * (1 + x / (a + 2) * (1 + x / (a + 3))))
        )
        big = x.clamp_min(1e-3)
        direct = (
            torch.log(torch.special.gammainc(torch.full_like(big, a), big))
            + math.lgamma(a)
            - a * torch.log(big * self.epsilon**2)
        )
        return (
            self.log_k
            - 0.5 * d * math.log(2 * math.pi)
            + torch.where(x < 1e-3, series, direct)
            - math.log(self.rate())
        )

    def __repr__(self) -> str:
        return (
            f"StableMixtureJumps(dim={self.dim}, alpha={self.alpha}, epsilon={self.epsilon}, "
            f"intensity={self.intensity})"
        )


def _gamma(shape, k: float, generator, like) -> Tensor:
    """Gamma(k, 1) draws by Marsaglia–Tsang (with the ``k < 1`` boost), using ``generator``.

    Accepted candidates are i.i.d. draws of the law, so the first ``m`` accepted ones in index
    order are too. The acceptance rate is above 0.95 for the boosted shape ``≥ 1``, so drawing
    10% more candidates than needed (plus 16) fills the output in one pass almost always (one
    pass costs a dozen tensor operations; a loop that redraws only the rejected ones took three
    or four passes per call on a batch of 256)."""
    boost = k < 1
    kk = k + 1 if boost else k
    d = kk - 1 / 3
    c = 1 / math.sqrt(9 * d)
    opts = {"device": like.device, "dtype": like.dtype}
    n = math.prod(shape)
    out = torch.empty(n, **opts)
    filled = 0
    while filled < n:
        m = n - filled
        draws = m + m // 10 + 16
        z = torch.randn(draws, generator=generator, **opts)
        u = torch.rand(draws, generator=generator, **opts)
        v = (1 + c * z) ** 3
        ok = (v > 0) & (
            torch.log(u.clamp_min(1e-38))
            < 0.5 * z**2 + d - d * v + d * torch.log(v.clamp_min(1e-38))
        )
        accepted = (d * v)[ok][:m]
        out[filled : filled + accepted.numel()] = accepted
        filled += accepted.numel()
    if boost:
        u = torch.rand(out.shape, generator=generator, **opts)
        out = out * u.clamp_min(1e-38) ** (1 / k)
    return out.reshape(shape)
