"""The error report of MATH.md §8: the three terms of the bound of §4,

    KL(p_0 || p̂_0) ≤ KL(p_T || q) + ∫_0^T E_{p_t} I_θ dt + (time-discretisation error),

reported as **terminal** (the mean over data of ``KL(p_{T|0}(·|x_0) || q)``, which bounds
``KL(p_T || q)`` by convexity, and a bound on the total variation, finite where the KL is not),
**estimation** (the KL-weighted loss on held-out data; for
denoising score matching it equals the integral up to a θ-free constant) and **numerical** (a
two-sample distance between samples made with ``N`` and ``2N`` sampler steps, next to the noise
floor of that distance).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ..losses import Loss
from ..processes.base import MissingCapability, Process
from .two_sample import energy_distance, noise_floor


def terminal_term(
    process: Process, data: Tensor, generator: torch.Generator | None = None
) -> dict[str, Any]:
    """``mean_i KL(p_{T|0}(·|x_0^i) || q)`` (nats; ``None`` with the reason where it is infinite
    or has no closed form) and ``tv_bound``, ``mean_i`` of :meth:`Process.terminal_tv`'s bound on
    ``TV(p_{T|0}(·|x_0^i), q)``: finite for heavy-tailed data (where the mean KL of a Gaussian
    process is ruled by the largest rows) and for processes whose kernel has an atom."""
    out: dict[str, Any]
    try:
        kl = process.terminal_kl(data)
        out = {
            "value": float(kl.double().mean()),
            "note": getattr(process, "terminal_kl_note", None)
            or "mean over data of KL(p_{T|0}(.|x0) || q) in nats; bounds KL(p_T || q)",
        }
    except MissingCapability as exc:
        out = {"value": None, "reason": " ".join(str(exc).split())}
    try:
        tv = process.terminal_tv(data, generator)
    except MissingCapability:
        return out
    return {
        **out,
        "tv_bound": float(tv.double().mean()),
        "tv_note": "mean over data of a bound on TV(p_{T|0}(.|x0), q); bounds TV(p_T, q)",
    }


@torch.no_grad()
def _mean_per_sample(
    loss: Loss,
    model: nn.Module,
    data: Tensor,
    generator: torch.Generator,
    chunk: int,
    context: Tensor | None = None,
) -> tuple[float, float]:
    values = []
    for i in range(0, len(data), chunk):
        ctx = None if context is None else context[i : i + chunk]
        with torch.enable_grad():  # some losses differentiate the model
            values.append(
                loss.per_sample(model, data[i : i + chunk], generator, ctx).detach().double()
            )
    v = torch.cat(values)
    std = float(v.std()) if len(v) > 1 else math.nan
    return float(v.mean()), std / math.sqrt(len(v))


def estimation_term(
    process: Process,
    model: nn.Module,
    loss: Loss,
    data: Tensor,
    generator: torch.Generator,
    chunk: int = 1024,
    context: Tensor | None = None,
) -> dict[str, Any]:
    """The KL-weighted loss on ``data`` (rows of ``context`` for a conditional model) with its
    standard error: the estimation term up to a θ-free constant (MATH.md §4–§5).

    Evaluates ``loss.kl_form()`` (a loss trained with another named weighting, e.g. DSM's ε-loss or
    the unit-weighted jump loss, is re-weighted), times ``T - t_min`` for losses whose samples are
    the integrand at ``t ~ U(t_min, T)`` (``per_unit_time``; the chain ELBOs already integrate).
    """
    kl_loss = loss.kl_form()
    mean, se = _mean_per_sample(kl_loss, model, data, generator, chunk, context)
    scale = process.T - process.t_min if kl_loss.per_unit_time else 1.0
    factor = " times (T - t_min)" if kl_loss.per_unit_time else ""
    return {
        "value": scale * mean,
        "std_error": scale * se,
        "note": f"{type(kl_loss).__name__} with the KL weighting on evaluation data{factor}: the "
        "integral of E I_theta dt up to a theta-free constant (MATH.md sections 4-5)",
    }


def numerical_term(
    sample: Callable[[int, int], Tensor],
    steps: int,
    n: int,
    floor_data: Tensor,
    seed: int = 0,
) -> dict[str, Any]:
    """Energy distance between ``sample(n, steps)`` and ``sample(n, 2 steps)``, with its floor.

    ``sample(n, steps)`` must draw ``n`` samples with ``steps`` sampler steps (same seed for both
    calls, so the two sets share their noise where the sampler allows it). The floor is the energy
    distance between two disjoint subsets of ``floor_data`` of the same size, chosen with ``seed``
    (computed on the CPU).
    """
    a = sample(n, steps).double().cpu()
    b = sample(n, 2 * steps).double().cpu()
    generator = torch.Generator().manual_seed(seed)
    value = energy_distance(a, b, unbiased=False)
    floor = (
        noise_floor(
            lambda x, y: energy_distance(x, y, unbiased=False),
            floor_data.double().cpu(),
            n,
            generator,
        )
        if len(floor_data) >= 4
        else math.nan
    )
    return {
        "value": value,
        "floor": floor,
        "steps": [steps, 2 * steps],
        "n": n,
        "note": "energy distance between samples with N and 2N steps (V-statistic)",
    }


def error_report(
    process: Process,
    model: nn.Module,
    loss: Loss,
    data: Tensor,
    sample: Callable[[int, int], Tensor],
    steps: int,
    n: int,
    generator: torch.Generator,
    seed: int = 0,
    context: Tensor | None = None,
) -> dict[str, Any]:
    """All three terms of MATH.md §8 for a trained ``model`` on evaluation ``data`` (and its
    ``context`` rows for a conditional model);
    ``generator`` (on ``data``'s device) draws the loss's times and noise; ``seed`` picks the
    floor's split.
    """
    return {
        "terminal": terminal_term(process, data, generator),
        "estimation": estimation_term(process, model, loss, data, generator, context=context),
        "numerical": numerical_term(sample, steps, n, data, seed),
    }


__all__ = ["error_report", "estimation_term", "numerical_term", "terminal_term"]
