"""dmm's VP diffusion against flow-matching peers, with the same network, optimiser and budget.

Methods:

- ``dmm``: ``vp`` from ``dmm.cli.catalog.build`` with its CLI defaults (``--set KEY=VALUE``
  changes one, as ``dmm train --set`` does),
  trained with ``dmm.training.train``; sampled with each of ``ode-euler``, ``ode-heun``, ``dpm1``,
  ``dpm2``, ``unipc``, ``straight-euler``, ``straight-midpoint``, ``straight-heun`` and ``em``
  (each on the grid ``vp``'s ``grid`` gives it; ``em`` ends
  with the recipe's final Tweedie step, included and counted; the deterministic samplers end
  without it, as ``dmm sample`` does by default), best one reported.
- ``icfm``: torchcfm's ``ConditionalFlowMatcher`` (I-CFM, its default ``sigma = 0``).
- ``otcfm``: torchcfm's ``ExactOptimalTransportConditionalFlowMatcher`` (exact OT pairing of
  each batch, ``sigma = 0``).
- ``fm``: Meta's ``flow_matching``, ``AffineProbPath(CondOTScheduler())``, sampled with its
  ``ODESolver`` (torchdiffeq's fixed-grid ``euler``, ``midpoint``, ``heun2``).

Every method trains ``dmm.networks.MLP(d, d, hidden, depth, fourier=...)`` (``fourier`` as dmm's
``--set`` gives it; the peers' velocity net gets ``t`` as the MLP's time input) from the same
initial weights, on the same standardised rows (the peers see ``built.data`` and their samples are
decoded with ``built.decode`` like dmm's), through the same loop: ``dmm.training.train`` with one
``TrainConfig`` (Adam, warm-up then cosine, gradient clip, EMA; the same batch indices), the peers'
losses wrapped in dmm's loss interface. All sample with the EMA weights. The peers integrate from
noise at ``t = 0`` to data at ``t = 1`` on a uniform grid (torchcfm ships no sampler: its Euler,
midpoint and Heun loops are written here), each with Euler (1 evaluation per step), midpoint and
Heun (2 per step). Every evaluation is counted: a run that spends more than its budget is an error.

At the budgets in ``--fitted-budgets`` (default 10 and 20) every method's one-step solvers also run
on a grid fitted to its trained model (``NAME+fitted``: dmm's ``ode-euler``, ``ode-heun`` and
``straight-*`` through :func:`dmm.samplers.fitted_grid`, the peers' Euler, midpoint and Heun
through :func:`dmm.samplers.fitted.fit_grid` on their own time, the same 128 pilots, 64 or
``2 × steps`` candidates and 8-fold refined pilot solve). The fit is done once per model, solver
and budget, costs no data, and its CPU seconds are reported (``grid_fit_cpu_s``); every sample
it serves costs the budget.

For each budget (network evaluations, default 10, 20, 50, 100) each method's best sampler is
chosen by the C2ST AUC of one draw against one set of fresh data draws; the reported numbers come
from a second draw of the winner scored against other fresh draws, so the choice among dmm's nine
samplers and the peers' three does not pick up its own noise. Reported: C2ST AUC
(``dmm.metrics.c2st_auc``), energy distance (V-statistic) over its noise floor (two fresh draws
of the same size), the share of samples off ``DATASET_INFO[name].support`` where it exists, k-NN
precision and recall (k = 3), and the CPU seconds of training (one thread).

``gmm10`` is a 10-D Gaussian mixture made here: weight 0.25 on a narrow component
``N(μ, 0.05² I)`` with ``|μ| = 3`` in a seeded random direction, weight 0.75 on a broad correlated
one ``N(0, Q diag(λ) Qᵀ)``, ``λ`` log-spaced from 0.05 to 2, ``Q`` a seeded random rotation.

    python benchmarks/peers.py --sets checkerboard moons --steps 2000 --json docs/results/peers.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from dmm.cli.catalog import Built, build
from dmm.cli.config import parse_sets, positive_whole, writable_file
from dmm.data import load_data
from dmm.data.registry import DATASET_INFO
from dmm.metrics import c2st_auc, energy_distance, noise_floor, precision_recall
from dmm.networks import MLP
from dmm.reversal import Reversal
from dmm.samplers import denoise_nfe, fitted_grid, simulate
from dmm.samplers.fitted import CANDIDATES, PILOTS, fit_grid
from dmm.training import TrainConfig, train

BUILTIN_SETS = ("checkerboard", "moons", "8gaussians", "swissroll", "pinwheel")
DMM_SAMPLERS = (
    "ode-euler",
    "ode-heun",
    "dpm1",
    "dpm2",
    "unipc",
    "straight-euler",
    "straight-midpoint",
    "straight-heun",
    "em",
)
#: dmm's samplers that also run on a grid fitted to the trained model (``NAME+fitted``)
DMM_FITTED = ("ode-euler", "ode-heun", "straight-euler", "straight-midpoint", "straight-heun")
#: peer solver -> network evaluations per step
PEER_SOLVERS = {"euler": 1, "midpoint": 2, "heun": 2}
#: budgets at which every method's one-step solvers also run on fitted grids
FITTED_BUDGETS = (10, 20)
FITTED = "+fitted"
PEERS = ("icfm", "otcfm", "fm")
BUDGETS = (10, 20, 50, 100)
N_DATA = 20000


def gmm_shape(dim: int = 10) -> tuple[Tensor, Tensor]:
    """The narrow component's mean ``μ`` and the broad one's covariance root ``Q diag(√λ)`` of the
    ``dim``-D mixture of the module docstring (fixed by seed 0; ``λ`` log-spaced from 0.05 to 2)."""
    shape = torch.Generator().manual_seed(0)
    direction = torch.randn(dim, generator=shape)
    q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=shape))
    variances = torch.logspace(math.log10(0.05), math.log10(2.0), dim)
    return 3.0 * direction / direction.norm(), q * variances.sqrt()


def gmm(dim: int, n: int, generator: torch.Generator) -> Tensor:
    """``n`` rows of the ``dim``-D mixture: weight 0.25 on ``N(μ, 0.05² I)``, 0.75 on the broad
    one (``gmm10`` is ``dim = 10``)."""
    mu, root = gmm_shape(dim)
    narrow = torch.rand(n, generator=generator) < 0.25
    z = torch.randn(n, dim, generator=generator)
    return torch.where(narrow[:, None], mu + 0.05 * z, z @ root.T)


def draw(name: str, n: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return gmm(10, n, g) if name == "gmm10" else load_data(name, n, g)


# --------------------------------------------------------------------------- the peers' losses


def peer_targets() -> tuple[dict[str, Callable], dict[str, str]]:
    """``{peer: target(x0, x1, t) -> (x_t, u_t)}`` for the importable peers, and
    ``{peer: why it is missing}`` for the others."""
    targets: dict[str, Callable] = {}
    missing: dict[str, str] = {}
    try:
        from torchcfm.conditional_flow_matching import (
            ConditionalFlowMatcher,
            ExactOptimalTransportConditionalFlowMatcher,
        )

        for name, matcher in (
            ("icfm", ConditionalFlowMatcher(sigma=0.0)),
            ("otcfm", ExactOptimalTransportConditionalFlowMatcher(sigma=0.0)),
        ):
            targets[name] = lambda x0, x1, t, m=matcher: m.sample_location_and_conditional_flow(
                x0, x1, t
            )[1:]
    except ImportError as exc:
        missing["icfm"] = missing["otcfm"] = f"torchcfm cannot be imported ({exc})"
    try:
        from flow_matching.path import AffineProbPath
        from flow_matching.path.scheduler import CondOTScheduler

        path = AffineProbPath(scheduler=CondOTScheduler())

        def condot(x0: Tensor, x1: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
            sample = path.sample(x_0=x0, x_1=x1, t=t)
            return sample.x_t, sample.dx_t

        targets["fm"] = condot
    except ImportError as exc:
        missing["fm"] = f"flow_matching cannot be imported ({exc})"
    return targets, missing


class FlowMatchingLoss:
    """A peer's regression ``|v_θ(x_t, t) - u_t|²`` (mean over coordinates) with ``x_0 ~ N(0, I)``,
    ``x_1`` the data row and ``t ~ U(0, 1)``, in the form ``dmm.training.train`` calls a loss."""

    def __init__(self, target: Callable[[Tensor, Tensor, Tensor], tuple[Tensor, Tensor]]) -> None:
        self.target = target

    def per_sample(
        self, model: nn.Module, x1: Tensor, generator: torch.Generator, context=None
    ) -> Tensor:
        x0 = torch.randn(x1.shape, generator=generator, device=x1.device, dtype=x1.dtype)
        t = torch.rand(len(x1), generator=generator, device=x1.device, dtype=x1.dtype)
        xt, ut = self.target(x0, x1, t)
        return ((model(xt, t) - ut) ** 2).mean(dim=1)

    def __call__(self, model, x1, generator=None, context=None) -> Tensor:
        return self.per_sample(model, x1, generator, context).mean()


# --------------------------------------------------------------------------- the peers' samplers


class Counted(nn.Module):
    """``velocity(x, t)`` with ``t`` broadcast to the batch, counting its calls."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        self.calls += 1
        return self.model(x, t.to(x.dtype).expand(len(x)))


