"""The orthant diffusions: ``gbm`` and ``geometric-ou``.

Both are fitted to the training data's log-moments (reference law and network features), and
both are Gaussian in the standardised logarithm ``u = (log x - m_0)/s_0``. By default they train
as ``vp`` does in ``x``: the network outputs the straight path's velocity ``ε - u_0`` in those
coordinates, the loss is flow matching's (``weighting=straight``) and the target the batch
posterior. ``log-eps`` (the noise of ``log X_t``, ``y ⊙ s = -1 - ε/√v_t``) with its own
weighting is the ε-loss, and ``log-score`` (``y ⊙ s``) with the KL weighting ``D(y) = σ²
diag(y²)`` the path-KL form. Defaults use a time change so that a uniform sampler grid gives
well-spread noise levels: ``gbm`` is the VE SDE in standardised log coordinates, ``geometric-ou``
the VP SDE (``schedule=constant`` gives the plain rows of MATH.md §6)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import torch
from torch import Tensor

from ...losses import eps_weighting, kl_weighting, straight_weighting
from ...processes.positive import GBM, GeometricOU, log_moments
from ...scores import PotentialParam, ScoreParam, VelocityParam
from ...scores.log_coordinates import LogEpsParam, LogScoreParam
from ...spaces.positive import PositiveOrthant
from .gaussian import (
    DIFFUSION_SAMPLERS,
    MODEL_HELP,
    STRAIGHT_SAMPLERS,
    T_MIN_HELP,
    TARGET_HELP,
    TARGETS,
    dsm_loss,
    mlp_model,
)
from .schedules import ScheduleChoice
from .spec import ProcessSpec, register_process

PARAMETERISATIONS = {
    "log-score": LogScoreParam,
    "log-eps": LogEpsParam,
    "velocity": VelocityParam,
    "score": ScoreParam,
    "potential": PotentialParam,
}
#: the flat-coordinate Langevin corrector of ``pc`` is not offered: its step ``δ ∝ 1/|s|²`` and its
#: ``√(2δ)/y`` noise in log coordinates are meaningless where ``|s| ~ 1/y`` blows up at the axes
#: flow matching's integrators run in the standardised log coordinates, so they stay positive too
SAMPLERS = {**{k: v for k, v in DIFFUSION_SAMPLERS.items() if k != "pc"}, **STRAIGHT_SAMPLERS}
WEIGHTINGS = {"kl": kl_weighting, "log-eps": eps_weighting, "straight": straight_weighting}
#: flow matching's loss and output in the standardised log coordinates with the batch target,
#: measured against ``log-eps`` (itself measured against ``log-score`` with the KL weighting) in
#: benchmarks/orthant_quality.py (docs/studies/positive.md)
_COMMON = {
    "hidden": 256,
    "depth": 3,
    "parameterisation": "velocity",
    "weighting": "straight",
    "target": "batch",
    "t_min": 1e-3,
}


_HELP = {
    "hidden": MODEL_HELP["hidden"],
    "depth": MODEL_HELP["depth"],
    "parameterisation": "what the network outputs: log-score (y * score, bounded at the axes), "
    "log-eps (the noise of log X_t: y * score = -1 - eps / sqrt(v_t)), velocity (eps - u_0 in "
    "the standardised log coordinates u, the straight path of flow matching), score or "
    "potential",
    "weighting": "weight of the DSM loss: kl (lambda = D(y) = sigma^2 y^2, the path-KL bound), "
    "log-eps (the noise-prediction loss in log coordinates) or straight (flow matching's loss "
    "and time law in the standardised log coordinates; needs sigma_units=data for gbm)",
    "target": TARGET_HELP + "; in log coordinates, where the kernel is Gaussian",
    "t_min": T_MIN_HELP,
    "T": "time horizon of the forward process",
}
#: what to do with data outside the orthant (appended to the support error)
POSITIVE_DATA_HINT = "or use vp, which takes any real data"

_GBM_SCHEDULE = ScheduleChoice(("geometric", "constant"), "s_min", "s_max")
_OU_SCHEDULE = ScheduleChoice(("linear", "constant"), "beta_min", "beta_max")
#: ``sigma_units``: ``sigma`` in units of the data's log-std, or absolute
SIGMA_UNITS = ("data", "absolute")
#: the names the model and the loss look up (one source of truth)
_CHOICES = {
    "parameterisation": tuple(PARAMETERISATIONS),
    "weighting": tuple(WEIGHTINGS),
    "target": tuple(TARGETS),
}


def _safe_log_moments(data: Tensor) -> tuple[Tensor, Tensor]:
    # build() must not fail on data outside the orthant: the caller validates afterwards
    flat = data.reshape(data.shape[0], -1).to(torch.get_default_dtype())
    ok = torch.isfinite(flat).all(1) & ~PositiveOrthant(flat.shape[1]).outside(flat)
    return log_moments(flat[ok] if ok.sum() >= 2 else torch.ones_like(flat))


def build_gbm(data: Tensor, p: Mapping[str, Any]) -> GBM:
    mean, std = _safe_log_moments(data)
    schedule = _GBM_SCHEDULE(p)
    if p["sigma_units"] not in SIGMA_UNITS:
        raise ValueError(
            f"sigma_units must be one of {', '.join(SIGMA_UNITS)}, got '{p['sigma_units']}'"
        )
    sigma = p["sigma"] * std if p["sigma_units"] == "data" else p["sigma"]
    return GBM(
        len(mean),
        sigma,
        schedule=schedule,
        T=p["T"],
        t_min=p["t_min"],
        data_log_mean=mean,
        data_log_std=std,
    )


def build_geometric_ou(data: Tensor, p: Mapping[str, Any]) -> GeometricOU:
    mean, std = _safe_log_moments(data)
    schedule = _OU_SCHEDULE(p)
    theta = p["theta"]
    return GeometricOU(
        len(mean),
        theta,
        mean,
        std * (2 * theta) ** 0.5,
        schedule=schedule,
        T=p["T"],
        t_min=p["t_min"],
        data_log_mean=mean,
        data_log_std=std,
    )


#: the family's model and loss: the shared builders with this family's tables
positive_model = partial(mlp_model, parameterisations=PARAMETERISATIONS)
positive_dsm = partial(dsm_loss, weightings=WEIGHTINGS)


register_process(
    ProcessSpec(
        "gbm",
        "geometric Brownian motion on (0,inf)^d, moment-matched log-normal reference",
        {
            **_COMMON,
            "sigma": 1.0,
            "sigma_units": "data",
            "schedule": "geometric",
            "s_min": 0.01,
            "s_max": 5.0,
            "T": 1.0,
        },
        build_gbm,
        positive_model,
        positive_dsm,
        SAMPLERS,
        "em",
        help={
            **_HELP,
            "sigma": "volatility of the GBM (in units of sigma_units)",
            "sigma_units": "data (sigma times the data's log-std, per coordinate) or absolute",
            "schedule": "time change: geometric (log-noise scale from s_min to s_max, like VE) "
            "or constant (plain GBM, ignores s_min and s_max)",
            "s_min": "noise scale of log X at t = 0 (in units of sigma)",
            "s_max": "noise scale of log X at T (in units of sigma): large against the data",
        },
        data_hint=POSITIVE_DATA_HINT,
        choices={**_CHOICES, "sigma_units": SIGMA_UNITS, "schedule": _GBM_SCHEDULE.names},
    )
)
register_process(
    ProcessSpec(
        "geometric-ou",
        "geometric OU (log X is OU) on (0,inf)^d, log-normal reference",
        {
            **_COMMON,
            "theta": 0.5,
            "schedule": "linear",
            "beta_min": 0.1,
            "beta_max": 20.0,
            "T": 1.0,
        },
        build_geometric_ou,
        positive_model,
        positive_dsm,
        SAMPLERS,
        "em",
        help={
            **_HELP,
            "theta": "mean-reversion rate of log X towards the data's log-mean",
            "schedule": "time change beta(t): linear from beta_min to beta_max (like VP) or "
            "constant (plain geometric OU, ignores beta_min and beta_max)",
            "beta_min": "rate beta(0) of the linear time change",
            "beta_max": "rate beta(1) of the linear time change",
        },
        data_hint=POSITIVE_DATA_HINT,
        choices={**_CHOICES, "schedule": _OU_SCHEDULE.names},
    )
)
