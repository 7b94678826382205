"""Jump laws ``g``: probability densities of the jump size ``w`` of a compound-Poisson block.

A jump law samples ``w`` in the tangent shape and evaluates ``log g(w)`` (w.r.t. Lebesgue measure on
``R^d``). All laws here are symmetric, ``g(-w) = g(w)``, which is what the implicit score entropy of
MATH.md §5d assumes; ``symmetric`` declares it.

* :class:`GaussianJumps` — ``N(0, σ_J² I)`` (wrapped by the space on the torus);
* :class:`StudentTJumps` — multivariate Student-t with ``ν`` degrees of freedom, tail
``P(|w|>r) ~ r^{-ν}``;
* :class:`TruncatedStableJumps` — the big jumps ``|w| > ε`` of the isotropic ``α``-stable Lévy
measure
  ``m(dw) = c |w|^{-d-α} dw`` (normalised), with the rate and small-jump covariance of the
  truncation.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor


class JumpLaw:
    """A jump-size density ``g`` on ``R^d`` (``d = dim``)."""

    symmetric: ClassVar[bool] = True

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


def _randn(shape, dim, generator, like) -> Tensor:
    return torch.randn((*shape, dim), generator=generator, device=like.device, dtype=like.dtype)


class GaussianJumps(JumpLaw):
    """``g = N(0, σ_J² I_d)``."""

    def __init__(self, dim: int, sigma: float) -> None:
        super().__init__(dim)
        if sigma <= 0:
            raise ValueError(f"jump sigma must be positive, got {sigma}")
        self.sigma = float(sigma)

    def sample(self, shape, generator, like):
        return self.sigma * _randn(shape, self.dim, generator, like)

    def log_prob(self, w: Tensor) -> Tensor:
        return (-0.5 * (w / self.sigma) ** 2).sum(-1) - self.dim * (
            math.log(self.sigma) + 0.5 * math.log(2 * math.pi)
        )

    def __repr__(self) -> str:
        return f"GaussianJumps(dim={self.dim}, sigma={self.sigma})"


class StudentTJumps(JumpLaw):
    """Multivariate Student-t ``w = s ξ / sqrt(χ²_ν / ν)``, ``ξ ~ N(0, I)``: density
    ``Γ((ν+d)/2) / (Γ(ν/2) (νπ)^{d/2} s^d) (1 + |w|²/(ν s²))^{-(ν+d)/2}``."""

    def __init__(self, dim: int, nu: float, scale: float = 1.0) -> None:
        super().__init__(dim)
        if nu <= 0 or scale <= 0:
            raise ValueError(f"need nu > 0 and scale > 0, got {nu}, {scale}")
        self.nu, self.scale = float(nu), float(scale)

    def sample(self, shape, generator, like):
        xi = _randn(shape, self.dim, generator, like)
        # χ²_ν = 2 Gamma(ν/2, 1); torch's gamma sampler takes no generator, so use Marsaglia–Tsang
        chi2 = 2.0 * _gamma((*shape, 1), self.nu / 2, generator, like)
        return self.scale * xi / (chi2 / self.nu).sqrt()

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


class TruncatedStableJumps(JumpLaw):
    """Big jumps of the isotropic ``α``-stable Lévy measure ``m(dw) = c |w|^{-d-α} dw``, ``|w|
    > ε``.

    In polar form the radial Lévy measure is ``c_r r^{-1-α} dr`` (``c_r = c · |S^{d-1}|``, the
    ``intensity``), the direction is uniform. Truncation gives a compound-Poisson part with rate
    ``λ = c_r ε^{-α} / α`` and Pareto radii ``r = ε U^{-1/α}``; the small jumps ``|w| ≤ ε`` have
    covariance ``c_r ε^{2-α} / ((2-α) d) I`` per unit time (Asmussen–Rosiński), see
    :meth:`rate` and :meth:`small_jump_variance`.
    """

    def __init__(self, dim: int, alpha: float, epsilon: float, intensity: float = 1.0) -> None:
        super().__init__(dim)
        if not 0 < alpha < 2 or epsilon <= 0 or intensity <= 0:
            raise ValueError(
                f"need 0 < alpha < 2, epsilon > 0, intensity > 0; got {alpha}, "
                f"{epsilon}, {intensity}"
            )
        self.alpha, self.epsilon, self.intensity = float(alpha), float(epsilon), float(intensity)

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


def _gamma(shape, k: float, generator, like) -> Tensor:
    """Gamma(k, 1) draws by Marsaglia–Tsang (with the ``k < 1`` boost), using ``generator``."""
    boost = k < 1
    kk = k + 1 if boost else k
    d = kk - 1 / 3
    c = 1 / math.sqrt(9 * d)
    out = torch.empty(shape, device=like.device, dtype=like.dtype).reshape(-1)
    todo = torch.arange(out.numel(), device=like.device)
    while todo.numel():
        m = todo.numel()
        z = torch.randn(m, generator=generator, device=like.device, dtype=like.dtype)
        u = torch.rand(m, generator=generator, device=like.device, dtype=like.dtype)
        v = (1 + c * z) ** 3
        ok = (v > 0) & (
            torch.log(u.clamp_min(1e-38))
            < 0.5 * z**2 + d - d * v + d * torch.log(v.clamp_min(1e-38))
        )
        out[todo[ok]] = (d * v)[ok]
        todo = todo[~ok]
    if boost:
        u = torch.rand(out.shape, generator=generator, device=like.device, dtype=like.dtype)
        out = out * u.clamp_min(1e-38) ** (1 / k)
    return out.reshape(shape)
