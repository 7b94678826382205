"""``--process tabular``: a mixed-type table (``.csv``/``.parquet`` or a built-in table) learnt by
the product of one forward process per column type (:mod:`dmm.tabular.codec`).

The entry is bound to a :class:`~dmm.tabular.codec.TableCodec` (the table's schema and the
statistics of its encoding): ``dmm train`` binds it to the table it reads, a run folder to the
codec its ``config.yaml`` records. The model, loss and sampler are the recipe's for the product.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from torch import Tensor

from ...losses.observed import ObservedSubsets, context_width
from ...processes import Process
from ...processes.product import ProductProcess
from ...samplers import Sampler
from ...samplers.product import ProductSampler
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

        if not params["observed_context"]:
            return recipe_parts(process, data, params, context_dim, samplers, SAMPLER)
        width = context_width(process.space)
        parts = recipe_parts(process, data, params, width + context_dim, samplers, SAMPLER)
        share = float(params["unconditional"])
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"unconditional must be in [0, 1], got {share}")
        score = params["score_observed"]
        if not isinstance(score, bool):
            raise UsageError(f"score_observed must be true or false, got {score!r}")
        return dataclasses.replace(parts, loss=ObservedSubsets(parts.loss, share, score))


def _product_sampler(sampler: Sampler, simultaneous: bool) -> Sampler:
    """The recipe's sampler, or for a product its factors' samplers stepped simultaneously or in
    turn (a table of one column type has one factor: its own sampler)."""
    if not isinstance(sampler, ProductSampler):
        return sampler
    return ProductSampler(*sampler.samplers, simultaneous=simultaneous)


def tabular_entry(codec: TableCodec | None = None) -> TabularEntry:
    return TabularEntry(codec)


__all__ = ["NAME", "TabularEntry", "tabular_entry"]
