"""The jump family: ``torus-jump`` and ``levy-ou``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ...data.heavy_tails import symmetric_stable
from ...losses import ImplicitScoreMatching, LatentScoreMatching, Loss, SumLoss
from ...losses.score_entropy_jumps import DenoisingJumpScoreEntropy, ImplicitScoreEntropy
from ...losses.times import LogUniformMixture
from ...metrics.tails import data_fraction, hill_index
from ...networks import MLP
from ...processes import Process
from ...processes.anchor import AnchoredProposals
from ...processes.jump_laws import StudentTJumps
from ...processes.levy_marginal import LevyOUMarginal
from ...processes.levy_ou import LevyOU
from ...processes.torus_jump import TorusJump
from ...samplers import EulerMaruyama
from ...samplers.jumps import JumpTauLeaping, Splitting
from ...samplers.jumps_anchor import AnchoredJumpTauLeaping
from ...scores import ScoreParam
from ...scores.jump_ratios import (
    DirectRatio,
    JumpDiffusionModel,
    NoDiffusionScore,
    PotentialRatio,
    TailPotentialRatio,
    TrunkRatio,
)
from ...spaces import Torus
from ..scaling import ColumnScaling
from .gaussian import flat_dim
from .schedules import ScheduleChoice
from .spec import ProcessSpec, register_process

_MODEL = {
    "hidden": 256,
    "depth": 3,
    "parameterisation": "direct",
    "proposals": 8,
    "sampler_proposals": 16,
    "head": 64,
    "head_depth": 2,
}


_MODEL_HELP = {
    "hidden": "width of the MLP's hidden layers",
    "depth": "number of residual hidden layers of the MLP",
    "parameterisation": "jump-ratio model: direct (a network of (y, x - y, t)), potential "
    "(exp(U(x) - U(y)) from a scalar network U) or trunk (a network of one point, shared by its "
    "jumps, and a small head of (features, x - y))",
    "head": "width of the trunk parameterisation's head",
    "head_depth": "hidden layers of the trunk parameterisation's head (1 or 2)",
    "proposals": "jumps drawn per training sample to estimate the jump loss",
    "sampler_proposals": "jumps proposed per sample in each tau-leaping step",
}
#: the values of the string parameters; the loss classes and ``LevyOU.truncated_stable`` check
#: ``divergence``, ``weighting`` and ``truncation`` against their own lists (kept equal by
#: tests/cli/test_catalog_choices.py), the functions below read the others from here
RATIO_PARAMETERISATIONS = ("direct", "potential", "trunk")
LOSSES = ("denoising", "implicit")
DIVERGENCES = ("kl", "logistic")
#: ``levy-ou``'s ``divergence=auto``: :func:`auto_divergence` from the data's tail index
LEVY_DIVERGENCES = (*DIVERGENCES, "auto")
JUMP_WEIGHTINGS = ("unit", "kl")
JUMP_LAWS = ("student-t", "stable")
TRUNCATIONS = ("radius", "variance")
LEVY_PARAMETERISATIONS = ("tail-potential", *RATIO_PARAMETERISATIONS)

_LOSS_HELP = {
    "loss": "denoising (score entropy over the latent kernel; lower variance) or implicit",
    "divergence": "kl (score entropy) or logistic (same minimiser, bounded gradient)",
    "logistic_offset": "with divergence=logistic: the logit offset M >= 0 (ratios up to about "
    "e^M learned as by kl, gradients at most e^M; 0: plain logistic)",
}


def _offset(p: Mapping[str, Any]) -> float:
    """The logistic loss's offset ``M`` (ignored by the ``kl`` divergence)."""
    return float(p["logistic_offset"]) if p["divergence"] == "logistic" else 0.0


