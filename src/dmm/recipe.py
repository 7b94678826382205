"""Recipes derived from the blocks: from a process alone, the model heads, the loss and the sampler.

* **Model.** One head per score coordinate the blocks read (MATH.md §3): a score for a diffusion
  block (``EpsParam`` for a Gaussian kernel, ``LogEpsParam`` for a Gaussian kernel in log
  coordinates on the positive orthant, ``LogScoreParam`` on the orthant otherwise,
  ``ScaledScoreParam`` without a kernel, its scale measured from the training rows by forward
  simulation, ``ScoreParam`` otherwise), ratios for a chain (``MeanRatios``), a ratio for jumps
  (``DirectRatio``); a jump-diffusion pairs a score and a ratio head; a product has one network
  over the whole row with one head per factor (a potential head for jump factors).
* **Loss.** The denoising form where the kernel is known (DSM, score entropy, the latent-kernel
  forms), the implicit form otherwise (ISM, implicit score entropy); the sum of the block losses
  on the same draw for sums, the sum of the factors' losses at one ``t`` for products. All with the
  KL weighting, so the loss is the path KL up to a constant, except the implicit jump loss, which
  uses the logistic divergence (same minimiser, bounded gradient; ``kl_form()`` for the report).
  Losses on simulated marginals (no kernel) draw ``t`` from
  :class:`~dmm.losses.times.LogUniformMixture` with importance weights: the same integral, with
  far less variance from small ``t``.
* **Sampler.** Euler–Maruyama for diffusion blocks, τ-leaping for jumps, the analytic (Tweedie)
  step for chains; operator splitting for sums; for products every factor's step from the same
  row (one network evaluation per step).

Each piece can be overridden: ``recipe(process, data, model=..., loss=..., sampler=...)``. A process
without a reference law gets :class:`~dmm.processes.references.SimulatedReference` from the
training rows, and the recipe says so in ``notes``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import torch
from torch import Tensor, nn

from .losses import (
    DenoisingJumpScoreEntropy,
    DenoisingScoreMatching,
    ImplicitScoreEntropy,
    ImplicitScoreEntropyChain,
    ImplicitScoreMatching,
    LatentScoreMatching,
    Loss,
    ScoreEntropy,
    SumLoss,
)
from .losses.product import ProductLoss
from .losses.times import LogUniformMixture
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
from .scores import (
    DirectRatio,
    JumpDiffusionModel,
    LogEpsParam,
    LogScoreParam,
    MeanRatios,
    ScoreParam,
)
from .scores.jump_ratios import PotentialRatio
from .scores.models import EpsParam, ScaledScoreParam
from .scores.product import ProductModel, head_width
from .spaces import Euclidean
from .spaces.base import shape_hint, whole_number
from .spaces.positive import PositiveOrthant

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")


@dataclass(frozen=True)
class BlockRecipe:
    """What the library derives for one block type.

    ``model(process, hidden, depth, context_dim)``: an untrained model with the score coordinates
    this block's backward formula reads; ``head(process)``: the same parameterisation without a
    network, for a product factor (its slice of the joint network); ``loss(process)`` and
    ``sampler(process)``: the block's loss term and sampler step; ``sample_steps``: the default
    number of sampler steps; ``rank``: the block's place in sums (losses and splitting run in
    increasing rank)."""

    model: Callable[[Process, int, int, int], nn.Module]
    head: Callable[[Process], nn.Module]
    loss: Callable[[Process], Loss]
    sampler: Callable[[Process], Sampler]
    sample_steps: int
    rank: int = 0


#: the recipe of every block type; a new block type adds itself with :func:`register_block`
BLOCK_RECIPES: dict[type[Block], BlockRecipe] = {}


def register_block(kind: type[Block], block_recipe: BlockRecipe) -> None:
    """Teach :func:`recipe` a block type (one entry per type)."""
    if not (isinstance(kind, type) and issubclass(kind, Block)):
        raise TypeError(f"{kind!r} is not a Block type")
    if kind in BLOCK_RECIPES:
        raise ValueError(f"block type {kind.__name__} already has a recipe")
    BLOCK_RECIPES[kind] = block_recipe


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
    data: Tensor | np.ndarray | None = None,
    *,
    hidden: int = 256,
    depth: int = 3,
    context_dim: int = 0,
    model: nn.Module | None = None,
    loss: Loss | None = None,
    sampler: Sampler | None = None,
    sample_steps: int | None = None,
    head: Callable[[Process], nn.Module | None] | None = None,
    factor_loss: Callable[[Process], Loss | None] | None = None,
) -> Recipe:
    """The model, loss and sampler for ``process`` (module doc); ``data`` (training rows, a tensor
    or an array, checked by the process's space: a :class:`~dmm.spaces.SupportError` names rows
    outside it) is needed only when the process declares no reference law. Then ``process`` gets
    a :class:`~dmm.processes.references.SimulatedReference` of ``data`` (a later call with other
    data replaces it), and ``notes`` say so. For a product, ``head`` and ``factor_loss`` may
    choose a factor's head and loss term (:func:`default_model`, :func:`default_loss`)."""
    notes = []
    if data is not None:
        data = _checked(process, data)
    simulated = isinstance(process.reference, SimulatedReference)  # from an earlier call's data
    if process.reference is None or (simulated and data is not None):
        if data is None:
            raise ValueError(f"{process.name} declares no reference law: pass training data")
        process.reference = SimulatedReference(process, data)
        notes.append(
            f"{process.name} declares no reference law: using its law at T = {process.T:g}, "
            f"simulated from {process.reference.rows.shape[0]} training rows"
        )
    sampler = sampler or default_sampler(process)
    sampler.check(process)
    if model is None:
        model = default_model(process, hidden, depth, context_dim, head)
        if data is not None:
            _calibrate(model, process, data)
    return Recipe(
        process,
        model,
        loss or default_loss(process, factor_loss),
        sampler,
        default_sample_steps(process)
        if sample_steps is None
        else whole_number(sample_steps, "sample_steps"),
        process.has_denoiser,
        notes,
    )


