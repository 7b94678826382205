"""Backbones: networks that map (features, time, context) to outputs. No process mathematics."""

from .dtype import at_model_dtype
from .mlp import MLP, FourierFeatures, TimeEmbedding
from .symmetric_tensors import SymmetricTensorLayout
from .transformer import Transformer

__all__ = [
    "FourierFeatures",
    "MLP",
    "SymmetricTensorLayout",
    "TimeEmbedding",
    "Transformer",
    "at_model_dtype",
]
