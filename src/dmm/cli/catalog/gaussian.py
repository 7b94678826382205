"""Euclidean diffusions: ``vp``, ``subvp``, ``ve`` and ``ou``, and the MLP model, DSM loss and
diffusion samplers the other diffusion families share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ...losses import (
    DenoisingScoreMatching,
    Loss,
    StraightPathTimes,
    batch_posterior_target,
    conditional_target,
    eps_weighting,
    kl_weighting,
    straight_weighting,
)
from ...networks import MLP
from ...processes import OU, VE, VP, LinearSchedule, Process, SubVP
from ...samplers import (
    DPMSolver1,
    DPMSolver2M,
    EulerMaruyama,
    FlowEuler,
    FlowHeun,
    PredictorCorrector,
    Sampler,
    StraightEuler,
    StraightHeun,
    StraightMidpoint,
    UniPC,
    logsnr_grid,
    straight_grid,
    time_grid,
)
from ...scores import EpsParam, PotentialParam, ScoreParam, VelocityParam, X0Param
from .schedules import ScheduleChoice
from .spec import ProcessSpec, register_process

MODEL_PARAMS = {"hidden": 256, "depth": 3, "fourier": 0, "parameterisation": "eps"}
MODEL_HELP = {
    "hidden": "width of the MLP's hidden layers",
    "depth": "number of residual hidden layers of the MLP",
    "fourier": "n > 0 feeds the MLP sin and cos of pi 2^k x (k < n) beside each input coordinate: "
    "sharper edges in low dimension (docs/euclidean.md); at most 20 for a new run",
    "parameterisation": "what the network outputs: eps (the noise), score, x0 (the clean data), "
    "velocity (eps - x0, the straight path's velocity, as flow matching) "
    "or potential (a scalar whose gradient is the score)",
}
PARAMETERISATIONS = {
    "score": ScoreParam,
    "eps": EpsParam,
    "x0": X0Param,
    "velocity": VelocityParam,
    "potential": PotentialParam,
}
DIFFUSION_SAMPLERS: dict[str, Callable[[Mapping[str, Any]], Sampler]] = {
    "em": lambda p: EulerMaruyama(),
    "pc": lambda p: PredictorCorrector(),
    "ode-euler": lambda p: FlowEuler(),
    "ode-heun": lambda p: FlowHeun(),
}
#: the time grids of the samplers (``grid``); ``auto`` keeps each sampler's own (uniform in time for
#: em, pc, ode-euler and ode-heun, uniform in log-SNR for dpm1, dpm2 and unipc, the straight path's time
#: for straight-*)
GRIDS: dict[str, Callable | None] = {
    "auto": None,
    "uniform": time_grid,
    "log-snr": logsnr_grid,
    "straight": straight_grid,
}


def _grid(params: Mapping[str, Any], own: Callable) -> Callable:
    return GRIDS[params.get("grid", "auto")] or own


#: the samplers of the four Gaussian-kernel processes: name -> (the sampler on a given grid, its own
#: grid). They add to the diffusion samplers the exponential integrators (DPM-Solver++ and UniPC in
#: data-prediction form), which need the kernel (alpha_t, s_t), and flow matching's integrators on
#: the straight path (Euler, midpoint, Heun in ``τ``; also the orthant diffusions')
GAUSSIAN_SAMPLER_GRIDS: dict[str, tuple[Callable[[Callable], Sampler], Callable]] = {
    "em": (lambda g: EulerMaruyama(grid=g), time_grid),
    "pc": (lambda g: PredictorCorrector(grid=g), time_grid),
    "ode-euler": (FlowEuler, time_grid),
    "ode-heun": (FlowHeun, time_grid),
    "dpm1": (DPMSolver1, logsnr_grid),
    "dpm2": (DPMSolver2M, logsnr_grid),
    "unipc": (UniPC, logsnr_grid),
    "straight-euler": (StraightEuler, straight_grid),
    "straight-midpoint": (StraightMidpoint, straight_grid),
    "straight-heun": (StraightHeun, straight_grid),
}


def gaussian_samplers(
    own: Mapping[str, Callable] | None = None, names: tuple[str, ...] | None = None
) -> dict[str, Callable[[Mapping[str, Any]], Sampler]]:
    """The samplers ``names`` (default all) of :data:`GAUSSIAN_SAMPLER_GRIDS`, each on the grid
    named by the process parameter ``grid``; with ``grid=auto``, on ``own[name]`` where a process
    gives one (its measured choice), else on the sampler's own grid."""
    own = own or {}
    table = {}
    for name in names or tuple(GAUSSIAN_SAMPLER_GRIDS):
        make, default = GAUSSIAN_SAMPLER_GRIDS[name]
        grid = own.get(name, default)
        table[name] = lambda p, make=make, grid=grid: make(_grid(p, grid))
    return table


