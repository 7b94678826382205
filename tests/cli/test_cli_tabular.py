"""``dmm train --process tabular``: mixed tables in and out, filling cells, conditioning, the hard
cases that break other tabular generators, and one-line errors for bad tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

import dmm.tabular.codec
from dmm.cli.main import main
from dmm.cli.rundir import load_run

#: a tiny budget: these tests check plumbing and types, not quality
TINY = [
    "--steps",
    "20",
    "--batch-size",
    "32",
    "--quiet",
    "--set",
    "hidden=16",
    "--set",
    "depth=1",
    "--set",
    "val_size=32",
    "--set",
    "sample_steps=8",
]


def _table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], n)
    frame = pd.DataFrame(
        {
            "colour": colour,
            "size": np.where(colour == "red", 3.0, 1.0) + rng.normal(size=n).round(2),
            "price": np.exp(rng.normal(size=n)).round(2),
            "stars": rng.integers(1, 6, n),
            "visits": rng.integers(0, 400, n),
            "member": rng.random(n) < 0.3,
        }
    )
    frame.loc[[i for i in (3, 8, 20) if i < n], "price"] = np.nan
    frame.loc[[i for i in (5, 30) if i < n], "colour"] = None
    return frame


def _norm(value):
    """A cell as text, an integral float as an integer (a column with empty cells reads as
    floats)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fails(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dmm: error: ") and needle in err[0], err


@pytest.fixture(scope="module", params=["replace", "observed-context"])
def table_run(tmp_path_factory, request):
    """A run of each kind: the replacement method alone (``observed_context=false``), and a
    network trained with random observed subsets as context (the default): every command works
    on both."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tables")
    data = root / "table.csv"
    _table().to_csv(data, index=False)
    out = root / "run"
    argv = ["train", "--process", "tabular", "--data", str(data), "--out", str(out), *TINY]
    argv += ["--set", f"observed_context={str(request.param == 'observed-context').lower()}"]
    assert main(argv) == 0
    return out


def test_a_run_records_its_schema(table_run):
    config = load_run(table_run).config
    types = {c["name"]: c["type"] for c in config["table"]["columns"]}
    assert types == {
        "colour": "categorical",
        "size": "real",
        "price": "positive",
        "stars": "ordinal",
        "visits": "integer",
        "member": "categorical",
    }
    assert (table_run / "schema.yaml").is_file()
    assert config["holdout"]["rows"] == 12


def test_samples_keep_header_order_and_types(table_run, tmp_path, capsys):
    out = tmp_path / "synthetic.csv"
    assert main(["sample", str(table_run), "-n", "200", "-o", str(out), "--quiet"]) == 0
    assert "wrote 200 rows of 6 columns" in capsys.readouterr().out
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["colour", "size", "price", "stars", "visits", "member"]
    assert set(frame["colour"].dropna()) <= {"red", "green", "blue"}
    assert (frame["price"].dropna() > 0).all()
    assert frame["stars"].dropna().isin(range(1, 6)).all()
    assert frame["visits"].dropna().between(0, 399).all()
    assert all(v == int(v) for v in frame["visits"].dropna())
    assert set(frame["member"]) <= {True, False}
    assert out.read_text().splitlines()[1].count(",") == 5


def test_given_fills_every_empty_cell_and_keeps_the_others(table_run, tmp_path, capsys):
    partial = _table(10, seed=3).astype(object)
    partial.loc[0, ["size", "colour"]] = [np.nan, None]
    partial.loc[1, ["price", "stars", "visits"]] = np.nan
    partial.loc[2, :] = None  # a row with every cell to fill
    path = tmp_path / "partial.csv"
    partial.to_csv(path, index=False)
    out = tmp_path / "filled.csv"
    assert main(["sample", str(table_run), "--given", str(path), "-o", str(out), "--quiet"]) == 0
    assert "wrote 10 filled rows" in capsys.readouterr().out
    filled = pd.read_csv(out)
    assert not filled.isna().any().any()  # no cell left empty, even where the data had some
    given = pd.read_csv(path)
    keep = given.notna()
    for name in given.columns:
        a, b = given.loc[keep[name], name], filled.loc[keep[name], name]
        assert [_norm(v) for v in a] == [_norm(v) for v in b], name


def test_where_fixes_columns(table_run, tmp_path, capsys):
    out = tmp_path / "red.csv"
    argv = ["sample", str(table_run), "-n", "30", "--where", "colour=red", "--where", "stars=4"]
    assert main([*argv, "-o", str(out), "--quiet"]) == 0
    frame = pd.read_csv(out)
    assert (frame["colour"] == "red").all() and (frame["stars"] == 4).all()
    _fails(capsys, [*argv[:4], "--where", "colour=purple", "-o", str(tmp_path / "x.csv")], "purple")
    _fails(capsys, [*argv[:4], "--where", "weight=3", "-o", str(tmp_path / "x.csv")], "'weight'")
    _fails(capsys, [*argv[:4], "--where", "stars", "-o", str(tmp_path / "x.csv")], "COLUMN=VALUE")
    # a number its column's type cannot take, and one column named twice
    for item, needle in (
        ("price=0", "'price' is positive: give a number above 0"),
        ("stars=2.5", "'stars' takes whole numbers"),
        ("stars=9", "'stars' takes whole numbers from 1 to 5"),
        ("visits=1.5", "'visits' takes whole numbers"),
        ("size=nan", "'size' takes finite numbers"),
    ):
        _fails(capsys, [*argv[:4], "--where", item, "-o", str(tmp_path / "x.csv")], needle)
    # an integer beyond the training rows' range: the decoder keeps samples in it, so the value
    # could not come back as given (it came back as 396)
    _fails(capsys, [*argv[:4], "--where", "visits=5000", "-o", str(tmp_path / "x.csv")],
           "'visits' takes whole numbers from 1 to 396 (the training rows' range)")  # fmt: skip
    twice = [*argv, "--where", "colour=blue", "-o", str(tmp_path / "x.csv")]
    _fails(capsys, twice, "--where 'colour=blue': 'colour' is given twice")
    assert not (tmp_path / "x.csv").exists()


def test_a_table_run_writes_tables_only(table_run, tmp_path, capsys):
    _fails(capsys, ["sample", str(table_run), "-n", "3", "-o", str(tmp_path / "x.npy")], ".csv")


def _train(tmp_path, frame: pd.DataFrame, *extra: str) -> int:
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    return main(
        ["train", "--process", "tabular", "--data", str(data), "--out", str(out), *TINY, *extra]
    )


def _sample(tmp_path, n: int = 50) -> pd.DataFrame:
    out = tmp_path / "s.csv"
    assert main(["sample", str(tmp_path / "run"), "-n", str(n), "-o", str(out), "--quiet"]) == 0
    return pd.read_csv(out, keep_default_na=False, na_values=[""])


def test_only_categorical_columns(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.choice(list("xyz"), 80), "b": rng.choice(list("uv"), 80)})
    assert _train(tmp_path, frame) == 0
    s = _sample(tmp_path)
    assert set(s["a"]) <= set("xyz") and set(s["b"]) <= set("uv")


def test_only_numeric_columns(tmp_path):
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(80, 3)), columns=list("abc"))
    assert _train(tmp_path, frame) == 0
    assert np.isfinite(_sample(tmp_path).to_numpy(float)).all()


def test_many_exact_zeros_one_level_and_a_thousand_levels(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "rain": np.where(rng.random(n) < 0.7, 0.0, rng.exponential(size=n).round(2)),
            "unit": ["mm"] * n,
            "station": [f"s{i}" for i in rng.integers(0, 1000, n)],
        }
    )
    assert _train(tmp_path, frame) == 0
    s = _sample(tmp_path)
    assert (s["unit"] == "mm").all() and set(s["station"]) <= set(frame["station"])
    assert np.isfinite(s["rain"]).all()


def test_a_hundred_columns_train_with_a_finite_loss(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(64, 60)), columns=[f"x{i}" for i in range(60)])
    for i in range(40):
        frame[f"c{i}"] = rng.choice(["a", "b", "c"], 64)
    assert _train(tmp_path, frame) == 0
    log = (tmp_path / "run" / "log.jsonl").read_text().splitlines()
    import json

    assert all(np.isfinite(json.loads(line)["loss"]) for line in log if '"loss"' in line)
    assert _sample(tmp_path, 5).shape == (5, 100)


def test_bad_tables_are_one_line_errors(tmp_path, capsys):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    base = ["train", "--process", "tabular", "--out", str(tmp_path / "r"), *TINY]
    _fails(capsys, [*base, "--data", str(ragged)], "line 3 has 3 cells")
    good = tmp_path / "good.csv"
    _table().to_csv(good, index=False)
    schema = tmp_path / "schema.yaml"
    schema.write_text("weight: real\n")
    _fails(capsys, [*base, "--data", str(good), "--schema", str(schema)], "'weight'")
    schema.write_text("size: positive\n")
    _fails(capsys, [*base, "--data", str(good), "--schema", str(schema)], "values <= 0 (rows")
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n1,\n2,\n3,\n")
    _fails(capsys, [*base, "--data", str(empty)], "'b' has no values")
    _fails(capsys, [*base, "--data", "no-such-table"], "unknown table")
    assert not (tmp_path / "r").exists()


def test_schema_file_overrides(tmp_path):
    schema = tmp_path / "schema.yaml"
    schema.write_text("stars: categorical\nvisits: real\n")
    assert _train(tmp_path, _table(), "--schema", str(schema)) == 0
    types = {c["name"]: c["type"] for c in load_run(tmp_path / "run").config["table"]["columns"]}
    assert types["stars"] == "categorical" and types["visits"] == "real"


def test_ordered_levels_from_a_schema_file_through_every_command(tmp_path, capsys, monkeypatch):
    frame = _table()
    frame["grade"] = np.random.default_rng(3).choice(["low", "mid", "high"], len(frame))
    schema = tmp_path / "schema.yaml"
    schema.write_text("grade: ordinal low,mid,high\n")
    assert _train(tmp_path, frame, "--schema", str(schema)) == 0
    assert "3 ordered levels: low < mid < high" in capsys.readouterr().out
    assert set(_sample(tmp_path)["grade"]) <= {"low", "mid", "high"}
    run, out = str(tmp_path / "run"), tmp_path / "w.csv"
    argv = ["sample", run, "-n", "5", "-o", str(out), "--where", "grade=high", "--force"]
    assert main([*argv, "--quiet"]) == 0 and list(pd.read_csv(out)["grade"]) == ["high"] * 5
    argv[-2] = "grade=top"
    _fails(capsys, argv, "'top' is not a level of 'grade' (levels: low < mid < high)")
    partial = frame.head(4).copy()
    partial.loc[[0, 2], "grade"] = None
    partial.to_csv(tmp_path / "p.csv", index=False)
    argv = ["sample", run, "--given", str(tmp_path / "p.csv"), "-o", str(out), "--force"]
    assert main([*argv, "--quiet"]) == 0
    filled = pd.read_csv(out)["grade"]
    assert set(filled) <= {"low", "mid", "high"} and filled[1] == frame["grade"][1]
    assert main(["eval", run, "--quiet", "-n", "40"]) == 0
    import dmm.tabular.plots as plots

    drawn = {}
    real = plots.plot_marginals

    def spy(train, synthetic, kinds, path, orders):
        drawn.update(orders)
        assert set(train["grade"].dropna()) <= {0.0, 1.0, 2.0}  # the positions, with their names
        return real(train, synthetic, kinds, path, orders=orders)

    monkeypatch.setattr(plots, "plot_marginals", spy)
    assert main(["plot", run, "--quiet", "-n", "40"]) == 0
    assert drawn["grade"] == ("low", "mid", "high")  # bars of the levels, in their order


def test_the_python_api_reads_and_writes_the_same_run_folders(table_run, tmp_path):
    from dmm.tabular import TabularModel

    loaded = TabularModel.load(table_run)
    assert list(loaded.sample(5).columns) == list(_table().columns)
    model = TabularModel(steps=10, batch_size=32, hidden=16, depth=1, sample_steps=5).fit(_table())
    synthetic = model.sample(7, seed=1)
    assert synthetic.shape == (7, 6) and str(synthetic["stars"].dtype) == "int64"  # as given
    # steps: the sampler's steps for this call (the model's sample_steps=5 by default)
    pd.testing.assert_frame_equal(model.sample(7, seed=1, steps=5), synthetic)
    assert not model.sample(7, seed=1, steps=2)["size"].equals(synthetic["size"])
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        model.sample(7, steps=0)
    # where= conditions as --where does, and its errors quote the API's form, not the flag's
    red = model.sample(6, where={"colour": "red", "stars": 4})
    assert (red["colour"] == "red").all() and (red["stars"] == 4).all()
    with pytest.raises(ValueError, match=r"where=\{'visits': 5000\}: 'visits' takes whole numbers"):
        model.sample(3, where={"visits": 5000})
    for where, message in (
        ({"colour": "purple"}, "where={'colour': 'purple'}: 'purple' is not a level of 'colour'"),
        ({"stars": 2.5}, "where={'stars': 2.5}: 'stars' takes whole numbers"),
        ({"nope": 1}, "where={'nope': 1}: no column 'nope'"),
    ):
        with pytest.raises(ValueError) as err:
            model.sample(3, where=where)
        assert str(err.value).startswith(message) and "--where" not in str(err.value)
    holes = _table(6, seed=2)
    holes.loc[0, "size"] = np.nan
    holes.loc[1, "colour"] = None
    filled = model.impute(holes)
    assert not filled.isna().any().any() and filled.loc[2, "size"] == holes.loc[2, "size"]
    saved = model.save(tmp_path / "saved")
    assert (saved / "schema.yaml").is_file()
    out = tmp_path / "from-cli.csv"
    assert main(["sample", str(saved), "-n", "4", "-o", str(out), "--quiet"]) == 0
    assert list(pd.read_csv(out).columns) == list(_table().columns)


def test_the_python_api_gives_timestamps_and_numeric_identifiers_back():
    from dmm.tabular import TabularModel

    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "at": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 10**5, n), "min"),
            "x": rng.normal(size=n),
            "key": np.arange(100, 100 + n),
        }
    )
    model = TabularModel(steps=10, batch_size=32, hidden=16, depth=1, sample_steps=5)
    model.schema = {"key": "id"}
    model.fit(frame)
    synthetic = model.sample(4)
    assert pd.api.types.is_datetime64_any_dtype(synthetic["at"])
    # whole minutes in the data, whole minutes in the samples (seconds for data with seconds)
    assert model.schema_["at"].format == "%Y-%m-%d %H:%M:00"
    assert (synthetic["at"] == synthetic["at"].dt.floor("min")).all()
    assert list(synthetic["key"]) == [160, 161, 162, 163] and str(synthetic["key"].dtype) == "int64"
    holes = frame.head(5).copy()
    holes["key"] = holes["key"].astype("Int64")
    holes.loc[0, "at"], holes.loc[1, "key"] = pd.NaT, pd.NA
    for filled in (model.impute(holes), model.impute(holes, draws=3)):
        assert pd.api.types.is_datetime64_any_dtype(filled["at"]) and filled["at"].notna().all()
        assert (filled["at"][1:] == holes["at"][1:]).all()
        assert list(filled["key"]) == [100, 161, 102, 103, 104]


def test_the_python_api_gives_the_frames_dtypes_back(tmp_path):
    from dmm.tabular import TabularModel

    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "flag": pd.array(rng.random(n) < 0.4, dtype="boolean"),
            "grade": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), ["lo", "mid", "hi"]),
            "score": rng.normal(size=n).astype("float32"),
            "count": rng.poisson(3, n).astype("int32"),
            # numbers as categories: an ordinal on the ordered ones, a category on the others
            "size": pd.Categorical(rng.choice([1, 2, 5], n), [1, 2, 5], ordered=True),
            "code": pd.Categorical(rng.choice([10, 20], n)),
        }
    )
    model = TabularModel(steps=10, batch_size=32, hidden=16, depth=1, sample_steps=5).fit(frame)
    assert model.schema_["size"].type == "ordinal" and model.schema_["code"].type == "categorical"
    holes = frame.head(6).copy()
    holes.loc[0, "flag"], holes.loc[1, "grade"], holes.loc[2, "score"] = pd.NA, None, np.nan
    loaded = TabularModel.load(model.save(tmp_path / "saved"))  # the dtypes are in the run
    for table in (
        model.sample(8),
        loaded.sample(8),
        model.impute(holes),
        model.impute(holes, draws=3),
    ):
        assert table.dtypes.to_dict() == frame.dtypes.to_dict()
        assert table.notna().all().all()
    filled = model.impute(holes)
    assert filled["grade"].cat.categories.tolist() == ["lo", "mid", "hi"]
    assert set(model.sample(40)["size"]) <= {1, 2, 5}
    assert filled.loc[1:, "flag"].tolist() == holes.loc[1:, "flag"].tolist()


def test_eval_and_plot_of_a_table_run(table_run, capsys):
    import json

    assert main(["eval", str(table_run), "--quiet", "-n", "60"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reference"] == "the 12 rows held out at training time"
    assert out["n_synthetic"] == 60 and out["n_test"] == 12
    for key in ("c2st_auc", "w1_train", "w1_test", "coverage_test", "column_shape"):
        assert out[key] is not None, key
    # beside each metric, what the training rows themselves score against the same 12 rows
    for key in ("c2st_auc", "w1_test", "coverage_test", "pair_error", "column_shape"):
        assert out["floor"][key] is not None, key
    report = (table_run / "eval.md").read_text()
    assert report.startswith("# ") and f"| {out['floor']['c2st_auc']:.3f} |" in report
    assert main(["plot", str(table_run), "--quiet", "-n", "60"]) == 0
    for name in ("marginals.png", "correlation.png", "scatter.png"):
        assert (table_run / name).stat().st_size > 1000


def test_draws_combine_fillings(table_run, tmp_path, capsys):
    partial = _table(6, seed=4).astype(object)
    partial.loc[0, "size"] = np.nan
    partial.loc[1, "colour"] = None
    partial.loc[2, "stars"] = np.nan
    path = tmp_path / "partial.csv"
    partial.to_csv(path, index=False)
    out = tmp_path / "filled.csv"
    argv = ["sample", str(table_run), "--given", str(path), "--quiet", "--draws", "3"]
    assert main([*argv, "-o", str(out)]) == 0
    filled = pd.read_csv(out)
    assert not filled.isna().any().any() and filled["stars"].isin(range(1, 6)).all()
    other = str(tmp_path / "other.csv")
    _fails(capsys, ["sample", str(table_run), "-n", "3", "--draws", "2", "-o", other], "--given")


def test_fillings_are_drawn_stacked_and_each_is_a_filling(table_run, monkeypatch):
    # draw_fillings stacks copies of the rows into as few sampler calls as FILL_BATCH allows:
    # one filling is draw_table's to every cell; with a batch of 13 rows, 5 fillings of 6 rows
    # take 3 calls (2 + 2 + 1 copies), every filling keeps the given cells and fills the others,
    # and the copies inside one call are independent draws (not one draw repeated)
    import argparse

    from dmm.cli import tables
    from dmm.cli.sample import sampling_setup

    run = load_run(table_run)
    none = dict.fromkeys(("sampler", "steps", "nfe", "denoise"))
    setup = sampling_setup(run, argparse.Namespace(**none, no_ema=False, seed=0))
    partial = _table(6, seed=4).astype(object)
    partial.loc[[0, 1, 2, 3], "size"] = np.nan
    one = tables.draw_fillings(run, setup, partial, 1, seed=3)
    pd.testing.assert_frame_equal(one[0], tables.draw_table(run, setup, 6, 3, partial=partial))

    calls = []
    real = tables.draw_table

    def counted(run, setup, n, *args, **kwargs):
        calls.append(n)
        return real(run, setup, n, *args, **kwargs)

    monkeypatch.setattr(tables, "FILL_BATCH", 13)
    # drawn numbers as drawn: a barely trained model draws many beyond the column's range, whose
    # ends would hold equal values in independent copies
    monkeypatch.setattr(dmm.tabular.codec, "_within", lambda numbers, column: numbers)
    monkeypatch.setattr(tables, "draw_table", counted)
    assert tables.filling_calls(6, 5) == 3
    fillings = tables.draw_fillings(run, setup, partial, 5, seed=3)
    assert calls == [12, 12, 6] and len(fillings) == 5
    for f in fillings:
        assert not f["size"].isna().any()
        pd.testing.assert_series_equal(f["price"].iloc[4:], _table(6, seed=4)["price"].iloc[4:])
    sizes = np.stack([f["size"].to_numpy(float)[:4] for f in fillings])
    assert (sizes[0] != sizes[1]).all()  # two copies in the first call


def test_combine_draws_takes_means_and_modes(table_run):
    from dmm.cli.tables import codec_of, combine_draws

    codec = codec_of(load_run(table_run))
    assert (codec.schema["visits"].type, codec.schema["stars"].type) == ("integer", "ordinal")
    a, b, c = _table(3, 0), _table(3, 1), _table(3, 2)
    b["colour"] = a["colour"]
    out = combine_draws(codec, [a, b, c])
    np.testing.assert_allclose(out["size"], ((a["size"] + b["size"] + c["size"]) / 3).round(2))
    assert list(out["colour"]) == list(a["colour"])
    for name in ("visits", "stars"):  # an integer, an ordinal of whole numbers: rounded means
        mean = np.round(np.stack([a[name], b[name], c[name]]).mean(axis=0))
        assert list(out[name]) == list(mean.astype(int)), name


def test_combine_draws_takes_the_median_of_ordered_text_levels():
    # levels whose distances mean nothing: the middle draw, not the nearest level to the mean of
    # their positions (Fair, Fair, Ideal: mean position 0.67 -> Good; median -> Fair)
    from dmm.cli.tables import combine_draws
    from dmm.tabular import infer_schema
    from dmm.tabular.codec import TableCodec

    frame = pd.DataFrame({"cut": ["Fair", "Good", "Ideal"] * 4, "x": np.arange(12.0)})
    codec = TableCodec.fit(frame, infer_schema(frame, {"cut": "ordinal Fair,Good,Ideal"}))
    draws = [frame.assign(cut=cut) for cut in ("Fair", "Fair", "Ideal")]
    assert set(combine_draws(codec, draws)["cut"]) == {"Fair"}


def test_the_factors_share_one_network_evaluation_per_step(table_run, tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["sample", str(table_run), "-n", "4", "-o", str(out), "--quiet"]) == 0
    assert "(euler, 8 steps, denoised, 9 network evaluations)" in capsys.readouterr().out
    argv = ["sample", str(table_run), "-n", "4", "-o", str(out), "--quiet", "--force"]
    assert main([*argv, "--sampler", "split"]) == 0  # five factors, one evaluation each
    assert "(split, 8 steps, denoised, 41 network evaluations)" in capsys.readouterr().out


def test_resample_repeats_the_steps_of_conditional_sampling_and_counts_them(
    table_run, tmp_path, capsys
):
    # --resample U: each of the 8 steps U times for the cells to fill (Inpaint's RePaint), the
    # final denoising once: 8 U + 1 evaluations; refused without cells to condition on
    partial = _table(5, seed=6).astype(object)
    partial.loc[0, "size"] = np.nan
    partial.loc[3, "colour"] = None
    given = tmp_path / "partial.csv"
    partial.to_csv(given, index=False)
    out = tmp_path / "filled.csv"
    argv = ["sample", str(table_run), "--given", str(given), "-o", str(out), "--quiet"]
    assert main([*argv, "--resample", "3"]) == 0
    assert "each step 3 times, 25 network evaluations)" in capsys.readouterr().out
    filled = pd.read_csv(out)
    assert not filled.isna().any().any()
    where = ["sample", str(table_run), "-n", "3", "--where", "colour=red", "--resample", "2"]
    assert main([*where, "-o", str(tmp_path / "w.csv"), "--quiet"]) == 0
    assert "each step 2 times, 17 network evaluations)" in capsys.readouterr().out
    plain = ["sample", str(table_run), "-n", "3", "-o", str(tmp_path / "p.csv")]
    _fails(capsys, [*plain, "--resample", "2"], "--given or --where")
    _fails(capsys, [*argv, "--force", "--resample", "0"], "at least 1")


def test_a_table_run_resumes_with_its_schema(tmp_path, capsys):
    assert _train(tmp_path, _table()) == 0
    run = str(tmp_path / "run")
    assert main(["train", "--resume", run, "--steps", "30", "--quiet"]) == 0
    assert "done: step 30" in capsys.readouterr().out
    schema = tmp_path / "schema.yaml"
    schema.write_text("stars: categorical\n")
    argv = ["train", "--resume", run, "--steps", "40", "--schema", str(schema)]
    _fails(capsys, argv, "--schema cannot change")


def test_eval_without_scikit_learn_names_the_extra(table_run, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    _fails(capsys, ["eval", str(table_run), "--quiet"], "denoising-markov-models[metrics]")


def test_a_run_from_before_observed_context_loads_as_trained(tmp_path, capsys):
    # runs trained before the parameter existed have no `observed_context` in config.yaml: they
    # trained without the context and must load (and sample) so, whatever the default is now
    data = tmp_path / "table.csv"
    _table().to_csv(data, index=False)
    run = tmp_path / "run"
    argv = ["train", "--process", "tabular", "--data", str(data), "--out", str(run), *TINY]
    assert main([*argv, "--set", "observed_context=false"]) == 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    del config["params"]["observed_context"]
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    assert load_run(run).params["observed_context"] is False
    out = tmp_path / "s.csv"
    assert main(["sample", str(run), "-n", "5", "-o", str(out), "--quiet"]) == 0


def test_eval_of_a_table_run_over_draws(table_run, capsys):
    import json

    argv = ["eval", str(table_run), "-n", "60"]  # not --quiet, which silences the note too
    one = []
    for seed in ("0", "1"):
        assert main([*argv, "--seed", seed]) == 0
        captured = capsys.readouterr()
        one.append(json.loads(captured.out))  # stdout is the JSON alone; the note on stderr
        assert (
            "note: the C2ST AUC compares 12 rows per side (null sd at least 0.12)" in captured.err
        )
    assert main([*argv, "--draws", "2"]) == 0
    captured = capsys.readouterr()
    both = json.loads(captured.out)
    assert "note:" not in captured.err  # averaged: no suggestion
    assert both["draws"] == 2 and both["n_synthetic"] == 60
    for key in ("c2st_auc", "w1_test", "column_shape"):
        assert both[key] == pytest.approx((one[0][key] + one[1][key]) / 2), key
        assert both["draw_sd"][key] == pytest.approx(abs(one[0][key] - one[1][key]) / 2**0.5)
    # the floor's rows are the training rows in every draw; its folds and subsets change
    assert both["floor"]["c2st_auc"] == pytest.approx(
        (one[0]["floor"]["c2st_auc"] + one[1]["floor"]["c2st_auc"]) / 2
    )
    # the C2ST's null spread: measured on the first draw's rows (ten deals), not averaged
    assert both["c2st_null_sd"] == one[0]["c2st_null_sd"] and both["c2st_null"] == "10 permutations"
    report = (table_run / "eval.md").read_text()
    assert "Means over 2 draws of 60 synthetic rows" in report
    assert f"null sd {both['c2st_null_sd']:.3f}, 10 permutations" in report
    assert f"{both['c2st_auc']:.3f} (sd {both['draw_sd']['c2st_auc']:.3f})" in report
    assert main([*argv, "--quiet"]) == 0  # one draw, but quiet: no note
    assert capsys.readouterr().err == ""


def test_identifiers_dates_and_amounts_through_every_command(tmp_path, capsys):
    """An order table as users bring it: an identifier per row, a date with empty cells, an
    amount in dollars. New rows get new identifiers, dates in the data's format and amounts
    written as the data writes them; filled rows keep what was given; ``--where`` takes a date
    and an amount and refuses the identifier; ``eval`` leaves the identifier out."""
    rng = np.random.default_rng(0)
    n = 80
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    frame = pd.DataFrame(
        {
            "order": [f"ord-{i:04d}" for i in range(n)],
            "placed": days.strftime("%d/%m/%Y"),
            "amount": [f"${v:,.2f}" for v in np.exp(rng.normal(7, 1, size=n))],
        }
    )
    frame.loc[[2, 9], "placed"] = None
    assert _train(tmp_path, frame) == 0
    assert "order   id" in capsys.readouterr().out
    s = _sample(tmp_path, 40)
    assert list(s["order"]) == [f"ord-{i:04d}" for i in range(n, n + 40)]
    placed = pd.to_datetime(s["placed"].dropna(), format="%d/%m/%Y")
    assert (placed.dt.strftime("%d/%m/%Y") == s["placed"].dropna()).all()
    assert s["amount"].str.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d\d").all(), list(s["amount"])

    partial = frame.head(6).astype(object)
    partial.loc[0, "placed"] = None
    partial.loc[1, "order"] = None
    partial.loc[2, "amount"] = None
    path, out = tmp_path / "partial.csv", tmp_path / "filled.csv"
    partial.to_csv(path, index=False)
    argv = ["sample", str(tmp_path / "run"), "--given", str(path), "-o", str(out), "--quiet"]
    assert main([*argv, "--draws", "3"]) == 0
    filled = pd.read_csv(out)
    assert not filled.isna().any().any()
    keep = partial.notna()
    for name in partial.columns:
        a, b = partial.loc[keep[name], name], filled.loc[keep[name], name]
        assert [_norm(v) for v in a] == [_norm(v) for v in b], name
    assert filled["order"].nunique() == 6 and filled["order"][1] not in set(frame["order"])

    run = str(tmp_path / "run")

    def sampled_where(item: str, name: str) -> pd.DataFrame:
        path = tmp_path / name
        assert main(["sample", run, "-n", "3", "--where", item, "-o", str(path), "--quiet"]) == 0
        return pd.read_csv(path)

    assert (sampled_where("placed=14/07/2023", "w.csv")["placed"] == "14/07/2023").all()
    assert (sampled_where("amount=$1,500.00", "a.csv")["amount"] == "$1,500.00").all()
    # without its unit, and written as the data writes it
    assert (sampled_where("amount=1500", "b.csv")["amount"] == "$1,500.00").all()
    bad = tmp_path / "bad.csv"
    _fails(
        capsys,
        ["sample", run, "-n", "5", "--where", "placed=2023-07-14", "-o", str(bad)],
        "%d/%m/%Y",
    )
    _fails(
        capsys,
        ["sample", run, "-n", "5", "--where", "order=ord-0001", "-o", str(bad)],
        "identifier",
    )
    # an amount is checked as a plain number is (a misleading codec error named the samples)
    where = ["sample", run, "-n", "5", "-o", str(bad), "--where"]
    _fails(capsys, [*where, "amount=$0"], "'amount' is positive: give a number above 0")
    # another unit is not this column's (€5 was written $5.00; a given 5 USD kept as written)
    _fails(capsys, [*where, "amount=€5"], "'amount' takes numbers (e.g. $")
    other = tmp_path / "other.csv"
    other.write_text("order,placed,amount\n,,5 USD\n")
    argv = ["sample", run, "--given", str(other), "-o", str(bad)]
    _fails(capsys, argv, "column 'amount' (positive) has text values (rows 1)")
    assert not bad.exists()

    assert main(["eval", run, "--quiet"]) == 0
    result = yaml.safe_load((tmp_path / "run" / "eval.json").read_text())
    assert set(result["columns"]) == {"placed", "amount"}
    assert result["columns"]["amount"]["kind"] == "numeric"


def test_the_share_of_unconditional_rows_is_a_parameter(tmp_path, capsys):
    assert _train(tmp_path, _table(), "--set", "unconditional=0.2") == 0
    run = load_run(tmp_path / "run")
    assert run.params["unconditional"] == 0.2 and run.built.loss.unconditional == 0.2
    # the subsets it draws: a fifth of the rows shows no cell (tolerance 0.012: 3.6 sd at
    # n = 20 000)
    x0 = run.built.data[torch.randint(len(run.built.data), (20000,))]
    shown = run.built.loss.draw_subsets(x0, torch.Generator().manual_seed(0))
    empty = (~shown.reshape(len(x0), -1)).all(dim=1).float().mean().item()
    # an empty subset also comes from u ~ U(0, 1): P = 0.2 + 0.8 / (width + 1)
    assert abs(empty - (0.2 + 0.8 / (x0.shape[1] + 1))) < 0.012
    bad = ["train", "--process", "tabular", "--data", str(tmp_path / "t.csv")]
    bad += ["--out", str(tmp_path / "bad"), *TINY, "--set", "unconditional=1.5"]
    _fails(capsys, bad, "unconditional must be in [0, 1]")
    assert not (tmp_path / "bad").exists()


def test_plot_of_a_run_without_held_out_rows_takes_data(tmp_path, capsys):
    from dmm.tabular import TabularModel

    frame = _table()
    model = TabularModel(steps=10, batch_size=32, hidden=16, depth=1, sample_steps=5)
    saved = model.fit(frame).save(tmp_path / "saved")
    _fails(capsys, ["plot", str(saved), "-n", "50", "--quiet"], "give --data TABLE")
    rows = tmp_path / "rows.csv"
    _table(40, seed=5).to_csv(rows, index=False)
    assert main(["plot", str(saved), "-n", "50", "--data", str(rows), "--quiet"]) == 0
    assert (saved / "marginals.png").is_file() and (saved / "correlation.png").is_file()


def test_plot_data_is_for_table_runs(tmp_path, capsys):
    out = tmp_path / "vp"
    argv = ["train", "--process", "vp", "--data", "moons", "--out", str(out), "--steps", "5"]
    assert main([*argv, "--quiet"]) == 0
    _fails(capsys, ["plot", str(out), "--data", "moons", "--quiet"], "--data is for table runs")


def test_given_keeps_the_other_columns_of_the_table_in_its_order(table_run, tmp_path):
    partial = _table(6, seed=4)[["member", "price", "colour", "size", "stars", "visits"]]
    partial.insert(1, "note", [f"n{i}" for i in range(6)])  # a column the model does not know
    partial.loc[0, "size"] = np.nan
    path, out = tmp_path / "partial.csv", tmp_path / "filled.csv"
    partial.to_csv(path, index=False)
    assert main(["sample", str(table_run), "--given", str(path), "-o", str(out), "--quiet"]) == 0
    filled = pd.read_csv(out)
    assert list(filled.columns) == list(partial.columns)
    assert list(filled["note"]) == list(partial["note"]) and not filled.isna().any().any()


def test_the_python_api_reads_question_marks_among_numbers_as_empty_cells():
    from dmm.tabular import TabularModel

    frame = _table().astype({"size": object})
    frame.loc[[0, 7], "size"] = "?"
    model = TabularModel(steps=10, batch_size=32, hidden=16, depth=1, sample_steps=5)
    with pytest.warns(UserWarning, match="column 'size': 2 cells '\\?' read as empty"):
        model.fit(frame)
    assert model.schema_["size"].type == "real" and model.schema_["size"].missing
    assert (frame.loc[[0, 7], "size"] == "?").all()  # the caller's frame is left alone
    holes = frame.head(3).copy()
    filled = model.impute(holes)
    assert filled["size"].notna().all() and filled.loc[1:, "size"].tolist() == [
        float(v) for v in holes.loc[1:, "size"]
    ]


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error is for machines without CUDA")
def test_the_python_api_refuses_a_device_it_cannot_use_before_training(tmp_path):
    from dmm.cli.errors import UsageError
    from dmm.tabular import TabularModel

    frame = _table(40)
    for device, message in (("cuda", "CUDA is not available"), ("gpu", "cpu or cuda")):
        model = TabularModel(steps=5, device=device, run_dir=tmp_path / device)
        with pytest.raises(UsageError, match=message):
            model.fit(frame)
        assert not (tmp_path / device).exists()  # nothing written


def test_the_python_api_keeps_the_index_of_the_rows_it_fills():
    from dmm.tabular import TabularModel

    frame = _table(40)
    frame.index = [f"row-{k}" for k in range(40)]  # a pandas user's own index
    model = TabularModel(steps=5, batch_size=16, hidden=16, depth=1, sample_steps=4).fit(frame)
    holes = frame.iloc[[3, 7, 11]].copy()
    holes.iloc[0, 1] = np.nan
    for filled in (model.impute(holes), model.impute(holes, draws=2)):
        assert filled.index.tolist() == ["row-3", "row-7", "row-11"]
        pd.testing.assert_frame_equal(filled.iloc[1:], holes.iloc[1:])  # nothing to fill: kept
    empty = model.impute(holes.iloc[:0])
    assert empty.shape == (0, frame.shape[1]) and list(empty.columns) == list(frame.columns)
    with pytest.raises(TypeError, match="whole number of rows"):
        model.sample(2.5)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        model.sample(0)
    with pytest.raises(TypeError, match="DataFrame"):
        model.impute(holes.to_numpy())


def test_the_python_api_keeps_column_labels_that_are_numbers(tmp_path):
    # pd.DataFrame(array) labels its columns 0, 1, 2: the run names them '0', '1', '2', and
    # the tables come back with the caller's labels, also from a saved and loaded model
    from dmm.data.errors import DataError
    from dmm.tabular import TabularModel

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 3)))
    model = TabularModel(steps=5, batch_size=16, hidden=16, depth=1, sample_steps=4).fit(frame)
    holes = frame.head(3).copy()
    holes.iloc[0, 1] = np.nan
    loaded = TabularModel.load(model.save(tmp_path / "saved"))
    for table in (model.sample(4), loaded.sample(4), model.impute(holes), loaded.impute(holes)):
        assert table.columns.tolist() == [0, 1, 2]
    assert model.impute(holes).notna().all().all()
    tuples = frame.set_axis([("x", 0), ("x", 1), ("y", 0)], axis=1)  # named by their text,
    model = TabularModel(steps=5, batch_size=16, hidden=16, depth=1, sample_steps=4).fit(tuples)
    assert model.sample(2).columns.tolist() == [("x", 0), ("x", 1), ("y", 0)]  # given back
    for labels in (["a", "a"], [1, "1"]):  # two labels that name one column
        with pytest.raises(DataError, match="two columns are named"):
            TabularModel(steps=5).fit(pd.DataFrame([[1.0, 2.0]] * 8, columns=labels))


def test_an_ordinal_declared_on_integers_gives_integers_back():
    # schema={"size": [1, 2, 5]} (a list of numbers: refused before, with a TypeError) and
    # "ordinal 1, 2, 5" (samples came back as the text '1', '2') on an int64 column
    from dmm.tabular import TabularModel

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.choice([1, 2, 5], 120), "x": rng.normal(size=120)})
    for declared in ([1, 2, 5], "ordinal 1, 2, 5"):
        small = {"steps": 5, "batch_size": 32, "hidden": 16, "depth": 1, "sample_steps": 5}
        model = TabularModel(**small, schema={"size": declared})
        drawn = model.fit(frame).sample(30)
        assert model.schema_["size"].type == "ordinal", declared
        assert drawn["size"].dtype == "int64" and set(drawn["size"]) <= {1, 2, 5}, declared


def test_truth_values_come_back_as_written(tmp_path, capsys):
    """pandas reads ``true``/``false`` cells as booleans: they came back as ``True``/``False``
    and ``--where flag=true`` was refused (levels False, True) while ``--given`` took it. A
    column's levels are now its cells as written, in every command."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=80).round(3), "flag": rng.choice(["true", "false"], 80)}
    )
    frame.loc[7, "flag"] = None  # an empty cell too
    assert _train(tmp_path, frame) == 0
    _sample(tmp_path)  # empty cells are modelled too
    cells = {row.split(",")[1] for row in (tmp_path / "s.csv").read_text().splitlines()[1:]}
    assert cells <= {"true", "false", ""} and {"true", "false"} <= cells
    out = tmp_path / "w.csv"
    argv = ["sample", str(tmp_path / "run"), "-n", "5", "--where", "flag=true", "-o", str(out)]
    assert main([*argv, "--quiet"]) == 0
    assert out.read_text().splitlines()[1:] and all(
        row.endswith(",true") for row in out.read_text().splitlines()[1:]
    )
    partial = tmp_path / "p.csv"
    partial.write_text("x,flag\n,false\n0.5,\n")
    filled = tmp_path / "f.csv"
    argv = ["sample", str(tmp_path / "run"), "--given", str(partial), "-o", str(filled)]
    assert main([*argv, "--quiet"]) == 0
    rows = filled.read_text().splitlines()
    assert rows[1].endswith(",false") and rows[2].split(",")[1] in ("true", "false")


