"""Discretisations of the backward process and the ``simulate`` loop."""

from .base import Sampler, denoise_nfe, simulate, time_grid
from .chains import ChainEuler, ExactChainSampler, TauLeaping, TweedieStep, sample_denoised
from .dpm_solver import DPMSolver1
from .dpm_solver_2m import DPMSolver2M
from .euler_maruyama import EulerMaruyama
from .fitted import fit_evaluations, fitted_grid
from .grids import edm_grid, log_snr, logsnr_grid, straight_grid
from .inpaint import Inpaint
from .jumps import JumpTauLeaping, JumpThinning, Splitting
from .jumps_anchor import AnchoredJumpTauLeaping
from .predictor_corrector import PredictorCorrector
from .probability_flow import FlowEuler, FlowHeun
from .product import ProductSampler
from .straight import StraightEuler, StraightHeun, StraightMidpoint
from .unipc import UniPC

__all__ = [
    "AnchoredJumpTauLeaping",
    "ChainEuler",
    "DPMSolver1",
    "DPMSolver2M",
    "EulerMaruyama",
    "ExactChainSampler",
    "FlowEuler",
    "FlowHeun",
    "Inpaint",
    "JumpTauLeaping",
    "JumpThinning",
    "PredictorCorrector",
    "ProductSampler",
    "Sampler",
    "Splitting",
    "StraightEuler",
    "StraightHeun",
    "StraightMidpoint",
    "TauLeaping",
    "TweedieStep",
    "UniPC",
    "denoise_nfe",
    "edm_grid",
    "fit_evaluations",
    "fitted_grid",
    "log_snr",
    "logsnr_grid",
    "sample_denoised",
    "simulate",
    "straight_grid",
    "time_grid",
]
