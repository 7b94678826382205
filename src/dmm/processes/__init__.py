"""Forward processes declared by their generator blocks."""

from .base import DiffusionBlock, ForwardProcess, MissingCapability
from .gaussian import OU, VE, VP, GaussianDiffusion, SubVP
from .references import Normal, Reference
from .schedules import ConstantSchedule, CosineSchedule, LinearSchedule, Schedule
from .sde import SDE

__all__ = [
    "OU", "SDE", "VE", "VP", "ConstantSchedule", "CosineSchedule", "DiffusionBlock",
    "ForwardProcess", "GaussianDiffusion", "LinearSchedule", "MissingCapability", "Normal",
    "Reference", "Schedule", "SubVP",
]
