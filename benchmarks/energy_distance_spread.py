"""How much does one energy-distance draw vary for the *same* trained model?

Trains the default VP spec on the 3-component test mixture (1500 steps × 256), then draws 6 sample
sets of n = 4000 (Euler–Maruyama, 500 steps) and prints each one's energy distance to a fresh data
sample, as a multiple of the averaged data-vs-data floor; also the largest move of the final Tweedie
denoising step. Quoted in docs/euclidean.md.

    OMP_NUM_THREADS=1 python benchmarks/energy_distance_spread.py
"""

from __future__ import annotations

import argparse

import torch

from dmm.cli.catalog import build
from dmm.metrics import energy_distance
from dmm.processes.base import expand_time
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate
from dmm.testing import standard_mixture
from dmm.training import TrainConfig, train


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # --help: the docstring; no options
    g = torch.Generator().manual_seed(0)
    mix = standard_mixture()
    data = mix.sample(20000, g)
    torch.manual_seed(0)
    built = build("vp", data)
    process = built.process
    result = train(built.model, built.loss, built.data, TrainConfig(steps=1500, batch_size=256))
    rev = Reversal(process, result.ema)
    n = 4000
    test = mix.sample(n, g)
    floor = sum(energy_distance(mix.sample(n, g), test, unbiased=False) for _ in range(4)) / 4
    ratios = []
    for seed in range(6):
        y = simulate(rev, EulerMaruyama(), n, 500, torch.Generator().manual_seed(seed))
        ratios.append(energy_distance(built.decode(y), mix.sample(n, g), unbiased=False) / floor)
    moved = (process.denoise(rev, y, expand_time(process.t_min, n, y)) - y).abs().max().item()
    print(
        f"floor {floor:.5f}; energy / floor over 6 draws: " + ", ".join(f"{r:.2f}" for r in ratios)
    )
    print(f"largest move of the final denoising step: {moved:.4f}")


if __name__ == "__main__":
    main()
