"""Forward processes as values: a state space, a tuple of generator blocks and a reference law
(MATH.md §1).

``Process(space, blocks=(b_1, ..., b_m), reference=q)`` has the generator ``L_t = Σ_k L^k_t``, the
sum of its blocks' generators. Each block type (:class:`~dmm.processes.diffusion.Diffusion`,
:class:`~dmm.processes.jumps.Jumps`, :class:`~dmm.processes.chains.Chain`) is written once: its
forward step and generator here, its backward formula in :mod:`dmm.reversal`, its loss term in
:mod:`dmm.losses` and its sampler step in :mod:`dmm.samplers`. Code that serves any process loops
over ``process.blocks``; nothing searches a class hierarchy.

A process with a closed-form kernel is a subclass that declares it (``has_exact_transition``) and
implements :meth:`Process.sample_transition` and :meth:`Process.conditional_score`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import torch
from torch import Tensor

from ..spaces import Space
from .references import Reference


class MissingCapability(TypeError):
    """A loss, model or sampler needs a capability the process does not declare."""


class Coordinates:
    """An elementwise bijection ``u = to(x)`` of a state's coordinates, ``back`` its inverse,
    with what a score needs to change coordinates: ``slope = du/dx`` and ``curvature =
    d log(du/dx)/dx`` (elementwise), so that ``∇_x log p_X = slope ⊙ ∇_u log p_U + curvature``.
    This base class is the identity ``u = x``; subclasses override all four."""

    def to(self, x: Tensor) -> Tensor:
        return x

    def back(self, u: Tensor) -> Tensor:
        return u

    def slope(self, x: Tensor) -> Tensor:
        return torch.ones_like(x)

    def curvature(self, x: Tensor) -> Tensor:
        return torch.zeros_like(x)


#: ``u = x``
IDENTITY = Coordinates()


@dataclass(frozen=True)
class CoordinateGaussian:
    """A transition kernel that is Gaussian in the coordinates ``u`` (:class:`Coordinates`):

        u(X_t) | X_0 = x_0  ~  N(α u(x_0) + c, diag(v)),

    on the rows' flattened coordinates; ``alpha`` has shape ``(batch, 1)``, ``shift`` and ``var``
    shape ``(batch, 1)`` or ``(batch, d)``. Gaussian diffusions have ``u = x``, ``c = 0``,
    ``v = s_t²``; the orthant diffusions the logarithm centred and scaled per coordinate,
    ``u = (log x - m)/k`` (:class:`~dmm.processes.positive.StandardLog`).

    Writing ``u(X_t) = α u(x_0) + c + √v ε``, three things follow for any such kernel: the
    batch-posterior DSM target, the weighting that turns DSM into the ε-loss
    (:meth:`noise_weight`), and the score of a predicted noise (:meth:`noise_score`); where
    ``v`` is one number per row (:meth:`isotropic`), also the straight path of flow matching.
    """

    coords: Coordinates
    alpha: Tensor
    shift: Tensor
    var: Tensor

    def noise_score(self, eps: Tensor, x: Tensor) -> Tensor:
        """``∇_x log p_{t|0}(x | x_0)`` for the ``x_0`` whose noise at ``x`` is ``eps``:
        ``slope(x) ⊙ (-ε/√v) + curvature(x)``; ``eps`` and ``x`` flattened, ``(batch, d)``."""
        c = self.coords
        return -c.slope(x) * eps * torch.rsqrt(self.var) + c.curvature(x)

    def score_noise(self, score: Tensor, x: Tensor) -> Tensor:
        """The noise ``ε`` whose :meth:`noise_score` at ``x`` is ``score`` (its inverse):
        ``ε = √v (curvature(x) - score) / slope(x)``; flattened, ``(batch, d)``."""
        c = self.coords
        return (c.curvature(x) - score) * self.var.sqrt() / c.slope(x)

    def noise_weight(self, x: Tensor) -> Tensor:
        """``λ = v / slope(x)²``: the DSM weighting under which ``½|s_θ - s|²_λ`` is
        ``½|ε_θ - ε|²`` (``s_t²`` for Gaussian diffusions); ``x`` flattened."""
        return self.var / self.coords.slope(x) ** 2

    def isotropic(self, what: str) -> tuple[Tensor, Tensor]:
        """``(α, s)``, each ``(batch, 1)``, where every coordinate has the same noise level
        ``v = s²``; otherwise :class:`MissingCapability` naming ``what`` needed it."""
        if self.var.shape[-1] != 1:
            raise MissingCapability(
                f"{what} needs the same noise level in every coordinate; this kernel has one "
                "per coordinate"
            )
        return self.alpha, self.var.sqrt()


class SimulationError(RuntimeError):
    """A simulated forward marginal left every sensible range (it blew up): ``magnitude`` is the
    largest ``|x|`` seen (``inf`` when not finite), ``time`` when it was seen."""

    def __init__(self, message: str, magnitude: float = float("inf"), time: float = float("nan")):
        super().__init__(message)
        self.magnitude, self.time = float(magnitude), float(time)


class CoefficientError(ValueError):
    """A block's coefficient (a drift, a diffusion) returned a value of a shape the process
    cannot use: a user's process, reported by name and shape."""


