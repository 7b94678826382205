"""Training losses: each a (named reweighting of the) path-space KL up to a constant."""

from .base import Loss, SumLoss
from .dsm import DenoisingScoreMatching, eps_weighting, kl_weighting
from .ism import ImplicitScoreMatching

__all__ = [
    "DenoisingScoreMatching", "ImplicitScoreMatching", "Loss", "SumLoss", "eps_weighting",
    "kl_weighting",
]
