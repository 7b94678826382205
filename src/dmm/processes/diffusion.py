"""The diffusion block (MATH.md §1): ``L_t f = b_t·∇f + ½ D_t : ∇²f`` with diagonal
``D_t(x) = diag(σ_t(x)²)`` in the space's orthonormal tangent frame.

Backward block (MATH.md §2, :mod:`dmm.reversal.diffusion`): ``←b = -b + ∇·D + D ∇log p_t``,
``←D = D``; its loss terms are denoising score matching where the kernel is known and implicit
score matching otherwise (:mod:`dmm.losses`); its sampler step is Euler–Maruyama in the space's
geometry (:class:`dmm.samplers.EulerMaruyama`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..spaces import Discrete, Space
from .base import Block, CoefficientError

Coefficient = Callable[[Tensor, Tensor], "Tensor | float"]


class Diffusion(Block):
    """``dX = b(X, t) dt + σ(X, t) dW`` with diagonal ``σ``.

    ``drift(x, t)`` gives ``b`` in tangent coordinates; ``diffusion(x, t)`` gives ``σ`` (a tensor
    or a number, broadcast to the tangent shape). ``divergence(x, t)``, when given, is
    ``(∇·D)_i = ∂_i D_ii``; otherwise it is ``0`` for ``state_dependent=False`` and taken by autograd
    (which finds ``0`` by itself when ``σ`` does not read ``x``).
    """

    def __init__(
        self,
        drift: Coefficient,
        diffusion: Coefficient,
        divergence: Callable[[Tensor, Tensor], Tensor] | None = None,
        state_dependent: bool = True,
    ) -> None:
        if not callable(drift) or not callable(diffusion):
            raise TypeError("Diffusion needs callables drift(x, t) and diffusion(x, t)")
        self._drift, self._diffusion, self._divergence = drift, diffusion, divergence
        self.state_dependent = bool(state_dependent)
        #: whether ``∇·D`` is given in closed form
        self.has_divergence = divergence is not None

    def __repr__(self) -> str:
        return f"Diffusion(drift={_name(self._drift)}, diffusion={_name(self._diffusion)})"

    def check(self, space: Space) -> None:
        if isinstance(space, Discrete):
            raise ValueError(
                f"{space.name} is discrete: a diffusion needs a continuous space (a chain acts "
                "on states: Chain, UniformRates, AbsorbingRates, ...)"
            )

    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        """``b_t(x)`` in tangent coordinates."""
        b = self._drift(x, t)
        return torch.as_tensor(b, dtype=_dtype(x), device=x.device)

    def tangent_drift(self, space: Space, x: Tensor, t: Tensor) -> Tensor:
        """``b_t(x)`` of shape ``(batch, *tangent_shape)``: a number is the same drift at every
        point; any other value must have that shape (one row for all: ``(1, *tangent_shape)``).
        Another shape is a :class:`CoefficientError` naming it: ``(batch,)`` would be broadcast
        along the coordinates when the batch has as many rows as the space has coordinates."""
        return _tangent(self.drift(x, t), space, x, f"the drift of {self!r}")

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        """``σ_t(x)`` with ``D = diag(σ²)``, any shape that broadcasts to the tangent shape."""
        return torch.as_tensor(self._diffusion(x, t), dtype=_dtype(x), device=x.device)

    def diffusion_matrix_diag(self, space: Space, x: Tensor, t: Tensor) -> Tensor:
        """The diagonal of ``D_t(x)``, broadcast to ``(batch, *tangent_shape)``."""
        return self.tangent_diffusion(space, x, t) ** 2

    def tangent_diffusion(self, space: Space, x: Tensor, t: Tensor) -> Tensor:
        """``σ_t(x)`` broadcast to ``(batch, *tangent_shape)``; a shape that does not broadcast is
        a :class:`CoefficientError` naming it."""
        sigma = self.diffusion(x, t)
        shape = (x.shape[0], *space.tangent_shape)
        try:
            return torch.broadcast_to(sigma, shape)
        except RuntimeError:
            raise CoefficientError(
                f"the diffusion of {self!r} gave shape {tuple(sigma.shape)} for {shape[0]} rows "
                f"of {space.name}: it must broadcast to {shape} (a number, one per coordinate, "
                "or one per row and coordinate)"
            ) from None

    def diffusion_divergence(self, space: Space, x: Tensor, t: Tensor) -> Tensor:
        """``(∇·D)_i = Σ_j ∂_j D_ij = ∂_i D_ii`` for diagonal ``D``."""
        if self._divergence is not None:
            return self._divergence(x, t)
        zeros = torch.zeros(x.shape[0], *space.tangent_shape, dtype=x.dtype, device=x.device)
        if not self.state_dependent:
            return zeros
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            d = self.diffusion_matrix_diag(space, xg, t)
            if not d.requires_grad:  # σ does not read x
                return zeros
            (grad,) = torch.autograd.grad(d.sum(), xg)
        return grad

    def forward_step(self, space, x, t, h, generator) -> Tensor:
        """Euler–Maruyama in the space's geometry: ``x ← step(x, b h + σ √h ξ)``."""
        xi = space.noise(x.shape[0], generator, x)
        sigma = self.tangent_diffusion(space, x, t)
        return space.step(x, self.tangent_drift(space, x, t), sigma, h, xi)

    def generator(self, space, f, x, t) -> Tensor:
        # b·∇f + ½ Σ_i D_ii ∂²_i f in the space's orthonormal frame (the Hessian diagonal in flat
        # coordinates, the Laplace–Beltrami operator on SO(3)); see Space.second_derivatives
        n = x.shape[0]
        grad = space.gradient(f, x).reshape(n, -1)
        second = space.second_derivatives(f, x).reshape(n, -1)
        d = self.diffusion_matrix_diag(space, x, t).reshape(n, -1)
        b = self.tangent_drift(space, x, t).reshape(n, -1)
        return ((b * grad).sum(1) + 0.5 * (d * second).sum(1)).detach()


def _tangent(value: Tensor, space: Space, x: Tensor, what: str) -> Tensor:
    """``value`` (a block's coefficient at the rows ``x``) expanded to ``(batch, *tangent)``."""
    shape = (x.shape[0], *space.tangent_shape)
    if value.ndim == 0:
        return value.expand(shape)
    fits = value.ndim == len(shape) and all(a in (1, b) for a, b in zip(value.shape, shape))
    if not fits:
        raise CoefficientError(
            f"{what} gave shape {tuple(value.shape)} for {shape[0]} rows of {space.name}: it must "
            f"be {shape}, one value per row and coordinate (or a number)"
        )
    return value.expand(shape)


def _dtype(x: Tensor) -> torch.dtype:
    return x.dtype if x.is_floating_point() else torch.get_default_dtype()


def _name(f) -> str:
    return getattr(f, "__qualname__", type(f).__name__)


__all__ = ["Diffusion"]
