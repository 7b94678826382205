"""Forward processes, declared by their generator blocks (MATH.md §1).

A forward process is a :class:`ForwardProcess` (space, horizon, reference law, optional exact kernel)
that also inherits one or more *generator blocks*:

* :class:`DiffusionBlock` — ``L f = b·∇f + ½ D:∇²f`` with ``D = diag(σ²)``;
* jump and rate-matrix blocks (``dmm.processes.jumps``, ``dmm.processes.chains``).

The generator of a process is the sum of its blocks. Everything downstream — the backward process
(:mod:`dmm.reversal`), the losses and the samplers — reads only these blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor

from ..spaces import Space
from ..spaces.base import _expand
from .references import Reference


class MissingCapability(TypeError):
    """A loss or sampler needs a capability the process does not declare."""


class ForwardProcess:
    """Base of all forward processes ``X_t``, ``t ∈ [0, T]``, carrying data to ``reference``.

    Subclasses set ``space``, ``T``, ``t_min`` and ``reference``, inherit generator blocks and, when a
    closed form exists, set ``has_exact_transition = True`` and implement :meth:`sample_transition`
    and :meth:`conditional_score`.
    """

    space: Space
    T: float = 1.0
    t_min: float = 1e-3
    reference: Reference
    has_exact_transition: ClassVar[bool] = False
    #: whether :meth:`denoise` (a final denoising step) is available
    has_denoiser: ClassVar[bool] = False
    #: whether ``p_t`` comes as a mixture ``E_Γ p_{t|Γ}`` of densities known in closed form
    #: (:meth:`sample_latent`, :meth:`latent_log_density`; used by the denoising jump loss)
    has_latent_kernel: ClassVar[bool] = False
    #: steps used by :meth:`sample_marginal` when it must simulate
    simulation_steps: int = 100

    @property
    def blocks(self) -> tuple[str, ...]:
        """Names of the generator blocks this process is made of."""
        return tuple(c.block_name for c in type(self).__mro__ if "block_name" in c.__dict__)

    def require(self, capability: str, user: str) -> None:
        """Raise :class:`MissingCapability` unless the process declares ``capability``."""
        have = {
            "exact_transition": self.has_exact_transition,
            "denoiser": self.has_denoiser,
            "latent_kernel": self.has_latent_kernel,
            **{b: True for b in self.blocks},
        }
        if not have.get(capability, False):
            raise MissingCapability(
                f"{user} needs a process with {capability.replace('_', ' ')}; "
                f"{type(self).__name__} has blocks {self.blocks} and "
                f"exact transition={self.has_exact_transition}"
            )

    # --- exact kernel (optional) -------------------------------------------------------------
    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """Sample ``X_t | X_0 = x0`` exactly; ``t`` has shape ``(batch,)``."""
        raise MissingCapability(f"{type(self).__name__} has no exact transition sampler")

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        """``∇_x log p_{t|0}(x_t | x_0)`` (tangent vector)."""
        raise MissingCapability(f"{type(self).__name__} has no closed-form conditional score")

    def sample_latent(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(x_t, Γ, atom)``: a latent ``Γ`` given ``X_0 = x0`` and ``x_t ~ p_{t|Γ}``, where
        ``p_t = E_Γ p_{t|Γ}``. ``atom`` (bool, ``(batch,)``) marks rows whose ``p_{t|Γ}`` is a point
        mass at ``x_t`` (e.g. no jump yet); elsewhere ``p_{t|Γ}`` has the density of
        :meth:`latent_log_density`."""
        raise MissingCapability(f"{type(self).__name__} has no latent kernel")

    def latent_log_density(self, x: Tensor, latent: Tensor, t: Tensor) -> Tensor:
        """``log p_{t|Γ}(x)`` up to an ``x``-free constant (``(batch,)``; non-atom rows only)."""
        raise MissingCapability(f"{type(self).__name__} has no latent kernel")

    def denoise(self, rev, y: Tensor, t: Tensor) -> Tensor:
        """A final denoising step at ``t_min`` (e.g. Tweedie's mean); see ``has_denoiser``."""
        raise MissingCapability(f"{type(self).__name__} has no final denoising step")

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """Per-sample ``KL(p_{T|0}(·|x_0) || q)``; its mean bounds ``KL(p_T || q)`` (MATH.md §6)."""
        raise MissingCapability(f"{type(self).__name__} has no closed-form terminal KL")

    # --- forward simulation, generic over blocks ---------------------------------------------
    def forward_step(
        self, x: Tensor, t: Tensor, h: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """One step of the forward process from ``t`` to ``t + h`` (operator splitting over blocks)."""
        for step in self._forward_steps():
            x = step(x, t, h, generator)
        return x

    def _forward_steps(self) -> list[Callable]:
        return [
            c.__dict__["block_forward_step"].__get__(self)
            for c in type(self).__mro__
            if "block_forward_step" in c.__dict__
        ]

    def simulate_forward(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None, steps: int | None = None
    ) -> Tensor:
        """Simulate ``X_t`` from ``X_0 = x0`` with ``steps`` steps of size ``t/steps`` per sample."""
        steps = steps or self.simulation_steps
        t = torch.as_tensor(t, dtype=torch.get_default_dtype()).expand(x0.shape[0])
        h = t / steps
        x = x0
        for k in range(steps):
            x = self.forward_step(x, k * h, h, generator)
        return x

    def sample_marginal(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """A sample of ``X_t`` given ``X_0 = x0``: exact when possible, simulated otherwise."""
        if self.has_exact_transition:
            return self.sample_transition(x0, t, generator)
        return self.simulate_forward(x0, t, generator)

    # --- the generator itself (for Dynkin checks) ---------------------------------------------
    def generator_apply(self, f: Callable[[Tensor], Tensor], x: Tensor, t: Tensor) -> Tensor:
        """``(L_t f)(x)``, the sum of the blocks' generators applied to ``f: (batch,...) -> (batch,)``."""
        return sum(
            c.__dict__["block_generator"](self, f, x, t)
            for c in type(self).__mro__
            if "block_generator" in c.__dict__
        )

    def input_scale(self, t: Tensor) -> Tensor:
        """Factor applied to network inputs at time ``t`` (1 unless a process knows better)."""
        return torch.ones_like(t)

    def sample_times(self, n: int, generator: torch.Generator | None, device=None) -> Tensor:
        """``t ~ U(t_min, T)`` (the default time law of every loss)."""
        u = torch.rand(n, generator=generator, device=device)
        return self.t_min + (self.T - self.t_min) * u


class DiffusionBlock:
    """Generator block ``L f = b_t·∇f + ½ D_t : ∇²f`` with diagonal ``D_t(x) = diag(σ_t(x)²)``.

    Backward block (MATH.md §2): ``←b = -b + ∇·D + D ∇log p_t``, ``←D = D``.
    Subclasses implement :meth:`drift` and :meth:`diffusion`; if ``D`` depends on ``x`` they either
    override :meth:`diffusion_divergence` or leave the autograd default.
    """

    block_name = "diffusion"
    #: whether ``σ`` depends on the state (if not, ``∇·D = 0``)
    state_dependent_diffusion: ClassVar[bool] = True

    def drift(self, x: Tensor, t: Tensor) -> Tensor:
        """``b_t(x)`` in tangent coordinates."""
        raise NotImplementedError

    def diffusion(self, x: Tensor, t: Tensor) -> Tensor:
        """``σ_t(x)`` with ``D = diag(σ²)``; any shape that broadcasts to the tangent shape."""
        raise NotImplementedError

    def diffusion_matrix_diag(self, x: Tensor, t: Tensor) -> Tensor:
        """The diagonal of ``D_t(x)``, broadcast to ``(batch, *tangent_shape)``."""
        sigma = self.diffusion(x, t)
        return (sigma**2).expand(x.shape[0], *self.space.tangent_shape)

    def diffusion_divergence(self, x: Tensor, t: Tensor) -> Tensor:
        """``(∇·D)_i = Σ_j ∂_j D_ij = ∂_i D_ii`` for diagonal ``D`` (autograd unless overridden)."""
        if not self.state_dependent_diffusion:
            return torch.zeros(
                x.shape[0], *self.space.tangent_shape, dtype=x.dtype, device=x.device
            )
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            d = self.diffusion_matrix_diag(xg, t)
            (grad,) = torch.autograd.grad(d.sum(), xg)
        return grad

    def block_forward_step(self, x: Tensor, t: Tensor, h: Tensor, generator) -> Tensor:
        xi = self.space.noise(x.shape[0], generator, x)
        return self.space.step(x, self.drift(x, t), self.diffusion(x, t), h, xi)

    def block_generator(self, f: Callable[[Tensor], Tensor], x: Tensor, t: Tensor) -> Tensor:
        # b·∇f + ½ Σ_i D_ii ∂²_i f in the space's orthonormal frame (the Hessian diagonal in flat
        # coordinates, the Laplace–Beltrami operator on SO(3)); see Space.second_derivatives
        n = x.shape[0]
        grad = self.space.gradient(f, x).reshape(n, -1)
        second = self.space.second_derivatives(f, x).reshape(n, -1)
        d = self.diffusion_matrix_diag(x, t).reshape(n, -1)
        b = self.drift(x, t).reshape(n, -1)
        return ((b * grad).sum(1) + 0.5 * (d * second).sum(1)).detach()


def expand_time(t: Tensor | float, n: int, like: Tensor) -> Tensor:
    """A ``(n,)`` time tensor from a scalar or ``(n,)`` tensor, on ``like``'s device and dtype."""
    dtype = like.dtype if like.is_floating_point() else torch.get_default_dtype()
    return torch.as_tensor(t, dtype=dtype, device=like.device).expand(n).clone()


__all__ = ["DiffusionBlock", "ForwardProcess", "MissingCapability", "expand_time", "_expand"]
