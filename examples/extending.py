"""Runnable companion of docs/extending.md: your own process, sums, products, recipes, a new block
type and the check-suite.

Every Python block of docs/extending.md is an excerpt of this file, of examples/correlated_block.py
or of examples/processes/*.py (tests/test_examples.py checks that, and runs this file), and every
output the page shows was printed by

    OMP_NUM_THREADS=1 python examples/extending.py            # about 30 s on one core
    OMP_NUM_THREADS=1 python examples/extending.py --quick    # a few seconds (used by the tests)

The trainings here are smoke runs (a few hundred steps): they show the wiring, not sample quality.
"""

from __future__ import annotations

import argparse
import math
import runpy
import sys
from pathlib import Path

import torch

from dmm.losses import DenoisingScoreMatching, eps_weighting
from dmm.networks import MLP
from dmm.processes import (
    VP,
    AbsorbingChain,
    Chain,
    ChainProcess,
    ConstantSchedule,
    Diffusion,
    Jumps,
    LevyOU,
    LinearSchedule,
    MissingCapability,
    Normal,
    Process,
    TruncatedStableJumps,
    product,
)
from dmm.recipe import Recipe, recipe
from dmm.reversal import Reversal
from dmm.samplers import PredictorCorrector, simulate
from dmm.scores import X0Param
from dmm.spaces import Discrete, Euclidean, PositiveOrthant
from dmm.testing import check_process, cir
from dmm.training import TrainConfig, train

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling file with the new block
from correlated_block import correlated_ou  # noqa: E402

# --- a process from blocks ---------------------------------------------------------------------


def langevin() -> Process:
    """dX = -X dt + √2 dW on R^2, reference N(0, I) (reached up to e^{-5} at T = 5)."""
    return Process(
        Euclidean(2),
        blocks=(Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: math.sqrt(2.0)),),
        reference=Normal((2,)),
        T=5.0,
        name="Langevin",
    )


def train_and_sample(process: Process, data, steps: int, n: int, g: torch.Generator):
    r = recipe(process, data, hidden=64, depth=2)  # model, loss, sampler, number of steps
    result = train(r.model, r.loss, data, TrainConfig(steps=steps, warmup=min(100, steps)))
    rev = Reversal(r.process, result.ema)  # the backward process, driven by the trained model
    return simulate(rev, r.sampler, n, steps=r.sample_steps, generator=g, denoise=r.denoise)


# --- optional capability: an exact kernel ------------------------------------------------------


class OrnsteinUhlenbeck(Process):
    """dX = -θX dt + √(2θ) dW on R^d with its Gaussian kernel
    X_t | x_0 ~ N(e^{-θt} x_0, (1 - e^{-2θt}) I); reference N(0, I)."""

    has_exact_transition = True

    def __init__(self, dim: int, theta: float = 1.0, T: float = 5.0) -> None:
        self.theta = float(theta)
        block = Diffusion(
            drift=lambda x, t: -self.theta * x,
            diffusion=lambda x, t: math.sqrt(2 * self.theta),
            state_dependent=False,
        )
        super().__init__(Euclidean(dim), (block,), reference=Normal((dim,)), T=T, name="OU")

    def _mean_var(self, x0, t):
        decay = torch.exp(-self.theta * t).reshape(-1, 1)
        return decay * x0, 1 - decay**2

    def sample_transition(self, x0, t, generator):
        mean, var = self._mean_var(x0, t)
        xi = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
        return mean + var.sqrt() * xi

    def conditional_score(self, xt, x0, t):
        mean, var = self._mean_var(x0, t)
        return -(xt - mean) / var


# --- sums of blocks ----------------------------------------------------------------------------


def levy_triplet(dim: int, alpha: float = 1.5, epsilon: float = 0.5) -> Process:
    """Drift -x; the jumps |w| <= ε of an α-stable Lévy measure replaced by a Brownian part of the
    same covariance; the jumps |w| > ε as a compound-Poisson block (MATH.md §1)."""
    law = TruncatedStableJumps(dim, alpha, epsilon)
    sigma = math.sqrt(law.small_jump_variance())
    return Process(
        Euclidean(dim),
        blocks=(
            Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: sigma),
            Jumps(rate=law.rate(), law=law),
        ),
        T=5.0,
        name="LevyTriplet",
    )


