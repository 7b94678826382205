"""Recipes derived from the blocks: from a process alone, the model heads, the loss and the sampler.

* **Model.** One head per score coordinate the blocks read (MATH.md §3): a score for a diffusion
  block (``EpsParam`` for a Gaussian kernel, ``LogScoreParam`` on the positive orthant,
  ``ScoreParam`` otherwise), ratios for a chain (``MeanRatios``), a ratio for jumps
  (``DirectRatio``); a jump-diffusion pairs a score and a ratio head; a product has one network
  over the whole row with one head per factor (a potential head for jump factors).
* **Loss.** The denoising form where the kernel is known (DSM, score entropy, the latent-kernel
  forms), the implicit form otherwise (ISM, implicit score entropy); the sum of the block losses
  on the same draw for sums, the sum of the factors' losses at one ``t`` for products. All with the
  KL weighting, so the loss is the path KL up to a constant.
* **Sampler.** Euler–Maruyama for diffusion blocks, τ-leaping for jumps, the analytic (Tweedie)
  step for chains; operator splitting for sums and products.

Each piece can be overridden: ``recipe(process, data, model=..., loss=..., sampler=...)``. A process
without a reference law gets :class:`~dmm.processes.references.SimulatedReference` from the
training rows, and the recipe says so in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from .losses import (
    DenoisingJumpScoreEntropy,
    DenoisingScoreMatching,
    ImplicitScoreEntropy,
    ImplicitScoreMatching,
    LatentScoreMatching,
    Loss,
    ScoreEntropy,
    SumLoss,
)
from .losses.product import ProductLoss
from .networks import MLP
from .networks.transformer import Transformer
from .processes.base import Block, MissingCapability, Process
from .processes.chains import Chain
from .processes.diffusion import Diffusion
from .processes.gaussian import GaussianDiffusion
from .processes.jumps import Jumps
from .processes.product import ProductProcess
from .processes.references import SimulatedReference
from .samplers import EulerMaruyama, JumpTauLeaping, Sampler, Splitting, TweedieStep
from .samplers.product import ProductSampler
from .scores import DirectRatio, JumpDiffusionModel, LogScoreParam, MeanRatios, ScoreParam
from .scores.jump_ratios import PotentialRatio
from .scores.models import EpsParam
from .scores.product import ProductModel, head_width
from .spaces.positive import PositiveOrthant

#: sampler steps by block type (the most any block of the process asks for is used)
SAMPLE_STEPS: dict[type[Block], int] = {Diffusion: 500, Chain: 256, Jumps: 200}


@dataclass
class Recipe:
    """What it takes to train and sample a process: the untrained model, the loss, the sampler,
    its default number of steps and whether to end with the process's denoising step."""

    process: Process
    model: nn.Module
    loss: Loss
    sampler: Sampler
    sample_steps: int
    denoise: bool
    notes: list[str] = field(default_factory=list)


def recipe(
    process: Process,
    data: Tensor | None = None,
    *,
    hidden: int = 256,
    depth: int = 3,
    context_dim: int = 0,
    model: nn.Module | None = None,
    loss: Loss | None = None,
    sampler: Sampler | None = None,
    sample_steps: int | None = None,
) -> Recipe:
    """The model, loss and sampler for ``process`` (module doc); ``data`` (training rows) is needed
    only when the process declares no reference law."""
    notes = []
    if process.reference is None:
        if data is None:
            raise ValueError(f"{process.name} declares no reference law: pass training data")
        process.reference = SimulatedReference(process, data)
        notes.append(
            f"{process.name} declares no reference law: using its law at T = {process.T:g}, "
            f"simulated from {process.reference.rows.shape[0]} training rows"
        )
    sampler = sampler or default_sampler(process)
    sampler.check(process)
    return Recipe(
        process,
        model or default_model(process, hidden, depth, context_dim),
        loss or default_loss(process),
        sampler,
        sample_steps or default_sample_steps(process),
        process.has_denoiser,
        notes,
    )


def _kinds(process: Process) -> set[type[Block]]:
    kinds = set()
    for block in process.blocks:
        kind = next((k for k in SAMPLE_STEPS if isinstance(block, k)), None)
        if kind is None:
            raise MissingCapability(f"no recipe for a {type(block).__name__} block")
        if kind in kinds:
            raise MissingCapability(
                f"{process.name} has two {kind.__name__} blocks: merge them into one, or pass "
                "the model, loss and sampler yourself"
            )
        kinds.add(kind)
    return kinds


