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
from ...processes.rate_matrices import check_rate_matrix
from ...samplers.chains import ChainEuler, ExactChainSampler, TauLeaping, TweedieStep
from ...scores.ratios import ChainRatioModel, DirectRatios, MeanRatios
from ..errors import UsageError, one_line
from .schedules import ScheduleChoice
from .spec import ProcessSpec, register_process

CHAIN_PARAMS: dict[str, Any] = {
    "S": 0,
    "t_min": 1e-3,
    "eps": 1e-3,
    "parameterisation": "mean",
    "network": "auto",
    "hidden": 256,
    "depth": 3,
    "width": 64,
    "layers": 2,
    "heads": 4,
}
CHAIN_HELP: dict[str, str] = {
    "S": "number of values per coordinate, data in 0..S-1; 0 (the default) takes "
    "S = max(data) + 1 (at least 2)",
    "t_min": "smallest time trained and sampled",
    "eps": "log-linear schedule: the slowest mode of the rate matrix keeps weight eps at T = 1 "
    "(smaller: closer to the reference at T)",
    "parameterisation": "mean (the network gives p(x0|y) and the ratios follow) or ratio "
    "(the network gives the log-ratios directly)",
    "network": "backbone: mlp, transformer, or auto = the MLP while a coordinate has at most 512 "
    "states (S, plus 1 for an absorbing chain's MASK; the MLP is cheaper per step there, measured), else the transformer",
    "hidden": "width of the MLP's hidden layers (network=mlp)",
    "depth": "number of residual hidden layers of the MLP (network=mlp)",
    "width": "token width of the transformer (network=transformer)",
    "layers": "number of transformer blocks (network=transformer)",
    "heads": "attention heads per block, dividing width (network=transformer)",
}
#: ``network=auto`` picks the MLP while a coordinate takes at most this many values (``n_states``:
#: ``S``, plus MASK), the transformer above. Measured per training step at the default sizes (MLP
#: 256×3, transformer width 64 × 2 layers; benchmarks/chains_network_cost.py, benchmarks/README.md):
#: the MLP was 1.9× (tiny-chain, d = 2), 7.4× (digits, d = 64) and 15× (d = 256) cheaper, still
#: 1.45× cheaper at 257 states (d = 64), and 1.3× dearer at 1025 states (d = 16). The MLP's cost
#: grows like ``d · n_states · hidden``, the transformer's like ``d · width² + d² · width``, so the
#: crossover sits in ``n_states`` (flop count: about ``512 + d/3``), not in ``d``.
AUTO_MLP_MAX_STATES = 512
#: ``parameterisation``: the network gives p(x0|y) (``mean``) or the log-ratios (``ratio``)
RATIO_MODELS: dict[str, type[ChainRatioModel]] = {"mean": MeanRatios, "ratio": DirectRatios}
NETWORKS = ("auto", "mlp", "transformer")
CHAIN_LOSSES = ("score_entropy", "masked_elbo")
#: checked by :func:`~dmm.processes.rate_matrices.ordinal_rate_matrix` too (kept equal by
#: tests/cli/test_catalog_choices.py)
ORDINAL_KINDS = ("birth_death", "gaussian")
#: the values of the string parameters every chain has (``rate_matrix`` is a free-form path)
CHAIN_CHOICES: dict[str, tuple[str, ...]] = {
    "parameterisation": tuple(RATIO_MODELS),
    "network": NETWORKS,
}
CHAIN_SAMPLERS = {
    "tweedie": lambda p: TweedieStep(),
    "euler": lambda p: ChainEuler(),
    "tau": lambda p: TauLeaping(),
    "exact": lambda p: ExactChainSampler(),
}


def _shape(data: Tensor, params: Mapping[str, Any]) -> tuple[int, int]:
    d = int(np.prod(data.shape[1:])) if data.ndim > 1 else 1
    if int(params["S"]) < 0 or int(params["S"]) == 1:
        raise ValueError(f"S={params['S']}: a chain needs at least 2 states (0: max(data) + 1)")
    S = int(params["S"]) or max(int(torch.as_tensor(data).max().item()) + 1, 2)
    return d, S


#: log-linear: the slowest mode keeps weight ``eps`` at ``T = 1``
_schedule = ScheduleChoice(("log-linear",), "eps", key=None)


def chain_model(
    process: Process, params: Mapping[str, Any], context_dim: int = 0
) -> ChainRatioModel:
    """A ratio model: mean (default) or direct parameterisation on an MLP or a transformer."""
    assert isinstance(process, ChainProcess)
    if params["parameterisation"] not in RATIO_MODELS:
        raise ValueError(
            f"unknown parameterisation '{params['parameterisation']}' "
            f"(known: {', '.join(RATIO_MODELS)})"
        )
    cls = RATIO_MODELS[params["parameterisation"]]
    out = process.S if cls is MeanRatios else process.n_states
    network = chain_network(process, params)
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
        raise ValueError(f"unknown network '{network}' (known: {', '.join(NETWORKS)})")
    return cls(net, process)


def chain_network(process: ChainProcess, params: Mapping[str, Any]) -> str:
    """The backbone ``network`` names, ``auto`` resolved by :data:`AUTO_MLP_MAX_STATES`."""
    if params["network"] != "auto":
        return str(params["network"])
    return "mlp" if process.n_states <= AUTO_MLP_MAX_STATES else "transformer"


def _resolve(process: Process, params: Mapping[str, Any]) -> dict[str, Any]:
    """``S`` and ``network`` as built (``S=0`` and ``network=auto`` are read from the data)."""
    assert isinstance(process, ChainProcess)
    return {"S": int(process.S), "network": chain_network(process, params)}


