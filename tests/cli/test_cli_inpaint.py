"""``dmm sample RUN --given PARTIAL``: empty (NaN) cells filled in, the others kept exactly."""

from __future__ import annotations

import numpy as np
import pytest
from cli_tiny import TINY

from dmm.cli.main import main
from dmm.cli.rundir import load_run
from dmm.cli.sample import given_cells


def _fails(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dmm: error: ") and needle in err[0], err
    return err[0]


def test_a_csv_with_empty_cells_is_filled_row_for_row(tiny_run, tmp_path, capsys):
    given = tmp_path / "partial.csv"
    given.write_text("a,b\n1.0,\n,0.5\n,\n-1,0.2\n")  # the third row: every cell to fill
    out = tmp_path / "filled.csv"
    assert main(["sample", str(tiny_run), "--given", str(given), "-o", str(out), "--quiet"]) == 0
    assert "wrote 4 samples" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert lines[0] == "a,b"  # the partial file's header names the cells
    filled = np.loadtxt(out, delimiter=",", skiprows=1)
    assert filled.shape == (4, 2) and np.isfinite(filled).all()
    assert lines[1].split(",")[0] == "1.0" and lines[2].split(",")[1] == "0.5"
    assert lines[4] == "-1.0,0.2"  # observed cells exactly, in the shortest float32 text
    assert given_cells(load_run(tiny_run), str(given)).mode == "replace"
    argv = ["sample", str(tiny_run), "--given", str(given), "-o", str(out), "--quiet", "--force"]
    assert main([*argv, "--resample", "2"]) == 0  # each step twice for the cells to fill
    assert "each step 2 times" in capsys.readouterr().out
    assert given_cells(load_run(tiny_run), str(given), 2).resample == 2


def test_an_absorbing_chain_keeps_clean_cells(tmp_path, capsys):
    codes = np.random.default_rng(0).integers(0, 4, size=(300, 6))
    data = tmp_path / "codes.npy"
    np.save(data, codes)
    run = tmp_path / "run"
    argv = ["train", "--process", "absorbing", "--data", str(data), "--out", str(run), *TINY]
    assert main(argv) == 0
    partial = codes[:5].astype(float)
    partial[:, ::2] = np.nan
    np.save(tmp_path / "p.npy", partial)
    out = tmp_path / "f.npy"
    argv = ["sample", str(run), "--given", str(tmp_path / "p.npy"), "-o", str(out), "--quiet"]
    assert main(argv) == 0
    filled = np.load(out)
    assert filled.dtype == np.int64 and filled.shape == (5, 6)
    assert (filled[:, 1::2] == codes[:5, 1::2]).all()
    assert ((filled >= 0) & (filled < 4)).all()  # no MASK left
    assert given_cells(load_run(run), str(tmp_path / "p.npy")).mode == "clamp"
    partial[0, 1] = 1.5
    np.save(tmp_path / "p.npy", partial)
    _fails(capsys, argv[:-1] + ["--force"], "must be integers")
    partial[0, 1] = 12  # beyond the run's 4 states: it said "values up to 12 need S >= 13"
    np.save(tmp_path / "p.npy", partial)
    line = _fails(capsys, argv[:-1] + ["--force"], "--given cells outside the run's states")
    assert "need S" not in line


def test_bad_given_files_are_one_line(tiny_run, tmp_path, capsys):
    out = tmp_path / "f.npy"
    base = ["sample", str(tiny_run), "-o", str(out), "--quiet", "--given"]
    np.save(tmp_path / "wide.npy", np.zeros((3, 3)))
    _fails(capsys, [*base, str(tmp_path / "wide.npy")], "--given rows have shape (3,)")
    np.save(tmp_path / "inf.npy", np.array([[np.inf, 0.0]]))
    _fails(capsys, [*base, str(tmp_path / "inf.npy")], "infinite values")
    _fails(capsys, [*base, str(tmp_path / "none.npy")], "not found")
    np.save(tmp_path / "ok.npy", np.array([[np.nan, 0.0]]))
    _fails(capsys, [*base, str(tmp_path / "ok.npy"), "-n", "5"], "differs from the 1 rows")
    _fails(capsys, ["sample", str(tiny_run), "-o", str(out)], "-n is required")
    assert not out.exists()


@pytest.mark.parametrize("process, data", [("levy-ou", "moons"), ("torus-jump", "torus-moons")])
def test_processes_without_an_exact_transition_say_so(tmp_path, capsys, process, data):
    run = tmp_path / "run"
    argv = ["train", "--process", process, "--data", data, "--out", str(run), *TINY]
    assert main(argv) == 0
    np.save(tmp_path / "p.npy", np.array([[np.nan, 0.5]]))
    argv = ["sample", str(run), "--given", str(tmp_path / "p.npy"), "-o", str(tmp_path / "f.npy")]
    _fails(capsys, argv, "needs a process with an exact forward transition")


def test_given_columns_are_matched_by_name(tmp_path, capsys):
    """A run trained on a ``.csv`` with a header: ``--given``'s columns were taken by position,
    so ``b,a`` put b's cells in column a, and a header ``p,q`` renamed the output's columns.
    They are now matched by name (the output in the run's order), and other names refused."""
    rng = np.random.default_rng(0)
    data = tmp_path / "ab.csv"
    np.savetxt(data, rng.normal(size=(200, 2)), delimiter=",", header="a,b", comments="")
    run = tmp_path / "run"
    assert main(["train", "--process", "vp", "--data", str(data), "--out", str(run), *TINY]) == 0
    given = tmp_path / "ba.csv"
    given.write_text("b,a\n100.0,\n,-7.5\n")
    out = tmp_path / "filled.csv"
    assert main(["sample", str(run), "--given", str(given), "-o", str(out), "--quiet"]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "a,b" and lines[1].split(",")[1] == "100.0"
    assert lines[2].split(",")[0] == "-7.5"
    given.write_text("p,q\n1.0,\n")
    argv = ["sample", str(run), "--given", str(given), "-o", str(tmp_path / "o.csv")]
    _fails(capsys, argv, "does not name the run's columns (a, b)")
    assert not (tmp_path / "o.csv").exists()


def test_a_rotation_is_given_whole_or_not_at_all(tmp_path, capsys):
    """Some NaN entries of a rotation were filled with another rotation's entries and refused as
    "data outside SO(3)"; whole NaN rows work."""
    run = tmp_path / "run"
    argv = ["train", "--process", "so3-brownian", "--data", "so3-mixture-16", "--out", str(run)]
    assert main([*argv, *TINY]) == 0
    rows = load_run(run).data[:3].numpy().astype(np.float64).copy()
    rows[1] = np.nan  # drawn whole
    rows[2, 0, 0] = np.nan  # one entry of a rotation
    np.save(tmp_path / "partial.npy", rows)
    out = [
        "sample",
        str(run),
        "--given",
        str(tmp_path / "partial.npy"),
        "-o",
        str(tmp_path / "o.npy"),
    ]
    _fails(capsys, out, "--given row(s) 2 (counted from 0) give some of a rotation's 9 entries")
    rows[2] = np.nan
    np.save(tmp_path / "partial.npy", rows)
    assert main([*out, "--steps", "5"]) == 0
