"""The training loop: exact resume, atomic/corrupt checkpoints, data parallel = micro-batches."""

import copy
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from dmm.losses import DenoisingScoreMatching, eps_weighting
from dmm.networks import MLP
from dmm.processes import VP
from dmm.scores import EpsParam
from dmm.testing import standard_mixture
from dmm.training import (
    CHECKPOINT,
    CheckpointError,
    Divergence,
    TrainConfig,
    _ema_update,
    adam,
    load_checkpoint,
    tilted_rows,
    train,
)


def _setup(seed=0):
    process = VP(2)
    torch.manual_seed(seed)
    model = EpsParam(MLP(2, 2, hidden=32, depth=2), process)
    data = standard_mixture().sample(512, torch.Generator().manual_seed(1))
    return model, DenoisingScoreMatching(process, eps_weighting), data


CFG = dict(steps=40, batch_size=32, log_every=10, val_every=20, checkpoint_every=20, val_size=64)


def _params(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def test_resume_equals_uninterrupted(tmp_path):
    model, loss, data = _setup()
    full = train(model, loss, data, TrainConfig(**CFG), run_dir=tmp_path / "a")
    # interrupted: a crash at step 26 (checkpoint at 20), then resume to 40
    model2, loss2, _ = _setup()
    with pytest.raises(KeyboardInterrupt):
        train(model2, _CrashAfter(loss2, 26), data, TrainConfig(**CFG), run_dir=tmp_path / "b")
    model3, loss3, _ = _setup(seed=123)  # different init: everything must come from the checkpoint
    resumed = train(model3, loss3, data, TrainConfig(**CFG), run_dir=tmp_path / "b", resume=True)
    torch.testing.assert_close(_params(resumed.model), _params(full.model), rtol=0, atol=0)
    torch.testing.assert_close(_params(resumed.ema), _params(full.ema), rtol=0, atol=0)
    assert [r["step"] for r in resumed.history] == [r["step"] for r in full.history]
    log = (tmp_path / "b" / "log.jsonl").read_text().splitlines()
    assert len(log) == len(full.history)


class _CrashAfter:
    """The loss, raising ``KeyboardInterrupt`` at its ``calls``-th call (a crash mid-run)."""

    def __init__(self, loss, calls):
        self.loss, self.calls = loss, calls

    def __getattr__(self, name):
        return getattr(self.loss, name)

    def __call__(self, *args, **kwargs):
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt
        return self.loss(*args, **kwargs)


def test_a_resume_off_a_logging_boundary_logs_what_an_uninterrupted_run_logs(tmp_path):
    # checkpoints every 15 steps, log rows every 10: the crash at step 17 resumes from step 15,
    # inside the row that ends at step 20, whose mean must still cover steps 11-20
    cfg = TrainConfig(**{**CFG, "checkpoint_every": 15})
    model, loss, data = _setup()
    full = train(model, loss, data, cfg, run_dir=tmp_path / "a")
    model2, loss2, _ = _setup()
    with pytest.raises(KeyboardInterrupt):
        train(model2, _CrashAfter(loss2, 17), data, cfg, run_dir=tmp_path / "b")
    model3, loss3, _ = _setup(seed=123)
    resumed = train(model3, loss3, data, cfg, run_dir=tmp_path / "b", resume=True)
    assert resumed.history == full.history
    assert (tmp_path / "b" / "log.jsonl").read_text() == (tmp_path / "a" / "log.jsonl").read_text()


class _Scaled:
    """The loss times ``factor(k)`` at its ``k``-th call."""

    def __init__(self, loss, factor):
        self.loss, self.factor, self.calls = loss, factor, 0

    def __getattr__(self, name):
        return getattr(self.loss, name)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.loss(*args, **kwargs) * self.factor(self.calls)


def _Corrupt(loss, call, factor):
    """The loss, multiplied by ``factor`` from its ``call``-th call on (a run that blows up)."""
    return _Scaled(loss, lambda k: factor if k >= call else 1.0)


def _Growing(loss, start, rate):
    """The loss times ``rate ** (call - start)`` from its ``start``-th call on."""
    return _Scaled(loss, lambda k: rate ** max(0, k - start))


def _Zeroed(loss, calls):
    """The loss times 0 for its first ``calls`` calls."""
    return _Scaled(loss, lambda k: 0.0 if k <= calls else 1.0)


@pytest.mark.parametrize(
    "factor, reason", [(float("nan"), "the loss is nan"), (1e6, "the loss exploded to")]
)
def test_divergence_stops_training_and_keeps_the_last_checkpoint(tmp_path, factor, reason):
    model, loss, data = _setup()
    train(model, loss, data, TrainConfig(**CFG), run_dir=tmp_path / "a")  # reaches step 40
    model2, loss2, _ = _setup()
    with pytest.raises(Divergence, match=reason) as info:
        train(model2, _Corrupt(loss2, 26, factor), data, TrainConfig(**CFG), run_dir=tmp_path / "b")
    assert (info.value.step, info.value.checkpoint_step) == (25, 20)
    assert "at step 26; the checkpoint of step 20 is kept" in str(info.value)
    kept = load_checkpoint(tmp_path / "b" / CHECKPOINT)
    assert kept["step"] == 20
    # the kept checkpoint is the uninterrupted run's step-20 state: resuming reproduces it
    model3, loss3, _ = _setup(seed=123)
    resumed = train(model3, loss3, data, TrainConfig(**CFG), run_dir=tmp_path / "b", resume=True)
    full = load_checkpoint(tmp_path / "a" / CHECKPOINT)
    torch.testing.assert_close(
        _params(resumed.model),
        torch.cat([v.reshape(-1) for v in full["model"].values()]),
        rtol=0,
        atol=0,
    )


def test_a_first_loss_of_zero_is_no_scale_for_the_divergence_guard():
    """An implicit score-matching loss of a network whose output starts at 0 is exactly 0 at the
    first step: every later positive loss was "over 10000 times the first step's 0" and training
    stopped at step 3. The guard waits for a window of steps to give it a scale."""
    from dmm.processes import Diffusion, Process
    from dmm.recipe import recipe
    from dmm.spaces import Euclidean

    data = torch.randn(400, 2, generator=torch.Generator().manual_seed(3))
    still = (Diffusion(lambda x, t: torch.zeros_like(x), lambda x, t: 0.01),)
    built = recipe(Process(Euclidean(2), still, name="Weak"), data, hidden=32, depth=2)
    assert built.loss(built.model, data[:256], torch.Generator().manual_seed(0)).item() == 0.0
    result = train(built.model, built.loss, data, TrainConfig(steps=50, warmup=5, log_every=10))
    assert result.history[-1]["step"] == 50


def test_the_window_of_a_zero_first_loss_sees_an_explosion_and_survives_a_resume(tmp_path):
    """The window is part of the checkpoint: a resumed run stops where the uninterrupted run
    does (without it the guard had no window for 20 steps after a resume)."""
    model, loss, data = _setup()
    with pytest.raises(Divergence, match="times the median") as full:
        train(model, _Corrupt(_Zeroed(loss, 1), 30, 1e6), data, TrainConfig(**CFG))
    model2, loss2, _ = _setup()
    with pytest.raises(KeyboardInterrupt):
        train(
            model2, _CrashAfter(_Zeroed(loss2, 1), 26), data, TrainConfig(**CFG), run_dir=tmp_path
        )
    assert len(load_checkpoint(tmp_path / CHECKPOINT)["loss_window"]) == 20
    model3, loss3, _ = _setup(seed=123)
    with pytest.raises(Divergence, match="times the median") as resumed:
        train(
            model3,
            _Corrupt(loss3, 10, 1e6),
            data,
            TrainConfig(**CFG),
            run_dir=tmp_path,
            resume=True,
        )
    assert resumed.value.step == full.value.step == 29


def test_a_slow_blow_up_is_still_caught_against_the_first_loss():
    """A loss growing 1.5 times a step was let through by the median of a window that grows
    with it; a non-zero first loss is the scale, as before."""
    model, loss, data = _setup()
    with pytest.raises(Divergence, match="times the first step's"):
        train(model, _Growing(loss, 5, 1.5), data, TrainConfig(**{**CFG, "steps": 60}))


def test_a_huge_learning_rate_is_divergence_before_any_checkpoint(tmp_path):
    model, loss, data = _setup()
    cfg = TrainConfig(**{**CFG, "steps": 200, "lr": 10.0, "warmup": 20})
    with pytest.raises(Divergence, match="no checkpoint had been written") as info:
        train(model, loss, data, cfg, run_dir=tmp_path)
    assert info.value.checkpoint_step == 0 and info.value.step < 20
    assert not (tmp_path / CHECKPOINT).exists()


def test_ordinary_training_is_far_from_the_divergence_threshold():
    # the default lr over 200 steps: no row above 10x the first step's loss (threshold 1e4x)
    model, loss, data = _setup()
    res = train(model, loss, data, TrainConfig(**{**CFG, "steps": 200, "log_every": 1}))
    first = abs(res.history[0]["loss"])
    assert max(r["loss"] for r in res.history) < 10 * first


def test_loss_decreases():
    model, loss, data = _setup()
    res = train(model, loss, data, TrainConfig(**{**CFG, "steps": 200, "batch_size": 128}))
    assert res.history[-1]["loss"] < 0.8 * res.history[0]["loss"]


def test_corrupt_checkpoint_is_reported(tmp_path):
    model, loss, data = _setup()
    train(model, loss, data, TrainConfig(**{**CFG, "steps": 20}), run_dir=tmp_path)
    path = tmp_path / CHECKPOINT
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupt checkpoint"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    # a crash while writing must leave the previous checkpoint intact
    from dmm import training

    model, loss, data = _setup()
    train(model, loss, data, TrainConfig(**{**CFG, "steps": 20}), run_dir=tmp_path)
    before = (tmp_path / CHECKPOINT).read_bytes()

    def crash(obj, fh):
        fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(training.torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        training.save_atomic({"x": 1}, tmp_path / CHECKPOINT)
    assert (tmp_path / CHECKPOINT).read_bytes() == before
    load_checkpoint(tmp_path / CHECKPOINT)


def test_invalid_config():
    with pytest.raises(ValueError):
        TrainConfig(steps=0)
    with pytest.raises(ValueError):
        TrainConfig(batch_size=10, micro_batches=3)


def test_invalid_row_tilt():
    for tilt in (-0.5, 5.0, float("nan")):
        with pytest.raises(ValueError):
            TrainConfig(row_tilt=tilt)
    with pytest.raises(ValueError, match="real numbers"):
        tilted_rows(torch.arange(6).reshape(3, 2), 1.0)


def test_tilted_rows_are_an_importance_sampling_of_the_uniform_rows():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [-1.0, 0.0], [0.0, 12.0]])
    q, weight = tilted_rows(x, 2.0)
    w = 1 + (x**2).sum(1)  # (1 + |x|²)^{a/2} at a = 2: 1, 26, 2, 145
    torch.testing.assert_close(q, w / w.sum())
    # E_q[weight f] = mean f for every f: q_i weight_i = 1/N
    torch.testing.assert_close(q * weight, torch.full((4,), 0.25))


