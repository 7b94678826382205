"""Random observed subsets as context: one model of every conditional law ``p(x_0^{∖m} | x_0^m)``.

A row's entries ``m`` (a random subset, drawn per row) are shown to the network, clean, as the
context ``c = (features(x_0) ⊙ m, m)`` (:func:`observed_context`); the loss is the wrapped loss
of the whole row with that context. For each subset ``m`` the wrapped loss is the path KL (MATH.md
§4) of the forward process started from ``p(x_0 | x_0^m)``, so for every ``m`` the law draws its
minimiser is the density of that conditional process,

    φ_θ(y, t | c) ∝ p_t(y | x_0^m) = ∫ p_{t|0}(y | x_0) p(x_0 | x_0^m) dx_0,

and the backward generator built on it (the process's own formula) is the time reversal of the
forward process started from ``p(· | x_0^m)``. The empty subset (``m = ∅``, drawn with probability ``unconditional``) is the unconditional
model. Sampling with the context of given cells fills the others from the conditional law they
define (imputation, conditional sampling); with ``m = ∅``, plain sampling. The entries the
context shows are also noised and scored like the others: the sum over the row stays the path KL
of a conditional law, and a sampler keeps given entries by replacement
(:class:`~dmm.samplers.Inpaint`) as for an unconditional model.

With ``score_observed=False`` the loss sums the terms of the entries the context does not show
only (as CSDI's does, Tashiro et al. 2021). When the forward process moves the entries
independently (a product of factors with coordinate-wise noise, as a table's is) and the loss is
a sum over entries, the path KL of the conditional law splits into a sum over the entries, and
an observed entry's term is minimised by the kernel's own score, ``∇ log p_{t|0}(y^j | x_0^j)``,
which the model need not learn: the sampler replaces those entries anyway. Dropping their terms
leaves the minimiser of the others unchanged and spends the network on the entries to fill. The
unconditional rows (``m = ∅``) score every entry either way.

The subset law: with probability ``unconditional`` the empty set, otherwise each entry of the row
independently with probability ``u ~ U(0, 1)`` (one ``u`` per row), so that every share of given
entries is trained.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..spaces.base import Space
from .base import Loss, Noised


def context_width(space: Space) -> int:
    """Width of :func:`observed_context` for rows of ``space``."""
    return space.feature_dim + math.prod(space.event_shape)


def observed_context(space: Space, x: Tensor, observed: Tensor) -> Tensor:
    """``(features(x) ⊙ m, m)``: the network's view of the entries ``observed`` (a boolean mask
    of ``x``'s shape) of the rows ``x``; the other entries of ``x`` are never read."""
    cells = observed.to(x.device).bool().reshape(x.shape[0], *space.event_shape)
    features = space.features(x).to(torch.get_default_dtype())
    shown = torch.where(space.feature_mask(cells), features, torch.zeros_like(features))
    return torch.cat([shown, cells.reshape(x.shape[0], -1).to(features.dtype)], dim=1)


class ObservedSubsets(Loss):
    """``loss`` of the whole row with the context of a random observed subset of its entries
    (module doc); a user context, if any, follows the observed one."""

    def __init__(self, loss: Loss, unconditional: float = 0.5, score_observed: bool = True) -> None:
        if not 0.0 <= unconditional <= 1.0:
            raise ValueError(f"unconditional must be in [0, 1], got {unconditional}")
        if not score_observed and not loss.scores_entries:
            raise ValueError(
                f"score_observed=False needs a loss that sums over a row's entries "
                f"({type(loss).__name__} does not)"
            )
        super().__init__(loss.process)
        self.loss, self.unconditional = loss, float(unconditional)
        self.score_observed = bool(score_observed)
        self.per_unit_time, self.times = loss.per_unit_time, loss.times

    @property
    def width(self) -> int:
        return context_width(self.process.space)

    def context(self, x: Tensor, observed: Tensor | None, extra: Tensor | None = None) -> Tensor:
        """The context that shows the entries ``observed`` of ``x`` (``None``: none of them, and
        ``x`` is only read for its number of rows)."""
        if observed is None:
            ctx = torch.zeros(x.shape[0], self.width, device=x.device)
        else:
            ctx = observed_context(self.process.space, x, observed)
        return ctx if extra is None else torch.cat([ctx, extra.reshape(x.shape[0], -1)], dim=1)

    def draw_subsets(self, x0: Tensor, generator: torch.Generator | None) -> Tensor:
        """One random subset per row of ``x0`` (module doc), as a boolean mask of its shape."""
        n = x0.shape[0]
        flat = x0.reshape(n, -1)
        u = torch.rand(n, 1, generator=generator, device=x0.device)
        entries = torch.rand(flat.shape, generator=generator, device=x0.device) < u
        empty = torch.rand(n, 1, generator=generator, device=x0.device) < self.unconditional
        return (entries & ~empty).reshape(x0.shape)

    def with_times(self, times) -> ObservedSubsets:
        return ObservedSubsets(self.loss.with_times(times), self.unconditional, self.score_observed)

    def kl_form(self) -> ObservedSubsets:
        """The KL form of the unconditional model (the empty subset): what the error report of
        the model's own samples bounds."""
        return ObservedSubsets(self.loss.kl_form(), 1.0)

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        return self.loss.noise(x0, t, generator)

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        """The wrapped term with nothing observed (the unconditional model)."""
        return self.loss.term(model, x0, noised, t, generator, self.context(x0, None, context))

    def per_sample(
        self,
        model: nn.Module,
        x0: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        observed = None if self.unconditional >= 1.0 else self.draw_subsets(x0, generator)
        ctx = self.context(x0, observed, context)
        if self.score_observed or observed is None:
            return self.loss.per_sample(model, x0, generator, ctx)
        return self.loss.per_sample(model, x0, generator, ctx, scored=~observed)


__all__ = ["ObservedSubsets", "context_width", "observed_context"]
