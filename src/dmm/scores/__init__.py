"""Parameterisations of the model's score coordinates and conversions between them."""

from .conversions import eps_to_score, score_to_eps, score_to_x0, x0_to_score
from .models import EpsParam, PotentialParam, ScoreModel, ScoreParam, X0Param

__all__ = [
    "EpsParam", "PotentialParam", "ScoreModel", "ScoreParam", "X0Param", "eps_to_score",
    "score_to_eps", "score_to_x0", "x0_to_score",
]
