"""Why the jump losses floor their exponents: ``exp`` whose results underflow (subnormal floats or
zero) is several times slower on a CPU than ``exp`` of moderate arguments, and the wrapped
normal's image sums meet such exponents wherever its variance is small (docs/studies/jumps.md, Cost against K and d).

    OMP_NUM_THREADS=1 python benchmarks/exp_underflow.py

Times ``torch.exp`` on 512 × 32 float32 arguments uniform in ``[-30, 0]`` (normal results), in
``[-3000, -100]`` (underflowing results) and the latter clamped at -80 first, as
``dmm.spaces.torus`` does; and ``wrapped_normal_log_prob`` at the same size with one variance
per row in ``[1e-3, 1e-2]``. Median CPU milliseconds of 300 calls, one thread.
"""

from __future__ import annotations

import argparse
import math

import torch
from jumps_cost import cpu_ms

from dmm.spaces.torus import wrapped_normal_log_prob


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # --help: the docstring; no options
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    moderate = -30 * torch.rand(512, 32, generator=g)
    deep = -100 - 2900 * torch.rand(512, 32, generator=g)
    delta = math.pi * (2 * torch.rand(512, 32, generator=g) - 1)
    var = 1e-3 + 9e-3 * torch.rand(512, 1, generator=g)
    rows = {
        "exp, arguments in [-30, 0]": lambda: torch.exp(moderate),
        "exp, arguments in [-3000, -100]": lambda: torch.exp(deep),
        "exp, the same clamped at -80": lambda: torch.exp(deep.clamp(min=-80.0)),
        "wrapped_normal_log_prob, var in [1e-3, 1e-2]": lambda: wrapped_normal_log_prob(delta, var),
    }
    base = None
    for name, fn in rows.items():
        ms = cpu_ms(fn, 300)
        base = base or ms
        print(f"{name}: {ms:.3f} ms ({ms / base:.1f}x the first)")


if __name__ == "__main__":
    main()
