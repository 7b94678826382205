"""Forward processes declared by their generator blocks."""

from .base import DiffusionBlock, ForwardProcess, MissingCapability
from .chains import (
    AbsorbingChain,
    Categorical,
    ChainBlock,
    ChainProcess,
    OrdinalChain,
    UniformChain,
)
from .gaussian import OU, VE, VP, GaussianDiffusion, SubVP
from .jump_laws import (
    GaussianJumps,
    JumpLaw,
    StableMixtureJumps,
    StudentTJumps,
    TruncatedStableJumps,
)
from .jumps import JumpBlock
from .levy_ou import LevyOU, LevyOUStationary
from .positive import GBM, GeometricOU, LogGaussianDiffusion, LogNormal
from .rate_matrices import LogLinearSchedule
from .references import Normal, Reference
from .schedules import (
    ConstantSchedule,
    CosineSchedule,
    GeometricSchedule,
    LinearSchedule,
    Schedule,
)
from .sde import SDE
from .torus_jump import TorusJump, TorusUniform

__all__ = [
    "GaussianJumps",
    "JumpBlock",
    "JumpLaw",
    "LevyOU",
    "LevyOUStationary",
    "StableMixtureJumps",
    "StudentTJumps",
    "TorusJump",
    "TorusUniform",
    "TruncatedStableJumps",
    "AbsorbingChain",
    "Categorical",
    "ChainBlock",
    "ChainProcess",
    "LogLinearSchedule",
    "OrdinalChain",
    "UniformChain",
    "OU",
    "SDE",
    "VE",
    "VP",
    "ConstantSchedule",
    "GeometricSchedule",
    "CosineSchedule",
    "DiffusionBlock",
    "ForwardProcess",
    "GaussianDiffusion",
    "LinearSchedule",
    "MissingCapability",
    "Normal",
    "Reference",
    "Schedule",
    "SubVP",
    "GBM",
    "GeometricOU",
    "LogGaussianDiffusion",
    "LogNormal",
]