class _MeanModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.theta = torch.nn.Parameter(torch.zeros(1))


class _SquaredError:
    """``ℓ(x_0) = (θ - x_0)²``: the data's mean minimises its average."""

    def per_sample(self, model, x0, generator, context=None):
        return ((model.theta - x0) ** 2).sum(1)

    def __call__(self, model, x0, generator=None, context=None):
        return self.per_sample(model, x0, generator, context).mean()


@pytest.mark.parametrize("tilt", [0.0, 1.0])
def test_row_tilt_keeps_the_minimiser(tilt):
    # 990 rows at 0 and 10 at 100: mean 1. With a = 1 half of the draws are far rows; unweighted
    # they pull θ towards the tilted mean Σ q_i x_i ≈ 50 (15 after these steps, with the weights
    # set to 1 by hand). The weights bring it back to 1
    # (EMA of Adam iterates; per-step gradient noise ≈ 4/sqrt(64) against a slope of 2: the
    # iterates scatter by well under 0.3 at the final learning rate of 2e-3).
    data = torch.cat([torch.zeros(990, 1), torch.full((10, 1), 100.0)])
    q, _ = tilted_rows(data, 1.0)
    assert (q * data[:, 0]).sum() > 45  # the draws are far from the data's law
    cfg = TrainConfig(
        steps=1500,
        batch_size=64,
        lr=0.02,
        warmup=10,
        log_every=500,
        val_every=10**6,
        checkpoint_every=10**6,
        val_size=64,
        row_tilt=tilt,
        ema_decay=0.99,
        grad_clip=100.0,
    )
    res = train(_MeanModel(), _SquaredError(), data, cfg)
    assert abs(res.ema.theta.item() - 1.0) < 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    model, loss, data = _setup()
    res = train(model, loss, data, TrainConfig(**{**CFG, "micro_batches": 2}))
    if rank == 0:
        torch.save(_params(res.model), out)
    torch.distributed.destroy_process_group()


