"""Discretisations of the backward process and the ``simulate`` loop."""

from .base import Sampler, simulate, time_grid
from .chains import ChainEuler, ExactChainSampler, TauLeaping, TweedieStep, sample_denoised
from .euler_maruyama import EulerMaruyama
from .inpaint import Inpaint
from .jumps import JumpTauLeaping, JumpThinning, Splitting
from .jumps_anchor import AnchoredJumpTauLeaping
from .predictor_corrector import PredictorCorrector
from .probability_flow import FlowEuler, FlowHeun

__all__ = [
    "AnchoredJumpTauLeaping",
    "JumpThinning",
    "JumpTauLeaping",
    "Splitting",
    "ChainEuler",
    "ExactChainSampler",
    "Inpaint",
    "TauLeaping",
    "TweedieStep",
    "sample_denoised",
    "EulerMaruyama",
    "FlowEuler",
    "FlowHeun",
    "PredictorCorrector",
    "Sampler",
    "simulate",
    "time_grid",
]