def cyclic_rates(S: int) -> torch.Tensor:
    """a → a + 1 (mod S) at rate 1: a non-reversible chain on {0..S-1}."""
    R = torch.zeros(S, S)
    R[torch.arange(S), (torch.arange(S) + 1) % S] = 1.0  # the diagonal is filled in (rows sum to 0)
    return R


def cyclic_chain(d: int, S: int) -> ChainProcess:
    """Each coordinate steps a → a + 1 (mod S) at rate β(t), with the chain's exact kernel
    exp(B(t) R) (the matrix exponential) and reference declared."""
    return ChainProcess(Chain(cyclic_rates(S), LinearSchedule(0.1, 20.0)), d=d)


def cyclic_chain_from_blocks(d: int, S: int) -> Process:
    """The same generator as a plain Process: no kernel and no reference declared."""
    block = Chain(cyclic_rates(S), LinearSchedule(0.1, 20.0))
    return Process(Discrete(d=d, S=S), blocks=(block,), name="CyclicChain")


# --- products ----------------------------------------------------------------------------------


def mixed_rows(n: int, g: torch.Generator) -> torch.Tensor:
    """Rows (x, y, c): c uniform in 0..4, (x, y) ~ N((c - 2, 0), 0.3² I) (c shifts the mean)."""
    c = torch.randint(0, 5, (n, 1), generator=g)
    real = 0.3 * torch.randn(n, 2, generator=g) + torch.cat([c - 2.0, torch.zeros(n, 1)], 1)
    return torch.cat([real, c.float()], 1)


def heavy_tails_and_category() -> Process:
    """Student-t Lévy OU columns (T = 5 by default) beside a category: the chain's schedule must
    carry it to its reference by the same T (the default LogLinearSchedule stops at t = 1)."""
    chain = AbsorbingChain(S=5, d=1, schedule=ConstantSchedule(2.0), T=5.0)
    return product(LevyOU.student_t(2), chain)


def show_rows() -> None:
    g = torch.Generator().manual_seed(1)
    mixed = product(VP(2), AbsorbingChain(S=5, d=1))
    x0 = mixed_rows(3, g)
    real, category = mixed.space.split(x0)  # (3, 2) floats and (3, 1) integers
    xt = mixed.sample_marginal(x0, torch.full((3,), 0.2), g)  # each factor's own kernel
    print(mixed.space, mixed.space.event_shape)
    print(x0, real.dtype, category.dtype, xt, sep="\n")


# --- what the library refuses, and how it says so ----------------------------------------------


def refusals(data) -> list[str]:
    messages = []
    try:  # denoising score matching needs a kernel that Langevin does not declare
        DenoisingScoreMatching(langevin())
    except MissingCapability as error:
        messages.append(str(error))
    diffusion = Diffusion(drift=lambda x, t: -x, diffusion=lambda x, t: 1.0)
    try:  # two blocks of one type: the recipe cannot tell their score heads apart
        recipe(Process(Euclidean(2), blocks=(diffusion, diffusion)), data)
    except MissingCapability as error:
        messages.append(str(error))
    return messages


# --- overriding the recipe ---------------------------------------------------------------------


def overridden(data) -> Recipe:
    process = VP(2)
    return recipe(
        process,
        data,
        model=X0Param(MLP(2, 2, hidden=128), process),  # predict x_0 instead of ε
        loss=DenoisingScoreMatching(process, eps_weighting),  # the ε weighting, not the KL one
        sampler=PredictorCorrector(n_corrector=1, snr=0.1),
        sample_steps=200,
    )


# --- the check-suite ---------------------------------------------------------------------------


def check_cir(n: int) -> None:
    x0 = torch.tensor([[0.2], [1.0], [3.0]])
    for label, process in [
        ("default", cir()),
        ("pure log-coordinate step", cir(space=PositiveOrthant(1, resolved=math.inf))),
        ("4 simulation steps", cir(simulation_steps=4)),
    ]:
        print(f"-- CIR, {label}")
        for result in check_process(process, x0, n=n, raise_on_failure=False):
            print(result)


