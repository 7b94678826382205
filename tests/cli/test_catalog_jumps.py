"""Catalogue entries and data sets of the jump family, and the bad-input path for torus data."""

import math

import numpy as np
import pytest
import torch

from dmm.cli.catalog import build
from dmm.data import load_data
from dmm.data.heavy_tails import symmetric_stable
from dmm.losses import DenoisingJumpScoreEntropy, ImplicitScoreEntropy, SumLoss
from dmm.reversal import Reversal
from dmm.samplers import simulate
from dmm.spaces import SupportError


def test_torus_jump_end_to_end_smoke_and_bad_input():
    g = torch.Generator().manual_seed(0)
    data = load_data("torus-checkerboard", 64, g)
    built = build("torus-jump", data, {"hidden": 16, "depth": 1})
    proc, model, loss = built.process, built.model, built.loss
    assert isinstance(loss, DenoisingJumpScoreEntropy) and torch.isfinite(loss(model, data, g))
    implicit = build("torus-jump", data, {"hidden": 16, "depth": 1, "loss": "implicit"}).loss
    assert isinstance(implicit, ImplicitScoreEntropy) and torch.isfinite(implicit(model, data, g))
    y = simulate(Reversal(proc, model), built.sampler("tau-leaping"), 16, 3, g)
    assert y.shape == (16, 2) and not proc.space.outside(y).any()
    outside = data.clone()
    outside[[3, 7], 0] += 2 * math.pi
    with pytest.raises(SupportError, match=r"2 row\(s\): 3, 7"):
        proc.space.validate(outside)
    with pytest.raises(SupportError, match=r"2 row\(s\): 3, 7"):
        build("torus-jump", outside)
    wrapping = build("torus-jump", outside, {"wrap": True, "hidden": 16, "depth": 1})
    assert torch.allclose(wrapping.data, data, atol=1e-5)
    assert built.spec.evaluate(proc, model, data)["terminal_atom_mass"] == pytest.approx(
        math.exp(-30)
    )


def test_torus_jump_time_dependent_size_from_the_catalogue():
    g = torch.Generator().manual_seed(0)
    data = load_data("torus-checkerboard", 64, g)
    params = {"hidden": 16, "depth": 1, "sigma_jump": 1.0, "sigma_jump_min": 0.1}
    built = build("torus-jump", data, params)
    proc = built.process
    assert proc.sigma_jump_min == 0.1 and proc.jumps.scale is not None
    assert float(proc.jumps.scale(torch.tensor(0.0))) == pytest.approx(0.1)
    assert torch.isfinite(built.loss(built.model, data, g))
    y = simulate(Reversal(proc, built.model), built.sampler("tau-leaping"), 16, 3, g)
    assert y.shape == (16, 2)
    assert build("torus-jump", data, {"hidden": 16, "depth": 1}).process.jumps.scale is None
    with pytest.raises(ValueError, match="sigma_jump_min"):
        build("torus-jump", data, {"sigma_jump_min": 2.0})


@pytest.mark.parametrize(
    "jumps,loss,loss_type",
    [
        ("student-t", "denoising", DenoisingJumpScoreEntropy),
        ("student-t", "implicit", ImplicitScoreEntropy),
        ("stable", "denoising", SumLoss),
        ("stable", "implicit", SumLoss),
    ],
)
def test_levy_ou_builds_both_laws(jumps, loss, loss_type):
    g = torch.Generator().manual_seed(1)
    data = load_data("student-t-3-2d", 64, g)
    built = build("levy-ou", data, {"jumps": jumps, "loss": loss, "hidden": 16, "depth": 1})
    proc, model, loss_fn = built.process, built.model, built.loss
    assert isinstance(loss_fn, loss_type) and torch.isfinite(loss_fn(model, data, g))
    if jumps == "stable":  # denoising: latent DSM + denoising score entropy
        first = loss_fn.losses[0]
        assert (type(first).__name__ == "LatentScoreMatching") == (loss == "denoising")
    y = simulate(Reversal(proc, model), built.sampler("split-tau"), 8, 3, g)
    assert torch.isfinite(y).all()
    with pytest.raises(ValueError, match="'jumps' of process 'levy-ou' must be one of: student-t"):
        build("levy-ou", data, {"jumps": "cauchy"})