def test_given_integers_are_kept_or_refused(table_run, tmp_path, capsys):
    """An ``integer`` column's given cells decoded through the model's coordinates: 12.7 came
    back as 13 and 5000 (beyond the training rows' 0..399) as the range's end. A whole number
    is now kept as given, beyond the range too; any other is refused in one line."""
    partial = _table(3, seed=5)
    partial.loc[0, "visits"], partial.loc[1, "size"] = 5000, np.nan
    path = tmp_path / "partial.csv"
    partial.to_csv(path, index=False)
    out = tmp_path / "filled.csv"
    assert main(["sample", str(table_run), "--given", str(path), "-o", str(out), "--quiet"]) == 0
    filled = pd.read_csv(out)
    assert filled["visits"].tolist() == partial["visits"].tolist()
    assert filled["visits"].dtype == np.int64
    partial["visits"] = partial["visits"].astype(float)
    partial.loc[0, "visits"] = 12.7
    partial.to_csv(path, index=False)
    argv = ["sample", str(table_run), "--given", str(path), "-o", str(tmp_path / "o.csv")]
    _fails(capsys, argv, "column 'visits' holds whole numbers but has others (rows 1)")
    assert not (tmp_path / "o.csv").exists()


def test_truth_levels_of_a_boolean_column_take_either_case(tmp_path, capsys):
    """A run whose levels are ``False``/``True`` (a DataFrame's bool column, or a file read
    before 2026-12-05): ``--where flag=true`` and a ``--given`` file's ``true`` cells were
    refused once files kept their ``true``/``false`` text."""
    from dmm.tabular import TabularModel

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80).round(3), "flag": rng.random(80) < 0.5})
    TabularModel(steps=5, hidden=16, depth=1, sample_steps=4).fit(frame).save(tmp_path / "run")
    out = tmp_path / "w.csv"
    argv = ["sample", str(tmp_path / "run"), "-n", "4", "--where", "flag=true", "-o", str(out)]
    assert main([*argv, "--quiet"]) == 0
    assert all(row.endswith(",True") for row in out.read_text().splitlines()[1:])
    partial = tmp_path / "p.csv"
    partial.write_text("x,flag\n,false\n0.5,\n")
    filled = tmp_path / "f.csv"
    argv = ["sample", str(tmp_path / "run"), "--given", str(partial), "-o", str(filled)]
    assert main([*argv, "--quiet"]) == 0
    assert filled.read_text().splitlines()[1].endswith(",False")  # the level it names