def ratio_model(
    process: Process, params: Mapping[str, Any], context_dim: int = 0, squash: bool = False
) -> nn.Module:
    """``direct`` (network of ``(y, x - y, t)``), ``potential`` (``exp(U(x) - U(y))``) or ``trunk``
    (a network of one point and a head of the jump, :class:`TrunkRatio`)."""
    kind, f = params["parameterisation"], process.space.feature_dim
    if kind not in RATIO_PARAMETERISATIONS:
        raise ValueError(
            f"unknown ratio parameterisation '{kind}' (known: {', '.join(RATIO_PARAMETERISATIONS)})"
        )
    dim_in = 2 * f if kind == "direct" else f  # a pair, or one point
    dim_out = int(params["head"]) if kind == "trunk" else 1  # the trunk's features, or log ρ / U
    net = MLP(dim_in, dim_out, int(params["hidden"]), int(params["depth"]), context_dim)
    if kind == "trunk":
        return TrunkRatio(net, process, squash=squash, head_depth=int(params["head_depth"]))
    model = {"direct": DirectRatio, "potential": PotentialRatio}[kind]
    return model(net, process, squash=squash)


_RATE_SCHEDULE = ScheduleChoice(("exponential", "linear"), "rate_min", "rate_max", "rate_schedule")


def _torus_build(data: Tensor, p: Mapping[str, Any]) -> TorusJump:
    rate = _RATE_SCHEDULE(p)
    proc = TorusJump(
        flat_dim(data),
        p["sigma_jump"],
        rate,
        p["T"],
        p["t_min"],
        p["sigma_jump_min"],
        p["sigma_jump_small"],
        p["small_share"],
    )
    proc.space = Torus(proc.d, wrap_data=bool(p["wrap"]))
    return proc


def _torus_evaluate(process: TorusJump, model: nn.Module, data: Tensor) -> dict[str, float]:
    rep = process.terminal_report()
    return {
        "terminal_bound_continuous": rep["continuous_part"],
        "terminal_atom_mass": rep["atom_mass"],
    }


def _torus_loss(process: TorusJump, p: Mapping[str, Any]) -> Loss:
    """``denoising`` (MATH.md §5d, latent ``Γ = (x_0, N)``; lower variance) or ``implicit``;
    ``divergence``: ``kl`` (score entropy) or ``logistic`` (same minimiser, bounded gradient)."""
    if p["loss"] not in LOSSES:
        raise ValueError(f"unknown loss '{p['loss']}' (known: {', '.join(LOSSES)})")
    k, divergence, offset = int(p["proposals"]), p["divergence"], _offset(p)
    if p["loss"] == "implicit":
        return ImplicitScoreEntropy(process, k, divergence=divergence, offset=offset)
    return DenoisingJumpScoreEntropy(
        process, k, weighting=p["weighting"], divergence=divergence, offset=offset
    )


register_process(
    ProcessSpec(
        "torus-jump",
        "pure wrapped-Gaussian jumps on the torus [-pi, pi)^d, reference uniform",
        {
            **_MODEL,
            # benchmarks/torus_jump_sizes.py (MLP 2 x 128, 2000 steps): against direct, 0.932 of
            # the checkerboard on black cells (0.865), moons 1.9x the energy of fresh draws (3.0x),
            # C2ST AUC lower on all three sets, in 0.7-0.8x the training time (docs/studies/jumps.md, The trunk ratio)
            "parameterisation": "trunk",
            "sigma_jump": 0.6,
            "sigma_jump_min": None,
            "sigma_jump_small": None,
            "small_share": 0.5,
            "rate_schedule": "exponential",
            "rate_min": 0.45,
            "rate_max": 181.5,
            "T": 1.0,
            "t_min": 1e-3,
            "wrap": False,
            "loss": "denoising",
            "weighting": "unit",
            # benchmarks/torus_jump_sizes.py: with kl the CLI's training diverged on the
            # checkerboard, moons and swiss roll alike (MLP 2 x 128, 2000 steps); logistic has the
            # same minimiser and trained all three
            "divergence": "logistic",
            "logistic_offset": 0.0,
        },
        _torus_build,
        lambda proc, p, c: ratio_model(proc, p, c),
        _torus_loss,
        {"tau-leaping": lambda p: JumpTauLeaping(int(p["sampler_proposals"]))},
        "tau-leaping",
        sample_steps=200,
        evaluate=_torus_evaluate,
        help={
            **_MODEL_HELP,
            **_LOSS_HELP,
            "sigma_jump": "std of the wrapped-Gaussian jumps (radians); at t = T when "
            "sigma_jump_min is set",
            "sigma_jump_min": "std of the jumps at t = 0: the size grows geometrically to "
            "sigma_jump at T (none: constant)",
            "sigma_jump_small": "std of a second, small jump size: each jump is small with "
            "probability small_share (none: one size)",
            "small_share": "probability that a jump is small, with sigma_jump_small",
            "rate_schedule": "jump rate over time: exponential or linear from rate_min to rate_max",
            "rate_min": "jump rate at t = 0",
            "rate_max": "jump rate at t = T",
            "T": "time horizon of the forward process",
            "t_min": "smallest time trained and sampled",
            "wrap": "true: wrap data angles into [-pi, pi) instead of rejecting them",
            "weighting": "unit (every time alike) or kl (the path-KL factor, spans 400x)",
        },
        data_hint="--set wrap=true wraps them for you",
        choices={
            "parameterisation": RATIO_PARAMETERISATIONS,
            "rate_schedule": _RATE_SCHEDULE.names,
            "loss": LOSSES,
            "weighting": JUMP_WEIGHTINGS,
            "divergence": DIVERGENCES,
        },
        # benchmarks/jumps_ablation.py: 0.874 of the samples on black cells at 1e-3, 0.824 at 2e-3
        train_defaults={"lr": 1e-3},
    )
)


