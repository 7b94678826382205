"""Forward processes as values: a space, a tuple of generator blocks, a reference law."""

from .base import (
    IDENTITY,
    Block,
    CoefficientError,
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
from .manifold_brownian import Haar, SO3Brownian, TorusBrownian
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
    "AbsorbingChain",
    "AbsorbingRates",
    "Block",
    "Categorical",
    "Chain",
    "ChainProcess",
    "ConstantSchedule",
    "CoordinateGaussian",
    "Coordinates",
    "CosineSchedule",
    "Diffusion",
    "GBM",
    "GaussianDiffusion",
    "GaussianJumps",
    "GaussianMixtureJumps",
    "GeometricJumpScale",
    "GeometricOU",
    "GeometricSchedule",
    "Haar",
    "IDENTITY",
    "JumpLaw",
    "Jumps",
    "LevyOU",
    "LevyOUMarginal",
    "LevyOUStationary",
    "LinearSchedule",
    "LogGaussianDiffusion",
    "LogLinearSchedule",
    "LogNormal",
    "CoefficientError",
    "MissingCapability",
    "Normal",
    "OU",
    "OrdinalChain",
    "Process",
    "ProductProcess",
    "Reference",
    "SDE",
    "SO3Brownian",
    "Schedule",
    "SimulatedReference",
    "SimulationError",
    "StableMixtureJumps",
    "StudentTJumps",
    "SubVP",
    "TorusBrownian",
    "TorusJump",
    "TorusUniform",
    "TruncatedStableJumps",
    "UniformChain",
    "UniformRates",
    "VE",
    "VP",
    "product",
]