def test_heavy_tailed_data_sets():
    g = torch.Generator().manual_seed(2)
    x = load_data("stable-1.5-8d", 100000, g).double()
    # E cos(u x_1) = exp(-|u|^1.5) for the isotropic standard stable law; 5 se ≈ 0.016
    for u in (0.5, 1.0):
        assert abs(torch.cos(u * x[:, 0]).mean().item() - math.exp(-(u**1.5))) < 0.016
    t3 = load_data("student-t-3-2d", 100000, g).double()
    # Var of Student-t ν = 3 is 3; its sampling sd is large (infinite 4th moment), allow 15%
    assert abs(t3.var(0).mean().item() - 3.0) < 0.45
    for name in ("torus-checkerboard", "torus-swissroll", "torus-moons"):
        z = load_data(name, 1000, g)
        assert z.shape == (1000, 2) and ((z >= -math.pi) & (z < math.pi)).all()


def test_levy_ou_reads_the_tail_index_from_the_data():
    """``nu=0`` / ``alpha=0`` (the defaults): the Hill estimate from the top 1% of 20 000 rows,
    whose sd is ``ν/√200 ≈ 7%``; tolerance 25% (the Student-t's second-order bias at the top
    1% is below that, measured 1.46 for ν = 1.5 on 10^6 draws). The value is recorded in the
    built parameters, so that a run rebuilds the same process."""
    g = torch.Generator().manual_seed(4)
    for name, nu in (("student-t-1.5-2d", 1.5), ("student-t-3-8d", 3.0)):
        data = load_data(name, 20000, g)
        built = build("levy-ou", data, {"hidden": 8, "depth": 1})
        assert abs(built.process.jump_law.nu / nu - 1) < 0.25
        assert built.params["nu"] == built.process.jump_law.nu
        assert built.model.ratio_model.tail.law.nu == built.process.jump_law.nu  # the tail prior's
    light = torch.randn(20000, 2, generator=g)  # a Gaussian: a large index, stable capped below 2
    built = build("levy-ou", light, {"jumps": "stable", "hidden": 8, "depth": 1})
    assert built.process.jump_law.alpha == 1.95 and built.params["alpha"] == 1.95
    fixed = build("levy-ou", light, {"nu": 2.5, "hidden": 8, "depth": 1})
    assert fixed.process.jump_law.nu == 2.5


@pytest.mark.parametrize("scale", [0.5, 4.0])
def test_levy_ou_stable_intensity_zero_matches_the_data_scale(scale):
    """``intensity=0``: the stable jumps' intensity whose terminal law has the data's median
    radius. Checked on 4-D stable data scaled by 0.5 and by 4 with fresh draws of ``X_T`` (not the
    fit's seed): within 3% (the median of 2^15 draws has a relative sd near 1%). The intensity is
    recorded in the built parameters; a given one is kept."""
    g = torch.Generator().manual_seed(6)
    data = scale * symmetric_stable(20000, g, 1.5, 4)
    # on the raw values (standardised, both scales would come to the same coordinates)
    small = {"jumps": "stable", "alpha": 1.5, "hidden": 8, "depth": 1, "standardise": False}
    built = build("levy-ou", data, {**small, "intensity": 0.0})
    process = built.process
    assert built.params["intensity"] == process.jump_law.intensity > 0
    x0 = torch.zeros(2**15, 4, dtype=torch.float64)
    xt = process.sample_marginal(x0, torch.tensor(process.T, dtype=torch.float64), g)
    ratio = float(xt.norm(dim=1).median() / data.double().norm(dim=1).median())
    assert abs(ratio - 1) < 0.03
    assert build("levy-ou", data, {**small, "intensity": 2.0}).process.jump_law.intensity == 2.0


