"""A public check-suite for forward processes, built-in or user-defined (cf. sklearn's
``check_estimator``). Each check compares against a truth that holds for every Markov process:

* the free forward simulation stays finite over ``(0, T]``, and ``p_T`` reaches the reference (a
  two-sample test with a stated failure budget; :mod:`dmm.testing.forward_checks`);
* the generator kills constants, ``L 1 = 0``;
* Dynkin's formula, ``d/dt E f(X_t) = E L_t f(X_t)``, by coupled Monte Carlo;
* the conditional score agrees with the transition sampler (Stein's identity
  ``E[∇f(X) + f(X) ∇log p_{t|0}(X|x_0)] = 0``);
* the backward process driven by the exact score of ``p_0 = δ_{x_0}`` (which is the conditional score)
  carries exact samples of ``p_{T|0}`` to exact samples of ``p_{t|0}``.

Checks that need an exact transition report ``applicable=False`` for processes without one; they are
listed, never silently skipped. A check whose forward simulation blows up
(:class:`~dmm.processes.SimulationError`) fails with the watch's message instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ..metrics import energy_distance
from ..processes.base import CoefficientError, Process, SimulationError, expand_time
from ..processes.diffusion import Diffusion
from ..processes.product import ProductProcess
from ..reversal import Reversal
from ..samplers import EulerMaruyama, Sampler, simulate
from ..spaces.base import SupportError, whole_number
from .forward_checks import check_reaches_reference, check_simulation_finite
from .result import CheckResult

TestFunction = Callable[[Tensor], Tensor]

#: the times of the Dynkin checks, as fractions of ``[t_min, T]``: early (``p_t`` far from the
#: reference) and middle
DYNKIN_FRACTIONS = (0.05, 0.3)


def default_test_functions(process: Process) -> list[TestFunction]:
    """Smooth bounded test functions of the flattened state (``space.features``): two ridge
    functions and a Gaussian bump whose centre is a fixed (seeded) random point. None of them is
    constant where the features have constant norm (one-hot codes, ``(cos, sin)`` pairs), as a bump
    centred at 0 would be."""

    def flat(x: Tensor) -> Tensor:
        return process.space.features(x)

    def bump(x: Tensor) -> Tensor:
        z = flat(x)
        n = z.shape[1]
        centre = n**0.5 * _random_direction(n, 1, z)  # |centre|² = n: O(1) per feature
        return torch.exp(-0.5 * ((z - centre) ** 2).sum(1) / n)

    return [
        lambda x: torch.sin(flat(x) @ _direction(flat(x).shape[1], 0, x) + 0.3),
        bump,
        lambda x: torch.tanh(flat(x) @ _direction(flat(x).shape[1], 1, x)),
    ]


def _direction(n: int, k: int, like: Tensor) -> Tensor:
    v = torch.cos(torch.arange(1, n + 1, dtype=like.dtype, device=like.device) * (k + 1.3))
    return v / v.norm()


def _random_direction(n: int, k: int, like: Tensor) -> Tensor:
    """A unit vector of ``R^n`` drawn from a generator seeded by ``(n, k)``: fixed for a space."""
    g = torch.Generator().manual_seed(1000 * n + k)
    v = torch.randn(n, generator=g, dtype=torch.float64)
    return (v / v.norm()).to(
        dtype=like.dtype if like.is_floating_point() else None, device=like.device
    )


def _is_constant(values: Tensor) -> bool:
    """Whether ``values`` (of ``f`` on the samples) are equal up to rounding."""
    v = values.detach().double()
    return bool((v.max() - v.min()) <= 1e-9 * (1 + v.abs().max()))


def _coupled_marginal(process: Process, x0: Tensor, t: float, seed: int) -> Tensor:
    g = torch.Generator(device=x0.device).manual_seed(seed)
    return process.sample_marginal(x0, expand_time(t, x0.shape[0], x0), g)


def _no_diffusion(process: Process, why: str) -> str:
    if isinstance(process, ProductProcess):
        return "a product: run check_process on each factor for its kernel checks"
    return f"no diffusion block: {why}"


def check_kills_constants(process: Process, x: Tensor, t: float) -> CheckResult:
    """``L_t 1 = 0``."""

    def one(z: Tensor) -> Tensor:  # the constant 1, as a function of z (so autograd sees it)
        return 0 * z.reshape(z.shape[0], -1).sum(1) + 1

    val = process.generator_apply(one, x, expand_time(t, x.shape[0], x)).abs().max().item()
    return CheckResult("generator kills constants", val <= 1e-6, val, 1e-6)


def check_dynkin(
    process: Process,
    x0: Tensor,
    t: float,
    h: float = 0.02,
    seed: int = 0,
    f: TestFunction | None = None,
    k: int = 0,
    extrapolate: bool = False,
) -> CheckResult:
    """Central difference ``(E f(X_{t+h}) - E f(X_{t-h}))/2h`` against ``E L_t f(X_t)``; with
    ``extrapolate``, its Richardson extrapolation ``(4 D(h/2) - D(h))/3`` (bias ``O(h⁴)``, for
    early times, where ``p_t`` moves fast and ``D(h)``'s ``O(h²)`` bias exceeds the tolerance).

    The three marginals share their randomness (same seed), so the difference has small variance.
    Tolerance: 5 standard errors plus ``0.02·(|E L f| + scale)`` for the ``O(h²)`` bias. Not
    applicable (and said so) when ``f`` is constant on the samples of ``p_t``: both sides would
    vanish whatever the generator.
    """
    name = f"Dynkin's formula (f{k}, t={t:.3g})"
    f = f or default_test_functions(process)[k]
    xp, xm = (_coupled_marginal(process, x0, t + s * h, seed) for s in (1, -1))
    xt = _coupled_marginal(process, x0, t, seed)
    if _is_constant(f(xt)):
        return CheckResult(
            name,
            True,
            0.0,
            0.0,
            applicable=False,
            detail=f"f{k} is constant on the samples of p_t, so the check would be vacuous",
        )
    diff = (f(xp) - f(xm)) / (2 * h)
    if extrapolate:
        xp, xm = (_coupled_marginal(process, x0, t + s * h / 2, seed) for s in (1, -1))
        diff = (4 * (f(xp) - f(xm)) / h - diff) / 3
    lf = process.generator_apply(f, xt, expand_time(t, x0.shape[0], x0))
    err = (diff - lf).double()
    value = err.mean().abs().item()
    se = err.std().item() / err.numel() ** 0.5
    scale = diff.double().abs().mean().item() + lf.double().abs().mean().item()
    tol = 5 * se + 0.02 * scale + 1e-4
    return CheckResult(
        name,
        value <= tol,
        value,
        tol,
        detail=f"(E L f = {lf.mean().item():.4g})",
    )


def check_stein(
    process: Process,
    x0: Tensor,
    t: float,
    seed: int = 0,
    f: TestFunction | None = None,
    k: int = 0,
) -> CheckResult:
    """``E[∇f(X) + f(X) ∇log p_{t|0}(X | x_0)] = 0`` for ``X ~ p_{t|0}(·|x_0)``. Tolerance: 5
    standard errors of the largest coordinate (plus 1e-4)."""
    if not process.has_exact_transition:
        return CheckResult(
            f"conditional score vs transition sampler (f{k})",
            True,
            0.0,
            0.0,
            applicable=False,
            detail="process has no exact transition",
        )
    if not process.blocks_of(Diffusion):
        return CheckResult(
            f"conditional score vs transition sampler (f{k})",
            True,
            0.0,
            0.0,
            applicable=False,
            detail=_no_diffusion(process, "no conditional score"),
        )
    f = f or default_test_functions(process)[k]
    tt = expand_time(t, x0.shape[0], x0)
    x = _coupled_marginal(process, x0, t, seed)
    fx = f(x).reshape(-1, *[1] * len(process.space.tangent_shape))  # broadcast over tangent dims
    terms = process.space.gradient(f, x) + fx * process.conditional_score(x, x0, tt)
    terms = terms.reshape(x.shape[0], -1).double()
    mean = terms.mean(0).abs()
    se = terms.std(0) / terms.shape[0] ** 0.5
    worst = int(torch.argmax(mean / (se + 1e-12)))
    value, tol = mean[worst].item(), 5 * se[worst].item() + 1e-4
    return CheckResult(
        f"conditional score vs transition sampler (f{k}, t={t:.3g})", value <= tol, value, tol
    )


class ConditionalScoreOracle(nn.Module):
    """Exact score of ``p_t`` when ``p_0 = δ_{x_0}``: ``∇log p_t = ∇log p_{t|0}(·|x_0)``."""

    def __init__(self, process: Process, x0: Tensor) -> None:
        super().__init__()
        self.process, self.x0 = process, x0

    def score(self, y: Tensor, t: Tensor, context: Tensor | None = None) -> Tensor:
        return self.process.conditional_score(y, self.x0.expand(y.shape[0], *self.x0.shape[1:]), t)


def check_reversal(
    process: Process,
    x0: Tensor,
    t_end: float | None = None,
    n: int = 4000,
    steps: int = 400,
    seed: int = 0,
    sampler: Sampler | None = None,
) -> CheckResult:
    """Backward simulation from exact ``p_{T|0}`` samples to ``t_end`` (default ``T/2``) with the exact
    score, compared with exact ``p_{t_end|0}`` samples by energy distance (V-statistic). Tolerance: 3× the
    noise floor (the same statistic between independent exact samples of size ``n``, averaged over 4
    draws because one draw fluctuates by a factor 2–3); a 20% error in the score exceeds it 10-fold."""
    if not process.has_exact_transition:
        return CheckResult(
            "backward process reproduces p_t",
            True,
            0.0,
            0.0,
            applicable=False,
            detail="process has no exact transition",
        )
    if not process.blocks_of(Diffusion):
        return CheckResult(
            "backward process reproduces p_t",
            True,
            0.0,
            0.0,
            applicable=False,
            detail=_no_diffusion(
                process,
                "the score-driven reversal does not apply (chains: see dmm.metrics.chain_oracle)",
            ),
        )
    t_end = process.T / 2 if t_end is None else t_end
    g = torch.Generator(device=x0.device).manual_seed(seed)
    point = x0[:1]
    xs = point.expand(n, *point.shape[1:])
    start = process.sample_transition(xs, expand_time(process.T, n, xs), g)
    rev = Reversal(process, ConditionalScoreOracle(process, point))
    grid = torch.linspace(process.T, t_end, steps + 1)
    y = simulate(rev, sampler or EulerMaruyama(), n, generator=g, y_init=start, grid=grid)
    exact_a = process.sample_transition(xs, expand_time(t_end, n, xs), g)
    floor = (
        sum(
            energy_distance(
                process.sample_transition(xs, expand_time(t_end, n, xs), g), exact_a, unbiased=False
            )
            for _ in range(4)
        )
        / 4
    )
    value, tol = energy_distance(y, exact_a, unbiased=False), 3 * floor
    return CheckResult(
        f"backward process reproduces p_t (t={t_end:.3g})",
        value <= tol,
        value,
        tol,
        detail=f"(noise floor {floor:.2g})",
    )


def _or_failed(name: str, check: Callable[..., CheckResult], *args, **kwargs) -> CheckResult:
    """``check(*args, **kwargs)``, or a failed result named ``name`` when the process cannot be
    run: a simulation that blows up, or a block whose coefficients are NaN or misshapen."""
    try:
        return check(*args, **kwargs)
    except (SimulationError, CoefficientError) as error:
        return CheckResult(name, False, float("inf"), 0.0, detail=f"({error})")


def check_process(
    process: Process,
    x0: Tensor,
    n: int = 20000,
    seed: int = 0,
    raise_on_failure: bool = True,
    reference_n: int = 4000,
) -> list[CheckResult]:
    """Run every check on ``process`` with data points ``x0`` (repeated to ``n`` samples): first the
    forward checks (the free simulation stays finite, on all ``n`` rows; ``p_T`` reaches the
    reference, on ``reference_n`` rows), then the generator, Dynkin, Stein and reversal checks.

    Dynkin's formula is checked at two times (:data:`DYNKIN_FRACTIONS` of ``[t_min, T]``): early,
    where ``p_t`` is still far from the reference (with the extrapolated difference), and in the
    middle. At the middle time alone a kernel of another process with the same stationary law
    passes, since both laws are near it.

    ``x0`` is validated against ``process.space`` first (:meth:`Space.validate`; a
    :class:`~dmm.spaces.SupportError`, a ``ValueError``, names the expected shape).
    Returns the results (a check the process cannot run through, a simulation that blows up or
    a coefficient that is NaN or misshapen, is a failed result that says why); raises
    ``AssertionError`` listing the failures when ``raise_on_failure``.
    """
    n = whole_number(n, f"check_process({process.name}): n")
    try:
        x0 = process.space.validate(x0)
    except SupportError as error:
        raise SupportError(f"check_process({process.name}): x0: {error}") from None
    if len(x0) == 0:
        raise ValueError(f"check_process({process.name}): x0 has no rows")
    x0 = x0.repeat((n + x0.shape[0] - 1) // x0.shape[0], *[1] * (x0.ndim - 1))[:n]
    span = process.T - process.t_min
    times = [process.t_min + a * span for a in DYNKIN_FRACTIONS]
    t_mid = times[-1]
    results = [
        _or_failed(
            "simulated marginals stay finite", check_simulation_finite, process, x0, seed=seed
        ),
        _or_failed(
            "forward process reaches its reference at T",
            check_reaches_reference,
            process,
            x0,
            n=min(n, reference_n),
            seed=seed,
        ),
        _or_failed("generator kills constants", check_kills_constants, process, x0[:256], t_mid),
    ]
    for k in range(3):
        for t in times:
            h = min(0.02, 0.2 * (t - process.t_min) / span) * span  # t - h stays above t_min
            early = t < t_mid
            results.append(
                _or_failed(
                    f"Dynkin's formula (f{k}, t={t:.3g})",
                    check_dynkin,
                    process,
                    x0,
                    t,
                    h=h,
                    seed=seed,
                    k=k,
                    extrapolate=early,
                )
            )
        results.append(
            _or_failed(
                f"conditional score vs transition sampler (f{k})",
                check_stein,
                process,
                x0,
                t_mid,
                seed=seed,
                k=k,
            )
        )
    results.append(
        _or_failed("backward process reproduces p_t", check_reversal, process, x0, seed=seed)
    )
    failed = [r for r in results if r.applicable and not r.passed]
    if failed and raise_on_failure:
        raise AssertionError("process checks failed:\n" + "\n".join(map(str, failed)))
    return results