def test_two_processes_match_one_process_with_the_same_micro_batches(tmp_path):
    # world size 2 with half the batch each == one process accumulating the same two halves;
    # equal up to float summation order in the gradient all-reduce (atol 1e-5)
    out = tmp_path / "ddp.pt"
    mp.spawn(_ddp_worker, args=(2, _free_port(), out), nprocs=2, join=True)
    model, loss, data = _setup()
    single = train(model, loss, data, TrainConfig(**{**CFG, "micro_batches": 2}))
    torch.testing.assert_close(torch.load(out), _params(single.model), rtol=1e-4, atol=1e-5)


def test_the_trainers_adam_and_ema_equal_the_per_tensor_updates_to_every_bit():
    """``adam`` (multi-tensor) and ``_ema_update`` against torch's per-tensor Adam and a loop of
    ``lerp_``: the same element-wise arithmetic, so the same weights to every bit."""
    torch.manual_seed(0)
    nets = [MLP(3, 3, hidden=32, depth=2)]
    nets.append(copy.deepcopy(nets[0]))
    emas = [copy.deepcopy(n).requires_grad_(False) for n in nets]
    opts = [adam(nets[0], 1e-2), torch.optim.Adam(nets[1].parameters(), 1e-2, foreach=False)]
    x, t = torch.randn(64, 3), torch.rand(64)
    for _ in range(50):
        for k, (net, opt) in enumerate(zip(nets, opts)):
            opt.zero_grad()
            (net(x, t) - x).square().mean().backward()
            opt.step()
            if k == 0:
                _ema_update(emas[0], net, 0.9)
            else:
                with torch.no_grad():
                    for pe, pm in zip(emas[1].parameters(), net.parameters()):
                        pe.lerp_(pm, 1 - 0.9)
    for a, b in zip(
        [*nets[0].parameters(), *emas[0].parameters()],
        [*nets[1].parameters(), *emas[1].parameters()],
    ):
        assert torch.equal(a, b)
    assert not torch.equal(next(nets[0].parameters()), next(emas[0].parameters()))


