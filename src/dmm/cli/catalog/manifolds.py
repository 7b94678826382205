"""Brownian motion on manifolds: ``torus-brownian`` and ``so3-brownian``.

Both use denoising score matching with the KL weighting (``D = β I`` in an orthonormal frame, so the
loss is the manifold's metric) and the generic diffusion samplers, which step along geodesics.
The score is a tangent vector: the network outputs it (``score``) or a scalar whose Riemannian
gradient it is (``potential``); ``eps``/``x0`` and the ``eps`` weighting need a Gaussian kernel,
which neither process has, so they are not offered.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from torch import Tensor

from ...losses import kl_weighting
from ...processes.manifold_brownian import SO3Brownian, TorusBrownian
from ...scores import PotentialParam, ScoreParam
from ...spaces import Torus
from .gaussian import (
    DIFFUSION_SAMPLERS,
    MODEL_HELP,
    MODEL_PARAMS,
    T_MIN_HELP,
    dsm_loss,
    mlp_model,
)
from .schedules import ScheduleChoice
from .spec import ProcessSpec, register_process

MANIFOLD_PARAMS: dict[str, Any] = {
    **MODEL_PARAMS,
    "parameterisation": "score",
    "weighting": "kl",
    "t_min": 1e-3,
    "sigma_min": 0.02,
    "sigma_max": 3.0,
}

#: largest noise scale at ``T``: the heat kernel is uniform (Haar) to float64 precision from
#: ``σ ≈ 9`` (its Fourier coefficients are ``e^{-m²σ²/2}``, resp. ``e^{-l(l+1)σ²/2}``), so a
#: larger ``σ_max`` only adds time with nothing to learn and makes the loss weight
#: ``β(T) = dσ²/dt = 2σ_max² log(σ_max/σ_min)`` huge (at ``σ_max = 10^5`` training diverges)
SIGMA_MAX_MAX = 100.0
MANIFOLD_LIMITS = {
    "sigma_max": (
        SIGMA_MAX_MAX,
        "the kernel is uniform to float64 precision from sigma ~ 9, and more only scales the "
        "loss weight by sigma_max^2",
    )
}


PARAMETERISATIONS = {"score": ScoreParam, "potential": PotentialParam}
WEIGHTINGS = {"kl": kl_weighting}
MANIFOLD_CHOICES = {"parameterisation": tuple(PARAMETERISATIONS), "weighting": tuple(WEIGHTINGS)}
#: the family's model and loss: the shared builders with this family's tables
manifold_model = partial(mlp_model, parameterisations=PARAMETERISATIONS)
manifold_dsm = partial(dsm_loss, weightings=WEIGHTINGS)

MANIFOLD_HELP: dict[str, str] = {
    **MODEL_HELP,
    "parameterisation": "what the network outputs: score (a tangent vector) or potential (a "
    "scalar whose Riemannian gradient is the score)",
    "weighting": "weight of the DSM loss over time: kl (lambda = D_t, the path-KL bound that dmm "
    "eval reports; eps needs a Gaussian kernel)",
    "t_min": T_MIN_HELP,
    "sigma_min": "noise scale at t = 0 of the geometric schedule sigma_min (sigma_max/sigma_min)^t",
    "sigma_max": "noise scale at T = 1: large enough (about 3) that the law is close to uniform "
    f"(at most {SIGMA_MAX_MAX:g})",
}

_schedule = ScheduleChoice(("geometric",), "sigma_min", "sigma_max", key=None)


def _torus_dim(data: Tensor) -> int:
    """``d`` of data ``(n, d)`` (one row of ``d`` angles per sample; ``(n,)``: ``d = 1``)."""
    if data.ndim > 2:
        rows = ", ".join(map(str, data.shape[1:]))
        raise ValueError(
            f"data rows have shape ({rows}): the torus reads (n, d) arrays, one sample of d "
            f"angles per row (reshape to (n, {math.prod(data.shape[1:])}) if each row holds one "
            "sample's angles)"
        )
    return int(data.shape[1]) if data.ndim == 2 else 1


def _torus(data: Tensor, p: dict[str, Any]) -> TorusBrownian:
    process = TorusBrownian(_torus_dim(data), _schedule(p), t_min=p["t_min"])
    process.space = Torus(process.space.d, wrap_data=bool(p["wrap"]))
    return process


def _so3(data: Tensor, p: dict[str, Any]) -> SO3Brownian:
    return SO3Brownian(_schedule(p), t_min=p["t_min"])


register_process(
    ProcessSpec(
        "torus-brownian",
        "Brownian motion on the torus [-pi, pi)^d (wrapped-normal kernel), reference uniform",
        {**MANIFOLD_PARAMS, "wrap": False},
        _torus,
        manifold_model,
        manifold_dsm,
        DIFFUSION_SAMPLERS,
        "em",
        help={
            **MANIFOLD_HELP,
            "wrap": "true: wrap data angles into [-pi, pi) instead of rejecting them",
        },
        choices=MANIFOLD_CHOICES,
        limits=MANIFOLD_LIMITS,
        data_hint="--set wrap=true wraps angles for you; for data that are not angles use vp",
    )
)

register_process(
    ProcessSpec(
        "so3-brownian",
        "Brownian motion on SO(3) (IGSO(3) kernel), geodesic random walk sampler, reference Haar",
        MANIFOLD_PARAMS,
        _so3,
        manifold_model,
        manifold_dsm,
        DIFFUSION_SAMPLERS,
        "em",
        help=MANIFOLD_HELP,
        choices=MANIFOLD_CHOICES,
        limits=MANIFOLD_LIMITS,
    )
)