#: the stable index read from the data is kept below 2 (``α = 2`` is Brownian motion)
STABLE_INDEX_MAX = 1.95
#: the smallest stable index ``levy-ou`` trains with: at 0.1 the first step's loss is NaN, at
#: 0.01 the jump rate, at 1e-4 the proposals ask for gigabytes (float32 cannot hold such jumps)
STABLE_INDEX_MIN = 0.2


def _data_index(data: Tensor) -> float:
    """The stable index read from the data, kept in ``[STABLE_INDEX_MIN, STABLE_INDEX_MAX]``."""
    return min(max(data_tail_index(data), STABLE_INDEX_MIN), STABLE_INDEX_MAX)


def _check_levy(p: Mapping[str, Any]) -> None:
    """``ValueError`` naming a parameter of the chosen jump law outside its range (the other
    law's are not read: a run folder written with them keeps loading)."""
    if p["jumps"] == "stable":
        alpha = float(p["alpha"])
        if alpha and not STABLE_INDEX_MIN <= alpha < 2:
            why = "smaller ones overflow float32" if alpha < STABLE_INDEX_MIN else "2 is Brownian"
            raise ValueError(
                f"alpha={alpha:g}: the stable index must be in [{STABLE_INDEX_MIN}, 2) (or 0: "
                f"the data's); {why}"
            )
        if float(p["intensity"]) < 0:
            raise ValueError(f"intensity={p['intensity']}: must be > 0 (or 0: from the data)")
        if float(p["epsilon"]) <= 0:
            raise ValueError(f"epsilon={p['epsilon']}: the truncation size must be > 0")
    elif float(p["nu"]) < 0:
        raise ValueError(f"nu={p['nu']}: the Student-t index must be > 0 (or 0: the data's)")


def data_tail_index(data: Tensor) -> float:
    """The Hill estimate of the tail index of ``|x|`` (:func:`~dmm.metrics.tails.hill_index`)
    from the top :func:`~dmm.metrics.tails.data_fraction` of the rows: 1%, but at least 50 rows
    and at most 10% of them."""
    return hill_index(data, data_fraction(data.shape[0]))


def matched_intensity(data: Tensor, build: Callable[[float], LevyOU], rounds: int = 6) -> float:
    """The intensity ``c`` of the stable jumps whose terminal law (``X_T`` from ``x_0 = 0``, near
    the stationary law the sampler starts from) has the data's median radius. The stable part of that law scales as
    ``c^{1/α}`` (its Lévy exponent is linear in ``c``), so ``c ← c (m_data / m(c))^α`` from
    ``c = 1``, ``rounds`` times, ``m(c)`` the median of ``|X_T|`` over ``2^14`` draws from a fixed
    seed (the Brownian part, ``∝ √c``, makes it a fixed point rather than one step)."""
    target = float(data.reshape(data.shape[0], -1).double().norm(dim=1).median())
    c = 1.0
    for _ in range(rounds):
        process = build(c)
        x0 = torch.zeros(2**14, process.dim, dtype=torch.float64)
        g = torch.Generator().manual_seed(0)
        T = torch.tensor(process.T, dtype=torch.float64)
        m = float(process.sample_marginal(x0, T, g).norm(dim=1).median())
        c *= (target / m) ** process.jump_law.alpha
    return c


