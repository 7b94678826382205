"""Exact oracles and a public check-suite for forward processes."""

from .checks import (
    ConditionalScoreOracle,
    check_dynkin,
    check_kills_constants,
    check_process,
    check_reversal,
    check_stein,
)
from .cir import Gamma, cir
from .forward_checks import check_reaches_reference, check_simulation_finite
from .oracles import ExactScore, GaussianMixture, standard_mixture
from .orders import measured_order
from .result import CheckResult

__all__ = [
    "CheckResult",
    "ConditionalScoreOracle",
    "ExactScore",
    "Gamma",
    "GaussianMixture",
    "check_dynkin",
    "check_kills_constants",
    "check_process",
    "check_reaches_reference",
    "check_reversal",
    "check_simulation_finite",
    "check_stein",
    "cir",
    "measured_order",
    "standard_mixture",
]
