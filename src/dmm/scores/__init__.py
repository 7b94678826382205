"""Parameterisations of the model's score coordinates and conversions between them.

Diffusion part: ``score(y, t) = ∇ log φ_θ`` (``ScoreParam``, ``ScaledScoreParam``, ``EpsParam``,
``X0Param``, ``PotentialParam``, ``LogScoreParam``). Chains: ``ratios(y, t)`` (``DirectRatios``,
``MeanRatios``).
Continuous jumps: ``ratio(y, x, t)`` (``DirectRatio``, ``PotentialRatio``, ``JumpDiffusionModel``).
"""

from .body_frame import BodyFrameScore
from .conversions import eps_to_score, score_to_eps, score_to_x0, x0_to_score
from .jump_ratios import (
    DirectRatio,
    JumpDiffusionModel,
    NoDiffusionScore,
    PotentialRatio,
    TailPotentialRatio,
    TrunkRatio,
)
from .log_coordinates import LogEpsParam, LogScoreParam
from .models import (
    EpsParam,
    PotentialParam,
    ScaledScoreParam,
    ScoreModel,
    ScoreParam,
    VelocityParam,
    X0Param,
)
from .product import FactorView, ProductModel
from .ratios import DirectRatios, MeanRatios

__all__ = [
    "BodyFrameScore",
    "DirectRatio",
    "DirectRatios",
    "EpsParam",
    "FactorView",
    "JumpDiffusionModel",
    "LogEpsParam",
    "LogScoreParam",
    "MeanRatios",
    "NoDiffusionScore",
    "PotentialParam",
    "PotentialRatio",
    "ProductModel",
    "ScaledScoreParam",
    "ScoreModel",
    "ScoreParam",
    "TailPotentialRatio",
    "TrunkRatio",
    "VelocityParam",
    "X0Param",
    "eps_to_score",
    "score_to_eps",
    "score_to_x0",
    "x0_to_score",
]
