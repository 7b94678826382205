"""Registry entries for the jump family: ``torus-jump`` and ``levy-ou`` (strings stop here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ..losses import ImplicitScoreMatching, Loss, SumLoss
from ..losses.score_entropy_jumps import DenoisingJumpScoreEntropy, ImplicitScoreEntropy
from ..networks import MLP
from ..registry import ProcessSpec, register_process
from ..samplers import EulerMaruyama
from ..samplers.jumps import JumpTauLeaping, Splitting
from ..scores import ScoreParam
from ..scores.jump_ratios import DirectRatio, JumpDiffusionModel, NoDiffusionScore, PotentialRatio
from ..spaces import Torus
from .base import ForwardProcess
from .levy_ou import LevyOU
from .schedules import LinearSchedule
from .torus_jump import TorusJump

_MODEL = {
    "hidden": 256,
    "depth": 3,
    "parameterisation": "direct",
    "proposals": 8,
    "sampler_proposals": 16,
}


def _dim(data: Tensor) -> int:
    return int(torch.tensor(data.shape[1:]).prod())


def ratio_model(
    process: ForwardProcess, params: Mapping[str, Any], context_dim: int = 0, squash: bool = False
) -> nn.Module:
    """``direct`` (network of ``(y, x - y, t)``) or ``potential`` (``exp(U(x) - U(y))``)."""
    kind, f = params["parameterisation"], process.space.feature_dim
    if kind not in ("direct", "potential"):
        raise ValueError(f"unknown ratio parameterisation '{kind}' (known: direct, potential)")
    net = MLP(
        2 * f if kind == "direct" else f,
        1,
        int(params["hidden"]),
        int(params["depth"]),
        context_dim,
    )
    return (DirectRatio if kind == "direct" else PotentialRatio)(net, process, squash=squash)


def _torus_build(data: Tensor, p: Mapping[str, Any]) -> TorusJump:
    rate = LinearSchedule(p["rate_min"], p["rate_max"])
    proc = TorusJump(_dim(data), p["sigma_jump"], rate, p["T"], p["t_min"])
    proc.space = Torus(proc.d, wrap_data=bool(p["wrap"]))
    return proc


def _torus_evaluate(process: TorusJump, model: nn.Module, data: Tensor) -> dict[str, float]:
    rep = process.terminal_report()
    return {
        "terminal_bound_continuous": rep["continuous_part"],
        "terminal_atom_mass": rep["atom_mass"],
    }


def _torus_loss(process: TorusJump, p: Mapping[str, Any]) -> Loss:
    """``denoising`` (MATH.md §5d, latent ``Γ = (x_0, N)``; lower variance) or ``implicit``."""
    losses = {"denoising": DenoisingJumpScoreEntropy, "implicit": ImplicitScoreEntropy}
    if p["loss"] not in losses:
        raise ValueError(f"unknown loss '{p['loss']}' (known: {', '.join(losses)})")
    return losses[p["loss"]](process, int(p["proposals"]))


register_process(
    ProcessSpec(
        "torus-jump",
        "pure wrapped-Gaussian jumps on the torus [-pi, pi)^d, reference uniform",
        {
            **_MODEL,
            "sigma_jump": 0.6,
            "rate_min": 1.0,
            "rate_max": 59.0,
            "T": 1.0,
            "t_min": 1e-3,
            "wrap": False,
            "loss": "denoising",
        },
        _torus_build,
        lambda proc, p, c: ratio_model(proc, p, c),
        _torus_loss,
        {"tau-leaping": lambda p: JumpTauLeaping(int(p["sampler_proposals"]))},
        "tau-leaping",
        sample_steps=200,
        evaluate=_torus_evaluate,
    )
)


def _levy_build(data: Tensor, p: Mapping[str, Any]) -> LevyOU:
    common = {"theta": p["theta"], "T": p["T"], "t_min": p["t_min"]}
    if p["jumps"] == "student-t":
        return LevyOU.student_t(_dim(data), p["nu"], p["jump_scale"], p["rate"], **common)
    if p["jumps"] == "stable":
        return LevyOU.truncated_stable(
            _dim(data), p["alpha"], p["epsilon"], p["intensity"], **common
        )
    raise ValueError(f"unknown jump law '{p['jumps']}' (known: student-t, stable)")


def _levy_model(process: LevyOU, p: Mapping[str, Any], context_dim: int) -> nn.Module:
    ratio = ratio_model(process, p, context_dim, squash=True)
    if isinstance(ratio, PotentialRatio) or process.sigma == 0:
        score = ratio if isinstance(ratio, PotentialRatio) else NoDiffusionScore(process)
        return JumpDiffusionModel(score, ratio)
    net = MLP(
        process.space.feature_dim, process.space.dim, int(p["hidden"]), int(p["depth"]), context_dim
    )
    return JumpDiffusionModel(ScoreParam(net, process), ratio)


def _levy_loss(process: LevyOU, p: Mapping[str, Any]) -> Loss:
    jumps = ImplicitScoreEntropy(process, int(p["proposals"]))
    if process.sigma == 0:
        return jumps
    return SumLoss(ImplicitScoreMatching(process, "hutchinson"), jumps)


register_process(
    ProcessSpec(
        "levy-ou",
        "Levy-driven OU dX = -theta X dt + dJ on R^d (Student-t or truncated alpha-stable "
        "jumps), reference = its stationary law",
        {
            **_MODEL,
            "jumps": "student-t",
            "nu": 1.5,
            "jump_scale": 1.0,
            "rate": 2.0,
            "alpha": 1.5,
            "epsilon": 0.5,
            "intensity": 1.0,
            "theta": 1.0,
            "T": 5.0,
            "t_min": 1e-3,
        },
        _levy_build,
        _levy_model,
        _levy_loss,
        {
            "split-tau": lambda p: Splitting(
                EulerMaruyama(), JumpTauLeaping(int(p["sampler_proposals"]))
            )
        },
        "split-tau",
        sample_steps=200,
    )
)