def test_where_checks_a_number_written_with_its_unit_as_a_plain_one(tmp_path, capsys):
    """An integer column written as ``12%``: ``--where discount=12.5%`` wrote 12% and
    ``discount=99`` wrote 99% (outside the training rows' 0..39), where a plain integer column
    refuses both."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=80).round(2), "discount": [f"{k}%" for k in rng.integers(0, 40, 80)]}
    )
    assert _train(tmp_path, frame) == 0
    assert "discount" in capsys.readouterr().out
    run, bad = str(tmp_path / "run"), tmp_path / "bad.csv"
    where = ["sample", run, "-n", "3", "-o", str(bad), "--where"]
    _fails(capsys, [*where, "discount=12.5%"], "'discount' takes whole numbers")
    _fails(capsys, [*where, "discount=99"], "takes whole numbers from")
    assert not bad.exists()
    assert main([*where, "discount=12", "--quiet"]) == 0
    assert set(pd.read_csv(bad)["discount"]) == {"12%"}


def test_codes_with_leading_zeros_stay_text(tmp_path, capsys):
    """pandas reads ``02971`` as the number 2971: a zip code column was inferred ``integer``
    and came back without its zeros, given cells too."""
    rng = np.random.default_rng(0)
    codes = [f"{k:05d}" for k in rng.choice([1210, 2971, 12345, 55555], 80)]
    frame = pd.DataFrame({"x": rng.normal(size=80).round(2), "zip": codes})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    from dmm.tabular.io import read_table

    assert read_table(path)["zip"].tolist() == codes
    assert _train(tmp_path, frame) == 0
    assert "integer" not in [line.split()[1] for line in capsys.readouterr().out.splitlines()
                             if line.strip().startswith("zip ")]  # fmt: skip
    s = pd.read_csv(_sample_path(tmp_path), dtype=str)
    assert s["zip"].str.fullmatch(r"\d{5}").all(), list(s["zip"])
    partial = tmp_path / "p.csv"
    partial.write_text("x,zip\n,02971\n0.5,\n")
    out = tmp_path / "f.csv"
    argv = ["sample", str(tmp_path / "run"), "--given", str(partial), "-o", str(out), "--quiet"]
    assert main(argv) == 0
    assert out.read_text().splitlines()[1].endswith(",02971")


def test_numbers_with_fixed_decimals_come_back_padded(tmp_path):
    """A file writing its prices with two decimals (``36.70``): samples, given cells and
    ``--where`` values came back as pandas writes floats (``36.7``, ``12.5``)."""
    rng = np.random.default_rng(0)
    prices = [f"{v:.2f}" for v in rng.gamma(3.0, 10.0, 80)]
    prices[0] = "36.70"
    frame = pd.DataFrame({"price": prices, "w": [f"{v:.1f}" for v in rng.normal(size=80)]})
    assert _train(tmp_path, frame) == 0
    s = pd.read_csv(_sample_path(tmp_path), dtype=str)
    assert s["price"].str.fullmatch(r"\d+\.\d\d").all(), list(s["price"])
    partial, out = tmp_path / "p.csv", tmp_path / "f.csv"
    partial.write_text("price,w\n36.70,\n,0.5\n")
    argv = ["sample", str(tmp_path / "run"), "--given", str(partial), "-o", str(out), "--quiet"]
    assert main(argv) == 0
    assert out.read_text().splitlines()[1].startswith("36.70,")
    where = tmp_path / "w.csv"
    argv = ["sample", str(tmp_path / "run"), "-n", "3", "--where", "price=12.5", "-o", str(where)]
    assert main([*argv, "--quiet"]) == 0
    assert set(pd.read_csv(where, dtype=str)["price"]) == {"12.50"}


def _sample_path(tmp_path, n: int = 30):
    out = tmp_path / "s.csv"
    assert main(["sample", str(tmp_path / "run"), "-n", str(n), "-o", str(out), "--quiet"]) == 0
    return out


def test_given_ordinal_numbers_come_back_as_written(tmp_path):
    """An ordinal declared on numbers (``stars: [1, 2, 5]``): with an empty cell in the
    ``--given`` file, pandas read the column as floats and the given cells came back 5.0."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80).round(2), "stars": rng.choice([1, 2, 5], 80)})
    (tmp_path / "s.yaml").write_text("stars: [1, 2, 5]\n")
    assert _train(tmp_path, frame, "--schema", str(tmp_path / "s.yaml")) == 0
    partial = tmp_path / "p.csv"
    partial.write_text("x,stars\n0.1,\n0.2,5\n0.3,1\n")
    out = tmp_path / "f.csv"
    argv = ["sample", str(tmp_path / "run"), "--given", str(partial), "-o", str(out), "--quiet"]
    assert main(argv) == 0
    rows = out.read_text().splitlines()
    assert rows[2] == "0.2,5" and rows[3] == "0.3,1" and rows[1].split(",")[1] in ("1", "2", "5")


