"""Backbones: networks that map (features, time, context) to outputs. No process mathematics."""

from .mlp import MLP, TimeEmbedding
from .transformer import Transformer

__all__ = ["Transformer", "MLP", "TimeEmbedding"]
