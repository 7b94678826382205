"""Backbones: networks that map (features, time, context) to outputs. No process mathematics."""

from .mlp import MLP, TimeEmbedding
from .symmetric_tensors import SymmetricTensorLayout
from .transformer import Transformer

__all__ = ["Transformer", "MLP", "SymmetricTensorLayout", "TimeEmbedding"]
