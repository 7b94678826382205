"""Cost of a chain training step with each backbone the catalogue offers (``network=mlp`` and
``network=transformer`` at their default sizes), for the built-in chain data sets and, with
``--probes``, for wider synthetic data around the point where the two costs meet.

    OMP_NUM_THREADS=1 python benchmarks/chains_network_cost.py --probes

A training step = the catalogue's ``absorbing`` recipe (mean parameterisation, score entropy) on a
batch of 256 rows + backward + Adam, built by :func:`dmm.cli.catalog.build` exactly as ``dmm train``
builds it. Reports the median CPU time of this process per step (single thread; less sensitive
than wall time to other jobs on a shared machine) over ``--steps`` steps after two warm-up steps,
the ratio transformer / MLP measured in the same run, and the backbone ``network=auto`` picks.
Quality is not measured here.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dmm.cli.catalog import build
from dmm.data import BUILTIN_DATASETS

BATCH = 256
#: synthetic (d, S) around the measured crossover (uniform random states)
PROBES = ((256, 17), (64, 256), (16, 1024))


def step_seconds(data: torch.Tensor, network: str, steps: int) -> float:
    """Median CPU seconds of one training step of ``absorbing`` with backbone ``network``."""
    built = build("absorbing", data, {"network": network}, seed=0)
    model, loss = built.model, built.loss
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    g = torch.Generator().manual_seed(1)
    times = []
    for i in range(steps + 2):
        batch = built.data[torch.randint(len(built.data), (BATCH,), generator=g)]
        t0 = time.process_time()
        opt.zero_grad()
        loss(model, batch, g).backward()
        opt.step()
        if i >= 2:  # two warm-up steps
            times.append(time.process_time() - t0)
    return statistics.median(times)


def auto_choice(data: torch.Tensor) -> str:
    return type(build("absorbing", data, seed=0).model.net).__name__


def cases(probes: bool) -> list[tuple[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = [(name, BUILTIN_DATASETS[name](1024, g)) for name in ("tiny-chain", "digits")]
    if probes:
        for d, S in PROBES:
            data = torch.randint(S, (1024, d), generator=g)
            data[0] = S - 1  # S = max(data) + 1 exactly
            out.append((f"uniform d={d} S={S}", data))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20, help="timed steps per network (default 20)")
    ap.add_argument("--probes", action="store_true", help="add the synthetic (d, S) probes")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, batch {BATCH}, {args.steps} steps, median CPU s")
    print(
        f"{'data':<22} {'d':>4} {'states':>6} {'d*states':>8} {'mlp s/step':>10} "
        f"{'tf s/step':>10} {'tf/mlp':>7}  auto"
    )
    for name, data in cases(args.probes):
        built = build("absorbing", data, seed=0)
        d, n = built.process.d, built.process.n_states
        mlp = step_seconds(data, "mlp", args.steps)
        tf = step_seconds(data, "transformer", args.steps)
        print(
            f"{name:<22} {d:>4} {n:>6} {d * n:>8} {mlp:>10.4f} {tf:>10.4f} {tf / mlp:>7.2f}  "
            f"{auto_choice(data)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
