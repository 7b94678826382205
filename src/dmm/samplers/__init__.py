"""Discretisations of the backward process and the ``simulate`` loop."""

from .base import Sampler, simulate, time_grid
from .euler_maruyama import EulerMaruyama
from .predictor_corrector import PredictorCorrector
from .probability_flow import FlowEuler, FlowHeun

__all__ = [
    "EulerMaruyama", "FlowEuler", "FlowHeun", "PredictorCorrector", "Sampler", "simulate",
    "time_grid",
]