def solver_step(v: Callable[[Tensor, Tensor], Tensor], method: str, x: Tensor, t, t_next):
    """One Euler, midpoint or Heun step of ``dx/dt = v(x, t)`` from ``t`` to ``t_next``
    (numbers, or per-row times of shape ``(len(x),)``)."""
    h = t_next - t
    hx = h[:, None] if isinstance(h, Tensor) and h.ndim == 1 else h
    k1 = v(x, t)
    if method == "euler":
        return x + hx * k1
    if method == "midpoint":
        return x + hx * v(x + 0.5 * hx * k1, t + 0.5 * h)
    return x + 0.5 * hx * (k1 + v(x + hx * k1, t_next))


def integrate(
    v: Callable[[Tensor, Tensor], Tensor], x: Tensor, grid: Tensor, method: str
) -> Tensor:
    """Euler, midpoint or Heun on ``grid`` from ``t = 0`` to ``t = 1`` (torchcfm's side)."""
    for t, t_next in zip(grid[:-1], grid[1:]):
        x = solver_step(v, method, x, t, t_next)
    return x


def peer_grid(model: nn.Module, solver: str, steps: int, d: int, fitted: bool, seed: int):
    """The peer's time grid: uniform from 0 to 1 (as the peers ship), or fitted to the trained
    velocity like dmm's (:func:`dmm.samplers.fitted.fit_grid`, the same pilots and candidates)."""
    uniform = torch.linspace(0.0, 1.0, steps + 1)
    if not fitted:
        return uniform
    velocity = lambda x, t: model(x, t.to(x.dtype).expand(len(x)))  # noqa: E731

    def step(x: Tensor, t: Tensor, t_next: Tensor) -> Tensor:
        return solver_step(velocity, solver, x, t, t_next)

    first = torch.randn(PILOTS, d, generator=torch.Generator().manual_seed(seed))
    candidates = torch.linspace(0.0, 1.0, max(CANDIDATES, 2 * steps) + 1)
    with torch.no_grad():
        return fit_grid(step, first, candidates, steps)


