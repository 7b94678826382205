"""dmm — denoising Markov models in PyTorch.

Pick a forward Markov process (its generator blocks), learn its time reversal with a generalised
score-matching loss, sample by simulating the learned backward process:

>>> import torch, dmm
>>> from dmm.recipe import recipe
>>> data = 0.5 * torch.randn(500, 2, generator=torch.Generator().manual_seed(0)) + 1.0
>>> r = recipe(dmm.VP(2), hidden=32, depth=2)          # model, loss and sampler from the blocks
>>> fit = dmm.train(r.model, r.loss, data, dmm.TrainConfig(steps=50, batch_size=128))
>>> samples = dmm.simulate(dmm.Reversal(r.process, fit.ema), r.sampler, 100, steps=50)
>>> samples.shape, samples.dtype
(torch.Size([100, 2]), torch.float32)
>>> 0.5 <= dmm.metrics.c2st_auc(samples, data[:100]) <= 1.0  # 0.5: indistinguishable
True
"""

import importlib

from . import losses, networks, processes, recipe, samplers, scores, spaces, testing
from .losses import DenoisingScoreMatching, ImplicitScoreMatching
from .processes import OU, SDE, VE, VP, Diffusion, Jumps, Process, SubVP, product
from .reversal import Reversal
from .samplers import EulerMaruyama, FlowEuler, FlowHeun, PredictorCorrector, simulate
from .training import TrainConfig, load_checkpoint, train

__version__ = "0.1.0"

#: submodules imported on first use (``dmm.tabular`` needs pandas, ``dmm.metrics`` SciPy)
_LAZY = ("data", "metrics", "tabular", "training")


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'dmm' has no attribute {name!r}")


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
    "TrainConfig",
    "__version__",
    "data",
    "load_checkpoint",
    "losses",
    "metrics",
    "networks",
    "processes",
    "recipe",
    "product",
    "samplers",
    "scores",
    "simulate",
    "spaces",
    "tabular",
    "testing",
    "train",
    "training",
]