GAUSSIAN_SAMPLERS = gaussian_samplers()
STRAIGHT_SAMPLERS = gaussian_samplers(
    names=("straight-euler", "straight-midpoint", "straight-heun")
)
#: ``vp``'s grids under ``grid=auto`` (its default): the straight path's grid, which every sampler
#: had under the earlier default ``grid=straight`` (measured for ``em``, docs/euclidean.md), except
#: for ``unipc``, whose
#: few-step runs need the log-SNR grid's steps at low noise (benchmarks/unipc_grids.py)
VP_GRIDS = {name: straight_grid for name in GAUSSIAN_SAMPLER_GRIDS} | {"unipc": logsnr_grid}
VP_SAMPLERS = gaussian_samplers(VP_GRIDS)
WEIGHTINGS = {"eps": eps_weighting, "kl": kl_weighting, "straight": straight_weighting}
#: what DSM regresses the score on (a process whose entry has no ``target`` uses the first)
TARGETS = {"conditional": conditional_target, "batch": batch_posterior_target}


def mlp_model(
    process: Process,
    params: Mapping[str, Any],
    context_dim: int = 0,
    parameterisations: Mapping[str, type] = PARAMETERISATIONS,
) -> nn.Module:
    """An :class:`MLP` backbone in the parameterisation named by ``params['parameterisation']``
    (looked up in ``parameterisations``; a family may pass its own table)."""
    name = params["parameterisation"]
    if name not in parameterisations:
        raise ValueError(f"unknown parameterisation '{name}' (known: {sorted(parameterisations)})")
    out = 1 if name == "potential" else process.space.dim
    net = MLP(
        process.space.feature_dim,
        out,
        int(params["hidden"]),
        int(params["depth"]),
        context_dim,
        int(params.get("fourier", 0)),
    )
    return parameterisations[name](net, process)


def dsm_loss(
    process: Process,
    params: Mapping[str, Any],
    weightings: Mapping[str, Callable] = WEIGHTINGS,
) -> Loss:
    """DSM with the weighting named by ``params['weighting']`` (looked up in ``weightings``) and
    the target named by ``params['target']`` (:data:`TARGETS`; the conditional score if the
    entry has no such parameter)."""
    if params["weighting"] not in weightings:
        raise ValueError(
            f"unknown weighting '{params['weighting']}' (known: {', '.join(sorted(weightings))})"
        )
    target = TARGETS[params.get("target", "conditional")]
    weighting = weightings[params["weighting"]]
    loss = DenoisingScoreMatching(process, weighting, target)
    if weighting is not straight_weighting:
        return loss
    # refused here, not at the first step, where the kernel has no straight path
    process.gaussian_coordinates(torch.full((1,), process.T)).isotropic("weighting=straight")
    # the straight weighting is written against its own time law (straight_weighting's doc)
    return loss.with_times(StraightPathTimes())


def flat_dim(data: Tensor) -> int:
    """The number of coordinates of one row of ``data``."""
    return int(torch.tensor(data.shape[1:]).prod())


_COMMON = {
    **MODEL_PARAMS,
    "weighting": "eps",
    "target": "batch",
    "t_min": 1e-3,
    "standardise": True,
    "grid": "auto",
}
_VP_PARAMS = {**_COMMON, "schedule": "linear", "beta_min": 0.1, "beta_max": 20.0}
#: sentences of the parameters shared by the diffusions (the other families reuse the first two)
T_MIN_HELP = "smallest time trained and sampled: the score is singular at t = 0"
WEIGHTING_HELP = (
    "weight of the DSM loss over time: eps (the usual noise-prediction loss), kl "
    "(lambda = D_t, the path-KL bound that dmm eval reports) or straight (flow matching's loss "
    "and time law carried to this kernel: more weight on large noise)"
)
GRID_HELP = (
    "time grid of the samplers: auto (uniform in t for em, pc and "
    "ode-*, in log-SNR for dpm* and unipc, in the straight path's time for straight-*), uniform, log-snr "
    "(uniform in log(alpha_t/s_t)) or straight (uniform in s_t/(alpha_t + s_t), the straight "
    "path's time)"
)
VP_GRID_HELP = (
    "time grid of the samplers: auto (uniform in log-SNR for unipc, in the straight path's time "
    "for the others: measured, docs/euclidean.md), uniform, log-snr (uniform in "
    "log(alpha_t/s_t)) or straight (uniform in s_t/(alpha_t + s_t), the straight path's time)"
)
STANDARDISE_HELP = (
    "train on (x - mean) / std per coordinate (the map is recorded in the run and samples are "
    "mapped back); false trains on the raw values"
)
TARGET_HELP = (
    "what the score is regressed on: conditional (each row's own noise, the usual DSM) or batch "
    "(the posterior average of that over the batch's rows, Xu et al. 2023: lower variance, same "
    "minimiser as the batch grows)"
)
_COMMON_HELP = {
    **MODEL_HELP,
    "weighting": WEIGHTING_HELP,
    "target": TARGET_HELP,
    "t_min": T_MIN_HELP,
    "standardise": STANDARDISE_HELP,
    "grid": GRID_HELP,
}
_VP_HELP = {
    **_COMMON_HELP,
    "schedule": "noise rate beta(t): linear from beta_min to beta_max, or cosine "
    "(Nichol-Dhariwal; ignores beta_min and beta_max)",
    "beta_min": "noise rate beta(0) of the linear schedule",
    "beta_max": "noise rate beta(1) of the linear schedule: at T = 1 little of the data is left",
}
_VP_SCHEDULE = ScheduleChoice(("linear", "cosine"), "beta_min", "beta_max")