def peer_sample(
    peer: str, model: nn.Module, solver: str, budget: int, n: int, d: int, seed: int, grids: dict
):
    """``n`` samples (model coordinates) of a trained peer with ``solver`` (``+fitted``: on the
    fitted grid, cached in ``grids``) within ``budget`` evaluations, and the evaluations spent."""
    key = (solver, budget)
    solver, fitted = solver.removesuffix(FITTED), solver.endswith(FITTED)
    steps = budget // PEER_SOLVERS[solver]
    if key not in grids:
        start = time.process_time()
        grid = peer_grid(model, solver, steps, d, fitted, 7 + seed)
        grids[key] = (grid, time.process_time() - start if fitted else 0.0)
    grid = grids[key][0]
    v = Counted(model)
    x0 = torch.randn(n, d, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        if peer == "fm":
            from flow_matching.solver import ODESolver

            method = {"euler": "euler", "midpoint": "midpoint", "heun": "heun2"}[solver]
            x = ODESolver(velocity_model=v).sample(
                x_init=x0, step_size=None, method=method, time_grid=grid
            )
        else:
            x = integrate(v, x0, grid, solver)
    if v.calls != steps * PEER_SOLVERS[solver] or v.calls > budget:
        raise RuntimeError(f"{peer}/{solver}: {v.calls} evaluations for a budget of {budget}")
    return x, v.calls


def dmm_sample(
    built: Built, ema: nn.Module, name: str, budget: int, n: int, seed: int, grids: dict
):
    """``n`` samples (model coordinates) of dmm's sampler ``name`` (``+fitted``: on the grid
    :func:`dmm.samplers.fitted_grid` fits, cached in ``grids``) within ``budget`` evaluations (the
    final denoising step, where taken, counted), and the evaluations spent."""
    key = (name, budget)
    name, fitted = name.removesuffix(FITTED), name.endswith(FITTED)
    sampler = built.sampler(name)
    denoise = built.denoise and not sampler.deterministic  # what `dmm sample` does by default
    last = denoise_nfe(built.process) if denoise else 0
    steps = sampler.steps_for(budget - last)
    rev = Reversal(built.process, ema)
    if fitted and key not in grids:
        start = time.process_time()
        grid = fitted_grid(rev, sampler, steps, torch.Generator().manual_seed(7 + seed))
        grids[key] = (grid, time.process_time() - start)
    grid = grids[key][0] if fitted else None
    y = simulate(
        rev, sampler, n, steps, torch.Generator().manual_seed(seed), grid=grid, denoise=denoise
    )
    return y, sampler.nfe(steps) + last


# --------------------------------------------------------------------------- one data set


def scores(x: Tensor, ref: Tensor, floor: float, name: str) -> dict[str, float | None]:
    support = DATASET_INFO[name].support if name in DATASET_INFO else None
    pr = precision_recall(x, ref, k=3)
    energy = energy_distance(x, ref, unbiased=False)
    return {
        "c2st_auc": c2st_auc(x, ref),
        "energy_ratio": energy / floor,
        "off_support": None if support is None else float((~support(x)).double().mean()),
        "precision": pr["precision"],
        "recall": pr["recall"],
    }


def run_set(name: str, args: argparse.Namespace, targets: dict[str, Callable]) -> list[dict]:
    seed, n = args.seed, args.n_eval
    data = draw(name, N_DATA, seed)
    select_ref, ref = draw(name, n, 10_000 + seed), draw(name, n, 20_000 + seed)
    energy = lambda a, b: energy_distance(a, b, unbiased=False)  # noqa: E731
    floor = noise_floor(energy, draw(name, 2 * n, 30_000 + seed), n, torch.Generator())
    params = {"hidden": args.hidden, "depth": args.depth, **parse_sets(args.set)}
    built = build("vp", data, params, seed=seed)
    d = built.data.shape[1]
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        seed=seed,
        log_every=args.steps,
        val_every=args.steps,
        checkpoint_every=args.steps,
    )
    rows = []
    for method in ("dmm", *targets):
        np.random.seed(seed)  # torchcfm's OT plan draws its pairs from numpy's global generator
        if method == "dmm":
            model, loss = built.model, built.loss
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)  # what build(seed=seed) does for dmm's MLP
                net = MLP(
                    d, d, args.hidden, args.depth, fourier=int(built.params.get("fourier", 0))
                )
                model, loss = net, FlowMatchingLoss(targets[method])
        start, wall = time.process_time(), time.perf_counter()
        result = train(model, loss, built.data, config)
        cpu, wall = time.process_time() - start, time.perf_counter() - wall
        ema = result.ema.eval()
        own = DMM_SAMPLERS if method == "dmm" else tuple(PEER_SOLVERS)
        one_step = DMM_FITTED if method == "dmm" else tuple(PEER_SOLVERS)
        grids: dict = {}  # fitted grids, one per solver and step count

        def sample(solver: str, budget: int, s: int, method=method, ema=ema, grids=grids):
            if method == "dmm":
                y, nfe = dmm_sample(built, ema, solver, budget, n, s, grids)
            else:
                y, nfe = peer_sample(method, ema, solver, budget, n, d, s, grids)
            return built.decode(y).float(), nfe

        for budget in args.budgets:
            solvers = own
            if budget in args.fitted_budgets:
                solvers = own + tuple(name + FITTED for name in one_step)
            choice = {}
            for solver in solvers:
                x, _ = sample(solver, budget, 100 + seed)
                choice[solver] = c2st_auc(x, select_ref) if torch.isfinite(x).all() else 1.0
            best = min(choice, key=choice.get)
            x, nfe = sample(best, budget, 200 + seed)
            row = {"set": name, "method": method, "budget": budget, "nfe": nfe, "sampler": best}
            row |= scores(x, ref, floor, name)
            row |= {"train_cpu_s": cpu, "train_wall_s": wall, "selection_auc": choice}
            row["grid_fit_cpu_s"] = grids[best, budget][1] if (best, budget) in grids else 0.0
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


