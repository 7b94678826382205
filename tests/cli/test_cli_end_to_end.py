"""End to end: train → sample → eval → plot, resume, config files and ``dmm processes``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from cli_tiny import TINY

import dmm.cli.sample
import dmm.training
from dmm.cli.main import main


def test_train_writes_a_complete_run_folder(tiny_run):
    for name in ("config.yaml", "data.npy", "checkpoint.pt", "log.jsonl", "loss.png"):
        assert (tiny_run / name).is_file(), name
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    assert config["process"] == "vp" and config["data"] == "moons"
    assert config["params"]["hidden"] == 16 and config["params"]["depth"] == 1
    assert config["train"]["steps"] == 20 and config["train"]["val_size"] == 64
    assert config["sample"] == {
        "sampler": "em",
        "sample_steps": 10,
        "denoise": True,
    }  # the VP spec denoises by default
    assert np.load(tiny_run / "data.npy").shape == (256, 2)
    rows = [json.loads(line) for line in (tiny_run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [5, 10, 15, 20]
    assert "val_loss" in rows[1] and "val_loss" in rows[3]


def test_sample_writes_npy(tiny_run, tmp_path, capsys):
    out = tmp_path / "x.npy"
    assert main(["sample", str(tiny_run), "-n", "50", "-o", str(out), "--steps", "5"]) == 0
    x = np.load(out)
    assert x.shape == (50, 2) and np.isfinite(x).all()
    # same seed → same samples; another seed → others (the sampler is seeded, nothing global)
    again = tmp_path / "y.npy"
    assert main(["sample", str(tiny_run), "-n", "50", "-o", str(again), "--steps", "5"]) == 0
    np.testing.assert_array_equal(x, np.load(again))
    assert (
        main(
            [
                "sample",
                str(tiny_run),
                "-n",
                "50",
                "-o",
                str(again),
                "--steps",
                "5",
                "--seed",
                "1",
                "--force",
                "--sampler",
                "ode-heun",
                "--denoise",
                "--no-ema",
            ]
        )
        == 0
    )
    assert not np.allclose(x, np.load(again))
    assert "wrote 50 samples" in capsys.readouterr().out


def test_eval_prints_one_json_object_and_writes_eval_json(tiny_run, capsys):
    assert main(["eval", str(tiny_run), "--data", "moons", "-n", "100", "--steps", "5"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    report = json.loads(out[0])
    assert report == json.loads((tiny_run / "eval.json").read_text())
    two = report["two_sample"]
    for name in ("energy", "mmd", "sliced_w2"):
        assert two[f"{name}_floor"] > 0
        assert two[f"{name}_ratio"] == pytest.approx(two[name] / two[f"{name}_floor"])
    terms = report["error_report"]
    assert terms["terminal"]["value"] > 0
    assert terms["estimation"]["value"] > 0 and terms["estimation"]["std_error"] > 0
    assert terms["numerical"]["steps"] == [5, 10] and terms["numerical"]["value"] >= 0
    assert report["step"] == 20 and report["sampler"] == "em"


def test_eval_accepts_a_data_file(tiny_run, tmp_path, capsys):
    path = tmp_path / "held_out.csv"
    np.savetxt(path, np.random.default_rng(0).normal(size=(60, 2)), delimiter=",")
    assert main(["eval", str(tiny_run), "--data", str(path), "-n", "30", "--steps", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["two_sample"]["n"] == 30


def test_plot_draws_samples_and_gif(tiny_run, capsys):
    from PIL import Image

    assert main(["plot", str(tiny_run), "-n", "100", "--steps", "6", "--frames", "4"]) == 0
    assert (tiny_run / "samples.png").is_file()
    with Image.open(tiny_run / "backward.gif") as gif:  # closed: no ResourceWarning later
        stored = gif.n_frames
    assert stored >= 4  # start, the recorded steps, then the resting frames
    # the count said is the file's (it said one more where equal last frames were merged)
    assert f"backward.gif ({stored} frames)" in capsys.readouterr().out


def _state(path):
    return torch.load(path / "checkpoint.pt", weights_only=True)


def test_resume_reproduces_an_uninterrupted_run(tmp_path, monkeypatch, capsys):
    args = ["train", "--process", "vp", "--data", "moons", *TINY, "--set", "checkpoint_every=10"]
    assert main([*args, "--out", str(tmp_path / "full")]) == 0

    real_save, calls = dmm.training.save_atomic, []

    def crash_on_second_save(obj, path):  # a kill after the step-10 checkpoint was written
        calls.append(obj["step"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_save(obj, path)

    monkeypatch.setattr(dmm.training, "save_atomic", crash_on_second_save)
    assert main([*args, "--out", str(tmp_path / "cut")]) == 130
    assert "--resume" in capsys.readouterr().err
    assert _state(tmp_path / "cut")["step"] == 10
    monkeypatch.setattr(dmm.training, "save_atomic", real_save)
    assert main(["train", "--resume", str(tmp_path / "cut"), "--quiet"]) == 0

    full, cut = _state(tmp_path / "full"), _state(tmp_path / "cut")
    assert cut["step"] == full["step"] == 20
    for key in ("model", "ema"):  # bit-identical on CPU: same seed, same generator state
        for name, value in full[key].items():
            assert torch.equal(value, cut[key][name]), (key, name)
    assert (tmp_path / "full" / "log.jsonl").read_text() == (
        tmp_path / "cut" / "log.jsonl"
    ).read_text()


def test_ctrl_c_before_the_first_checkpoint_keeps_the_run_to_resume(tmp_path, monkeypatch, capsys):
    """Ctrl-C before the first checkpoint removed the run folder while the message said to
    resume it (``kill -9`` kept it). Now it keeps ``config.yaml`` and ``data.npy`` and
    ``--resume`` starts from step 0; ``sample`` says nothing of resuming."""
    args = ["train", "--process", "vp", "--data", "moons", *TINY]
    assert main([*args, "--out", str(tmp_path / "full")]) == 0

    def interrupt(obj, path):
        raise KeyboardInterrupt

    real_save = dmm.training.save_atomic
    monkeypatch.setattr(dmm.training, "save_atomic", interrupt)
    cut = tmp_path / "cut"
    assert main([*args, "--out", str(cut)]) == 130
    assert f"dmm train --resume {cut}" in capsys.readouterr().err  # the folder, named
    assert {p.name for p in cut.iterdir()} >= {"config.yaml", "data.npy"}
    monkeypatch.setattr(dmm.training, "save_atomic", real_save)
    assert main(["train", "--resume", str(cut), "--quiet"]) == 0
    full, again = _state(tmp_path / "full"), _state(cut)
    for name, value in full["ema"].items():
        assert torch.equal(value, again["ema"][name]), name

    def interrupt_sampling(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(dmm.cli.sample, "draw", interrupt_sampling)
    capsys.readouterr()
    assert main(["sample", str(cut), "-n", "4", "-o", str(tmp_path / "s.npy")]) == 130
    assert capsys.readouterr().err == "dmm: interrupted\n"


def test_config_file_and_set_precedence(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "process": "ou",
                "data": "8gaussians",
                "n_data": 128,
                "params": {"hidden": 8, "depth": 1, "T": 3.0},
                "train": {"steps": 4, "batch_size": 16, "lr": 1e-3, "val_size": 32},
                "lr": 5e-3,
            }
        )
    )
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--config",
                str(config),
                "--out",
                str(out),
                "--quiet",
                "--set",
                "train.lr=2e-4",
                "--set",
                "process.T=4",
                "--steps",
                "3",
            ]
        )
        == 0
    )
    used = yaml.safe_load((out / "config.yaml").read_text())
    assert used["process"] == "ou" and used["n_data"] == 128
    assert used["params"]["T"] == 4.0 and used["params"]["hidden"] == 8
    assert used["train"]["lr"] == 2e-4 and used["train"]["steps"] == 3
    # the written config trains the same run again
    again = tmp_path / "again"
    assert (
        main(["train", "--config", str(out / "config.yaml"), "--out", str(again), "--quiet"]) == 0
    )
    a, b = _state(out), _state(again)
    assert all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])


def test_processes_lists_every_registered_process(capsys):
    from dmm.cli.catalog import PROCESSES

    assert main(["processes"]) == 0
    text = capsys.readouterr().out
    for name in PROCESSES:
        assert f"{name}:" in text
    assert "beta_max=20.0" in text and "em (default)" in text
    assert main(["processes", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in records} == set(PROCESSES)


def test_resume_extends_a_finished_run(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--process", "vp", "--data", "moons", *TINY, "--out", str(out)]
    assert main(args) == 0
    assert main(["train", "--resume", "--out", str(out), "--steps", "30", "--quiet"]) == 0
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [5, 10, 15, 20, 25, 30]
    assert _state(out)["step"] == 30
    assert yaml.safe_load((out / "config.yaml").read_text())["train"]["steps"] == 30


def test_an_extended_run_keeps_its_schedule_and_its_config_retrains_it(tmp_path, capsys):
    """Resuming with more --steps stretched the cosine decay over the new total: the rate went
    back up from lr/10 and config.yaml no longer described the steps already taken (a retrain
    from it gave other weights)."""
    out, again = tmp_path / "run", tmp_path / "again"
    args = ["train", "--process", "vp", "--data", "moons", *TINY, "--set", "warmup=2"]
    assert main([*args, "--out", str(out)]) == 0
    assert main(["train", "--resume", str(out), "--steps", "30", "--quiet"]) == 0
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    rates = [r["lr"] for r in rows]
    assert rates[4:] == pytest.approx([0.1 * 2e-3] * 2) and rates[3] > rates[4]  # lr/10 on
    config = str(out / "config.yaml")
    assert main(["train", "--config", config, "--out", str(again), "--quiet"]) == 0
    a, b = _state(out)["model"], _state(again)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_training_setting_edited_in_config_yaml_is_refused_on_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--process", "vp", "--data", "moons", *TINY, "--out", str(out)]) == 0
    config = out / "config.yaml"
    config.write_text(config.read_text().replace("lr: 0.002", "lr: 0.02"))
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--steps", "30", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lr 0.02 (the checkpoint's 0.002)" in err[0]
    assert _state(out)["step"] == 20


def test_resume_refuses_other_training_settings(tmp_path, capsys):
    """``--batch-size``, ``--set lr=...`` and ``--n-data`` were taken on resume and written to
    ``config.yaml``, which then no longer said what the first steps used (a retrain from it gave
    other weights). Only how far, where and what to log may change."""
    out = tmp_path / "run"
    assert main(["train", "--process", "vp", "--data", "moons", *TINY, "--out", str(out)]) == 0
    before = (out / "config.yaml").read_text()
    capsys.readouterr()
    resume = ["train", "--resume", str(out), "--steps", "30", "--quiet"]
    for extra, needle in (
        (["--batch-size", "64"], "batch_size 64"),
        (["--set", "lr=1e-4"], "lr 0.0001"),
        (["--n-data", "500"], "n_data 500"),
    ):
        assert main([*resume, *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "keeps its training settings" in err[0] and needle in err[0]
    # a --config file's train section with some keys: the others were reset to the defaults
    partial = tmp_path / "c.yaml"
    partial.write_text("train:\n  lr: 0.002\n")
    assert main([*resume, "--config", str(partial)]) == 0
    after = yaml.safe_load((out / "config.yaml").read_text())["train"]
    recorded = yaml.safe_load(before)["train"]
    assert after["schedule_steps"] == 20  # the extension goes on at the schedule's last rate
    assert {k: v for k, v in after.items() if k not in ("steps", "schedule_steps")} == {
        k: v for k, v in recorded.items() if k not in ("steps", "schedule_steps")
    }
    assert main([*resume, "--steps", "35", "--set", "log_every=10"]) == 0  # logging may change


def test_a_run_killed_before_its_first_checkpoint_resumes(tmp_path):
    # what kill -9 leaves before the first checkpoint: config.yaml, data.npy, the dead process's
    # lock and a half-written checkpoint temporary; --resume starts it from step 0
    args = ["train", "--process", "vp", "--data", "moons", *TINY]
    assert main([*args, "--out", str(tmp_path / "full")]) == 0
    cut = tmp_path / "cut"
    cut.mkdir()
    for name in ("config.yaml", "data.npy"):
        (cut / name).write_bytes((tmp_path / "full" / name).read_bytes())
    (cut / ".dmm.lock").write_text("999999999")  # no such process
    (cut / "checkpoint.pt.tmp").write_bytes(b"partial")
    assert main(["train", "--resume", str(cut), "--quiet"]) == 0
    full, resumed = _state(tmp_path / "full"), _state(cut)
    for key in ("model", "ema"):
        for name, value in full[key].items():
            assert torch.equal(value, resumed[key][name]), (key, name)
    assert (cut / "log.jsonl").read_text() == (tmp_path / "full" / "log.jsonl").read_text()
    assert sorted(p.name for p in cut.iterdir()) == sorted(
        p.name for p in (tmp_path / "full").iterdir()
    )


def test_a_chain_run_keeps_its_rate_matrix(tmp_path, monkeypatch):
    """``rate_matrix=R.npy`` (relative) was recorded as typed and read again at sampling time:
    from another folder, or once the file moved, the run could not be sampled. The run keeps a
    copy (``rate_matrix.npy``) and records the original's absolute path (for ``--config``)."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.integers(0, 3, (200, 2)))
    np.save(tmp_path / "R.npy", np.ones((3, 3)) - 3 * np.eye(3))
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--process", "chain", "--data", "x.npy", "--set", "rate_matrix=R.npy"]
    assert main([*argv, "--steps", "5", "--out", "run", "--quiet", "--set", "hidden=16"]) == 0
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["params"]["rate_matrix"] == str(tmp_path / "R.npy")
    assert np.array_equal(np.load(tmp_path / "run" / "rate_matrix.npy"), np.load("R.npy"))
    (tmp_path / "R.npy").rename(tmp_path / "moved.npy")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    argv = ["sample", "../run", "-n", "4", "--steps", "3", "-o", "s.npy", "--quiet"]
    assert main(argv) == 0 and np.load("s.npy").shape == (4, 2)
    # resumed (more steps) from the copy; the record still names the original
    assert main(["train", "--resume", "../run", "--steps", "8", "--quiet"]) == 0
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert config["params"]["rate_matrix"] == str(tmp_path / "R.npy")
