"""dmm — denoising Markov models in PyTorch.

Pick a forward Markov process (its generator blocks), learn its time reversal with a generalised
score-matching loss, sample by simulating the learned backward process.
"""

from . import losses, networks, processes, recipe, samplers, scores, spaces, testing
from .losses import DenoisingScoreMatching, ImplicitScoreMatching
from .processes import OU, SDE, VE, VP, Diffusion, Jumps, Process, SubVP, product
from .reversal import Reversal
from .samplers import EulerMaruyama, FlowEuler, FlowHeun, PredictorCorrector, simulate

__version__ = "0.1.0"

__all__ = [
    "OU",
    "SDE",
    "VE",
    "VP",
    "DenoisingScoreMatching",
    "Diffusion",
    "Jumps",
    "EulerMaruyama",
    "FlowEuler",
    "FlowHeun",
    "Process",
    "ImplicitScoreMatching",
    "PredictorCorrector",
    "Reversal",
    "SubVP",
    "__version__",
    "losses",
    "networks",
    "processes",
    "recipe",
    "product",
    "samplers",
    "scores",
    "simulate",
    "spaces",
    "testing",
]