# --------------------------------------------------------------------------- table and entry


def table(rows: Sequence[dict]) -> str:
    head = (
        "| set | method | NFE budget (used) | sampler | C2ST AUC | energy / floor | off-support "
        "| precision | recall | train CPU s | grid fit CPU s |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        off = "—" if r["off_support"] is None else f"{r['off_support']:.3f}"
        lines.append(
            f"| {r['set']} | {r['method']} | {r['budget']} ({r['nfe']}) | {r['sampler']} "
            f"| {r['c2st_auc']:.3f} | {r['energy_ratio']:.2f} | {off} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} | {r['train_cpu_s']:.0f} | {r.get('grid_fit_cpu_s', 0.0):.0f} |"
        )
    return "\n".join(lines)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sets", nargs="+", default=[*BUILTIN_SETS, "gmm10"], help="data sets to compare on"
    )
    parser.add_argument(
        "--steps", type=positive_whole("--steps"), default=5000, help="training steps, every method"
    )
    parser.add_argument("--hidden", type=int, default=256, help="the shared MLP's width")
    parser.add_argument("--depth", type=int, default=3, help="the shared MLP's hidden layers")
    parser.add_argument("--batch", type=int, default=512, help="training rows per step")
    parser.add_argument(
        "--n-eval",
        type=positive_whole("--n-eval"),
        default=2000,
        help="samples and held-out rows per score",
    )
    parser.add_argument(
        "--budgets",
        type=int,
        nargs="+",
        default=list(BUDGETS),
        help="network evaluations per sample at which every method samples",
    )
    parser.add_argument("--peers", nargs="+", default=list(PEERS), help="a subset, or none")
    parser.add_argument(
        "--fitted-budgets",
        type=int,
        nargs="*",
        default=list(FITTED_BUDGETS),
        help="budgets at which the one-step solvers also run on fitted grids (none: never)",
    )
    parser.add_argument("--seed", type=int, default=0, help="training and sampling seed")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter of dmm's vp"
    )
    parser.add_argument("--json", type=writable_file("--json"), help="also write the results here")
    args = parser.parse_args(argv)
    unknown = set(args.sets) - {*BUILTIN_SETS, "gmm10"}
    peers = [] if args.peers == ["none"] else args.peers
    if unknown or set(peers) - set(PEERS) or min(args.budgets) < 2:
        parser.error(
            f"sets from {BUILTIN_SETS + ('gmm10',)}, peers from {PEERS} or none, budgets >= 2"
        )
    args.peers = peers
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the comparison; returns what ``--json`` writes."""
    args = parse(argv)
    torch.set_num_threads(1)
    try:  # scikit-learn's classifier (C2ST) runs OpenMP threads
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    available, missing = peer_targets()
    targets = {p: available[p] for p in args.peers if p in available}
    for peer in args.peers:
        if peer in missing:
            print(f"skipping {peer}: {missing[peer]}", file=sys.stderr)
    rows = [row for name in args.sets for row in run_set(name, args, targets)]
    print(table(rows))
    out = {
        "command": "python benchmarks/peers.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "versions": versions(),
        "skipped": {p: missing[p] for p in args.peers if p in missing},
        "rows": rows,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=str) + "\n")
    return out


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    modules = {"torchcfm": "torchcfm", "flow-matching": "flow_matching"}
    for package in ("torch", "denoising-markov-models", "torchcfm", "flow-matching", "pot"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
        if package in modules:  # installed but failing to import: not a peer that ran
            try:
                importlib.import_module(modules[package])
            except Exception as exc:  # noqa: BLE001 - any failure means the peer did not run
                found[package] += f" (does not import: {type(exc).__name__})"
    return found


if __name__ == "__main__":
    main()