def _levy_build(data: Tensor, p: Mapping[str, Any]) -> LevyOU:
    """``nu = 0`` (Student-t jumps) or ``alpha = 0`` (stable jumps): the index is the data's,
    :func:`data_tail_index` (for ``alpha`` kept in ``[STABLE_INDEX_MIN, STABLE_INDEX_MAX]``);
    ``intensity = 0``
    (stable jumps): the data's scale, :func:`matched_intensity`."""
    _check_levy(p)
    common = {"theta": p["theta"], "T": p["T"], "t_min": p["t_min"]}
    if p["jumps"] == "student-t":
        nu = float(p["nu"]) or data_tail_index(data)
        return LevyOU.student_t(flat_dim(data), nu, p["jump_scale"], p["rate"], **common)
    if p["jumps"] == "stable":
        alpha = float(p["alpha"]) or _data_index(data)

        def build(intensity: float) -> LevyOU:
            return LevyOU.truncated_stable(
                flat_dim(data), alpha, p["epsilon"], intensity, p["truncation"], **common
            )

        return build(float(p["intensity"]) or matched_intensity(data, build))
    raise ValueError(f"unknown jump law '{p['jumps']}' (known: {', '.join(JUMP_LAWS)})")


def tail_index(process: LevyOU) -> float:
    """The jump law's tail index (``ν`` of Student-t jumps, ``α`` of stable ones)."""
    law = process.jump_law
    return float(law.nu if hasattr(law, "nu") else law.alpha)


#: per jump law, the parameters whose ``0`` reads them from the data (the run records the values)
READ_FROM_DATA = {"student-t": ("nu",), "stable": ("alpha", "intensity")}


