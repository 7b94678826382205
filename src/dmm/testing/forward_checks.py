"""Checks on the forward process itself, run first by :func:`~dmm.testing.check_process`:

* the free simulation (:meth:`Process.simulate_forward`, operator splitting over the blocks) stays
  finite and below :attr:`Process.blowup_threshold` at a few times in ``(0, T]``;
* the forward process reaches its reference at ``T``: a two-sample test between
  ``sample_marginal(x_0, T)`` and ``reference.sample(n)`` with a stated failure budget.
"""

from __future__ import annotations

from statistics import NormalDist

import torch
from torch import Tensor

from ..metrics import energy_distance
from ..processes.base import MissingCapability, Process, SimulationError, expand_time
from ..processes.references import SimulatedReference
from .result import CheckResult

#: the end times of the simulation checks, as fractions of ``T``
SIMULATION_FRACTIONS = (0.25, 0.5, 1.0)


def _simulate(
    process: Process, x0: Tensor, fractions: tuple[float, ...], seed: int
) -> list[tuple[float, Tensor]] | SimulationError:
    """``[(t, X_t)]`` simulated from ``x0`` to ``t = f·T`` for each fraction ``f``, or the first
    :class:`SimulationError` (the watched simulation blew up)."""
    g = torch.Generator(device=x0.device).manual_seed(seed)
    out = []
    for f in fractions:
        t = f * process.T
        try:
            out.append((t, process.simulate_forward(x0, expand_time(t, x0.shape[0], x0), g)))
        except SimulationError as error:
            return error
    return out


def _magnitude(x: Tensor) -> float:
    """``max |x|`` over the float entries of ``x`` (``inf`` when one is not finite)."""
    if not x.is_floating_point():
        return float(x.abs().max()) if x.numel() else 0.0
    flat = x.detach().reshape(-1)
    if not bool(torch.isfinite(flat).all()):
        return float("inf")
    return float(flat.abs().max()) if flat.numel() else 0.0


def check_simulation_finite(
    process: Process,
    x0: Tensor,
    fractions: tuple[float, ...] = SIMULATION_FRACTIONS,
    seed: int = 0,
) -> CheckResult:
    """The free simulation from ``x0`` to ``t = f·T`` (``f`` in ``fractions``) stays finite:
    ``max |X_t|`` against :attr:`Process.blowup_threshold`. The simulation is also watched at every
    10th step on the way (:class:`~dmm.processes.SimulationError`), so a blow-up at any such time in
    ``(0, T]`` fails the check with the time and magnitude the watch reports."""
    name = "simulated marginals stay finite"
    tol = process.blowup_threshold
    runs = _simulate(process, x0, fractions, seed)
    if isinstance(runs, SimulationError):
        return CheckResult(name, False, runs.magnitude, tol, detail=f"({runs})")
    sizes = [(_magnitude(x), t) for t, x in runs]
    value, t_worst = max(sizes)
    return CheckResult(
        name,
        value <= tol,
        value,
        tol,
        detail=f"(max |X_t| at t = {t_worst:.3g}, {x0.shape[0]} rows, "
        f"{process.simulation_steps} steps)",
    )


def chi2_1_quantile(level: float) -> float:
    """``q`` with ``P(Z² > q) = 1 - level`` for ``Z ~ N(0, 1)``."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return z * z


def check_reaches_reference(
    process: Process,
    x0: Tensor,
    n: int = 4000,
    seed: int = 0,
    budget: float = 1e-3,
) -> CheckResult:
    """``X_T`` (``sample_marginal`` from ``x0``) against ``reference.sample(n)`` by the energy
    distance (V-statistic) on ``space.features``.

    Null: ``p_T = q``. Then ``E V = (1/n + 1/m) E|X - X'|`` exactly, and ``V / E V`` converges to a
    Gaussian quadratic form ``Σ w_k Z_k²`` with ``Σ w_k = 1``, whose tail is at most that of one
    ``χ²_1`` for levels below 0.215 (Székely & Bakirov 2003). So the tolerance
    ``q_{χ²_1}(1 - budget) · (1/n + 1/m) E|X - X'|`` (10.8× the noise floor for ``budget = 1e-3``,
    ``E|X - X'|`` estimated on a second reference sample) rejects a process that has reached its
    reference with probability at most ``budget`` (asymptotically, whatever the space). A process
    that keeps a visible part of its start (VP with a tiny ``T``), or a reference of the wrong
    scale, lands far above it; a closed-form terminal KL, when the process has one, is reported.
    A reference whose samples do not have the space's event shape fails, naming the reference.

    ``sample_marginal`` is the declared kernel when the process has one, so this check tests the
    kernel, not the blocks: a kernel of another process with the same stationary law passes it.
    That the kernel is the blocks' law is what Dynkin's formula checks (at an early time too, where
    the two laws differ), not this check.
    """
    name = "forward process reaches its reference at T"
    reference = process.reference
    if reference is None or isinstance(reference, SimulatedReference):
        what = (
            "no reference" if reference is None else "a simulated reference (p_T by construction)"
        )
        return CheckResult(name, True, 0.0, 0.0, applicable=False, detail=f"(process has {what})")
    g = torch.Generator(device=x0.device).manual_seed(seed)
    features = process.space.features
    draw = reference.sample(n, g, device=x0.device)
    event = tuple(process.space.event_shape)
    if tuple(draw.shape[1:]) != event:
        return CheckResult(
            name,
            False,
            float("inf"),
            0.0,
            detail=f"(the reference {reference!r} draws samples of shape {tuple(draw.shape[1:])}, "
            f"but points of {process.space.name} have shape {event})",
        )
    q = features(draw)
    q_spread = features(reference.sample(n, g, device=x0.device)).double()
    spread = float(torch.pdist(q_spread[:2000]).mean())  # E|X - X'| of the reference features
    floor = 2 * spread / n
    tol = chi2_1_quantile(1 - budget) * floor
    rows = x0.repeat((n + x0.shape[0] - 1) // x0.shape[0], *[1] * (x0.ndim - 1))[:n]
    try:
        xt = process.sample_marginal(rows, expand_time(process.T, n, rows), g)
    except SimulationError as error:
        return CheckResult(name, False, float("inf"), tol, detail=f"({error})")
    value = energy_distance(features(xt), q, unbiased=False)
    detail = f"(noise floor {floor:.2g}, failure budget {budget:g}"
    try:
        kl = float(process.terminal_kl(rows).mean())
        detail += f", closed-form terminal KL {kl:.2g}"
    except MissingCapability:
        pass
    return CheckResult(name, value <= tol, value, tol, detail=detail + ")")


__all__ = [
    "SIMULATION_FRACTIONS",
    "check_reaches_reference",
    "check_simulation_finite",
    "chi2_1_quantile",
]
