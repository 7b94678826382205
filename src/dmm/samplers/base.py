"""Samplers and the one ``simulate`` loop that drives them.

A sampler is one discretisation of the backward process: ``step(rev, y, t, t_next, generator)``
moves ``y`` from forward time ``t`` down to ``t_next < t``. It declares which block types it can
simulate (``supports``, a set of :class:`~dmm.processes.base.Block` classes), its weak order and
its cost (``nfe_per_step`` network evaluations per step); ``simulate`` owns the time grid (the
sampler's :meth:`~Sampler.default_grid` unless one is given), the starting draw from the reference
law, progress, callbacks and the optional final denoising step. ``simulate`` calls
:meth:`~Sampler.start` once before the first step: a multistep sampler resets the history it keeps
between steps there (so one sampler object serves one run at a time).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import ClassVar

import torch
from torch import Tensor

from ..networks.context import checked_context, reads_context
from ..networks.dtype import at_model_dtype
from ..processes.base import Block, MissingCapability, Process, expand_time
from ..reversal import Reversal
from ..spaces.base import SupportError, whole_number


class Sampler:
    """One step of a discretised backward process."""

    #: block types this sampler can simulate
    supports: ClassVar[frozenset[type[Block]]] = frozenset()
    #: weak order of the discretisation (``None`` when not a fixed order)
    order: ClassVar[float | None] = None
    #: network (model) evaluations per step (``None`` when not fixed, e.g. thinning)
    nfe_per_step: ClassVar[int | None] = None
    #: a deterministic (ODE) discretisation: its last step lands on ``t_min`` with no noise
    #: injected, so a final denoising step has little left to remove (the CLI skips it by default)
    deterministic: ClassVar[bool] = False
    #: a multistep sampler: a step reuses evaluations of earlier steps (kept between steps)
    multistep: ClassVar[bool] = False
    #: the grid function ``simulate`` uses when it is given no grid (``None``: uniform in time);
    #: see :mod:`dmm.samplers.grids` for grids uniform in a function of the log-SNR
    grid: Callable[[Process, int], Tensor] | None = None

    def nfe(self, steps: int) -> int | None:
        """Network evaluations of a run of ``steps`` steps (``None`` when not fixed)."""
        return None if self.nfe_per_step is None else steps * self.nfe_per_step

    def steps_for(self, budget: int) -> int:
        """The most steps whose :meth:`nfe` is at most ``budget``; ``ValueError`` if even one step
        costs more, or if the cost is not fixed."""
        if self.nfe_per_step is None:
            raise ValueError(f"{type(self).__name__} has no fixed number of network evaluations")
        cost = self.nfe  # a subclass may count a run differently from steps * nfe_per_step
        if budget < cost(1):
            raise ValueError(
                f"{budget} network evaluations are fewer than one step of "
                f"{type(self).__name__} ({cost(1)})"
            )
        steps = max(1, budget // max(1, self.nfe_per_step))
        while steps > 1 and cost(steps) > budget:
            steps -= 1
        while steps < budget and cost(steps + 1) <= budget:
            steps += 1
        return steps

    def default_grid(self, process: Process, steps: int) -> Tensor:
        """The grid ``simulate`` uses when it is given none: :attr:`grid`, else uniform in time
        (:func:`time_grid`)."""
        return (self.grid or time_grid)(process, steps)

    def start(self, rev: Reversal, grid: Tensor) -> None:
        """Called by ``simulate`` before the first step of a run on ``grid``; a multistep sampler
        forgets its previous steps here. Nothing to do for a one-step sampler."""

    def check(self, process: Process) -> None:
        """Raise :class:`MissingCapability` if the process has a block this sampler cannot simulate."""
        missing = [b for b in process.blocks if not isinstance(b, tuple(self.supports))]
        if missing:
            # a product's blocks act on its factors' columns: name the factors' own blocks
            inner = [getattr(b, "block", b) for b in missing]
            names = ", ".join(dict.fromkeys(type(b).__name__ for b in inner))
            known = ", ".join(sorted(k.__name__ for k in self.supports))
            if all(b is not i for b, i in zip(missing, inner)):
                raise MissingCapability(
                    f"{type(self).__name__} steps a process's own blocks, not those of the "
                    f"product {process.name} (its factors': {names}); a product samples with "
                    "ProductSampler, one sampler per factor, which dmm.recipe.recipe(process) "
                    "chooses"
                )
            raise MissingCapability(
                f"{type(self).__name__} cannot simulate the {names} block(s) of "
                f"{process.name} (it supports {known or 'nothing'})"
            )

    def step(
        self, rev: Reversal, y: Tensor, t: Tensor, t_next: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        raise NotImplementedError


def time_grid(
    process: Process,
    steps: int,
    t_start: float | None = None,
    t_end: float | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Uniform grid from ``t_start`` (default ``T``) down to ``t_end`` (default ``t_min``); grids
    uniform in the log-SNR or the EDM noise level are in :mod:`dmm.samplers.grids`."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    t0 = process.T if t_start is None else t_start
    t1 = process.t_min if t_end is None else t_end
    return torch.linspace(t0, t1, steps + 1, dtype=dtype or torch.get_default_dtype())


@torch.no_grad()
def simulate(
    rev: Reversal,
    sampler: Sampler,
    n: int,
    steps: int = 500,
    generator: torch.Generator | None = None,
    *,
    y_init: Tensor | None = None,
    grid: Tensor | None = None,
    denoise: bool = False,
    progress: bool = False,
    callback: Callable[[int, Tensor, Tensor], None] | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """Simulate the backward process ``rev`` with ``sampler`` and return ``n`` samples at ``t_min``.

    ``y_init`` (default: ``n`` draws from the reference law) starts at ``grid[0]`` (default: the
    sampler's :meth:`~Sampler.default_grid` from ``T`` to ``t_min`` with ``steps`` steps, uniform
    in time unless the sampler says otherwise). ``denoise=True`` ends with the process's final
    denoising step (Tweedie's mean for Gaussian kernels). ``callback(k, t, y)`` is called after each
    step, e.g. to record a trajectory. A conditional ``rev`` holds one context row per sample, or
    one row (or a vector) for all of them. Returns a tensor of shape ``(n, *event_shape)``: floats at
    the model's dtype on a continuous space, integer codes (``int64``) on a finite one.
    """
    process = rev.process
    n = _count(n)
    if y_init is not None:
        y_init = _start(rev, y_init, n)
    if rev.context is not None:  # one row (or a vector) of context for every sample
        one = torch.as_tensor(rev.context)
        if one.dim() == 1 or (one.dim() == 2 and len(one) == 1 and n > 1):
            rev = rev.with_context(one.reshape(1, -1).expand(n, -1))
    checked_context(rev.context, n, reads_context(rev.model), per="sample")
    sampler.check(process)
    if denoise:
        process.require("denoiser", "denoise=True")
    grid = (
        sampler.default_grid(process, whole_number(steps, "steps"))
        if grid is None
        else _grid(process, grid)
    )
    if y_init is None and process.reference is None:
        raise ValueError(
            f"{process.name} declares no reference law to start from: give y_init, or build it "
            "through dmm.recipe.recipe(process, data) (its law at T, simulated from the data)"
        )
    if y_init is None:
        y = at_model_dtype(process.reference.sample(n, generator, device), rev.model)
    else:
        y = y_init
    grid = grid.to(y.device if y.is_floating_point() else device)
    sampler.start(rev, grid)
    iterator = range(len(grid) - 1)
    if progress:
        iterator = _progress(iterator, "sampling")
    for k in iterator:
        t, t_next = expand_time(grid[k], n, y), expand_time(grid[k + 1], n, y)
        y = sampler.step(rev, y, t, t_next, generator)
        if callback is not None:
            callback(k, grid[k + 1], y)
    if denoise:
        y = process.denoise(rev, y, expand_time(grid[-1], n, y))
    return y


def _count(n: int) -> int:
    """``n`` as a number of samples: a whole number above 0 (a clear error, not torch's)."""
    if isinstance(n, bool) or not hasattr(n, "__index__") or operator.index(n) < 1:
        raise ValueError(f"n (the number of samples) must be a whole number above 0, got {n!r}")
    return operator.index(n)


def _grid(process: Process, grid: Tensor) -> Tensor:
    """A given time grid checked: finite times, decreasing from at most ``T`` to at least
    ``t_min`` (within float rounding), at least two of them."""
    g = torch.as_tensor(grid)
    g = g if g.is_floating_point() else g.to(torch.get_default_dtype())
    if g.dim() != 1 or len(g) < 2:
        raise ValueError(f"grid must be a 1-D list of at least 2 times, got shape {tuple(g.shape)}")
    if not torch.isfinite(g).all() or not (g[1:] < g[:-1]).all():
        raise ValueError("grid must be finite times in decreasing order (from T toward t_min)")
    T, t_min = float(process.T), float(process.t_min)
    if float(g[0]) > T * (1 + 1e-5) or float(g[-1]) < t_min * (1 - 1e-5):  # float rounding
        raise ValueError(
            f"grid runs from {float(g[0]):g} to {float(g[-1]):g}; the backward process of "
            f"{process.name} runs from T = {T:g} down to t_min = {t_min:g}"
        )
    return g


def _start(rev: Reversal, y_init: Tensor, n: int) -> Tensor:
    """``y_init`` checked against ``n`` and the process's rows (points of its space),
    floats at the model's dtype."""
    y = torch.as_tensor(y_init)
    event = tuple(rev.process.space.event_shape)
    if y.dim() == 0 or len(y) != n or tuple(y.shape[1:]) != event:
        raise ValueError(
            f"y_init has shape {tuple(y.shape)}, expected (n, {', '.join(map(str, event))}) = "
            f"{(n, *event)} (n = {n} samples of {rev.process.space.name})"
        )
    try:
        y = rev.process.space.validate_states(y)  # (a wrapping torus returns its angles wrapped)
    except SupportError as exc:
        raise ValueError(f"y_init: {' '.join(str(exc).split())}") from None
    return at_model_dtype(y, rev.model)


def denoise_nfe(process: Process) -> int:
    """Network evaluations of ``process.denoise``: one (a product's factors read one evaluation
    of the joint model at the same row)."""
    return 1


def _progress(iterable, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is an optional extra
        return iterable
    return tqdm(iterable, desc=desc, leave=False)


__all__ = ["MissingCapability", "Sampler", "denoise_nfe", "simulate", "time_grid"]
