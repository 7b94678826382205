"""Demo panels, in gallery order. Each process family adds its panel here."""

from .base import DemoPanel, PanelResult
from .digits import PANEL as DIGITS_PANEL
from .orthant import PANEL as ORTHANT_PANEL
from .so3 import PANEL as SO3_PANEL
from .tabular import PANEL as TABULAR_PANEL
from .torus_jump import PANEL as TORUS_JUMP_PANEL
from .vp import PANEL as VP_PANEL

PANELS: list[DemoPanel] = [
    VP_PANEL,
    SO3_PANEL,
    ORTHANT_PANEL,
    DIGITS_PANEL,
    TORUS_JUMP_PANEL,
    TABULAR_PANEL,
]

__all__ = ["PANELS", "DemoPanel", "PanelResult"]
