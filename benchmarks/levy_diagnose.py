"""Where `levy-ou`'s 8-D tails go wrong: the sampler's own error, and the times at which the
learned ratio does the damage.

    python benchmarks/levy_diagnose.py sampler --data student-t-3-8d --steps 100 200 800 \
        --proposals 4 16
    python benchmarks/levy_diagnose.py times --data student-t-3-8d --train-steps 3000
    python benchmarks/levy_diagnose.py base --data student-t-3-8d

``sampler`` and ``times`` use the exact ratio of ``benchmarks/levy_oracle.py``
(``RadialOracle``: ``log p_t(|x|)`` tabulated by Monte Carlo over the latent variance, here
``--draws 40000``) for the Student-t sets with Student-t jumps of the same index, and for the
stable sets (whose data are Gaussian scale mixtures too, ``x_0 = √(2A) ξ``) with ``levy-ou``'s
truncated stable jumps of the same index and their Brownian part (whose backward drift reads the
exact score, the table's radial slope).

* ``sampler``: the anchored τ-leaping sampler run with the exact ratio at each number of steps and
  proposals, ``n = 10^4``: what is left is the sampler's error (and the table's).
* ``times``: train ``levy-ou`` (catalogue defaults with ``proposals=4 sampler_proposals=4`` and
  the data set's true index, stable jumps for stable data, MLP 64 × 2, batch 256, lr 1e-3, ``--grad-clip 1000``, as
  ``examples/jumps_heavy_tails.py``), then sample with the learned ratio on one window of times
  ``[a, b)`` and the exact ratio elsewhere. A window whose learned ratio moves the quantiles is
  where the learned model is wrong in a way the samples see.
* ``base``: the untrained ``tail_law=marginal`` model (its network's output layer starts at 0, so
  the potential is the fixed part alone: the forward marginal of a Student-t), with the index and
  scale read from the data (``nu=0 tail_scale=0``), with the true index, and with the true index
  and scale. For Student-t data the last is the exact ratio up to the table's error.

Prints the quantiles 0.99 / 0.999 / 0.9999 of ``|x|``, the Hill index and the log-errors against
``10^6`` data draws; ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from levy_oracle import RadialOracle
from torch import Tensor, nn

from dmm.cli.catalog import build
from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.metrics.tails import LEVELS, tail_summary
from dmm.processes.levy_ou import LevyOU
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, Splitting, simulate
from dmm.samplers.jumps_anchor import AnchoredJumpTauLeaping
from dmm.training import TrainConfig, train

WINDOWS = ((0.0, 0.0), (0.0, 9.0), (0.0, 0.05), (0.05, 0.5), (0.5, 2.0), (2.0, 9.0))


class Window(nn.Module):
    """The learned model's ratio for times in ``[lo, hi)``, the exact one elsewhere (every row
    of a sampler step shares its time)."""

    antisymmetric = True

    def __init__(self, learned: nn.Module, exact: RadialOracle, lo: float, hi: float) -> None:
        super().__init__()
        self.learned, self.exact, self.lo, self.hi = learned, exact, lo, hi

    def _pick(self, t: Tensor) -> nn.Module:
        return self.learned if self.lo <= float(t.reshape(-1)[0]) < self.hi else self.exact

    def log_ratio(self, y, x, t, context=None):
        return self._pick(t).log_ratio(y, x, t, context)

    def log_ratios_to(self, y, x, t, context=None):
        return self._pick(t).log_ratios_to(y, x, t, context)

    def score(self, y, t, context=None):
        return self._pick(t).score(y, t, context)  # read where the process has a Brownian part


def summary(y: Tensor, truth: dict[str, float]) -> dict[str, float]:
    s = tail_summary(y)
    s.update({f"logerr_q{q}": abs(math.log(s[f"q{q}"] / truth[f"q{q}"])) for q in LEVELS})
    return s


def line(label: str, s: dict[str, float]) -> str:
    qs = " / ".join(f"{s[f'q{q}']:.3g}" for q in LEVELS)
    errs = " / ".join(f"{s[f'logerr_q{q}']:.2f}" for q in LEVELS)
    return f"| {label} | {qs} | {errs} | {s['hill']:.2f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("sampler", "times", "base"))
    ap.add_argument("--data", default="student-t-3-8d")
    ap.add_argument("--steps", type=int, nargs="+", default=[100, 200, 800])
    ap.add_argument("--proposals", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--train-steps", type=int, default=3000)
    ap.add_argument("--draws", type=int, default=40000)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--sample-steps", type=int, default=200, help="base: sampler steps")
    ap.add_argument("--sampler-proposals", type=int, default=4, help="base: proposals per step")
    ap.add_argument(
        "--run-dir", type=Path, help="times: keep the trained model there (a rerun resumes it)"
    )
    ap.add_argument("--json", type=writable_file("--json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    # the data set's true index, and levy-ou's jump law of the same family (stable for stable data)
    index, d = float(args.data.split("-")[-2]), int(args.data.split("-")[-1][:-1])
    stable = args.data.startswith("stable-")
    law = {"jumps": "stable", "alpha": index} if stable else {"nu": index}
    truth = tail_summary(load_data(args.data, 10**6, torch.Generator().manual_seed(99)))
    rows: dict[str, dict[str, float]] = {}
    print("| run | q0.99 / q0.999 / q0.9999 | log-error | Hill index |")
    print("|---|---|---|---|")
    if args.what == "sampler":
        if stable:  # levy-ou's catalogue defaults
            process = LevyOU.truncated_stable(d, index, 0.5, 1.0, "variance", T=5.0)
        else:
            process = LevyOU.student_t(d, nu=index, rate=2.0, T=5.0)
        exact = RadialOracle(process, args.data, args.draws)
        for steps in args.steps:
            for k in args.proposals:
                sampler = Splitting(EulerMaruyama(), AnchoredJumpTauLeaping(k, 0.5, 1.0))
                g = torch.Generator().manual_seed(3)
                with torch.no_grad():
                    y = simulate(Reversal(process, exact), sampler, args.n, steps, g)
                label = f"exact ratio, {steps} steps, {k} proposals"
                rows[label] = summary(y, truth)
                print(line(label, rows[label]), flush=True)
    elif args.what == "base":
        if stable:
            raise SystemExit("base: the marginal part is a Student-t's; give a student-t set")
        data = load_data(args.data, 20000, torch.Generator().manual_seed(0))
        for label, extra in (
            ("index and scale from the data", {}),
            ("true index, scale from the data", {"nu": index}),
            ("true index and scale", {"nu": index, "tail_scale": 1.0}),
        ):
            params = {"hidden": 64, "depth": 2, "proposals": 4}
            params.update(
                {
                    "sampler_proposals": args.sampler_proposals,
                    "tail_law": "marginal",
                    "tail_scale": 0.0,
                    **extra,
                }
            )
            built = build("levy-ou", data, params, seed=0)
            g = torch.Generator().manual_seed(7)
            with torch.no_grad():
                model = Reversal(built.process, built.model.eval())
                y = simulate(model, built.sampler(), args.n, args.sample_steps, g)
            label = (
                f"{args.sample_steps} steps, {args.sampler_proposals} proposals: untrained "
                f"marginal model, {label}"
            )
            label += f" (index {built.params['nu']:.2f}, "
            label += f"scale {built.params['tail_scale']:.2f})"
            rows[label] = summary(y, truth)
            print(line(label, rows[label]), flush=True)
    else:
        data = load_data(args.data, 20000, torch.Generator().manual_seed(0))
        params = {"hidden": 64, "depth": 2, "proposals": 4, "sampler_proposals": 4, **law}
        built = build("levy-ou", data, params, seed=0)
        t0 = time.time()
        run_dir = args.run_dir
        result = train(
            built.model,
            built.loss,
            built.data,
            run_dir=run_dir,
            resume=run_dir is not None and (run_dir / "checkpoint.pt").exists(),
            config=TrainConfig(
                steps=args.train_steps,
                batch_size=256,
                lr=1e-3,
                warmup=50,
                grad_clip=1000.0,
                seed=0,
                log_every=max(args.train_steps // 10, 1),
                val_every=10**9,
                checkpoint_every=10**9 if run_dir is None else 1000,
            ),
        )
        print(f"trained in {time.time() - t0:.0f} s", flush=True)
        learned = result.ema.eval()
        exact = RadialOracle(built.process, args.data, args.draws)
        for lo, hi in WINDOWS:
            g = torch.Generator().manual_seed(7)
            model = Window(learned, exact, lo, hi)
            with torch.no_grad():
                y = simulate(Reversal(built.process, model), built.sampler(), args.n, 200, g)
            label = "exact ratio at every time" if lo == hi else f"learned on t in [{lo}, {hi})"
            rows[label] = summary(y, truth)
            print(line(label, rows[label]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"data": args.data, "truth": truth, "rows": rows}, indent=2)
        )


if __name__ == "__main__":
    main()