LOSS_HELP = (
    "score_entropy (denoising score entropy) or masked_elbo (the masked-diffusion ELBO, "
    "needs parameterisation=mean)"
)


def chain_loss(process: Process, params: Mapping[str, Any]) -> Loss:
    """``score_entropy`` (a chain without a ``loss`` parameter) or ``masked_elbo``."""
    loss = params.get("loss", "score_entropy")
    if loss not in CHAIN_LOSSES:
        raise ValueError(f"unknown loss '{loss}' (known: {', '.join(CHAIN_LOSSES)})")
    if loss == "masked_elbo":
        if params["parameterisation"] != "mean":
            raise ValueError("loss=masked_elbo needs parameterisation=mean")
        return MaskedELBO(process)  # type: ignore[arg-type]
    return ScoreEntropy(process)  # type: ignore[arg-type]


def chain_evaluate_spec(process: Process, model: nn.Module, data: Tensor) -> dict[str, float]:
    assert isinstance(process, ChainProcess)
    return chain_evaluate(process, model, process.space.validate(data))


def _load_rate_matrix(path: str) -> Tensor:
    """The rate matrix in the ``.npy`` file ``path`` (float64, diagonal set so that rows sum to 0);
    :class:`UsageError` naming the file and what is wrong: missing or unreadable, not one real
    array, not square ``S×S`` with ``S >= 2``, non-finite values, negative off-diagonal rates."""
    if not path:
        raise UsageError("process 'chain' needs rate_matrix=PATH.npy (an S×S rate matrix)")
    where = f"rate_matrix '{path}'"
    if not str(path).lower().endswith(".npy"):
        raise UsageError(
            f"{where}: needs a .npy file (numpy.save('R.npy', R) writes one from an S×S array)"
        )
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{where}: is a folder, not a .npy file") from None
    except (OSError, ValueError, EOFError) as exc:
        if "pickle" in str(exc):  # numpy's reading of any file that is not a .npy array
            raise UsageError(
                f"{where}: is not a .npy array of numbers (numpy.save('R.npy', R) writes one)"
            ) from None
        raise UsageError(f"{where}: cannot read it as a .npy array: {one_line(exc)}") from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        array.close()
        raise UsageError(f"{where}: holds several arrays (.npz), not one S×S matrix")
    if array.dtype == np.bool_ or array.dtype.kind not in "iuf":
        raise UsageError(f"{where}: holds {array.dtype} values, not real numbers")
    try:
        return check_rate_matrix(torch.from_numpy(array.astype(np.float64)))
    except ValueError as exc:
        raise UsageError(f"{where}: {one_line(exc)}") from None


#: what to do with data a chain rejects (appended to the support error)
CHAIN_DATA_HINT = "S=0 (the default) takes S = max(data) + 1; for continuous data use vp"


#: ``S=0`` reads ``S`` from the largest value: a note when the data use under this share of it
SPARSE_STATES = 0.25


def _unused_states(process: Process, data: Tensor, params: Mapping[str, Any]) -> tuple[str, ...]:
    """A note where ``S=0`` made many more states than the data use (codes such as years
    2000..2020 give 2021 states): the model must learn that the others never occur."""
    assert isinstance(process, ChainProcess)
    used = int(torch.unique(data.long()).numel())
    given = int(params.get("S", 0)) or "rate_matrix" in params  # S chosen, not read
    if given or process.S <= 16 or used >= SPARSE_STATES * process.S:
        return ()
    return (
        f"S={process.S} states from the largest value ({process.S - 1}), {used} of them in the "
        f"data: the model must learn that the other {process.S - used} never occur; recode the "
        f"values to 0..{used - 1} (or give S)",
    )


def _spec(
    name: str,
    summary: str,
    extra: dict[str, Any],
    build,
    help: dict[str, str],
    choices: dict[str, tuple[str, ...]] | None = None,
    files: dict[str, str] | None = None,
    data_hint: str = "",
) -> ProcessSpec:
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
        help={**CHAIN_HELP, **help},
        data_hint=data_hint or CHAIN_DATA_HINT,
        resolve=_resolve,
        note=_unused_states,
        choices={**CHAIN_CHOICES, **(choices or {})},
        files=files or {},
    )


register_process(
    _spec(
        "uniform",
        "uniform-jump chain on {0..S-1}^d, reference uniform",
        {},
        lambda x, p: UniformChain(*_shape(x, p), _schedule(p), t_min=p["t_min"]),
        {},
    )
)
register_process(
    _spec(
        "absorbing",
        "absorbing (masking) chain on {0..S-1}^d, reference its law at T (all-MASK but e^-B(T))",
        {"loss": "score_entropy"},
        lambda x, p: AbsorbingChain(*_shape(x, p), _schedule(p), t_min=p["t_min"]),
        {"loss": LOSS_HELP},
        {"loss": CHAIN_LOSSES},
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
        {
            "kind": "birth_death (jumps to the neighbouring values a-1, a+1) or gaussian "
            "(jumps a -> b at a rate proportional to exp(-(a-b)^2 / 2 bandwidth^2))",
            "bandwidth": "width of the gaussian kind's jumps in values; 0 takes S/8",
        },
        {"kind": ORDINAL_KINDS},
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
        {
            "rate_matrix": "path of a .npy S x S rate matrix R (off-diagonal rates >= 0), required",
            "S": "unused: S is the size of rate_matrix",
        },
        files={"rate_matrix": "rate_matrix.npy"},  # the run keeps a copy
        data_hint="the rate matrix's size S sets the codes 0..S-1 (S is not a parameter here): "
        "give one of size max(data) + 1",
    )
)
