"""The scale of ``levy-ou``'s terminal law against the data's, for stable jumps.

    python benchmarks/levy_scales.py

For each stable heavy-tail set (seed 0's 20 000 training rows, as ``examples/jumps_heavy_tails.py``
draws them), the index read from the data (``alpha=0``, the default) and the true one (1.5, as
``benchmarks/levy_diagnose.py times`` trains), and for the intensity ``1`` (the default before 2026-12-05) and the matched one
(``intensity=0``, :func:`dmm.cli.catalog.jumps.matched_intensity`): the jump rate, the variance
per unit time of the Brownian part that replaces the small jumps, and the median radius of the
terminal law (``X_T`` from ``x_0 = 0``, ``2^16`` draws, seed 5) beside the data's. The area of the
unit sphere ``|S^{d-1}|`` says how thinly ``intensity = c |S^{d-1}|`` spreads the Lévy measure
``c |w|^{-d-α}``. One thread, a few seconds.
"""

from __future__ import annotations

import argparse
import math

import torch

from dmm.cli.catalog import build
from dmm.data import load_data

SETS = ("stable-1.5-2d", "stable-1.5-8d")


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # --help: the docstring; no options
    torch.set_num_threads(1)
    print("| data | index | intensity | rate | Brownian variance | median radius: terminal / data "
          "| sphere area |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name in SETS:
        data = load_data(name, 20000, torch.Generator().manual_seed(0))
        median = float(data.double().norm(dim=1).median())
        for alpha, intensity in ((0.0, 1.0), (0.0, 0.0), (1.5, 1.0), (1.5, 0.0)):
            params = {"jumps": "stable", "alpha": alpha, "intensity": intensity}
            process = build("levy-ou", data, params).process
            x0 = torch.zeros(2**16, process.dim, dtype=torch.float64)
            T = torch.tensor(process.T, dtype=torch.float64)
            xt = process.sample_marginal(x0, T, torch.Generator().manual_seed(5))
            d = process.dim
            sphere = 2 * math.pi ** (d / 2) / math.gamma(d / 2)
            label = f"{process.jump_law.intensity:.2f}" + (" (matched)" if intensity == 0 else "")
            print(
                f"| {name} | {process.jump_law.alpha:.2f} | {label} | {process.rate:.2f} | {process.sigma**2:.2f} "
                f"| {float(xt.norm(dim=1).median()):.2f} / {median:.2f} | {sphere:.1f} |"
            )


if __name__ == "__main__":
    main()
