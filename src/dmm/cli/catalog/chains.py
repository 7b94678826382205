"""The chain processes: ``uniform``, ``absorbing``, ``ordinal`` and ``chain`` (a user rate matrix
from a ``.npy`` file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ...losses.base import Loss
from ...losses.score_entropy import MaskedELBO, ScoreEntropy
from ...metrics.chains import chain_evaluate
from ...networks import MLP
from ...networks.transformer import Transformer
from ...processes import Process
from ...processes.chains import AbsorbingChain, ChainProcess, OrdinalChain, UniformChain
from ...samplers.chains import ChainEuler, ExactChainSampler, TauLeaping, TweedieStep
from ...scores.ratios import ChainRatioModel, DirectRatios, MeanRatios
from .schedules import ScheduleChoice
from .spec import ProcessSpec, register_process

CHAIN_PARAMS: dict[str, Any] = {
    "S": 0,  # number of data values; 0 = max(data) + 1
    "t_min": 1e-3,
    "eps": 1e-3,  # log-linear schedule: the slowest mode keeps weight eps at T = 1
    "parameterisation": "mean",  # mean | ratio
    "network": "auto",  # auto (transformer for d > 8, else MLP) | mlp | transformer
    "hidden": 256,
    "depth": 3,  # MLP
    "width": 64,
    "layers": 2,
    "heads": 4,  # transformer
}
CHAIN_SAMPLERS = {
    "tweedie": lambda p: TweedieStep(),
    "euler": lambda p: ChainEuler(),
    "tau": lambda p: TauLeaping(),
    "exact": lambda p: ExactChainSampler(),
}


def _shape(data: Tensor, params: Mapping[str, Any]) -> tuple[int, int]:
    d = int(np.prod(data.shape[1:])) if data.ndim > 1 else 1
    S = int(params["S"]) or max(int(torch.as_tensor(data).max().item()) + 1, 2)
    return d, S


#: log-linear: the slowest mode keeps weight ``eps`` at ``T = 1``
_schedule = ScheduleChoice(("log-linear",), "eps", key=None)


def chain_model(
    process: Process, params: Mapping[str, Any], context_dim: int = 0
) -> ChainRatioModel:
    """A ratio model: mean (default) or direct parameterisation on an MLP or a transformer."""
    assert isinstance(process, ChainProcess)
    kinds = {"mean": MeanRatios, "ratio": DirectRatios}
    if params["parameterisation"] not in kinds:
        raise ValueError(
            f"unknown parameterisation '{params['parameterisation']}' (known: mean, ratio)"
        )
    cls = kinds[params["parameterisation"]]
    out = process.S if cls is MeanRatios else process.n_states
    network = params["network"]
    if network == "auto":
        network = "transformer" if process.d > 8 else "mlp"
    if network == "mlp":
        net: nn.Module = MLP(
            process.space.feature_dim,
            process.d * out,
            int(params["hidden"]),
            int(params["depth"]),
            context_dim,
        )
    elif network == "transformer":
        net = Transformer(
            process.d,
            process.n_states,
            out,
            int(params["width"]),
            int(params["layers"]),
            int(params["heads"]),
            context_dim,
        )
    else:
        raise ValueError(f"unknown network '{network}' (known: auto, mlp, transformer)")
    return cls(net, process)


def chain_loss(process: Process, params: Mapping[str, Any]) -> Loss:
    if params.get("loss", "score_entropy") == "masked_elbo":
        if params["parameterisation"] != "mean":
            raise ValueError("loss=masked_elbo needs parameterisation=mean")
        return MaskedELBO(process)  # type: ignore[arg-type]
    if params.get("loss", "score_entropy") != "score_entropy":
        raise ValueError(f"unknown loss '{params['loss']}' (known: score_entropy, masked_elbo)")
    return ScoreEntropy(process)  # type: ignore[arg-type]


def chain_evaluate_spec(process: Process, model: nn.Module, data: Tensor) -> dict[str, float]:
    assert isinstance(process, ChainProcess)
    return chain_evaluate(process, model, process.space.validate(data))


def _load_rate_matrix(path: str) -> Tensor:
    if not path:
        raise ValueError("process 'chain' needs rate_matrix=PATH.npy (an S×S rate matrix)")
    return torch.from_numpy(np.load(path)).to(torch.float64)


def _spec(name: str, summary: str, extra: dict[str, Any], build) -> ProcessSpec:
    return ProcessSpec(
        name,
        summary,
        {**CHAIN_PARAMS, **extra},
        build,
        chain_model,
        chain_loss,
        CHAIN_SAMPLERS,
        "tweedie",
        sample_steps=256,
        denoise=True,  # end on p_θ(x_0|y): no MASK values (or t_min noise) left in samples
        evaluate=chain_evaluate_spec,
    )


register_process(
    _spec(
        "uniform",
        "uniform-jump chain on {0..S-1}^d, reference uniform",
        {},
        lambda x, p: UniformChain(*_shape(x, p), _schedule(p), t_min=p["t_min"]),
    )
)
register_process(
    _spec(
        "absorbing",
        "absorbing (masking) chain on {0..S-1}^d, reference all-MASK",
        {"loss": "score_entropy"},
        lambda x, p: AbsorbingChain(*_shape(x, p), _schedule(p), t_min=p["t_min"]),
    )
)
register_process(
    _spec(
        "ordinal",
        "ordinal chain (birth-death or discretised-Gaussian jumps), reference uniform",
        {"kind": "birth_death", "bandwidth": 0.0},
        lambda x, p: OrdinalChain(
            *_shape(x, p),
            _schedule(p),
            t_min=p["t_min"],
            kind=p["kind"],
            bandwidth=p["bandwidth"] or None,
        ),
    )
)
register_process(
    _spec(
        "chain",
        "chain with a user rate matrix R (rate_matrix=PATH.npy), kernel exp(B(t)R)",
        {"rate_matrix": ""},
        lambda x, p: ChainProcess(
            _load_rate_matrix(p["rate_matrix"]), _shape(x, p)[0], _schedule(p), t_min=p["t_min"]
        ),
    )
)
