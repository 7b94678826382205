"""Examples run end to end (tiny budgets)."""

import importlib.util
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_custom_sde_example_runs_end_to_end():
    # a user process with only drift and diffusion: check-suite, ISM training, sampling
    metrics = _load("custom_sde").main(["--quick"])
    assert math.isfinite(metrics["energy"]) and metrics["energy_floor"] > 0