@pytest.mark.parametrize("name", ["torus-jump", "levy-ou"])
def test_logistic_offset_reaches_the_loss_and_is_ignored_by_kl(name):
    g = torch.Generator().manual_seed(5)
    data = load_data("torus-checkerboard" if name == "torus-jump" else "student-t-3-2d", 64, g)
    small = {"hidden": 8, "depth": 1}
    logistic = build(name, data, {**small, "divergence": "logistic", "logistic_offset": 4.0})
    assert logistic.loss.divergence == "logistic" and logistic.loss.offset == 4.0
    assert torch.isfinite(logistic.loss(logistic.model, data, g))
    kl = build(name, data, {**small, "divergence": "kl", "logistic_offset": 4.0})
    assert kl.loss.divergence == "kl" and kl.loss.offset == 0.0
    with pytest.raises(ValueError, match="offset must be in"):
        build(name, data, {**small, "divergence": "logistic", "logistic_offset": -1.0})


def test_levy_log_times_draw_small_times_and_keep_the_loss():
    from dmm.losses.times import LogUniformMixture, UniformTimes

    g = torch.Generator().manual_seed(6)
    data = load_data("student-t-3-2d", 20000, g)
    small = {"hidden": 8, "depth": 1}
    plain, mixed = (
        build("levy-ou", data, small),
        build("levy-ou", data, {**small, "log_times": 0.5}),
    )
    assert plain.loss.times == UniformTimes() and mixed.loss.times == LogUniformMixture(0.5)
    # the same model, the same integral over t: the means agree within 4 standard errors
    # (importance weights 1/((T - t_min) q(t)) undo the law; a missing weight moves the mean by
    # many standard errors, the log-uniform half putting most draws at t < 0.1)
    means = []
    for loss in (plain.loss, mixed.loss):
        with torch.no_grad():
            per = loss.per_sample(plain.model, data, torch.Generator().manual_seed(7))
        means.append((float(per.mean()), float(per.std()) / math.sqrt(len(per))))
    (a, sa), (b, sb) = means
    assert abs(a - b) < 4 * math.hypot(sa, sb)
    # the radius truncation replaces the small jumps by Brownian motion: a sum of two losses
    radius = {**small, "log_times": 0.5, "jumps": "stable", "alpha": 1.5, "truncation": "radius"}
    brownian = build("levy-ou", data, radius)
    assert isinstance(brownian.loss, SumLoss)
    assert all(part.times == LogUniformMixture(0.5) for part in brownian.loss.losses)
    with pytest.raises(ValueError, match="log_times"):
        build("levy-ou", data, {**small, "log_times": 1.0})


def test_levy_ou_marginal_tail_reads_the_scale_and_a_run_reloads_it(tmp_path):
    """``tail_law=marginal tail_scale=0``: the fixed part is the forward marginal of a Student-t
    whose median radius is the data's. On Student-t draws of scale 2 the scale comes out 2 within
    5% (the median radius of 20 000 rows has a relative sd of about 1%). The fitted value is
    recorded, so a loaded run rebuilds the same table without the data and samples from it."""
    from dmm.cli.main import main
    from dmm.cli.rundir import load_run
    from dmm.processes.levy_marginal import LevyOUMarginal

    data = 2 * load_data("student-t-3-2d", 20000, torch.Generator().manual_seed(5))
    params = {"tail_law": "marginal", "tail_scale": 0, "hidden": 8, "depth": 1}
    built = build("levy-ou", data, {**params, "standardise": False})  # read on the raw values
    assert abs(built.params["tail_scale"] / 2 - 1) < 0.05
    assert isinstance(built.model.ratio_model.tail, LevyOUMarginal)
    out = tmp_path / "run"
    argv = ["train", "--process", "levy-ou", "--data", "student-t-3-2d", "--out", str(out)]
    sets = ["--set", "tail_law=marginal", "--set", "tail_scale=0", "--set", "hidden=16"]
    assert main([*argv, "--steps", "3", "--quiet", *sets, "--set", "sample_steps=20"]) == 0
    run = load_run(out)
    assert run.params["tail_scale"] > 0 and run.params["tail_law"] == "marginal"
    tail = run.built.model.ratio_model.tail
    assert isinstance(tail, LevyOUMarginal)
    # the recorded parameters alone rebuild the same table, whatever data the build sees
    again = build("levy-ou", data, run.params).model.ratio_model.tail
    assert torch.equal(again.value, tail.value) and torch.equal(again.slope, tail.slope)
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "s.npy"), "--quiet"]) == 0


