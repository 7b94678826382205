"""Losses: each is the path-space KL of MATH.md §4 (or a named reweighting of it) up to a θ-free
constant, estimated on a batch of data ``x_0``."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..processes.base import Process
from .times import TimeLaw, UniformTimes


@dataclass
class Noised:
    """One forward draw at times ``t``: ``x_t`` and, for latent-kernel losses, the latent ``Γ`` and
    the atom mask of :meth:`~dmm.processes.base.Process.sample_latent`. ``scored`` (optional, a
    boolean mask of ``x_0``'s shape): the entries of each row whose terms the loss sums (``None``:
    all of them), for losses that declare :attr:`Loss.scores_entries`."""

    xt: Tensor
    latent: Tensor | None = None
    atom: Tensor | None = None
    scored: Tensor | None = None


class Loss:
    """``loss(model, x0, generator, context) -> scalar``; :meth:`per_sample` gives ``(batch,)``.

    A loss is two steps: :meth:`noise` draws ``x_t`` (and what else the term needs) given ``x_0``
    and ``t``; :meth:`term` evaluates the model there. Products of processes draw every factor's
    noise at one ``t`` and sum the factors' terms (MATH.md §10). Subclasses check at construction
    that the process declares what they need.

    ``per_unit_time``: ``term`` is the integrand at ``t ~ U(t_min, T)``, so the path-KL integral is
    ``(T - t_min)`` times its mean (``False`` for losses that already integrate over time, e.g. the
    chain ELBOs). ``times`` is the law ``t`` is drawn from (:mod:`dmm.losses.times`; uniform by
    default): another law comes with importance weights, so the mean is the same integral;
    :meth:`with_times` sets it. :meth:`kl_form` is the same loss with the KL weighting, used by the
    error report; a loss trained with another named weighting overrides it.
    """

    per_unit_time: bool = True
    times: TimeLaw = UniformTimes()
    #: the term is a sum over the row's entries and sums only ``Noised.scored``'s when it is set
    scores_entries: bool = False

    def __init__(self, process: Process) -> None:
        self.process = process

    def with_times(self, times: TimeLaw) -> Loss:
        """A copy of this loss that draws ``t`` from ``times`` (importance-weighted)."""
        out = copy.copy(self)
        out.times = times
        return out

    def kl_form(self) -> Loss:
        """This loss with the KL weighting (itself unless it was built with another weighting)."""
        return self

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        """``x_t ~ p_{t|0}(·|x_0)`` (exact, or simulated when the process has no kernel)."""
        return Noised(self.process.sample_marginal(x0, t, generator))

    def noise_key(self) -> tuple:
        """What :meth:`noise` draws: losses with equal keys can share one draw."""
        noise = type(self).noise
        return ("marginal" if noise is Loss.noise else noise, self.process)

    def term(
        self,
        model: nn.Module,
        x0: Tensor,
        noised: Noised,
        t: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        """The per-sample loss ``(batch,)`` at the draw ``noised``."""
        raise NotImplementedError

    def per_sample(
        self,
        model: nn.Module,
        x0: Tensor,
        generator: torch.Generator | None,
        context: Tensor | None = None,
        scored: Tensor | None = None,
    ) -> Tensor:
        """The per-sample loss ``(batch,)`` at fresh times and forward draws; ``scored``: only
        these entries of each row are summed (:class:`Noised`; needs :attr:`scores_entries`)."""
        if scored is not None and not self.scores_entries:
            raise ValueError(f"{type(self).__name__} cannot sum a subset of a row's entries")
        t, weight = self.times.draw(self.process, x0.shape[0], generator, x0.device)
        with torch.no_grad():
            noised = self.noise(x0, t, generator)
        if scored is not None:
            noised = dataclasses.replace(noised, scored=scored.to(x0.device).bool())
        term = self.term(model, x0, noised, t, generator, context)
        return term if weight is None else weight.to(term.dtype) * term

    def __call__(
        self,
        model: nn.Module,
        x0: Tensor,
        generator: torch.Generator | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        return self.per_sample(model, x0, generator, context).mean()


class SumLoss(Loss):
    """MATH.md §5e: a process with several blocks uses the sum of its block losses."""

    def __init__(self, *losses: Loss) -> None:
        if not losses:
            raise ValueError("SumLoss needs at least one loss")
        super().__init__(losses[0].process)
        self.losses = losses
        #: the parts draw x_t the same way, so they are evaluated on one draw (MATH.md §5e)
        self.shared_noise = len({loss.noise_key() for loss in losses}) == 1

    def noise(self, x0: Tensor, t: Tensor, generator: torch.Generator | None) -> Noised:
        if not self.shared_noise:
            raise TypeError("the parts of this SumLoss draw x_t differently; use per_sample")
        return self.losses[0].noise(x0, t, generator)

    def term(self, model, x0, noised, t, generator, context=None) -> Tensor:
        return sum(loss.term(model, x0, noised, t, generator, context) for loss in self.losses)

    def with_times(self, times: TimeLaw) -> SumLoss:
        out = super().with_times(times)
        out.losses = tuple(loss.with_times(times) for loss in self.losses)
        return out

    def per_sample(self, model, x0, generator, context=None) -> Tensor:
        if self.shared_noise:
            return super().per_sample(model, x0, generator, context)
        return sum(loss.per_sample(model, x0, generator, context) for loss in self.losses)

    def kl_form(self) -> SumLoss:
        if len({loss.per_unit_time for loss in self.losses}) > 1:
            raise ValueError("a SumLoss needs parts with the same time convention")
        out = SumLoss(*(loss.kl_form() for loss in self.losses))
        out.per_unit_time = self.losses[0].per_unit_time
        return out
