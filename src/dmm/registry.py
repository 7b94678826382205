"""Explicit registries from names (the CLI and config boundary) to library objects.

Each :class:`ProcessSpec` says how to build a forward process from training data and parameters,
which model, loss and samplers go with it, and their defaults. Strings stop here: the library takes
objects. Process families register their own specs with :func:`register_process`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from .losses import DenoisingScoreMatching, Loss, eps_weighting, kl_weighting
from .networks import MLP
from .processes import OU, VE, VP, SubVP
from .processes.base import Process
from .processes.schedules import CosineSchedule, LinearSchedule
from .samplers import EulerMaruyama, FlowEuler, FlowHeun, PredictorCorrector, Sampler
from .scores import EpsParam, PotentialParam, ScoreParam, X0Param


@dataclass(frozen=True)
class ProcessSpec:
    """How the CLI builds and uses one named forward process.

    ``build(data, params)`` returns the process for training data ``data`` (it may read the data,
    e.g. its dimension or moments, and must not fail on data outside the space: the caller validates
    with ``process.space.validate`` afterwards); ``model(process, params, context_dim)`` the untrained
    model; ``loss(process, params)`` the training loss; ``samplers`` maps sampler names to factories
    taking ``params``. ``params`` are the defaults a user overrides with ``--set KEY=VALUE``.
    ``evaluate(process, model, data)``, when given, adds family-specific numbers to ``dmm eval``
    (e.g. the NLL bound in bits/dim for chains).
    """

    name: str
    summary: str
    params: Mapping[str, Any]
    build: Callable[[Tensor, Mapping[str, Any]], Process]
    model: Callable[[Process, Mapping[str, Any], int], nn.Module]
    loss: Callable[[Process, Mapping[str, Any]], Loss]
    samplers: Mapping[str, Callable[[Mapping[str, Any]], Sampler]]
    default_sampler: str
    sample_steps: int = 500
    #: end sampling with the process's final denoising step by default (Tweedie's mean for Gaussian
    #: kernels, argmax of p_θ(x_0|y) for chains)
    denoise: bool = False
    #: extra defaults for the training loop (e.g. a smaller learning rate)
    train_defaults: Mapping[str, Any] = field(default_factory=dict)
    evaluate: Callable[[Process, nn.Module, Tensor], dict[str, float]] | None = None

    def with_params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults updated by ``overrides``; unknown keys raise ``ValueError`` naming the valid ones."""
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for process '{self.name}' "
                f"(valid: {sorted(self.params)})"
            )
        out = dict(self.params)
        for k, v in overrides.items():
            default = self.params[k]
            out[k] = (
                type(default)(v)
                if isinstance(default, (int, float)) and not isinstance(default, bool)
                else v
            )
        return out


PROCESSES: dict[str, ProcessSpec] = {}


def register_process(spec: ProcessSpec) -> ProcessSpec:
    """Add ``spec`` to :data:`PROCESSES` (names are unique)."""
    if spec.name in PROCESSES:
        raise ValueError(f"process '{spec.name}' is already registered")
    if spec.default_sampler not in spec.samplers:
        raise ValueError(
            f"default sampler '{spec.default_sampler}' not among {list(spec.samplers)}"
        )
    PROCESSES[spec.name] = spec
    return spec


def get_process(name: str) -> ProcessSpec:
    """The spec registered as ``name``; ``ValueError`` listing the known names otherwise."""
    if name not in PROCESSES:
        raise ValueError(f"unknown process '{name}' (known: {', '.join(sorted(PROCESSES))})")
    return PROCESSES[name]


# --- Euclidean diffusions ------------------------------------------------------------------------

MODEL_PARAMS = {"hidden": 256, "depth": 3, "parameterisation": "eps"}
PARAMETERISATIONS = {
    "score": ScoreParam,
    "eps": EpsParam,
    "x0": X0Param,
    "potential": PotentialParam,
}
DIFFUSION_SAMPLERS: dict[str, Callable[[Mapping[str, Any]], Sampler]] = {
    "em": lambda p: EulerMaruyama(),
    "pc": lambda p: PredictorCorrector(),
    "ode-euler": lambda p: FlowEuler(),
    "ode-heun": lambda p: FlowHeun(),
}


WEIGHTINGS = {"eps": eps_weighting, "kl": kl_weighting}


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
        process.space.feature_dim, out, int(params["hidden"]), int(params["depth"]), context_dim
    )
    return parameterisations[name](net, process)


def dsm_loss(
    process: Process,
    params: Mapping[str, Any],
    weightings: Mapping[str, Callable] = WEIGHTINGS,
) -> Loss:
    """DSM with the weighting named by ``params['weighting']`` (looked up in ``weightings``)."""
    if params["weighting"] not in weightings:
        raise ValueError(
            f"unknown weighting '{params['weighting']}' (known: {', '.join(sorted(weightings))})"
        )
    return DenoisingScoreMatching(process, weightings[params["weighting"]])


def _schedule(params: Mapping[str, Any]):
    if params["schedule"] == "linear":
        return LinearSchedule(params["beta_min"], params["beta_max"])
    if params["schedule"] == "cosine":
        return CosineSchedule()
    raise ValueError(f"unknown schedule '{params['schedule']}' (known: linear, cosine)")


def _dim(data: Tensor) -> int:
    return int(torch.tensor(data.shape[1:]).prod())


_GAUSSIAN_COMMON = {**MODEL_PARAMS, "weighting": "eps", "t_min": 1e-3}

_VP_PARAMS = {**_GAUSSIAN_COMMON, "schedule": "linear", "beta_min": 0.1, "beta_max": 20.0}
for _name, _cls, _summary in (
    ("vp", VP, "variance-preserving SDE on R^d, reference N(0, I)"),
    ("subvp", SubVP, "sub-VP SDE on R^d, reference N(0, I)"),
):
    register_process(
        ProcessSpec(
            _name,
            _summary,
            _VP_PARAMS,
            lambda x, p, cls=_cls: cls(_dim(x), _schedule(p), t_min=p["t_min"]),
            mlp_model,
            dsm_loss,
            DIFFUSION_SAMPLERS,
            "em",
            denoise=True,
        )
    )
register_process(
    ProcessSpec(
        "ve",
        "variance-exploding SDE on R^d, reference N(0, sigma_max^2 I)",
        {**_GAUSSIAN_COMMON, "sigma_min": 0.01, "sigma_max": 10.0},
        lambda x, p: VE(_dim(x), p["sigma_min"], p["sigma_max"], t_min=p["t_min"]),
        mlp_model,
        dsm_loss,
        DIFFUSION_SAMPLERS,
        "em",
        denoise=True,
    )
)
register_process(
    ProcessSpec(
        "ou",
        "Ornstein-Uhlenbeck dX = -X dt + sqrt(2) dW on R^d, reference N(0, I)",
        {**_GAUSSIAN_COMMON, "T": 5.0},
        lambda x, p: OU(_dim(x), T=p["T"], t_min=p["t_min"]),
        mlp_model,
        dsm_loss,
        DIFFUSION_SAMPLERS,
        "em",
        denoise=True,
    )
)
# each family registers its processes on import (explicit list, in gallery order)
from .processes import (  # noqa: E402
    chains_registry,  # noqa: F401
    jumps_registry,  # noqa: F401
    manifold_registry,  # noqa: F401
    positive_registry,  # noqa: F401
)
