"""Cost of DSM's batch-posterior target against the conditional one: CPU ms per training step
(forward, backward, Adam) of ``vp`` with the 256×3 MLP at batch 512, in 2-D and 10-D, and their
ratio, measured in the same run (one thread; median of 5 blocks of 40 steps after 10 warm-up).

    python benchmarks/dsm_target_cost.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dmm.cli.catalog import build


def ms_per_step(target: str, dim: int, batch: int = 512) -> float:
    data = torch.randn(5000, dim, generator=torch.Generator().manual_seed(0))
    built = build("vp", data, {"target": target}, seed=0)
    opt = torch.optim.Adam(built.model.parameters())
    g = torch.Generator().manual_seed(0)

    def step() -> None:
        rows = built.data[torch.randint(0, len(data), (batch,), generator=g)]
        loss = built.loss(built.model, rows, g)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    blocks = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(40):
            step()
        blocks.append((time.process_time() - start) / 40 * 1000)
    return statistics.median(blocks)


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # --help: the docstring; no options
    torch.set_num_threads(1)
    for dim in (2, 10):
        cond, batch = ms_per_step("conditional", dim), ms_per_step("batch", dim)
        print(
            f"d={dim:2d}: conditional {cond:.2f} ms/step, batch {batch:.2f} ms/step, "
            f"ratio {batch / cond:.2f}"
        )


if __name__ == "__main__":
    main()