class Block:
    """One term ``L^k_t`` of a generator. A block is a value: it holds its coefficients, not the
    space; every method takes the space it acts on."""

    def forward_step(
        self, space: Space, x: Tensor, t: Tensor, h: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """Advance ``x`` from ``t`` to ``t + h`` under this block alone."""
        raise NotImplementedError

    def generator(
        self, space: Space, f: Callable[[Tensor], Tensor], x: Tensor, t: Tensor
    ) -> Tensor:
        """``(L^k_t f)(x)`` for ``f: (batch, *event) -> (batch,)``."""
        raise NotImplementedError

    def check(self, space: Space) -> None:
        """Raise ``ValueError`` if this block cannot act on ``space`` (called by
        :class:`Process`); every block can, unless it says otherwise."""


B = TypeVar("B", bound=Block)

#: the optional capabilities a process may declare (``Process.require`` checks the name)
CAPABILITIES = ("exact_transition", "denoiser", "latent_kernel")


class Process:
    """A forward Markov process ``X_t``, ``t ∈ [0, T]``, on ``space`` with generator
    ``L_t = Σ_k L^k_t`` (the blocks) carrying data towards ``reference``.

    Backward generator (MATH.md §2): each block reversed with ``p_t`` (the model ``φ_θ``):
    ``←b = -b + ∇·D + D ∇log p_t`` for a diffusion, ``←λ(y → x) = λ_t(x → y) p_t(x)/p_t(y)`` for
    jumps and chains.

    ``reference=None`` leaves the reference to be simulated from training rows
    (:class:`~dmm.processes.references.SimulatedReference`, set by :func:`dmm.recipe.recipe`).
    Marginals without a closed form are simulated with ``simulation_steps`` steps of operator
    splitting over the blocks, watched for blow-up (:class:`SimulationError`).
    """

    has_exact_transition: ClassVar[bool] = False
    #: whether :meth:`denoise` (a final denoising step) is available
    has_denoiser: ClassVar[bool] = False
    #: whether ``p_t = E_Γ p_{t|Γ}`` with closed-form ``p_{t|Γ}`` (:meth:`sample_latent`)
    has_latent_kernel: ClassVar[bool] = False
    #: a simulated state whose magnitude exceeds this is reported as a blow-up
    blowup_threshold: float = 1e8

    def __init__(
        self,
        space: Space,
        blocks: Block | tuple[Block, ...] | list[Block],
        reference: Reference | None = None,
        T: float = 1.0,
        t_min: float = 1e-3,
        simulation_steps: int = 100,
        name: str | None = None,
    ) -> None:
        blocks = (blocks,) if isinstance(blocks, Block) else tuple(blocks)  # one block alone
        if not blocks:
            raise ValueError("a process needs at least one generator block")
        bad = [b for b in blocks if not isinstance(b, Block)]
        if bad:
            raise TypeError(f"blocks must be Block values (Diffusion, Jumps, Chain), got {bad!r}")
        if not 0 < t_min < T:
            raise ValueError(f"need 0 < t_min < T, got t_min={t_min}, T={T}")
        if int(simulation_steps) < 1:
            raise ValueError(f"simulation_steps must be >= 1, got {simulation_steps}")
        for block in blocks:
            block.check(space)
        shape = getattr(reference, "event_shape", None)
        if shape is not None and tuple(shape) != tuple(space.event_shape):
            raise ValueError(
                f"the reference {reference!r} draws points of shape {tuple(shape)}, but points of "
                f"{space.name} have shape {tuple(space.event_shape)}"
            )
        self.space, self.blocks, self.reference = space, blocks, reference
        self.T, self.t_min = float(T), float(t_min)
        self.simulation_steps = int(simulation_steps)
        self.name = name or self.default_name()

    @classmethod
    def default_name(cls) -> str:
        """The name of a process built without one (its class's)."""
        return cls.__name__

    def __repr__(self) -> str:
        inner = ", ".join(type(b).__name__ for b in self.blocks)
        return f"{self.name}({self.space!r}, blocks=({inner}), T={self.T})"

    # --- blocks and capabilities ---------------------------------------------------------------
    def blocks_of(self, kind: type[B]) -> tuple[B, ...]:
        """The blocks of type ``kind``, in order."""
        return tuple(b for b in self.blocks if isinstance(b, kind))

    def block(self, kind: type[B]) -> B:
        """The one block of type ``kind``; :class:`MissingCapability` if there is none, and a
        ``ValueError`` if there are several (then pass the block explicitly)."""
        found = self.blocks_of(kind)
        if not found:
            raise MissingCapability(
                f"{self.name} has no {kind.__name__} block (its blocks: "
                f"{', '.join(type(b).__name__ for b in self.blocks)})"
            )
        if len(found) > 1:
            raise ValueError(
                f"{self.name} has {len(found)} {kind.__name__} blocks; name the one you mean"
            )
        return found[0]

    def require(self, capability: str, user: str) -> None:
        """Raise :class:`MissingCapability` unless the process declares ``capability`` (one of
        :data:`CAPABILITIES`; any other name is a ``ValueError``)."""
        if capability not in CAPABILITIES:
            raise ValueError(
                f"unknown capability {capability!r} (known: {', '.join(CAPABILITIES)})"
            )
        if not getattr(self, f"has_{capability}"):
            raise MissingCapability(
                f"{user} needs a process with {capability.replace('_', ' ')}; {self.name} has "
                f"blocks ({', '.join(type(b).__name__ for b in self.blocks)}) and no "
                f"{capability.replace('_', ' ')}"
            )

    # --- exact kernel (optional) ---------------------------------------------------------------
    def sample_transition(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """Sample ``X_t | X_0 = x0`` exactly; ``t`` has shape ``(batch,)``."""
        raise MissingCapability(f"{self.name} has no exact transition sampler")

    def conditional_score(self, xt: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        """``∇_x log p_{t|0}(x_t | x_0)`` (tangent vector)."""
        raise MissingCapability(f"{self.name} has no closed-form conditional score")

    def gaussian_coordinates(self, t: Tensor) -> CoordinateGaussian:
        """The kernel at times ``t`` (``(batch,)``) as a Gaussian in some coordinates, where it is
        one (:class:`CoordinateGaussian`); what the batch-posterior DSM target needs."""
        raise MissingCapability(f"{self.name} has no kernel that is Gaussian in some coordinates")

    def sample_latent(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``(x_t, Γ, atom)``: a latent ``Γ`` given ``X_0 = x0`` and ``x_t ~ p_{t|Γ}``, where
        ``p_t = E_Γ p_{t|Γ}``. ``atom`` (bool, ``(batch,)``) marks rows whose ``p_{t|Γ}`` is a point
        mass at ``x_t``; elsewhere ``p_{t|Γ}`` has the density of :meth:`latent_log_density`."""
        raise MissingCapability(f"{self.name} has no latent kernel")

    def latent_log_density(self, x: Tensor, latent: Tensor, t: Tensor) -> Tensor:
        """``log p_{t|Γ}(x)`` up to an ``x``-free constant (``(batch,)``; non-atom rows only)."""
        raise MissingCapability(f"{self.name} has no latent kernel")

    def denoise(self, rev, y: Tensor, t: Tensor) -> Tensor:
        """A final denoising step at ``t_min`` (e.g. Tweedie's mean); see ``has_denoiser``."""
        raise MissingCapability(f"{self.name} has no final denoising step")

    def terminal_kl(self, x0: Tensor) -> Tensor:
        """Per-sample ``KL(p_{T|0}(·|x_0) || q)``; its mean bounds ``KL(p_T || q)`` (MATH.md §6)."""
        raise MissingCapability(f"{self.name} has no closed-form terminal KL")

    def terminal_tv(self, x0: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Per-sample bounds on ``TV(p_{T|0}(·|x_0), q)`` in ``[0, 1]``; their mean bounds
        ``TV(p_T, q)`` (joint convexity). Default: Pinsker on :meth:`terminal_kl`,
        ``min(1, sqrt(KL/2))``, finite per row where the mean KL is not (heavy-tailed data)."""
        return torch.sqrt(self.terminal_kl(x0) / 2).clamp(max=1.0)

    # --- forward simulation, generic over blocks -----------------------------------------------
    def forward_step(
        self, x: Tensor, t: Tensor, h: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """One step from ``t`` to ``t + h``: Lie–Trotter splitting over the blocks, in order."""
        for block in self.blocks:
            x = block.forward_step(self.space, x, t, h, generator)
        return x

    def simulate_forward(
        self, x0: Tensor, t: Tensor, generator: torch.Generator | None, steps: int | None = None
    ) -> Tensor:
        """Simulate ``X_t`` from ``X_0 = x0`` with ``steps`` steps of size ``t/steps`` per sample,
        raising :class:`SimulationError` (naming the process, the time and the magnitude) when the
        state leaves the space's finite range or exceeds :attr:`blowup_threshold`."""
        steps = steps or self.simulation_steps
        t = torch.as_tensor(t, dtype=torch.get_default_dtype(), device=x0.device)
        t = t.expand(x0.shape[0])
        h = t / steps
        x, watched, since = x0, x0, torch.zeros_like(t)
        for k in range(steps):
            x = self.forward_step(x, k * h, h, generator)
            if k % 10 == 9 or k == steps - 1:
                try:
                    self._watch(x, (k + 1) * h)
                except SimulationError:
                    self._check_coefficients(watched, since)  # the last state that passed
                    raise
                watched, since = x, (k + 1) * h
        return x

    def _check_coefficients(self, x: Tensor, t: Tensor) -> None:
        """A :class:`CoefficientError` where a block's drift or diffusion is not finite at the
        rows ``x`` (finite, at times ``t``): a coefficient of NaN, not a step too large, made the
        simulation blow up."""
        for block in self.blocks:
            for name in ("drift", "diffusion"):
                coefficient = getattr(block, f"tangent_{name}", None)
                if coefficient is None:
                    continue
                value = coefficient(self.space, x, t)
                if not torch.isfinite(value).all():
                    raise CoefficientError(
                        f"the {name} of {block!r} is NaN or infinite at finite points of "
                        f"{self.space.name} (t = {float(t.min()):.3g}): a coefficient must be "
                        "finite where the process goes"
                    )

    def _watch(self, x: Tensor, t: Tensor) -> None:
        """Raise :class:`SimulationError` if a row of ``x`` (simulated up to ``t``, ``(batch,)``) is
        not finite or exceeds :attr:`blowup_threshold` in magnitude. The error names the process,
        the time and the magnitude, and carries them as ``magnitude`` and ``time``."""
        if not x.is_floating_point():
            return
        flat = x.reshape(x.shape[0], -1)
        size = torch.where(torch.isfinite(flat), flat.abs(), torch.full_like(flat, float("inf")))
        worst = size.max(1).values
        bad = worst > self.blowup_threshold
        if bool(bad.any()):
            i = int(torch.argmax(worst))
            magnitude, time = float(worst[i]), float(t[i])
            what = f"|x| = {magnitude:.3g}" if magnitude < float("inf") else "x is not finite"
            error = SimulationError(
                f"the forward simulation of {self.name} blew up: {what} at t = {time:.3g} "
                f"({int(bad.sum())} of {x.shape[0]} rows beyond {self.blowup_threshold:.0e} or "
                f"not finite); use more simulation_steps or a step that keeps the state in "
                f"{self.space.name}",
                magnitude,
                time,
            )
            raise error

    def sample_marginal(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Tensor:
        """A sample of ``X_t`` given ``X_0 = x0`` (``(batch, ...)``), ``t`` a number or a tensor of
        shape ``()`` or ``(batch,)``: exact when possible, simulated otherwise."""
        t = expand_time(t, x0.shape[0], x0)
        if self.has_exact_transition:
            return self.sample_transition(x0, t, generator)
        return self.simulate_forward(x0, t, generator)

    # --- the generator itself (for Dynkin checks) ----------------------------------------------
    def generator_apply(self, f: Callable[[Tensor], Tensor], x: Tensor, t: Tensor) -> Tensor:
        """``(L_t f)(x) = Σ_k (L^k_t f)(x)`` for ``f: (batch, ...) -> (batch,)``."""
        return sum(block.generator(self.space, f, x, t) for block in self.blocks)

    def input_scale(self, t: Tensor) -> Tensor:
        """Factor applied to network inputs at time ``t`` (1 unless a process knows better)."""
        return torch.ones_like(t)

    def sample_times(self, n: int, generator: torch.Generator | None, device=None) -> Tensor:
        """``t ~ U(t_min, T)`` (the default time law of every loss)."""
        u = torch.rand(n, generator=generator, device=device)
        return self.t_min + (self.T - self.t_min) * u


def expand_time(t: Tensor | float, n: int, like: Tensor) -> Tensor:
    """A ``(n,)`` time tensor from a number or a tensor of shape ``()``, ``(1,)`` or ``(n,)``, on
    ``like``'s device and dtype (floats; the default dtype for integer ``like``)."""
    dtype = like.dtype if like.is_floating_point() else torch.get_default_dtype()
    times = torch.as_tensor(t, dtype=dtype, device=like.device)
    if times.dim() > 1 or (times.dim() == 1 and len(times) not in (1, n)):
        raise ValueError(
            f"t has shape {tuple(times.shape)}: give a number or a tensor of shape ({n},)"
        )
    return times.expand(n).clone()


__all__ = [
    "Block",
    "CAPABILITIES",
    "CoordinateGaussian",
    "MissingCapability",
    "Process",
    "SimulationError",
    "expand_time",
]
