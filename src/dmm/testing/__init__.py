"""Exact oracles and a public check-suite for forward processes."""

from .checks import (
    CheckResult,
    ConditionalScoreOracle,
    check_dynkin,
    check_kills_constants,
    check_process,
    check_reversal,
    check_stein,
)
from .oracles import ExactScore, GaussianMixture, standard_mixture

__all__ = [
    "CheckResult",
    "ConditionalScoreOracle",
    "ExactScore",
    "GaussianMixture",
    "check_dynkin",
    "check_kills_constants",
    "check_process",
    "check_reversal",
    "check_stein",
    "standard_mixture",
]