def _calibrate(model: nn.Module, process: Process, data: Tensor) -> None:
    """Each :class:`ScaledScoreParam` head of ``model`` measures its ``σ̂`` on the rows of its own
    process: the data, or for a product the columns of the head's factor (a factor's head kept
    ``σ̂ = 1`` before)."""
    columns = {}
    if isinstance(process, ProductProcess):
        columns = {id(f): part for f, part in zip(process.factors, process.space.split(data))}
    for part in model.modules():
        if isinstance(part, ScaledScoreParam):
            rows = data if part.process is process else columns.get(id(part.process))
            if rows is not None:
                part.calibrate(rows)


def _checked(process: Process, data: Tensor | np.ndarray) -> Tensor:
    """``data`` as a tensor checked by ``process``'s space (flat rows of a space of matrices
    reshaped), floats at the default dtype (the networks'); a wrong shape names the process and
    its space."""
    x = torch.as_tensor(data)
    if x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    event = tuple(process.space.event_shape)
    flat = len(event) > 1 and x.dim() == 2 and x.shape[1] == math.prod(event)
    if tuple(x.shape[1:]) != event and not flat:
        raise ValueError(
            f"data has shape {tuple(x.shape)}, but {process.name} lives on {process.space.name}"
            f" with rows of shape {event}: {shape_hint(tuple(x.shape), event)}"
        )
    return process.space.validate(x)


def _kinds(process: Process) -> list[type[Block]]:
    """The registered block types of ``process``, one per block, ordered by rank."""
    kinds = []
    for block in process.blocks:
        kind = next((k for k in BLOCK_RECIPES if isinstance(block, k)), None)
        if kind is None:
            raise MissingCapability(
                f"no recipe for a {type(block).__name__} block (register one with "
                "dmm.recipe.register_block, or pass the model, loss and sampler yourself)"
            )
        if kind in kinds:
            raise MissingCapability(
                f"{process.name} has two {kind.__name__} blocks: merge them into one, or pass "
                "the model, loss and sampler yourself"
            )
        kinds.append(kind)
    return sorted(kinds, key=lambda k: BLOCK_RECIPES[k].rank)