def test_given_identifiers_are_not_handed_out_again_and_a_constant_is_kept(tmp_path, capsys):
    """--given: a row's new identifier was the one another given row had (C-0100 twice); a
    constant column's given 'Plant B' came back 'Plant A', and --where site=Mars wrote rows of
    Plant A."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": [f"C-{k:04d}" for k in range(80)],
            "price": rng.lognormal(3, 0.4, 80).round(2),
            "site": ["Plant A"] * 80,
        }
    )
    assert _train(tmp_path, frame) == 0
    run = str(tmp_path / "run")
    partial, out = tmp_path / "p.csv", tmp_path / "f.csv"
    partial.write_text("id,price,site\n,12.5,Plant A\nC-0080,,\n,13.1,\n")
    assert main(["sample", run, "--given", str(partial), "-o", str(out), "--quiet"]) == 0
    ids = pd.read_csv(out)["id"].tolist()
    assert ids[1] == "C-0080" and len(set(ids)) == 3, ids
    partial.write_text("id,price,site\n,12.5,Plant B\n")
    capsys.readouterr()
    assert main(["sample", run, "--given", str(partial), "-o", str(tmp_path / "g.csv")]) == 2
    assert "it is constant: Plant A" in capsys.readouterr().err
    assert (
        main(["sample", run, "-n", "2", "--where", "site=Mars", "-o", str(tmp_path / "w.csv")]) == 2
    )
    assert "'Mars'" in capsys.readouterr().err and not (tmp_path / "w.csv").exists()


def test_plot_data_draws_that_tables_rows_in_every_figure(tmp_path, monkeypatch):
    """--data changed only correlation.png: the marginals and the scatter drew the training
    rows whatever the help said."""
    import dmm.tabular.plots as plots

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=80), "y": rng.normal(size=80), "c": rng.choice(["a", "b"], 80)}
    )
    assert _train(tmp_path, frame) == 0
    other = tmp_path / "other.csv"
    frame.iloc[:40].to_csv(other, index=False)
    seen = {}
    for name in ("plot_marginals", "plot_scatter"):
        real_function = getattr(plots, name)

        def spy(real, synthetic, *args, _name=name, _f=real_function, **kwargs):
            seen[_name] = len(real)
            return _f(real, synthetic, *args, **kwargs)

        monkeypatch.setattr(plots, name, spy)
    argv = ["plot", str(tmp_path / "run"), "-n", "50", "--data", str(other), "--quiet"]
    assert main(argv) == 0
    assert seen == {"plot_marginals": 40, "plot_scatter": 40}


def test_a_marker_in_a_given_numeric_cell_is_a_cell_to_fill(tmp_path):
    """'?' in --given was read as empty only when the file's other rows of that column held
    numbers: a one-row file was refused ("has text values")."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(20, 60, 80), "c": rng.choice(["a", "b"], 80)})
    assert _train(tmp_path, frame) == 0
    partial, out = tmp_path / "p.csv", tmp_path / "f.csv"
    partial.write_text("age,c\n?,a\n")
    assert (
        main(["sample", str(tmp_path / "run"), "--given", str(partial), "-o", str(out), "--quiet"])
        == 0
    )
    assert pd.read_csv(out)["age"].notna().all()


