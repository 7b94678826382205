"""Exact error budget on the tiny-chain data set ({0..3}^2, known law): discretisation error of the
chain samplers against the continuous-time backward chain, and for a trained model the exact
KL(p_data || p̂) against terminal + loss + reconstruction (MATH.md §4, §8).

    python benchmarks/chains_tiny_oracle.py            # ~3 minutes on one core

Writes ``docs/results/chains_tiny_oracle.json`` and ``docs/figures/chains_discretisation.png``
(``--out`` and ``--figure`` elsewhere).
Every number is exact (joint-space linear algebra, no Monte Carlo) except the training itself.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from dmm.cli.config import writable_file
from dmm.data.digits import tiny_chain, tiny_chain_pmf
from dmm.metrics.chain_oracle import ExactChain
from dmm.metrics.chains import entropy, kl_divergence, total_variation
from dmm.networks import MLP
from dmm.processes.chains import AbsorbingChain, UniformChain
from dmm.reversal import Reversal
from dmm.samplers.base import time_grid
from dmm.samplers.chains import ChainEuler, TauLeaping, TweedieStep
from dmm.scores.ratios import MeanRatios
from dmm.training import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
STEPS = [4, 8, 16, 32, 64, 128]
SAMPLERS = {"euler": ChainEuler, "tau": TauLeaping, "tweedie": TweedieStep}


def q_joint(ex: ExactChain) -> torch.Tensor:
    q = ex.process.reference.probs64
    return q[ex.states[:, 0]] * q[ex.states[:, 1]]


def exact_terms(ex: ExactChain, model) -> dict[str, float]:
    """Exact expectations (nats) of the three NLL-bound terms."""
    p, x0 = ex.process, ex.data_states
    loss = ex.expected_loss(model, panels=16)
    terminal = p.terminal_kl(x0).double()
    post = model.x0_probs(ex.states, torch.full((len(ex.states),), p.t_min)).double()
    cond = p.transition_probs(x0, torch.full((len(x0),), p.t_min)).double()
    w = torch.ones(len(x0), len(ex.states), dtype=torch.float64)
    nll = torch.zeros_like(w)
    for i in range(p.d):
        w = w * cond[:, i, :][:, ex.states[:, i]]
        nll = nll - torch.log(post[:, i, :][:, x0[:, i]].T.clamp_min(1e-300))
    recon = (w * nll).sum(1)
    pd = ex.p0_data
    return {
        "terminal": float(pd @ terminal),
        "loss": float(pd @ loss),
        "reconstruction": float(pd @ recon),
    }


def run(process_cls, train_steps: int) -> dict:
    p = process_cls(2, 4)
    ex = ExactChain(p, tiny_chain_pmf())
    out: dict = {"process": type(p).__name__, "entropy_nats": entropy(ex.p0_data)}
    start = q_joint(ex)
    with torch.no_grad():
        exact_rev = Reversal(p, ex.model())
        cont = ex.model_law(exact_rev, start, steps=800)
        out["exact_ratios"] = {
            "tv_continuous_decoded_vs_p0": total_variation(
                ex.decode(exact_rev, cont, p.t_min), ex.p0_data
            )
        }
        for name, cls in SAMPLERS.items():
            out["exact_ratios"][f"tv_{name}"] = {
                k: total_variation(ex.sampler_law(exact_rev, cls(), start, time_grid(p, k)), cont)
                for k in STEPS
            }
    torch.manual_seed(0)  # parameter initialisation of the benchmark model
    model = MeanRatios(MLP(p.space.feature_dim, p.d * p.S, 64, 2), p)
    data = tiny_chain(20000, torch.Generator().manual_seed(1))
    cfg = TrainConfig(
        steps=train_steps,
        batch_size=256,
        lr=2e-3,
        warmup=50,
        ema_decay=0.99,
        log_every=500,
        val_every=10**9,
        checkpoint_every=10**9,
    )
    ema = train(model, _loss(p), data, cfg).ema.eval()
    with torch.no_grad():
        rev = Reversal(p, ema)
        terms = exact_terms(ex, ema)
        law = ex.model_law(rev, start, steps=800)
        trained = {
            **terms,
            "bound_minus_entropy": sum(terms.values()) - out["entropy_nats"],
            "kl_data_model_continuous": kl_divergence(ex.p0_data, ex.decode(rev, law, p.t_min)),
            "path_kl_estimation": ex.path_kl(ema, panels=16),
        }
        for name, cls in SAMPLERS.items():
            trained[f"kl_data_model_{name}"] = {
                k: kl_divergence(
                    ex.p0_data,
                    ex.decode(rev, ex.sampler_law(rev, cls(), start, time_grid(p, k)), p.t_min),
                )
                for k in STEPS
            }
    out["trained"] = trained
    return out


def _loss(p):
    from dmm.losses import ScoreEntropy

    return ScoreEntropy(p)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        type=writable_file("--out"),
        default=ROOT / "docs/results/chains_tiny_oracle.json",
        help="the JSON written (default: docs/results/chains_tiny_oracle.json of this repository, "
        "the committed result)",
    )
    ap.add_argument(
        "--figure",
        type=writable_file("--figure"),
        default=ROOT / "docs/figures/chains_discretisation.png",
        help="the figure drawn (default: docs/figures/chains_discretisation.png of this "
        "repository, the committed one)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    res = {
        "runs": [run(UniformChain, 1500), run(AbsorbingChain, 1500)],
        "command": "python benchmarks/chains_tiny_oracle.py",
    }
    res["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    _figure(res, args.figure)
    print(json.dumps(res, indent=2))


def _figure(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(res["runs"]), figsize=(10, 4))
    for ax, run_ in zip(axes, res["runs"], strict=True):
        for name in SAMPLERS:
            tv = run_["exact_ratios"][f"tv_{name}"]
            ax.loglog(STEPS, [tv[k] for k in STEPS], "o-", label=name)
        ax.loglog(STEPS, [0.5 / k for k in STEPS], "k:", label="1/steps")
        ax.set_title(f"{run_['process']}: TV(sampler, exact chain)")
        ax.set_xlabel("steps")
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