def default_model(
    process: Process,
    hidden: int = 256,
    depth: int = 3,
    context_dim: int = 0,
    head: Callable[[Process], nn.Module | None] | None = None,
) -> nn.Module:
    """The blocks' score coordinates on MLP backbones (module doc); for a product,
    ``head(factor)`` may choose a factor's head (``None``: this default)."""
    if isinstance(process, ProductProcess):
        heads = [_chosen(head, f, _product_head) for f in process.factors]
        width = sum(head_width(h) for h in heads)
        net = MLP(process.space.feature_dim, width, hidden, depth, context_dim)
        return ProductModel(process, heads, net)
    kinds = _kinds(process)
    models = [BLOCK_RECIPES[k].model(process, hidden, depth, context_dim) for k in kinds]
    if len(models) == 1:
        return models[0]
    if kinds == [Diffusion, Jumps]:
        return JumpDiffusionModel(*models)
    raise MissingCapability(
        f"no model recipe for the sum of {', '.join(k.__name__ for k in kinds)} blocks: pass one"
    )


def _chosen(choose: Callable[[Process], T | None] | None, factor: Process, default) -> T:
    """``choose(factor)``, or ``default(factor)`` where there is no ``choose`` or it says ``None``."""
    own = None if choose is None else choose(factor)
    return default(factor) if own is None else own


def _product_head(factor: Process) -> nn.Module:
    kinds = _kinds(factor)
    if len(kinds) == 1:
        return BLOCK_RECIPES[kinds[0]].head(factor)
    if kinds == [Diffusion, Jumps]:  # one potential serves the score and the jump ratio
        return PotentialRatio(None, factor)
    raise MissingCapability(f"no product head for {', '.join(k.__name__ for k in kinds)} blocks")


def default_loss(
    process: Process, factor_loss: Callable[[Process], Loss | None] | None = None
) -> Loss:
    """The blocks' loss terms; their sum for sums; the factors' sum at one ``t`` for products,
    where ``factor_loss(factor)`` may choose a factor's term (``None``: this default)."""
    if isinstance(process, ProductProcess):
        return ProductLoss(
            process, [_chosen(factor_loss, f, default_loss) for f in process.factors]
        )
    parts = [BLOCK_RECIPES[k].loss(process) for k in _kinds(process)]
    loss = parts[0] if len(parts) == 1 else SumLoss(*parts)
    if _simulated(process):
        # with ScaledScoreParam, on the jump-diffusion of docs/extending.md: the score's relative
        # error at t = 0.003 fell from 0.49 to 0.084 at 4000 steps, C2ST AUC from 0.72 to 0.53
        # (docs/results/jump_diffusion_oracle*.json, user_processes.json)
        loss = loss.with_times(LogUniformMixture())
    return loss


def _simulated(process: Process) -> bool:
    """Whether the losses see ``p_t`` only through the forward simulator (no kernel at all)."""
    return not (process.has_exact_transition or process.has_latent_kernel)


def default_sampler(process: Process) -> Sampler:
    """The blocks' sampler steps; operator splitting for sums and products."""
    if isinstance(process, ProductProcess):
        # simultaneous: one network evaluation per step for all factors; on penguins and wine
        # (3000 training steps, 500 sampler steps) C2ST AUC 0.602 / 0.599 and 0.427 / 0.430
        # against splitting, at a fifth and a third of the evaluations
        # (benchmarks/product_sampler.py, docs/results/product_sampler.json)
        factors = (default_sampler(f) for f in process.factors)
        return ProductSampler(*factors, simultaneous=True)
    parts = [BLOCK_RECIPES[k].sampler(process) for k in _kinds(process)]
    return parts[0] if len(parts) == 1 else Splitting(*parts)


def default_sample_steps(process: Process) -> int:
    """The sampler's default number of steps: the largest of the blocks' (of every factor's)."""
    factors = process.factors if isinstance(process, ProductProcess) else (process,)
    return max(BLOCK_RECIPES[k].sample_steps for f in factors for k in _kinds(f))