def test_data_are_checked_by_the_process_space_and_cast_to_the_model():
    """From Python, NaN rows trained to a NaN validation loss, categories given as fractions
    trained silently and float64 or NumPy data raised deep torch errors."""
    from dmm.processes import VP, UniformChain
    from dmm.recipe import recipe
    from dmm.spaces import SupportError

    cfg = TrainConfig(steps=2, batch_size=16, warmup=0)
    x = torch.randn(64, 2)
    r = recipe(VP(2), hidden=8, depth=1)
    bad = x.clone()
    bad[5, 1] = float("nan")
    with pytest.raises(SupportError, match=r"NaN or infinite values in 1 row\(s\): 5"):
        train(r.model, r.loss, bad, cfg)
    for given in (x.double(), x.numpy(), x.double().numpy()):
        assert train(r.model, r.loss, given, cfg).step == 2
    chain = recipe(UniformChain(d=2, S=4), hidden=8, depth=1)
    with pytest.raises(SupportError, match="non-integer values"):
        train(chain.model, chain.loss, torch.rand(64, 2) * 3, cfg)
    with pytest.raises(SupportError, match="outside"):
        train(chain.model, chain.loss, torch.randint(0, 6, (64, 2)), cfg)


def test_the_warm_up_takes_at_most_a_fifth_of_the_steps():
    """TrainConfig(steps=100) kept warmup=200: the rate never got past half its peak."""
    from dmm.training import learning_rate

    short = TrainConfig(steps=100, lr=1e-3)
    assert learning_rate(short, 19) == pytest.approx(1e-3)
    assert learning_rate(short, 9) == pytest.approx(0.5e-3)
    long = TrainConfig(steps=5000, lr=1e-3)
    assert learning_rate(long, 99) == pytest.approx(0.5e-3)  # 200 steps of warm-up, as before


def test_a_checkpoint_loads_from_its_path_as_text_or_its_run_folder(tmp_path):
    from dmm.training import load_checkpoint

    model, loss, data = _setup()
    train(model, loss, data, TrainConfig(**CFG), run_dir=str(tmp_path / "run"))
    for where in (str(tmp_path / "run" / "checkpoint.pt"), str(tmp_path / "run")):
        assert load_checkpoint(where)["step"] == CFG["steps"]
