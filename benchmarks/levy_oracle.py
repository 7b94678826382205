"""Where `levy-ou`'s tails go wrong, against an exact ratio: the sampler, or the loss?

    python benchmarks/levy_oracle.py --json docs/results/levy_oracle.json [--dims 2 8] [--nus 1.5 3]
    python benchmarks/levy_oracle.py --table docs/results/levy_oracle.json   # its table again

Data: the standard ``d``-dimensional Student-t of index ``ν`` (``student-t-ν-dd``), forward
process: Lévy OU with Student-t jumps of the same index, rate 2, ``θ = 1``, ``T = 5``, no Brownian
part (``levy-ou``'s defaults with the index matched). Both the data and the jumps are Gaussian
scale mixtures, so given the latent variance ``W = e^{-2θt} V_0 + Σ_k e^{-2θ(t-s_k)} V_k``,
``x_t`` is ``N(0, W I)`` and ``log p_t(x) = log E_W N(x; 0, W I)`` is a function of ``|x|`` and
``t``: the script tabulates it by Monte Carlo over ``W`` (``--draws`` per time, 81 times
log-uniform on ``[t_min, T]``, 401 radii uniform in ``asinh(|x|/0.01)``) and interpolates. Then:

1. **Sampler**: the anchored τ-leaping sampler (4 proposals, 200 steps, ``n = 10^4``) run with
   this ratio, against the data's quantiles of ``|x|`` (10^6 draws) and the noise floor of exact
   samples of the same size. Any error here is the sampler's (and the table's).
2. **Loss**: the denoising jump loss (``ratio_cap = 3``, 4 proposals), with proposals from the
   jump law ``g`` and with anchored proposals, at the exact ratio and at the exact potential tilted
   by ``c log(1 + |x|²)`` (``c < 0``: lighter tails). At the true ratio every tilt must raise the
   loss; the change is averaged over 30 batches of 2048 data rows with common random numbers and
   reported with its standard error.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from dmm.cli.config import writable_file
from dmm.data import load_data
from dmm.data.heavy_tails import positive_stable
from dmm.losses import DenoisingJumpScoreEntropy
from dmm.metrics.tails import LEVELS, tail_summary
from dmm.processes.anchor import AnchoredProposals
from dmm.processes.jump_laws import StudentTJumps
from dmm.processes.levy_ou import LevyOU
from dmm.reversal import Reversal
from dmm.samplers import EulerMaruyama, Splitting, simulate
from dmm.samplers.jumps_anchor import AnchoredJumpTauLeaping

TILTS = (-0.2, -0.1, 0.1, 0.2)


def data_scales(data: str | float, n: int, g: torch.Generator, like: Tensor) -> Tensor:
    """``n`` draws of the latent variance ``V_0`` of a heavy-tail set (``x_0 = √V_0 ξ``): the
    Student-t of index ``ν`` (``student-t-ν-dd``, or ``ν`` itself) or ``2A``, ``A`` positive
    ``α/2``-stable (``stable-α-dd``)."""
    if isinstance(data, str) and data.startswith("stable-"):
        return 2 * positive_stable(n, float(data.split("-")[1]) / 2, g).to(like.dtype)
    nu = float(data.split("-")[2]) if isinstance(data, str) else float(data)
    return StudentTJumps(1, nu).sample_scale((n,), g, like)


class RadialOracle(nn.Module):
    """``log ρ(y, x, t) = log p_t(x) - log p_t(y)`` from the table of ``log p_t(|x|)`` (module
    doc); ``tilt = c`` adds ``c log(1 + |x|²)`` to the potential."""

    antisymmetric = True

    def __init__(self, process: LevyOU, data: str | float, draws: int, seed: int = 0) -> None:
        super().__init__()
        d, like = process.dim, torch.empty(0, dtype=torch.float64)
        g = torch.Generator().manual_seed(seed)
        self.ts = torch.exp(
            torch.linspace(math.log(process.t_min), math.log(process.T), 81, dtype=torch.float64)
        )
        self.scale, self.umax, self.nodes, self.tilt = 0.01, 17.0, 401, 0.0
        r = self.scale * torch.sinh(torch.linspace(0, self.umax, self.nodes, dtype=torch.float64))
        rows = []
        for t in self.ts:
            zeros = torch.zeros(draws, d, dtype=torch.float64)
            v_jumps = process.sample_latent(zeros, t, g)[1][:, -1]
            v_data = data_scales(data, draws, g, like)
            w = math.exp(-2 * process.theta * float(t)) * v_data + v_jumps
            log_norm = -0.5 * d * torch.log(2 * math.pi * w)
            rows.append(
                torch.cat(
                    [torch.logsumexp(-0.5 * c[:, None] ** 2 / w + log_norm, 1) for c in r.split(50)]
                )
            )
        self.table = torch.stack(rows)

    def _locate(self, x: Tensor, t: Tensor):
        """``|x|``, the radius node ``i`` and weight ``f``, the time node ``j`` and weight ``h``."""
        r = x.double().reshape(x.shape[0], -1).norm(dim=1)
        pos = torch.asinh(r / self.scale).clamp(max=self.umax) / self.umax * (self.nodes - 1)
        i = pos.floor().clamp(0, self.nodes - 2).long()
        log_ts = torch.log(self.ts)
        lt = torch.log(t.double().clamp(self.ts[0], self.ts[-1]))
        j = (torch.searchsorted(log_ts, lt.contiguous(), right=True) - 1).clamp(0, len(log_ts) - 2)
        h = (lt - log_ts[j]) / (log_ts[j + 1] - log_ts[j])
        return r, pos, i, pos - i, j, h

    def potential(self, x: Tensor, t: Tensor) -> Tensor:
        r, _, i, f, j, h = self._locate(x, t)

        def at(k):
            return self.table[k, i] * (1 - f) + self.table[k, i + 1] * f

        return at(j) * (1 - h) + at(j + 1) * h + self.tilt * torch.log1p(r**2)

    def score(self, y, t, context=None):
        """``∇ log p_t(y)``: the radial slope of the interpolated table along ``y / |y|`` (the
        backward drift reads it where the process has a Brownian part)."""
        t = torch.as_tensor(t, dtype=y.dtype).expand(y.shape[0])
        r, pos, i, _, j, h = self._locate(y, t)

        def slope(k):
            return self.table[k, i + 1] - self.table[k, i]

        inside = pos < self.nodes - 1  # beyond the table the slope is not known: 0
        dpos = (self.nodes - 1) / self.umax / torch.sqrt(self.scale**2 + r**2) * inside
        du = (slope(j) * (1 - h) + slope(j + 1) * h) * dpos + 2 * self.tilt * r / (1 + r**2)
        unit = y.double().reshape(y.shape[0], -1) / r.clamp_min(1e-300)[:, None]
        return (du[:, None] * unit).reshape(y.shape).to(y.dtype)

    def log_ratio(self, y, x, t, context=None):
        return (self.potential(x, t) - self.potential(y, t)).to(y.dtype)

    def log_ratios_to(self, y, x, t, context=None):
        n, k = x.shape[0], x.shape[1]
        px = self.potential(x.reshape(n * k, -1), t.repeat_interleave(k)).reshape(n, k)
        return (px - self.potential(y, t)[:, None]).to(y.dtype)


def tilt_changes(loss, oracle, data: Tensor, batches: int = 30) -> dict[str, list[float]]:
    """Mean and standard error of ``loss(tilted) - loss(exact)`` per tilt (module doc)."""
    out = {}
    for c in TILTS:
        diffs = []
        for b in range(batches):
            x0 = data[
                torch.randint(0, len(data), (2048,), generator=torch.Generator().manual_seed(b))
            ]
            values = []
            for tilt in (0.0, c):
                oracle.tilt = tilt
                with torch.no_grad():
                    values.append(
                        loss.per_sample(oracle, x0, torch.Generator().manual_seed(10**4 + b))
                    )
            diffs.append(values[1] - values[0])
        oracle.tilt = 0.0
        d = torch.cat(diffs)
        out[f"{c:+g}"] = [float(d.mean()), float(d.std() / math.sqrt(len(d)))]
    return out


def markdown(report: dict) -> str:
    """The table of docs/studies/jumps.md: per data set the exact-ratio sampler's log-errors against the
    exact samples' floor, and the loss change per tilt (mean ± standard error) for both proposals."""
    head = " | ".join(f"tilt {c:+g}" for c in TILTS)
    rows = [
        f"| data | exact-ratio samples: log-error (0.99 / 0.999 / 0.9999) | floor (mean) "
        f"| proposals | {head} |",
        "|---|---|---|---|" + "---|" * len(TILTS),
    ]
    for name, row in report.items():
        errs = " / ".join(f"{e:.2f}" for e in row["logerr"])
        floor = " / ".join(f"{e:.2f}" for e in row["floor_mean"])
        for i, label in enumerate(("g", "anchored")):
            tilts = " | ".join(f"{m:+.4f} ± {se:.4f}" for m, se in row[f"tilt_{label}"].values())
            lead = f"| {name} | {errs} | {floor} " if i == 0 else "| | | "
            rows.append(f"{lead}| {label} | {tilts} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 8])
    ap.add_argument("--nus", type=float, nargs="+", default=[1.5, 3.0])
    ap.add_argument("--draws", type=int, default=40000)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--json", type=writable_file("--json"))
    ap.add_argument("--table", type=Path, help="print the table of an earlier --json and exit")
    args = ap.parse_args()
    if args.table:
        print(markdown(json.loads(args.table.read_text())))
        return
    torch.set_num_threads(1)
    report = {}
    for d in args.dims:
        for nu in args.nus:
            name = f"student-t-{nu:g}-{d}d"
            process = LevyOU.student_t(d, nu=nu, rate=2.0, T=5.0)
            t0 = time.time()
            oracle = RadialOracle(process, nu, args.draws)
            truth = tail_summary(load_data(name, 10**6, torch.Generator().manual_seed(99)))
            floor = []
            for r in range(20):
                s = tail_summary(load_data(name, args.n, torch.Generator().manual_seed(1000 + r)))
                floor.append([abs(math.log(s[f"q{q}"] / truth[f"q{q}"])) for q in LEVELS])
            sampler = Splitting(EulerMaruyama(), AnchoredJumpTauLeaping(4, 0.5, 1.0))
            y = simulate(
                Reversal(process, oracle), sampler, args.n, 200, torch.Generator().manual_seed(3)
            )
            s = tail_summary(y)
            row = {
                "truth": truth,
                "exact_ratio_samples": s,
                "logerr": [abs(math.log(s[f"q{q}"] / truth[f"q{q}"])) for q in LEVELS],
                "floor_mean": torch.tensor(floor).mean(0).tolist(),
            }
            data = load_data(name, 20000, torch.Generator().manual_seed(0)).double()
            for label, anchor in (("g", None), ("anchored", AnchoredProposals(0.5, 1.0))):
                loss = DenoisingJumpScoreEntropy(process, 4, ratio_cap=3.0, anchor=anchor)
                row[f"tilt_{label}"] = tilt_changes(loss, oracle, data)
            row["seconds"] = time.time() - t0
            report[name] = row
            print(name, json.dumps(row), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    print(markdown(report))


if __name__ == "__main__":
    main()
