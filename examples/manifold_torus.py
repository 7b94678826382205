"""Train a Brownian DMM on the 2-torus (mixture of von Mises laws) and compare samples with the data
by energy distance on the periodic features (cos x, sin x), against the noise floor of the metric.

    python examples/manifold_torus.py --steps 3000
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from dmm.cli.config import positive_whole
from dmm.data.so3 import torus_vonmises
from dmm.losses import DenoisingScoreMatching
from dmm.metrics import energy_distance
from dmm.networks import MLP
from dmm.processes.manifold_brownian import GeometricSchedule, TorusBrownian
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, PredictorCorrector, simulate
from dmm.scores import PotentialParam, ScoreParam
from dmm.training import TrainConfig, train


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=positive_whole("--steps"), default=3000)
    ap.add_argument("--hidden", type=positive_whole("--hidden"), default=128)
    ap.add_argument("--n", type=positive_whole("--n"), default=2000)
    ap.add_argument("--sample-steps", type=positive_whole("--sample-steps"), default=200)
    ap.add_argument("--potential", action="store_true", help="PotentialParam instead of ScoreParam")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    process = TorusBrownian(2, GeometricSchedule(0.02, 3.0))
    param = PotentialParam if args.potential else ScoreParam
    model = param(MLP(4, 1 if args.potential else 2, args.hidden, 3), process)
    data = torus_vonmises(20000, torch.Generator().manual_seed(args.seed))
    result = train(
        model,
        DenoisingScoreMatching(process),
        data,
        TrainConfig(
            steps=args.steps,
            batch_size=256,
            lr=2e-3,
            seed=args.seed,
            log_every=500,
            val_every=args.steps,
            checkpoint_every=10**9,
        ),
    )

    def feats(x):
        return process.space.features(x)

    ref = torus_vonmises(2 * args.n, torch.Generator().manual_seed(99))
    floor = energy_distance(feats(ref[: args.n]), feats(ref[args.n :]), unbiased=False)
    out = {
        "task": "torus-vonmises",
        "param": param.__name__,
        "steps": args.steps,
        "energy_floor": floor,
        "terminal_kl": float(process.terminal_kl(ref[:1])[0]),
    }
    for name, sampler in [("em", EulerMaruyama()), ("pc", PredictorCorrector())]:
        x = simulate(
            Reversal(process, result.ema),
            sampler,
            args.n,
            args.sample_steps,
            torch.Generator().manual_seed(7),
        )
        ed = energy_distance(feats(x), feats(ref[: args.n]), unbiased=False)
        out[f"{name}_energy_ratio"] = ed / floor
    out["seconds"] = round(time.time() - start, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
