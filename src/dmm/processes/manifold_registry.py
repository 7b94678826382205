"""Registry entries for Brownian motion on manifolds: ``torus-brownian`` and ``so3-brownian``.

Both use denoising score matching with the KL weighting (``D = β I`` in an orthonormal frame, so the
loss is the manifold's metric) and the generic diffusion samplers, which step along geodesics.
The score is a tangent vector (``score`` parameterisation); ``eps``/``x0`` need a Gaussian kernel
and ``potential`` differentiates in ambient coordinates, so on SO(3) only ``score`` applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor

from ..registry import (
    DIFFUSION_SAMPLERS,
    MODEL_PARAMS,
    ProcessSpec,
    dsm_loss,
    mlp_model,
    register_process,
)
from .manifold_brownian import SO3Brownian, TorusBrownian
from .schedules import GeometricSchedule

MANIFOLD_PARAMS: dict[str, Any] = {
    **MODEL_PARAMS,
    "parameterisation": "score",
    "weighting": "kl",
    "t_min": 1e-3,
    "sigma_min": 0.02,
    "sigma_max": 3.0,
}


def _schedule(params: Mapping[str, Any]) -> GeometricSchedule:
    return GeometricSchedule(float(params["sigma_min"]), float(params["sigma_max"]))


def _torus_dim(data: Tensor) -> int:
    return int(data.shape[1]) if data.ndim == 2 else 1


register_process(
    ProcessSpec(
        "torus-brownian",
        "Brownian motion on the torus [-pi, pi)^d (wrapped-normal kernel), reference uniform",
        MANIFOLD_PARAMS,
        lambda x, p: TorusBrownian(_torus_dim(x), _schedule(p), t_min=p["t_min"]),
        mlp_model,
        dsm_loss,
        DIFFUSION_SAMPLERS,
        "em",
    )
)

register_process(
    ProcessSpec(
        "so3-brownian",
        "Brownian motion on SO(3) (IGSO(3) kernel), geodesic random walk sampler, reference Haar",
        MANIFOLD_PARAMS,
        lambda x, p: SO3Brownian(_schedule(p), t_min=p["t_min"]),
        mlp_model,
        dsm_loss,
        DIFFUSION_SAMPLERS,
        "em",
    )
)