def test_where_refuses_a_value_finer_than_the_column_is_written(tmp_path, capsys):
    """--where salary=100000.129 wrote $100,000.13 in every row: the condition did not hold."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"salary": rng.lognormal(11, 0.3, 80).round(2), "c": rng.choice(["a", "b"], 80)}
    )
    assert _train(tmp_path, frame) == 0
    capsys.readouterr()
    out = tmp_path / "w.csv"
    argv = ["sample", str(tmp_path / "run"), "-n", "2", "-o", str(out), "--where"]
    assert main([*argv, "salary=100000.129"]) == 2
    assert "written with 2 decimals: give 100000.13" in capsys.readouterr().err and not out.exists()
    assert main([*argv, "salary=100000.13", "--quiet"]) == 0


def test_the_cli_writes_a_python_models_float32_column_at_its_precision(tmp_path):
    """``dmm sample`` of a ``TabularModel`` run wrote a float32 column with float64's 17 digits
    (``-0.8486744662444058``), where ``TabularModel.sample`` gives float32 values back."""
    from dmm.tabular import TabularModel

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=60).astype("float32"), "b": rng.choice(["x", "y"], 60)}
    )
    model = TabularModel(steps=5, batch_size=16, hidden=16, depth=1, sample_steps=3).fit(frame)
    out = tmp_path / "s.csv"
    assert (
        main(["sample", str(model.save(tmp_path / "run")), "-n", "20", "-o", str(out), "--quiet"])
        == 0
    )
    written = [line.split(",")[0] for line in out.read_text().splitlines()[1:]]
    # float32's shortest round-trip text has at most 9 significant digits
    assert all(len(v.lstrip("-").replace(".", "").lstrip("0")) <= 9 for v in written), written
    assert (pd.read_csv(out)["a"].astype("float32").to_numpy() == np.float32(written)).all()


def _heads_and_weightings(run):
    built = load_run(run).built
    heads = [type(head).__name__ for head in built.model.heads]
    terms = built.loss.loss.losses  # ObservedSubsets around the product's loss
    return heads, [getattr(term, "weighting", None) for term in terms]


def test_numeric_columns_train_with_the_velocity_loss_and_old_runs_as_they_were(tmp_path):
    # real (size) and positive (price) columns: velocity head and weighting by default; the
    # chains keep theirs. A run from before the parameter (no numeric_loss in config.yaml)
    # trained with the ε head and the KL weighting and must load so, whatever the default is
    from dmm.losses import kl_weighting, velocity_weighting

    data = tmp_path / "table.csv"
    _table().to_csv(data, index=False)
    run = tmp_path / "run"
    argv = ["train", "--process", "tabular", "--data", str(data), "--out", str(run), *TINY]
    assert main(argv) == 0
    heads, weightings = _heads_and_weightings(run)
    assert heads.count("VelocityParam") == 2 and "EpsParam" not in heads, heads
    assert weightings.count(velocity_weighting) == 2 and kl_weighting not in weightings
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["params"]["numeric_loss"] == "velocity"
    del config["params"]["numeric_loss"]
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    heads, weightings = _heads_and_weightings(run)
    assert {"EpsParam", "LogEpsParam"} <= set(heads) and "VelocityParam" not in heads, heads
    assert weightings.count(kl_weighting) == 2 and velocity_weighting not in weightings
    assert main(["sample", str(run), "-n", "5", "-o", str(tmp_path / "s.csv"), "--quiet"]) == 0


def test_an_unknown_numeric_loss_is_one_line(tmp_path, capsys):
    data = tmp_path / "table.csv"
    _table().to_csv(data, index=False)
    argv = ["train", "--process", "tabular", "--data", str(data), "--out", str(tmp_path / "r")]
    _fails(capsys, [*argv, *TINY, "--set", "numeric_loss=eps"], "velocity, eps-kl")
