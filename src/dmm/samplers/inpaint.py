"""Inpainting: any sampler, with observed coordinates held fixed (for any process).

``Inpaint(sampler, observed, values)`` runs ``sampler`` and after every step resets the observed
coordinates: ``mode="clamp"`` to their clean values (natural for the absorbing chain, whose unmasked
coordinates are clean), ``mode="replace"`` to a fresh draw of the forward kernel
``p_{t_next|0}(·|values)`` (the replacement method; needs an exact transition).

``resample=U`` (RePaint, Lugmayr et al. 2022) repeats each step ``U`` times: after a step to
``t_next`` and the reset, the row is carried forward again to ``t`` by one forward step of the
process and the backward step is taken anew, so that the free coordinates have time to agree with
the given ones. ``U - 1`` extra backward steps per step; for one-step samplers only (a multistep
sampler's memory would see the same step twice).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..processes.base import Process
from ..reversal import Reversal
from ..spaces.base import SupportError
from .base import Sampler


class Inpaint(Sampler):
    """Wrap ``sampler``; ``observed`` is a boolean mask broadcastable to the states ``(batch,
    *event_shape)``, ``values`` the observed states (only entries under the mask are read)."""

    def __init__(
        self,
        sampler: Sampler,
        observed: Tensor,
        values: Tensor,
        mode: str = "clamp",
        resample: int = 1,
    ) -> None:
        if mode not in ("clamp", "replace"):
            raise ValueError(f"mode must be 'clamp' or 'replace', got {mode!r}")
        if int(resample) < 1:
            raise ValueError(f"resample must be at least 1, got {resample}")
        self.sampler, self.observed, self.values, self.mode = sampler, observed.bool(), values, mode
        self.resample = int(resample)
        self.supports = sampler.supports
        self.order = sampler.order
        self.multistep = sampler.multistep  # type: ignore[misc]
        cost = sampler.nfe_per_step
        self.nfe_per_step = None if cost is None else cost * self.resample

    def default_grid(self, process: Process, steps: int) -> Tensor:
        return self.sampler.default_grid(process, steps)

    def start(self, rev: Reversal, grid: Tensor) -> None:
        self.sampler.start(rev, grid)

    def check(self, process: Process) -> None:
        """The wrapped sampler's checks, and the observed values': states of ``process``
        (finite, in its space; :meth:`~dmm.spaces.Space.validate_states` names the rows)."""
        self.sampler.check(process)
        if self.mode == "replace":
            process.require("exact_transition", "Inpaint(mode='replace')")
        if process.reference is None:  # no law to draw valid states from for the free entries
            return
        values = torch.as_tensor(self.values).detach().cpu()
        event = tuple(process.space.event_shape)
        rows = values.shape[0] if values.dim() > len(event) else 1
        observed = torch.broadcast_to(self.observed.cpu(), (rows, *event))
        filler = process.reference.sample(rows, torch.Generator().manual_seed(0)).cpu()
        given = torch.broadcast_to(values, observed.shape).double()
        try:
            process.space.validate_states(torch.where(observed, given, filler.double()))
        except SupportError as e:
            raise SupportError(f"Inpaint's observed values: {e}") from None

    def apply(
        self, process: Process, y: Tensor, t: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """Reset the observed coordinates of ``y`` at forward time ``t``."""
        target = self.values.to(y.device)
        if self.mode == "replace":
            target = process.sample_transition(target, t, generator)
        return torch.where(self.observed.to(y.device), target.to(y.dtype), y)

    def initial(self, process: Process, n: int, generator: torch.Generator | None) -> Tensor:
        """A start for ``simulate(y_init=...)``: reference draws with the observed coordinates
        reset."""
        y = process.reference.sample(n, generator)
        return self.apply(process, y, torch.full((n,), process.T), generator)

    def step(self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator) -> Tensor:
        process = rev.process
        for u in range(self.resample):
            if u:  # back to t by the forward process, then the backward step again
                y = process.forward_step(y, t_next, t - t_next, generator)
            y = self.apply(
                process, self.sampler.step(rev, y, t, t_next, generator), t_next, generator
            )
        return y


__all__ = ["Inpaint"]