@pytest.mark.parametrize("jumps", ["student-t", "stable"])
def test_levy_ou_standardises_with_the_quartiles_and_moves_with_the_data(jumps):
    """``standardise=true`` (the default): the map is fitted from quartiles, so a shifted and
    scaled copy of the data trains the same model on the same coordinates (the index and the
    intensity read from them equal; 1e-4, float32 rows), and the map's inverse returns the
    data. The built-in sets of the jump family keep their scale: within 5% of 1 (half the
    interquartile distance of 20 000 rows has a relative sd near 1%, and the Hill index's error
    moves the standard law's deviation it is measured in by under 3%: for ν = 3, and for the
    stable index read as 1.69 against 1.5)."""
    g = torch.Generator().manual_seed(7)
    data = load_data("student-t-3-2d" if jumps == "student-t" else "stable-1.5-2d", 20000, g)
    moved = 10.0 * data + torch.tensor([3.0, -5.0])
    small = {"jumps": jumps, "hidden": 8, "depth": 1}
    a, b = build("levy-ou", data, small), build("levy-ou", moved, small)
    torch.testing.assert_close(a.data, b.data, atol=1e-4, rtol=1e-4)
    read = ("nu",) if jumps == "student-t" else ("alpha", "intensity")
    for key in read:
        assert a.params[key] == pytest.approx(b.params[key], rel=1e-4)
    torch.testing.assert_close(b.decode(b.data), moved, atol=1e-3, rtol=1e-4)
    assert all(abs(s - 1) < 0.05 for s in a.scaling.scale), a.scaling.scale
    np.testing.assert_allclose(b.scaling.mean, 10 * np.array(a.scaling.mean) + [3, -5], atol=1e-4)
    np.testing.assert_allclose(b.scaling.scale, 10 * np.array(a.scaling.scale), rtol=1e-4)
    raw = build("levy-ou", moved, {**small, "standardise": False})
    assert raw.scaling is None and torch.equal(raw.data, moved)