# --- the built-in block types ----------------------------------------------------------------


def score_head(process: Process, net: nn.Module | None) -> nn.Module:
    """The score parameterisation for a diffusion block on ``process``'s space: ε for a Gaussian
    kernel, the ε of ``log X_t`` for a log-Gaussian kernel on the positive orthant, ``y ⊙ s`` on
    the orthant otherwise, ``σ̂(t) s`` on ``R^d`` without a kernel, the score
    itself otherwise."""
    if isinstance(process, GaussianDiffusion):
        return EpsParam(net, process)
    if isinstance(process.space, PositiveOrthant):
        if hasattr(process, "log_kernel"):
            return LogEpsParam(net, process)
        return LogScoreParam(net, process)
    if _simulated(process) and isinstance(process.space, Euclidean):
        return ScaledScoreParam(net, process)
    return ScoreParam(net, process)


def _diffusion_loss(process: Process) -> Loss:
    if process.has_exact_transition:
        return DenoisingScoreMatching(process)
    if process.has_latent_kernel:
        return LatentScoreMatching(process)
    # implicit score matching: on the jump-diffusion of benchmarks/user_processes.py it measured
    # better than latent score matching over the simulation's last Gaussian step
    # (dmm.processes.latent, docs/extending.md)
    return ImplicitScoreMatching(process, "exact" if process.space.dim <= 8 else "hutchinson")


def _jumps_loss(process: Process) -> Loss:
    if process.has_latent_kernel:
        return DenoisingJumpScoreEntropy(process, 8)
    # the logistic divergence (same minimiser, bounded gradient): on the jump-diffusion of
    # benchmarks/user_processes.py the score-entropy form's batch loss spiked to 1e8-1e10 (with the
    # previous recipe's uniform t: AUC 0.72 against 0.76 at 4000 steps; docs/extending.md)
    return ImplicitScoreEntropy(process, 8, divergence="logistic")


#: the MLP while a coordinate takes at most this many values, a transformer above: the cost
#: crossover measured by benchmarks/chains_network_cost.py (the catalogue's ``network=auto``)
CHAIN_MLP_MAX_STATES = 512


def _chain_model(process: Process, hidden: int, depth: int, context_dim: int) -> nn.Module:
    space = process.space
    if space.n_states > CHAIN_MLP_MAX_STATES:
        net = Transformer(space.d, space.n_states, space.S, 64, 2, 4, context_dim)
    else:
        net = MLP(space.feature_dim, space.d * space.S, hidden, depth, context_dim)
    return MeanRatios(net, process)


def _chain_loss(process: Process) -> Loss:
    if process.has_exact_transition:
        return ScoreEntropy(process)
    return ImplicitScoreEntropyChain(process)


register_block(
    Diffusion,
    BlockRecipe(
        model=lambda p, h, d, c: score_head(p, MLP(p.space.feature_dim, p.space.dim, h, d, c)),
        head=lambda p: score_head(p, None),
        loss=_diffusion_loss,
        sampler=lambda p: EulerMaruyama(),
        sample_steps=500,
    ),
)
register_block(
    Jumps,
    BlockRecipe(
        model=lambda p, h, d, c: DirectRatio(MLP(2 * p.space.feature_dim, 1, h, d, c), p),
        head=lambda p: PotentialRatio(None, p),  # a ratio between two rows of the joint network
        loss=_jumps_loss,
        sampler=lambda p: JumpTauLeaping(16),
        sample_steps=200,
        rank=1,
    ),
)
register_block(
    Chain,
    BlockRecipe(
        model=_chain_model,
        head=lambda p: MeanRatios(None, p),
        loss=_chain_loss,
        sampler=lambda p: TweedieStep(),
        sample_steps=256,
    ),
)


__all__ = [
    "BLOCK_RECIPES",
    "BlockRecipe",
    "Recipe",
    "register_block",
    "default_loss",
    "default_model",
    "default_sample_steps",
    "default_sampler",
    "recipe",
    "score_head",
]