def score_head(process: Process, net: nn.Module | None) -> nn.Module:
    """The score parameterisation for a diffusion block on ``process``'s space."""
    if isinstance(process, GaussianDiffusion):
        return EpsParam(net, process)
    if isinstance(process.space, PositiveOrthant):
        return LogScoreParam(net, process)
    return ScoreParam(net, process)


def default_model(process: Process, hidden: int = 256, depth: int = 3, context_dim: int = 0):
    """One head per score coordinate the blocks read (module doc), on MLP backbones (a
    transformer for chains with more than 8 coordinates)."""
    if isinstance(process, ProductProcess):
        heads = [_product_head(f) for f in process.factors]
        width = sum(head_width(h) for h in heads)
        net = MLP(process.space.feature_dim, width, hidden, depth, context_dim)
        return ProductModel(process, heads, net)
    kinds, f = _kinds(process), process.space.feature_dim
    if kinds == {Diffusion}:
        return score_head(process, MLP(f, process.space.dim, hidden, depth, context_dim))
    if kinds == {Chain}:
        space = process.space
        if space.d > 8:
            net = Transformer(space.d, space.n_states, space.S, 64, 2, 4, context_dim)
        else:
            net = MLP(f, space.d * space.S, hidden, depth, context_dim)
        return MeanRatios(net, process)
    if kinds == {Jumps}:
        return DirectRatio(MLP(2 * f, 1, hidden, depth, context_dim), process)
    if kinds == {Diffusion, Jumps}:
        score = score_head(process, MLP(f, process.space.dim, hidden, depth, context_dim))
        return JumpDiffusionModel(
            score, DirectRatio(MLP(2 * f, 1, hidden, depth, context_dim), process)
        )
    raise MissingCapability(f"no model recipe for blocks {sorted(k.__name__ for k in kinds)}")


def _product_head(factor: Process) -> nn.Module:
    kinds = _kinds(factor)
    if Jumps in kinds:  # a ratio between two rows of the joint network: a potential head
        return PotentialRatio(None, factor)
    if kinds == {Diffusion}:
        return score_head(factor, None)
    if kinds == {Chain}:
        return MeanRatios(None, factor)
    raise MissingCapability(f"no product head for blocks {sorted(k.__name__ for k in kinds)}")


def default_loss(process: Process) -> Loss:
    """The denoising form where the kernel is known, the implicit form otherwise (module doc)."""
    if isinstance(process, ProductProcess):
        return ProductLoss(process, [default_loss(f) for f in process.factors])
    parts = [_block_loss(process, kind) for kind in _kinds(process)]
    return parts[0] if len(parts) == 1 else SumLoss(*sorted(parts, key=_order))


def _order(loss: Loss) -> int:
    return (
        0
        if isinstance(loss, (DenoisingScoreMatching, ImplicitScoreMatching, LatentScoreMatching))
        else 1
    )


def _block_loss(process: Process, kind: type[Block]) -> Loss:
    if kind is Diffusion:
        if process.has_exact_transition:
            return DenoisingScoreMatching(process)
        if process.has_latent_kernel:
            return LatentScoreMatching(process)
        return ImplicitScoreMatching(process, "exact" if process.space.dim <= 8 else "hutchinson")
    if kind is Jumps:
        if process.has_latent_kernel:
            return DenoisingJumpScoreEntropy(process, 8)
        return ImplicitScoreEntropy(process, 8)
    if process.has_exact_transition:
        return ScoreEntropy(process)
    raise MissingCapability(
        f"{process.name} has a chain block but no exact transition: build it as a ChainProcess "
        "(its kernel exp(B(t) R) is exact)"
    )


def default_sampler(process: Process) -> Sampler:
    """Euler–Maruyama, τ-leaping or the Tweedie step per block; splitting for sums and products."""
    if isinstance(process, ProductProcess):
        return ProductSampler(*(default_sampler(f) for f in process.factors))
    steps = {Diffusion: EulerMaruyama, Jumps: lambda: JumpTauLeaping(16), Chain: TweedieStep}
    parts = [steps[kind]() for kind in _kinds(process)]
    return (
        parts[0]
        if len(parts) == 1
        else Splitting(*sorted(parts, key=lambda s: Jumps in s.supports))
    )


def default_sample_steps(process: Process) -> int:
    factors = process.factors if isinstance(process, ProductProcess) else (process,)
    return max(SAMPLE_STEPS[k] for f in factors for k in _kinds(f))


__all__ = [
    "Recipe",
    "SAMPLE_STEPS",
    "default_loss",
    "default_model",
    "default_sample_steps",
    "default_sampler",
    "recipe",
    "score_head",
]
