"""Training losses: each a (named reweighting of the) path-space KL up to a constant."""

from .base import Loss, Noised, SumLoss
from .dsm import (
    DenoisingScoreMatching,
    batch_posterior_target,
    conditional_target,
    eps_weighting,
    kl_weighting,
    straight_weighting,
    time_scaled_weighting,
    velocity_weighting,
)
from .dsm_latent import LatentScoreMatching
from .ism import ImplicitScoreMatching
from .observed import ObservedSubsets, observed_context
from .product import ProductLoss
from .score_entropy import ImplicitScoreEntropyChain, MaskedELBO, ScoreEntropy
from .score_entropy_jumps import DenoisingJumpScoreEntropy, ImplicitScoreEntropy
from .times import LogUniformMixture, StraightPathTimes, TimeLaw, UniformTimes

__all__ = [
    "DenoisingJumpScoreEntropy",
    "DenoisingScoreMatching",
    "ImplicitScoreEntropy",
    "ImplicitScoreEntropyChain",
    "ImplicitScoreMatching",
    "LatentScoreMatching",
    "LogUniformMixture",
    "Loss",
    "MaskedELBO",
    "Noised",
    "ObservedSubsets",
    "ProductLoss",
    "ScoreEntropy",
    "StraightPathTimes",
    "SumLoss",
    "TimeLaw",
    "UniformTimes",
    "batch_posterior_target",
    "conditional_target",
    "eps_weighting",
    "kl_weighting",
    "observed_context",
    "straight_weighting",
    "velocity_weighting",
    "time_scaled_weighting",
]
