"""``--process tabular``: a mixed-type table (``.csv``/``.parquet`` or a built-in table) learnt by
the product of one forward process per column type (:mod:`dmm.tabular.codec`).

The entry is bound to a :class:`~dmm.tabular.codec.TableCodec` (the table's schema and the
statistics of its encoding): ``dmm train`` binds it to the table it reads, a run folder to the
codec its ``config.yaml`` records. The model, loss and sampler are the recipe's for the product,
except that by default (``numeric_loss=velocity``) the real and positive columns' factors take
flow matching's velocity output and :func:`~dmm.losses.velocity_weighting` instead of the ε
output and the KL weighting: the ε-loss hardly weighs what a row's shown cells say of the others
near pure noise, and the filled cells came out pulled toward their class's mean
(docs/studies/tabular.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ...losses import DenoisingScoreMatching, Loss, velocity_weighting
from ...losses.observed import ObservedSubsets, context_width
from ...processes import Process
from ...processes.base import MissingCapability
from ...processes.product import ProductProcess
from ...samplers import Sampler
from ...samplers.product import ProductSampler
from ...scores.models import VelocityParam
from ..errors import UsageError
from .spec import Entry, Parts, recipe_parts

if TYPE_CHECKING:  # pandas is imported only by commands that read or write tables
    from ...tabular.codec import TableCodec

NAME = "tabular"
PARAMS: dict[str, Any] = {
    "hidden": 256,
    "depth": 3,
    "t_min": 1e-3,
    "observed_context": True,
    "unconditional": 0.5,
    "score_observed": True,
    "numeric_loss": "velocity",
}
#: ``numeric_loss``: the head and the loss term of each real or positive column factor (a kernel
#: Gaussian in some coordinates, with one noise level); ``None`` keeps the recipe's
NUMERIC_LOSSES: dict[str, tuple[Callable[[Process], Any], Callable[[Process], Loss]] | None] = {
    "velocity": (
        lambda f: VelocityParam(None, f),
        lambda f: DenoisingScoreMatching(f, velocity_weighting),
    ),
    "eps-kl": None,
}
HELP: dict[str, str] = {
    "hidden": "width of the hidden layers of the one MLP over the whole row",
    "depth": "number of hidden layers of that MLP",
    "t_min": "smallest time trained and sampled (every factor's)",
    "observed_context": (
        "train with a random subset of each row's cells shown to the network as context "
        "(dmm.losses.ObservedSubsets), so that --given and --where condition the network on the "
        "given cells as well as keeping them by replacement"
    ),
    "unconditional": (
        "with observed_context: the share of training rows shown no cell (the model that "
        "dmm sample -n draws from); the others show a random subset (docs/studies/tabular.md: a lower "
        "share fills cells better on iris)"
    ),
    "score_observed": (
        "with observed_context: the loss also scores the cells shown as context (true: the "
        "path KL of the whole row) or only the others (false: the cells to fill; "
        "dmm.losses.ObservedSubsets)"
    ),
    "numeric_loss": (
        "the real and positive columns' output and loss: velocity (flow matching's, "
        "dmm.losses.velocity_weighting; fills cells given the others without pulling them "
        "toward their class's mean) or eps-kl (the noise and the KL weighting: the path KL; "
        "runs trained before 2026-12-06)"
    ),
}
#: the samplers: every column type's step (Euler-Maruyama for the diffusions, the analytic step
#: for the chains) from the same row, one network evaluation per step (``euler``, the default),
#: or in turn, one evaluation per factor (``split``); both end with each factor's denoising step
SAMPLER = "euler"
SPLIT = "split"
SUMMARY = (
    "mixed table (.csv/.parquet): VP for real and integer columns, geometric OU for positive "
    "ones, ordinal and absorbing chains for ordered integers and categories; one network"
)


@dataclass(frozen=True)
class TabularEntry(Entry):
    """The ``tabular`` entry, bound to ``codec`` (``None``: not yet bound to a table)."""

    codec: TableCodec | None = None  # noqa: F821
    name: str = NAME
    summary: str = SUMMARY
    params: Mapping[str, Any] = field(default_factory=lambda: dict(PARAMS))
    help: Mapping[str, str] = field(default_factory=lambda: dict(HELP))
    choices: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"numeric_loss": tuple(NUMERIC_LOSSES)}
    )
    train_defaults: Mapping[str, Any] = field(default_factory=dict)
    evaluate: None = None

    def make(self, data: Tensor, params: Mapping[str, Any]) -> Process:
        if self.codec is None:
            raise UsageError("process 'tabular' learns a table: --data TABLE.csv (or .parquet)")
        if data.ndim != 2 or data.shape[1] != self.codec.width:
            raise UsageError(
                f"the encoded table has {tuple(data.shape[1:])} columns, the schema "
                f"{self.codec.width}"
            )
        process = self.codec.process()
        if not 0 < params["t_min"] < process.T:
            raise UsageError(f"need 0 < t_min < T = {process.T}, got t_min={params['t_min']}")
        if params["t_min"] != process.t_min:
            factors = process.factors if isinstance(process, ProductProcess) else (process,)
            for factor in factors:
                factor.t_min = float(params["t_min"])
            process.t_min = float(params["t_min"])
        return process

    def parts(
        self, process: Process, data: Tensor, params: Mapping[str, Any], context_dim: int
    ) -> Parts:
        def samplers(sampler: Sampler) -> dict[str, Callable[[], Sampler]]:
            return {
                SAMPLER: lambda: _product_sampler(sampler, True),
                SPLIT: lambda: _product_sampler(sampler, False),
            }

        choices = _numeric_choices(params["numeric_loss"])
        if not params["observed_context"]:
            return recipe_parts(process, data, params, context_dim, samplers, SAMPLER, **choices)
        width = context_width(process.space)
        parts = recipe_parts(
            process, data, params, width + context_dim, samplers, SAMPLER, **choices
        )
        share = float(params["unconditional"])
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"unconditional must be in [0, 1], got {share}")
        score = params["score_observed"]
        if not isinstance(score, bool):
            raise UsageError(f"score_observed must be true or false, got {score!r}")
        return dataclasses.replace(parts, loss=ObservedSubsets(parts.loss, share, score))


def _numeric_choices(name: str) -> dict[str, Callable[[Process], Any]]:
    """The recipe's ``head`` and ``factor_loss`` for ``numeric_loss=name``: on the factors whose
    kernel is Gaussian with one noise level in some coordinates (real and positive columns)."""
    chosen = NUMERIC_LOSSES[name]
    if chosen is None:
        return {}
    head, loss = chosen

    def numeric(make: Callable[[Process], Any]) -> Callable[[Process], Any]:
        return lambda f: make(f) if _one_noise_level(f) else None

    return {"head": numeric(head), "factor_loss": numeric(loss)}


def _one_noise_level(factor: Process) -> bool:
    if not factor.has_exact_transition:
        return False
    try:
        factor.gaussian_coordinates(torch.full((1,), factor.T)).isotropic("numeric_loss")
    except (MissingCapability, NotImplementedError):
        return False
    return True


def _product_sampler(sampler: Sampler, simultaneous: bool) -> Sampler:
    """The recipe's sampler, or for a product its factors' samplers stepped simultaneously or in
    turn (a table of one column type has one factor: its own sampler)."""
    if not isinstance(sampler, ProductSampler):
        return sampler
    return ProductSampler(*sampler.samplers, simultaneous=simultaneous)


def tabular_entry(codec: TableCodec | None = None) -> TabularEntry:
    return TabularEntry(codec)


__all__ = ["NAME", "TabularEntry", "tabular_entry"]