def _vp_schedule(params: Mapping[str, Any]):
    """The schedule of ``params``; ``beta_min`` and ``beta_max`` are checked even where the
    cosine schedule ignores them, so a bad value never passes silently."""
    LinearSchedule(params["beta_min"], params["beta_max"])
    return _VP_SCHEDULE(params)


#: the names the model and the loss look up (one source of truth)
_CHOICES = {
    "parameterisation": tuple(PARAMETERISATIONS),
    "weighting": tuple(WEIGHTINGS),
    "target": tuple(TARGETS),
    "grid": tuple(GRIDS),
}
_VP_CHOICES = {**_CHOICES, "schedule": _VP_SCHEDULE.names}


def _spec(
    name: str,
    summary: str,
    params: dict[str, Any],
    build,
    help: dict[str, str],
    choices: dict[str, tuple[str, ...]] = _CHOICES,
    train_defaults: Mapping[str, Any] | None = None,
    samplers: Mapping[str, Callable[[Mapping[str, Any]], Sampler]] = GAUSSIAN_SAMPLERS,
) -> ProcessSpec:
    def make(data: Tensor, p: Mapping[str, Any]) -> Process:
        if p["grid"] not in GRIDS:  # read only by the samplers: refuse it at build, not at sampling
            raise ValueError(f"unknown grid '{p['grid']}' (known: {', '.join(GRIDS)})")
        return build(data, p)

    return ProcessSpec(
        name,
        summary,
        params,
        make,
        mlp_model,
        dsm_loss,
        dict(samplers),
        "em",
        denoise=True,
        help=help,
        choices=choices,
        train_defaults=train_defaults or {},
    )


register_process(
    _spec(
        "vp",
        "variance-preserving SDE on R^d, reference N(0, I)",
        # measured in benchmarks/vp_defaults.py, benchmarks/peers.py and
        # benchmarks/mixtures_cli.py (docs/euclidean.md)
        {
            **_VP_PARAMS,
            "fourier": 3,
            "schedule": "cosine",
            "parameterisation": "velocity",
            "weighting": "straight",
            "grid": "auto",
        },
        lambda x, p: VP(flat_dim(x), _vp_schedule(p), t_min=p["t_min"]),
        {**_VP_HELP, "grid": VP_GRID_HELP},
        _VP_CHOICES,
        # benchmarks/vp_batch.py: the checkerboard's empty cells hold 5.0% of the samples at
        # batch 256, 4.0% at 512, 3.3% at 1024 (5000 steps, at 2.2-2.5x batch 256's CPU time)
        train_defaults={"batch_size": 1024},
        samplers=VP_SAMPLERS,
    )
)
register_process(
    _spec(
        "subvp",
        "sub-VP SDE on R^d, reference N(0, I)",
        _VP_PARAMS,
        lambda x, p: SubVP(flat_dim(x), _vp_schedule(p), t_min=p["t_min"]),
        _VP_HELP,
        _VP_CHOICES,
    )
)
register_process(
    _spec(
        "ve",
        "variance-exploding SDE on R^d, reference N(0, sigma_max^2 I)",
        {**_COMMON, "sigma_min": 0.01, "sigma_max": 10.0},
        lambda x, p: VE(flat_dim(x), p["sigma_min"], p["sigma_max"], t_min=p["t_min"]),
        {
            **_COMMON_HELP,
            "sigma_min": "noise scale at t = 0 of sigma(t) = sigma_min (sigma_max/sigma_min)^t",
            "sigma_max": "noise scale at T = 1, the reference's std: at least the data's spread",
        },
    )
)
register_process(
    _spec(
        "ou",
        "Ornstein-Uhlenbeck dX = -X dt + sqrt(2) dW on R^d, reference N(0, I)",
        {**_COMMON, "T": 5.0},
        lambda x, p: OU(flat_dim(x), T=p["T"], t_min=p["t_min"]),
        {
            **_COMMON_HELP,
            "T": "time horizon: a fraction e^-T of the data's mean is left at T",
            "grid": VP_GRID_HELP,
        },
        # vp's grids: uniform in t over [0, 5] spends the steps where the data are gone (8
        # Gaussians, 20 evaluations: em's C2ST AUC 0.879 against 0.726 on the straight grid,
        # ode-heun's 0.979 against 0.714; docs/euclidean.md)
        samplers=VP_SAMPLERS,
    )
)