def test_levy_ou_divergence_auto_reads_the_tails_and_the_run_records_it(tmp_path):
    """``divergence=auto`` (the default): ``kl`` on heavy tails (student-t-3-2d reads about 3),
    ``logistic`` with the offset 8 counted from the tail on light-tailed data (four narrow
    Gaussians read over 100); the run records the choice, and a run from before the
    divergences existed loads as ``kl``."""
    import yaml

    from dmm.cli.main import main
    from dmm.cli.rundir import load_run
    from dmm.losses.score_entropy_jumps import DenoisingJumpScoreEntropy

    g = torch.Generator().manual_seed(5)
    heavy = load_data("student-t-3-2d", 20000, g)
    signs = torch.randint(0, 2, (20000, 2), generator=g) * 4.0 - 2.0
    narrow = signs + 0.05 * torch.randn(20000, 2, generator=g)
    small = {"hidden": 8, "depth": 1}
    kl = build("levy-ou", heavy, small)
    assert kl.params["divergence"] == "kl" and kl.loss.divergence == "kl"
    light = build("levy-ou", narrow, small)
    assert light.params["divergence"] == "logistic"
    assert light.notes == ("divergence=auto chose logistic from the data (the run records it)",)
    assert isinstance(light.loss, DenoisingJumpScoreEntropy) and light.loss.divergence == "logistic"
    assert light.loss.offset == 8.0 and light.loss.offset_from_fixed
    assert torch.isfinite(light.loss(light.model, light.data[:64], g))
    # given, it is kept, and nothing is said
    given = build("levy-ou", narrow, {**small, "divergence": "kl"})
    assert given.loss.divergence == "kl" and given.notes == ()

    path = tmp_path / "narrow.npy"
    np.save(path, narrow.numpy())
    out = tmp_path / "run"
    argv = ["train", "--process", "levy-ou", "--data", str(path), "--out", str(out), "--quiet"]
    assert main([*argv, "--steps", "3", "--set", "hidden=8", "--set", "depth=1"]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["params"]["divergence"] == "logistic"
    assert load_run(out).built.loss.divergence == "logistic"
    for key in ("divergence", "logistic_offset", "offset_from_tail"):
        del config["params"][key]
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    old = load_run(out)
    assert old.params["divergence"] == "kl" and old.built.loss.divergence == "kl"


def test_divergence_auto_keeps_kl_on_every_heavy_tailed_set():
    # the heavy-tail tables were measured with kl: auto must choose it on all eight sets (their
    # Hill indices read 1.3-3.3 from 20 000 rows, the threshold is 6)
    from dmm.cli.catalog.jumps import auto_divergence

    for nu in ("1.5", "2", "3"):
        for d in ("2d", "8d"):
            data = load_data(f"student-t-{nu}-{d}", 20000, torch.Generator().manual_seed(0))
            assert auto_divergence(data) == "kl", (nu, d)
    for d in ("2d", "8d"):
        data = load_data(f"stable-1.5-{d}", 20000, torch.Generator().manual_seed(0))
        assert auto_divergence(data) == "kl", d
    light = torch.randn(20000, 2, generator=torch.Generator().manual_seed(0))
    assert auto_divergence(light) == "logistic"  # Gaussian rows read about 11


def test_torus_brownian_wraps_angles_when_asked_as_torus_jump_does():
    """torus-brownian had no wrap parameter: angles in [0, 2π) had to be wrapped by hand."""
    g = torch.Generator().manual_seed(0)
    data = torch.rand(64, 2, generator=g) * 2 * math.pi - math.pi
    outside = data.clone()
    outside[[3, 7], 1] += 2 * math.pi
    with pytest.raises(SupportError, match=r"2 row\(s\): 3, 7.*--set wrap=true"):
        build("torus-brownian", outside)
    wrapping = build("torus-brownian", outside, {"wrap": True, "hidden": 16, "depth": 1})
    assert torch.allclose(wrapping.data, data, atol=1e-5)


def test_a_wrapping_torus_notes_degrees_and_a_constant_angle():
    """Degrees with wrap=true were read as radians without a word; a constant angle column got
    the note the other processes print only on R^d and the orthant."""
    g = torch.Generator().manual_seed(0)
    degrees = torch.rand(64, 2, generator=g) * 360 - 180
    built = build("torus-brownian", degrees, {"wrap": True, "hidden": 16, "depth": 1})
    assert any("wrap=true reads radians" in note and "degrees?" in note for note in built.notes)
    radians = torch.rand(64, 2, generator=g) * 2 * math.pi  # [0, 2π): within two turns
    built = build("torus-brownian", radians, {"wrap": True, "hidden": 16, "depth": 1})
    assert not any("reads radians" in note for note in built.notes)
    radians[:, 1] = 0.5
    built = build("torus-brownian", radians, {"wrap": True, "hidden": 16, "depth": 1})
    assert any("coordinate(s) 1 = 0.5 in every row" in note for note in built.notes)


def test_angles_in_0_2pi_come_back_in_0_2pi():
    """A wrapping torus trained on angles in [0, 2π) gave samples in [-π, π), and a filled row
    mixed both ranges (a given 5.5 beside a drawn -2.8)."""
    g = torch.Generator().manual_seed(0)
    data = torch.rand(64, 2, generator=g) * 2 * math.pi  # [0, 2π)
    built = build("torus-brownian", data, {"wrap": True, "hidden": 16, "depth": 1})
    assert built.from_zero
    y = torch.rand(200, 2, generator=g) * 2 * math.pi - math.pi  # the model's angles
    out = built.decode(y)
    assert (out >= 0).all() and (out < 2 * math.pi).all()
    assert torch.allclose(built.encode(out), y, atol=1e-5)
    assert torch.allclose(built.encode(data), built.data, atol=1e-6)
    for rows in (data - math.pi, data / 3):  # [-π, π), and [0, 2π/3): no other range is read
        assert not build("torus-brownian", rows, {"wrap": True, "hidden": 16, "depth": 1}).from_zero