def _levy_resolve(process: Process, p: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of :data:`READ_FROM_DATA` as built (``0`` reads them from the data)."""
    assert isinstance(process, LevyOU)
    value = {"nu": tail_index, "alpha": tail_index, "intensity": lambda q: q.jump_law.intensity}
    return {key: value[key](process) for key in READ_FROM_DATA[p["jumps"]]}


#: the fixed part of the ``tail-potential`` model: a Student-t density read at every time, or
#: the forward marginal of a Student-t started from the data's scale (:class:`LevyOUMarginal`)
TAIL_LAWS = ("fixed", "marginal")


def student_t_median_radius(dim: int, index: float) -> float:
    """The median of ``|x|`` under the standard ``dim``-dimensional Student-t of index ``index``
    (over ``2^16`` draws from a fixed seed)."""
    like = torch.empty(0, dtype=torch.float64)
    draws = StudentTJumps(dim, index).sample((2**16,), torch.Generator().manual_seed(0), like)
    return float(draws.norm(dim=-1).median())


def elliptical_scale(data: Tensor, index: float) -> float:
    """The scale ``s`` of the ``d``-dimensional Student-t of index ``index`` whose median radius
    is the data's."""
    flat = data.reshape(data.shape[0], -1).double()
    return float(flat.norm(dim=1).median()) / student_t_median_radius(flat.shape[1], index)


def standard_median_deviation(jumps: str, index: float) -> float:
    """The median of ``|x|`` under the jump family's standard 1-D law of index ``index``: the
    Student-t (``student-t``), or the symmetric stable law with ``E e^{iux} = e^{-|u|^α}``
    (``stable``); over ``2^16`` draws from a fixed seed."""
    if jumps == "student-t":
        return student_t_median_radius(1, index)
    draws = symmetric_stable(2**16, torch.Generator().manual_seed(0), index, 1)
    return float(draws.double().abs().median())


def _levy_scaling(data: Tensor, p: Mapping[str, Any]) -> ColumnScaling:
    """``standardise=true``: each coordinate less the midpoint of its quartiles, over half their
    distance (:meth:`ColumnScaling.robust`: for a symmetric law, the median and the median
    absolute deviation) in units of the jump family's standard 1-D law of the jump index
    (:func:`standard_median_deviation`, that law's semi-interquartile range; the index
    given, or read from the standardised data as :func:`_levy_build` reads it: the map then
    moves with any shift and scaling of the data, and so does the model). Data spread like
    that law keep their scale (the built-in sets); data of any other scale are brought to it,
    so that the parameters in the data's units (``jump_scale``, ``anchor_scale``,
    ``tail_radius``) fit them. The quartiles exist without a mean or a variance."""
    raw = ColumnScaling.robust(data, 1.0)  # the same map up to one factor: the same Hill index
    if p["jumps"] == "student-t":
        index = float(p["nu"]) or data_tail_index(raw.encode(data))
    else:
        index = float(p["alpha"]) or _data_index(raw.encode(data))
    unit = standard_median_deviation(p["jumps"], index)
    return ColumnScaling(raw.mean, tuple(s / unit for s in raw.scale))


#: ``divergence=auto`` trains with the score entropy where the data's Hill index is at most this
#: (docs/studies/jumps.md, "One default for sharp and heavy-tailed data")
KL_INDEX_MAX = 6.0


def auto_divergence(data: Tensor) -> str:
    """``kl`` where the data's tail index (:func:`data_tail_index`, not capped) is at most
    :data:`KL_INDEX_MAX`, else ``logistic``. Heavy tails need the score entropy's signal to learn
    the ratios from far out to the bulk (with a bounded divergence the 8-D index-1.5 sets came
    out far too light); light-tailed data, whose sharp modes the tail law does not know of,
    need a bounded one (with ``kl`` the trainer stopped a run on four narrow Gaussians). The
    built-in heavy-tailed sets read 1.6–3.0, Gaussian data 11–17, the 2-D toy sets 30–42."""
    return "kl" if data_tail_index(data) <= KL_INDEX_MAX else "logistic"


def _levy_fit(process: Process, data: Tensor, p: Mapping[str, Any]) -> dict[str, Any]:
    """Read from the data: ``tail_scale = 0``, :func:`elliptical_scale` at the jump law's index;
    ``divergence = auto``, :func:`auto_divergence`."""
    assert isinstance(process, LevyOU)
    fitted: dict[str, Any] = {}
    if float(p["tail_scale"]) == 0:
        fitted["tail_scale"] = elliptical_scale(data, tail_index(process))
    if p["divergence"] == "auto":
        fitted["divergence"] = auto_divergence(data)
    return fitted


def _levy_model(process: LevyOU, p: Mapping[str, Any], context_dim: int) -> nn.Module:
    """``parameterisation``: ``direct``, ``potential`` or ``tail-potential``
    (:class:`TailPotentialRatio`, learned part bounded by ``tail_bound``, whose fixed part is a
    Student-t of the jump law's index ``ν`` or ``α`` and scale ``tail_scale``: its density at
    every time (``tail_law=fixed``) or its forward marginal ``p_t`` (``tail_law=marginal``))."""
    if p["parameterisation"] == "tail-potential":
        f = process.space.feature_dim
        net = MLP(f, 1, int(p["hidden"]), int(p["depth"]), context_dim)
        index, scale = tail_index(process), float(p["tail_scale"])
        if not scale > 0:
            raise ValueError(f"tail_scale must be positive (0: from the data), got {scale}")
        if p["tail_law"] not in TAIL_LAWS:
            raise ValueError(f"unknown tail_law '{p['tail_law']}' (known: {', '.join(TAIL_LAWS)})")
        if p["tail_law"] == "marginal":
            tail = LevyOUMarginal(process, StudentTJumps(1, index, scale), index)
        else:
            tail = StudentTJumps(process.dim, index, scale)
        radius = float(p["tail_radius"]) or None  # 0: asinh features, index not pinned
        ratio: nn.Module = TailPotentialRatio(
            net, process, tail, float(p["tail_bound"]), radius=radius
        )
    else:
        ratio = ratio_model(process, p, context_dim, squash=True)
    if process.sigma == 0:  # D = 0: the backward drift never reads the score (no autograd)
        return JumpDiffusionModel(NoDiffusionScore(process), ratio)
    if isinstance(ratio, PotentialRatio):
        return JumpDiffusionModel(ratio, ratio)
    net = MLP(
        process.space.feature_dim, process.space.dim, int(p["hidden"]), int(p["depth"]), context_dim
    )
    return JumpDiffusionModel(ScoreParam(net, process), ratio)


def _levy_loss(process: LevyOU, p: Mapping[str, Any]) -> Loss:
    """``denoising``: over the latent Gaussian kernel ``Γ = (e^{-θt}x_0, v)`` (jump part,
    :class:`DenoisingJumpScoreEntropy`, plus :class:`LatentScoreMatching` for a Brownian part);
    needs a scale-mixture jump law and falls back to ``implicit`` otherwise (radial stable
    truncation). ``implicit``: :class:`ImplicitScoreEntropy` (+ Hutchinson ISM). ``log_times =
    a > 0``: ``t`` drawn from :class:`LogUniformMixture` with share ``a``, importance-weighted
    (the same loss)."""
    share = float(p["log_times"])
    if not 0 <= share < 1:
        raise ValueError(f"log_times must be in [0, 1), got {share}")
    loss = _levy_loss_terms(process, p)
    return loss.with_times(LogUniformMixture(share)) if share > 0 else loss


def _levy_loss_terms(process: LevyOU, p: Mapping[str, Any]) -> Loss:
    if p["loss"] not in LOSSES:
        raise ValueError(f"unknown loss '{p['loss']}' (known: {', '.join(LOSSES)})")
    denoising = p["loss"] == "denoising" and process.has_latent_kernel
    k, divergence, offset = int(p["proposals"]), p["divergence"], _offset(p)
    from_tail = divergence == "logistic" and bool(p["offset_from_tail"])
    anchor = (
        AnchoredProposals(float(p["anchor_weight"]), float(p["anchor_scale"]))
        if p["loss_anchor"]
        else None
    )
    if denoising and divergence == "logistic":  # weights <= 1: no cap needed
        jumps: Loss = DenoisingJumpScoreEntropy(
            process,
            k,
            divergence="logistic",
            anchor=anchor,
            offset=offset,
            offset_from_fixed=from_tail,
        )
    elif denoising:  # ratio_cap: finite variance under heavy-tailed jumps (see the loss)
        jumps = DenoisingJumpScoreEntropy(process, k, float(p["ratio_cap"]), anchor=anchor)
    else:
        jumps = ImplicitScoreEntropy(
            process,
            k,
            divergence=divergence,
            anchor=anchor,
            offset=offset,
            offset_from_fixed=from_tail,
        )
    if process.sigma == 0:
        return jumps
    score = (
        LatentScoreMatching(process) if denoising else ImplicitScoreMatching(process, "hutchinson")
    )
    return SumLoss(score, jumps)


def _levy_anchored(p: Mapping[str, Any]) -> Splitting:
    """Euler–Maruyama + τ-leaping whose proposals mix ``g`` with a Cauchy anchor (multivariate
    Student-t, ``ν = 1``, scale ``anchor_scale``) around the bulk: with the plain ``g`` proposals
    the jumps back from far out are missed and the tails blow up (docs/studies/jumps.md, Heavy tails)."""
    return Splitting(
        EulerMaruyama(),
        AnchoredJumpTauLeaping(
            int(p["sampler_proposals"]), float(p["anchor_weight"]), float(p["anchor_scale"])
        ),
    )


register_process(
    ProcessSpec(
        "levy-ou",
        "Levy-driven OU dX = -theta X dt + dJ on R^d (Student-t jumps, or truncated "
        "alpha-stable jumps), reference = its stationary law",
        {
            **_MODEL,
            "parameterisation": "tail-potential",
            # docs/studies/jumps.md, "Data of any scale"
            "standardise": True,
            "jumps": "student-t",
            "nu": 0.0,
            "jump_scale": 1.0,
            "rate": 2.0,
            "alpha": 0.0,
            "epsilon": 0.5,
            # the data's scale: docs/studies/jumps.md, "The stable jumps' intensity matched to the data"
            "intensity": 0.0,
            "truncation": "variance",
            "theta": 1.0,
            "T": 5.0,
            "t_min": 1e-3,
            "loss": "denoising",
            # docs/studies/jumps.md, "One default for sharp and heavy-tailed data": kl for heavy tails,
            # logistic with the offset 8 counted from the tail for light-tailed data
            "divergence": "auto",
            "logistic_offset": 8.0,
            "offset_from_tail": True,
            "ratio_cap": 3.0,
            "anchor_scale": 1.0,
            "anchor_weight": 0.5,
            "tail_law": "fixed",
            "tail_scale": 1.0,
            "tail_bound": 10.0,
            "tail_radius": 10.0,
            "loss_anchor": True,
            "log_times": 0.0,
        },
        _levy_build,
        _levy_model,
        _levy_loss,
        {
            "split-anchored": _levy_anchored,
            "split-tau": lambda p: Splitting(
                EulerMaruyama(), JumpTauLeaping(int(p["sampler_proposals"]))
            ),
        },
        "split-anchored",
        sample_steps=200,
        resolve=_levy_resolve,
        fit=_levy_fit,
        standardiser=_levy_scaling,
        help={
            **_MODEL_HELP,
            **_LOSS_HELP,
            "parameterisation": "jump-ratio model: tail-potential (a potential with the jump "
            "law's tail, learned part bounded by tail_bound), direct (a network of (y, x - y, "
            "t)), potential (exp(U(x) - U(y)) from a scalar network U) or trunk (a network of "
            "one point, shared by its jumps, and a small head of (features, x - y))",
            "standardise": "train on (x - c) / s per coordinate, c the midpoint of its quartiles "
            "and s half their distance over that of the jump family's standard 1-D law "
            "(Student-t or stable) of the jump index (the map is recorded "
            "in the run and samples are mapped back; the scale parameters then fit data of any "
            "scale); false trains on the raw values",
            "jumps": "jump law: student-t (compound Poisson) or stable (truncated alpha-stable)",
            "nu": "tail index of the Student-t jumps (smaller: heavier tails); 0: the data's, "
            "by the Hill estimate",
            "jump_scale": "scale of the Student-t jumps",
            "rate": "rate of the Student-t jumps per unit time",
            "alpha": "index of the stable jumps, in [0.2, 2); 0: the data's, by the Hill "
            "estimate (kept in [0.2, 1.95])",
            "epsilon": "truncation of the stable law: smaller keeps more small jumps",
            "intensity": "intensity c of the stable Levy measure; 0: the data's scale (the "
            "terminal law's median radius matched to the data's)",
            "truncation": "variance (scale-mixture truncation, has a denoising loss) or radius "
            "(jumps above epsilon, the small ones replaced by Brownian motion)",
            "theta": "mean-reversion rate of dX = -theta X dt + dJ",
            "T": "time horizon of the forward process",
            "t_min": "smallest time trained and sampled",
            "divergence": "kl (score entropy), logistic (same minimiser, bounded gradient) or "
            "auto: kl where the data's Hill index is at most 6 (heavy tails), else logistic",
            "offset_from_tail": "with divergence=logistic: count each pair's offset from the "
            "tail-potential's fixed log ratio f, M + max(0, f) (large ratios where the tail law "
            "expects them, bounded gradients elsewhere; same minimiser)",
            "ratio_cap": "cap on the target ratio in the denoising kl loss (finite variance under "
            "heavy tails)",
            "anchor_scale": "scale of the Cauchy anchor the split-anchored sampler proposes from",
            "anchor_weight": "share of the split-anchored sampler's proposals drawn from the anchor",
            "tail_law": "fixed part of the tail-potential model: fixed (a Student-t density) or "
            "marginal (the forward marginal p_t of that Student-t started at t = 0)",
            "tail_scale": "scale of the Student-t of the tail-potential model; 0: the data's "
            "(median radius)",
            "tail_bound": "bound C on the learned part of the tail-potential model",
            "loss_anchor": "draw the jump loss's proposals from the split-anchored sampler's "
            "mixture (anchor_weight, anchor_scale), importance-weighted",
            "tail_radius": "radius r of the ball the tail-potential's network reads the data "
            "through (pins the tail index to the jump law's; 0: asinh features, not pinned)",
            "log_times": "share of training times drawn log-uniformly on [t_min, T], the rest "
            "uniformly, importance-weighted (the same loss, more small times); 0: uniform",
        },
        choices={
            "parameterisation": LEVY_PARAMETERISATIONS,
            "tail_law": TAIL_LAWS,
            "jumps": JUMP_LAWS,
            "truncation": TRUNCATIONS,
            "loss": LOSSES,
            "divergence": LEVY_DIVERGENCES,
        },
    )
)
