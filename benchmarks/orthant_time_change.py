"""Why gbm / geometric-ou use a time change: the sampler error with the *exact* score.

For data = n points (an empirical law), ``p_t`` is a mixture of log-normal kernels, so the score is
exact: ``∇log p_t(y) = Σ_k π_k(y) ∇log p_{t|0}(y | x_k)``. Backward Euler–Maruyama (log coordinates)
from exact ``p_T`` samples is then wrong only by the time discretisation. We compare, at equal
steps, constant ``β`` (the plain MATH.md rows) with the default time changes. Energy distance
(V-statistic) of the samples against the points; floor = a bootstrap resample of the points.

    python benchmarks/orthant_time_change.py      # about a minute on one core
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from dmm.data import orthant_gmm_2d
from dmm.metrics import energy_distance
from dmm.processes import GBM, GeometricOU
from dmm.processes.base import expand_time
from dmm.processes.manifold_brownian import GeometricSchedule
from dmm.processes.schedules import LinearSchedule
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, simulate


class EmpiricalScore(nn.Module):
    """Exact score of ``p_t`` when the data law is uniform on ``points`` (log-Gaussian kernels)."""

    def __init__(self, process, points: torch.Tensor) -> None:
        super().__init__()
        self.process, self.z0 = process, torch.log(points)

    def score(self, y, t, context=None):
        alpha, c, v = self.process.log_kernel(t)
        r = torch.log(y)[:, None] - alpha[:, None] * self.z0[None] - c[:, None]
        w = torch.softmax(-(r**2 / (2 * v[:, None])).sum(-1), dim=1)
        return -(1 + (w[..., None] * r).sum(1) / v) / y


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # --help: the docstring; no options
    torch.set_num_threads(1)
    pts = orthant_gmm_2d(1000, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    boot = pts[torch.randint(0, len(pts), (len(pts),), generator=g)]
    print(f"floor (bootstrap resample vs points): {energy_distance(boot, pts, unbiased=False):.4f}")
    processes = {
        "gbm, constant beta, sigma = 3 log-stds, t_min 1e-4": GBM.from_data(
            pts, sigma=3.0, t_min=1e-4
        ),
        "gbm, geometric time change 0.01 -> 5 (default)": GBM.from_data(
            pts, sigma=1.0, schedule=GeometricSchedule(0.01, 5.0)
        ),
        "geometric-ou, constant beta, theta 1, T 5": GeometricOU.from_data(pts, theta=1.0),
        "geometric-ou, linear beta 0.1 -> 20, theta 1/2 (default)": GeometricOU.from_data(
            pts, theta=0.5, schedule=LinearSchedule(0.1, 20.0), T=1.0
        ),
    }
    print("| process | EM steps | energy vs points |\n|---|---|---|")
    for name, p in processes.items():
        start = p.sample_transition(pts, expand_time(p.T, len(pts), pts), g)
        for steps in (100, 200):
            y = simulate(
                Reversal(p, EmpiricalScore(p, pts)),
                EulerMaruyama(),
                len(pts),
                steps,
                g,
                y_init=start,
            )
            print(
                f"| {name} | {steps} | {energy_distance(y, pts, unbiased=False):.4f} |", flush=True
            )


if __name__ == "__main__":
    main()
