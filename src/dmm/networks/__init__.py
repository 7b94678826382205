"""Backbones: networks that map (features, time, context) to outputs. No process mathematics."""

from .mlp import MLP, TimeEmbedding

__all__ = ["MLP", "TimeEmbedding"]
