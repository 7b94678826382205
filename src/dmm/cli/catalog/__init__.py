"""The command line's catalogue: names → recipes for every process family, parameter defaults and
coercion, one schedule parser, and :func:`build`, which turns a configuration into a process, its
validated data, a model, a loss and samplers.

This package sits above the library: it imports :mod:`dmm`, and nothing in the library imports it.
A new process family is one file that calls :func:`register_process`, plus its name in the import
line below.
"""

from .builder import Built, build, check_new_run, get_process
from .schedules import SCHEDULES, ScheduleChoice, parse_schedule
from .spec import PROCESSES, Entry, Parts, ProcessSpec, coerce, register_process
from .user import UserProcess, load_user_process

# each family registers its processes on import (explicit list)
from . import gaussian, chains, jumps, manifolds, positive  # noqa: E402, F401, I001  isort: skip

__all__ = [
    "PROCESSES",
    "SCHEDULES",
    "Built",
    "Entry",
    "Parts",
    "ProcessSpec",
    "ScheduleChoice",
    "UserProcess",
    "build",
    "check_new_run",
    "coerce",
    "get_process",
    "load_user_process",
    "parse_schedule",
    "register_process",
]
