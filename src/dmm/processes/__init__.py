"""Forward processes as values: a space, a tuple of generator blocks, a reference law."""

from .base import (
    IDENTITY,
    Block,
    CoordinateGaussian,
    Coordinates,
    MissingCapability,
    Process,
    SimulationError,
)
from .chains import (
    AbsorbingChain,
    AbsorbingRates,
    Categorical,
    Chain,
    ChainProcess,
    OrdinalChain,
    UniformChain,
    UniformRates,
)
from .diffusion import Diffusion
from .gaussian import OU, VE, VP, GaussianDiffusion, SubVP
from .jump_laws import (
    GaussianJumps,
    GaussianMixtureJumps,
    GeometricJumpScale,
    JumpLaw,
    StableMixtureJumps,
    StudentTJumps,
    TruncatedStableJumps,
)
from .jumps import Jumps
from .levy_marginal import LevyOUMarginal
from .levy_ou import LevyOU, LevyOUStationary
from .positive import GBM, GeometricOU, LogGaussianDiffusion, LogNormal
from .product import ProductProcess, product
from .rate_matrices import LogLinearSchedule
from .references import Normal, Reference, SimulatedReference
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
    "GeometricJumpScale",
    "ProductProcess",
    "product",
    "GaussianJumps",
    "GaussianMixtureJumps",
    "Jumps",
    "JumpLaw",
    "LevyOU",
    "LevyOUMarginal",
    "LevyOUStationary",
    "StableMixtureJumps",
    "StudentTJumps",
    "TorusJump",
    "TorusUniform",
    "TruncatedStableJumps",
    "AbsorbingChain",
    "Categorical",
    "Chain",
    "AbsorbingRates",
    "UniformRates",
    "Block",
    "CoordinateGaussian",
    "Coordinates",
    "IDENTITY",
    "SimulationError",
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
    "Diffusion",
    "Process",
    "GaussianDiffusion",
    "LinearSchedule",
    "MissingCapability",
    "Normal",
    "Reference",
    "SimulatedReference",
    "Schedule",
    "SubVP",
    "GBM",
    "GeometricOU",
    "LogGaussianDiffusion",
    "LogNormal",
]