# --- what the page prints ----------------------------------------------------------------------


def user_file(name: str):
    """``make`` of examples/processes/NAME, the files ``dmm train --process FILE.py:make`` reads."""
    return runpy.run_path(str(Path(__file__).resolve().parent / "processes" / name))["make"]


def describe(r: Recipe) -> str:
    """One line: the recipe's model, loss, sampler, steps and denoising."""

    def name(obj) -> str:
        parts = getattr(obj, "losses", None) or getattr(obj, "samplers", None)
        inner = f"({', '.join(name(p) for p in parts)})" if parts else ""
        return type(obj).__name__ + inner

    model = name(r.model)
    if hasattr(r.model, "widths"):  # a product: one head per factor
        heads = ", ".join(f"{type(h).__name__}[{w}]" for h, w in zip(r.model.heads, r.model.widths))
        model += f"({heads})"
    line = f"{model} | {name(r.loss)} | {name(r.sampler)} | {r.sample_steps} steps"
    return line + (" | denoise" if r.denoise else "") + "".join(f"\n  note: {n}" for n in r.notes)


def main(argv: list[str] | None = None) -> dict[str, Recipe]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets (smoke run)")
    args = parser.parse_args(argv)
    n_checks, steps, n_samples = (2000, 5, 8) if args.quick else (20000, 300, 1000)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    data = torch.randn(2000, 2, generator=g) * torch.tensor([1.0, 0.3]) + 1.0
    rows = mixed_rows(2000, g)
    categories = torch.randint(0, 5, (2000, 2), generator=g)
    cov = torch.tensor([[1.0, 0.8], [0.8, 1.0]])

    print("== recipes")
    processes = {
        "Langevin": (langevin(), data),
        "OU (exact kernel)": (OrnsteinUhlenbeck(2), data),
        "jump-diffusion": (user_file("jump_diffusion.py")(data), data),
        "Lévy triplet": (levy_triplet(2), data),
        "cyclic chain": (cyclic_chain(d=2, S=5), None),
        "cyclic chain from blocks": (cyclic_chain_from_blocks(d=2, S=5), categories),
        "VP × absorbing": (user_file("mixed.py")(rows), rows),
        "Lévy OU × absorbing": (heavy_tails_and_category(), rows),
        "correlated OU (new block)": (correlated_ou(cov), data),
        "VP, overridden": (None, data),
    }
    recipes = {}
    for label, (process, rows_) in processes.items():
        r = overridden(rows_) if process is None else recipe(process, rows_)
        recipes[label] = r
        print(f"{label}: {describe(r)}")

    print("== refusals")
    for message in refusals(data):
        print(message)

    print("== product rows")
    show_rows()

    print("== training (smoke runs)")
    for label, process, train_rows in [
        ("Langevin", langevin(), data),
        ("correlated OU", correlated_ou(cov), data),
        ("VP × absorbing", product(VP(2), AbsorbingChain(S=5, d=1)), rows),
        (
            "correlated OU × absorbing",
            product(correlated_ou(cov, theta=5.0, T=1.0), AbsorbingChain(S=5, d=1)),
            rows,
        ),
    ]:
        samples = train_and_sample(process, train_rows, steps, n_samples, g)
        assert samples.shape == (n_samples, train_rows.shape[1])
        assert bool(torch.isfinite(samples).all())
        print(f"{label}: {tuple(samples.shape)} samples")

    print("== check_process")
    for label, process, x0 in [
        ("OU (exact kernel)", OrnsteinUhlenbeck(2), torch.tensor([[1.0, -2.0], [0.5, 0.5]])),
        ("correlated OU (new block)", correlated_ou(cov), torch.tensor([[1.0, -1.0], [2.0, 0.5]])),
        ("cyclic chain", cyclic_chain(d=2, S=5), torch.tensor([[0, 1], [4, 4]])),
        ("Lévy OU × absorbing", heavy_tails_and_category(), rows[:2]),
    ]:
        print(f"-- {label}")
        for result in check_process(process, x0, n=n_checks, raise_on_failure=False):
            print(result)
    check_cir(n_checks)
    return recipes


if __name__ == "__main__":
    main()
