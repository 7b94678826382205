"""Tabular metrics: a fresh draw of the law scores near-ideal, each kind of damage is seen by the
metric built for it, and W1 / coverage match hand computations."""

import importlib.util
import json
import sys

import numpy as np
import pandas as pd
import pytest

from dmm.tabular.metrics import FLOOR_KEYS, coverage, evaluate, floor, report_markdown, wasserstein1

KINDS = {"c": "categorical", "x": "numeric", "y": "numeric", "d": "categorical"}


def draw(n: int, seed: int) -> pd.DataFrame:
    """A law with every kind of dependence: c → x (η), x → y (Pearson), (x, y) → d (V, η)."""
    rng = np.random.default_rng(seed)
    c = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    x = np.select([c == "a", c == "b"], [0.0, 2.0], -2.0) + rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    d = np.where(x + y + rng.normal(size=n) > 0, "yes", "no")
    return pd.DataFrame({"c": c, "x": x, "y": y, "d": d})


@pytest.fixture(scope="module")
def real():
    return draw(600, 0), draw(600, 1)


@pytest.fixture(scope="module")
def ideal(real):
    return evaluate(*real, draw(600, 2), KINDS)


def test_a_fresh_draw_of_the_same_law_scores_near_ideal(ideal):
    json.dumps(ideal, allow_nan=False)  # plain JSON, no numpy scalars, no NaN
    assert (ideal["n_train"], ideal["n_test"], ideal["n_synthetic"]) == (600, 600, 600)
    # 600 vs 600 rows: the KS statistic exceeds 0.113 with probability 1e-3 under the null
    for name in ("x", "y"):
        assert ideal["columns"][name]["ks"] < 0.113
    assert ideal["marginal_tv_mean"] < 0.06 and ideal["column_shape"] > 0.93
    assert ideal["pair_error"] < 0.06 and ideal["column_pair"] > 0.95
    # 600 + 600 rows: the null AUC has a standard deviation of about 0.017; 0.08 is ~5 of them
    assert abs(ideal["c2st_auc"] - 0.5) < 0.08
    ml = ideal["ml_efficiency"]
    assert ml["target"] == "d" and ml["task"] == "classification"
    assert abs(ml["synthetic"]["accuracy"] - ml["real"]["accuracy"]) < 0.05
    assert abs(ml["synthetic"]["macro_f1"] - ml["real"]["macro_f1"]) < 0.05
    assert ideal["coverage_train"] > 0.9 and ideal["coverage_test"] > 0.9
    assert 0.8 < ideal["dcr"]["dcr_ratio"] < 1.25
    # W1 of two finite samples is mostly sampling noise here (about 0.1–0.2 at 600 rows); the
    # shuffled table below must be far above it
    assert 0 < ideal["w1_train"] < 0.3 and 0 < ideal["w1_test"] < 0.3
    matrix = np.array(ideal["pair_matrix_real"])
    assert matrix.shape == (4, 4) and np.allclose(matrix, matrix.T)
    assert matrix[1, 2] > 0.8  # Pearson of x and y: 0.8 var(x) / sqrt(var(x) (0.64 var(x) + 0.36))


def test_shuffling_columns_independently_destroys_dependence_and_is_seen(real, ideal):
    rng = np.random.default_rng(5)
    shuffled = draw(600, 2)
    for name in shuffled.columns:
        shuffled[name] = shuffled[name].to_numpy()[rng.permutation(len(shuffled))]
    broken = evaluate(*real, shuffled, KINDS)
    assert broken["column_shape"] == pytest.approx(ideal["column_shape"])  # marginals untouched
    assert broken["pair_error"] > ideal["pair_error"] + 0.3
    assert broken["c2st_auc"] > 0.8
    ml = broken["ml_efficiency"]
    assert ml["synthetic"]["accuracy"] < ml["real"]["accuracy"] - 0.2
    assert broken["w1_test"] > 2 * ideal["w1_test"]


def test_the_floor_is_the_training_rows_scored_as_synthetic_and_sits_beside_a_fresh_draw(
    real, ideal
):
    # the floor is what a perfect copy of the law scores: the training rows are such a copy, so
    # they score like the fresh draw above (same tolerances as there) and far from a broken table
    train, test = real
    low = floor(train, test, KINDS)
    assert set(low) == set(FLOOR_KEYS)
    whole = evaluate(train, test, train, KINDS)
    assert low == {key: whole[key] for key in FLOOR_KEYS}
    assert abs(low["c2st_auc"] - 0.5) < 0.08 and low["column_shape"] > 0.93
    assert low["pair_error"] < 0.06 and low["coverage_test"] > 0.9
    assert abs(low["w1_test"] - ideal["w1_test"]) < 0.1  # both the noise of 600 vs 600 rows
    text = report_markdown({**ideal, "floor": low}, title="t")
    assert "| training rows |" in text and f"{low['c2st_auc']:.3f}" in text


def test_a_shifted_column_raises_its_ks_and_a_wrong_frequency_its_tv(real, ideal):
    rng = np.random.default_rng(7)
    damaged = draw(600, 2)
    damaged["y"] = damaged["y"] + 1.0  # about half a standard deviation of y
    damaged["c"] = rng.choice(["a", "b", "c"], size=600, p=[0.2, 0.3, 0.5])  # was .5 .3 .2
    result = evaluate(*real, damaged, KINDS, target="x")
    columns = result["columns"]
    assert columns["y"]["ks"] > 0.2 and columns["x"]["ks"] < 0.113
    assert columns["c"]["tv"] > 0.2 and columns["d"]["tv"] < 0.06
    assert result["column_shape"] < ideal["column_shape"] - 0.1
    ml = result["ml_efficiency"]
    assert ml["target"] == "x" and ml["task"] == "regression"
    assert set(ml["real"]) == {"r2", "rmse"} and ml["real"]["r2"] > 0.7


def test_w1_is_exact_on_hand_computed_examples(monkeypatch):
    a, b = np.array([[0.0], [1.0]]), np.array([[0.5], [2.0]])
    # couplings: {0↔0.5, 1↔2} costs (0.5 + 1) / 2 = 0.75, the crossing one (2 + 0.5) / 2 = 1.25
    assert wasserstein1(a, b) == pytest.approx(0.75)
    if importlib.util.find_spec("ot") is not None:  # unequal sizes need POT (the bench extra)
        # mass 1/2 at 0 and 1/2 at 1 against 1 at 0: the half at 1 moves 1
        assert wasserstein1(a, np.array([[0.0]])) == pytest.approx(0.5)
    # L1 ground cost in 2-D: (0,0) → (1,1) costs 2
    assert wasserstein1(np.zeros((1, 2)), np.ones((1, 2))) == pytest.approx(2.0)
    rng = np.random.default_rng(0)
    p, q = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    with_pot = wasserstein1(p, q)
    monkeypatch.setitem(sys.modules, "ot", None)  # the linear_sum_assignment path
    assert wasserstein1(a, b) == pytest.approx(0.75)
    assert wasserstein1(p, q) == pytest.approx(with_pot, rel=1e-9)
    with pytest.raises(ValueError, match="equal sizes"):
        wasserstein1(a, np.zeros((3, 1)))


def test_w1_in_the_scaled_space_of_evaluate_is_the_shift_over_the_training_range(monkeypatch):
    train, test = draw(150, 0), draw(150, 1)
    span = train["x"].max() - train["x"].min()
    shifted = train.copy()
    shifted["x"] = shifted["x"] + 0.1 * span
    result = evaluate(train, test, shifted, KINDS)
    # L1 cost: Σ_i |s_σ(i) - r_i|_1 ≥ |Σ_i (s_σ(i) - r_i)|_1 = n · 0.1, met by the identity
    has_pot = importlib.util.find_spec("ot") is not None  # POT comes with the bench extra
    assert result["w1_method"] == ("ot.emd2" if has_pot else "linear_sum_assignment")
    assert result["w1_train"] == pytest.approx(0.1, abs=1e-9)
    monkeypatch.setitem(sys.modules, "ot", None)  # without POT: an assignment on equal sizes
    result = evaluate(train, test, train, KINDS)
    assert result["w1_method"] == "linear_sum_assignment"
    assert result["w1_train"] == pytest.approx(0.0, abs=1e-12)


def test_coverage_on_a_hand_made_example():
    real = np.arange(10.0)[:, None]  # k = 1: every real point's radius is 1 (closed ball)
    # 0.0 covers 0 and 1; 5.2 covers 5 (0.2) and 6 (0.8), not 4 (1.2): 4 of 10
    assert coverage(real, np.array([[0.0], [5.2]]), k=1) == pytest.approx(0.4)
    # k = 2: radius 2 at the ends 0 and 9 (second neighbour 2 away), 1 inside (both neighbours
    # 1 away); -1.5 is 1.5 from 0 (covered at k = 2, not at k = 1) and 2.5 from 1
    assert coverage(real, np.array([[-1.5]]), k=2) == pytest.approx(0.1)
    assert coverage(real, np.array([[-1.5]]), k=1) == 0.0
    assert coverage(real, np.array([[0.0], [5.2]]), k=2) == pytest.approx(0.4)
    assert coverage(real, real, k=1) == 1.0
    with pytest.raises(ValueError, match="more than"):
        coverage(real[:2], real, k=2)


def _with_holes(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.astype({"c": object, "d": object})
    out.loc[rng.random(len(out)) < 0.1, "x"] = np.nan
    out.loc[rng.random(len(out)) < 0.1, "c"] = None
    return out


def test_missing_cells_are_handled_and_a_wrong_missing_rate_is_reported():
    train, test = _with_holes(draw(200, 0), 10), _with_holes(draw(200, 1), 11)
    synthetic = draw(200, 2)  # no missing cells at all
    result = evaluate(train, test, synthetic, KINDS)
    json.dumps(result, allow_nan=False)
    assert result["columns"]["x"]["missing_diff"] == pytest.approx(
        test["x"].isna().mean(), abs=1e-12
    )
    assert result["columns"]["c"]["missing_diff"] > 0.03
    assert result["columns"]["x"]["ks"] < 0.2  # on the present values
    assert 0.0 <= result["c2st_auc"] <= 1.0 and result["w1_test"] > 0
    assert "<missing>" not in report_markdown(result)  # the report names columns, not levels


def test_an_association_from_too_few_rows_is_left_out_of_the_pair_scores():
    """A column present in 4 held-out rows: its Pearson r with another column was read from those
    4 rows (±0.5 by chance) and counted in ``pair_error`` like the others."""
    train, test, synthetic = draw(300, 0), draw(300, 1), draw(300, 2)
    test.loc[test.index[4:], "y"] = np.nan  # 4 rows where y is present
    result = evaluate(train, test, synthetic, KINDS)
    json.dumps(result, allow_nan=False)
    cols = result["pair_columns"]
    real = np.array(result["pair_matrix_real"], dtype=float)
    iy = cols.index("y")
    assert np.isnan(np.delete(real[iy], iy)).all() and real[iy, iy] == 1.0
    assert np.isfinite(np.delete(real, iy, 0)[:, [i for i in range(len(cols)) if i != iy]]).all()
    synth = np.array(result["pair_matrix_synthetic"], dtype=float)
    upper = np.triu_indices(len(cols), 1)
    kept = [(i, j) for i, j in zip(*upper) if iy not in (i, j)]
    expected = np.mean([abs(synth[i, j] - real[i, j]) for i, j in kept])
    assert result["pair_error"] == pytest.approx(expected)
    assert "nan" not in report_markdown(result).lower()


def test_all_categorical_and_all_numeric_tables_work():
    cat = {"c": "categorical", "d": "categorical"}
    r = evaluate(*(draw(150, s)[["c", "d"]] for s in range(3)), cat)
    assert r["marginal_ks_mean"] is None and r["marginal_tv_mean"] < 0.15
    assert r["ml_efficiency"]["target"] == "d" and len(r["pair_matrix_real"]) == 2
    num = {"x": "numeric", "y": "numeric"}
    r = evaluate(*(draw(150, s)[["x", "y"]] for s in range(3)), num)
    assert r["marginal_tv_mean"] is None and r["ml_efficiency"]["task"] == "regression"
    assert r["ml_efficiency"]["target"] == "y" and r["pair_error"] < 0.1
    one = evaluate(*(draw(150, s)[["x"]] for s in range(3)), {"x": "numeric"})
    assert one["pair_error"] is None and one["ml_efficiency"] is None
    assert "| x | numeric |" in report_markdown(one)


def test_deterministic_for_a_fixed_seed_and_the_report_renders():
    tables = [draw(150, s) for s in range(3)]
    first = evaluate(*tables, KINDS, seed=3)
    assert evaluate(*tables, KINDS, seed=3) == first
    text = report_markdown(first, title="t")
    assert text.startswith("# t\n") and "C2ST AUC" in text and "| c | categorical |" in text
    assert f"{first['c2st_auc']:.3f}" in text


def test_bad_inputs_are_refused(real):
    train, test = real
    with pytest.raises(ValueError, match="kinds has no entry"):
        evaluate(train, test, test, {"c": "categorical"})
    with pytest.raises(ValueError, match="expected 'numeric'"):
        evaluate(train, test, test, {**KINDS, "x": "continuous"})
    with pytest.raises(ValueError, match="columns differ"):
        evaluate(train, test, test[["x", "c", "y", "d"]], KINDS)
    with pytest.raises(ValueError, match="not a number"):
        evaluate(train, test, test.assign(x="oops"), KINDS)


def test_sdmetrics_is_an_optional_extra(real, monkeypatch):
    tables = [draw(120, s) for s in range(3)]
    for name in [m for m in sys.modules if m.split(".")[0] == "sdmetrics"] + ["sdmetrics"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    assert "sdmetrics" not in evaluate(*tables, KINDS)
    monkeypatch.undo()
    try:
        import sdmetrics  # noqa: F401
    except ImportError:
        return
    scores = evaluate(*tables, KINDS)["sdmetrics"]
    assert 0.5 < scores["column_shapes"] <= 1 and 0 <= scores["column_pair_trends"] <= 1


def test_compact_distances_equal_those_of_the_dense_one_hot_space():
    from dmm.tabular.metrics import _pairwise, _prepare, _Space

    kinds = dict(KINDS, wide="categorical")
    frames = {name: draw(40, s) for s, name in enumerate(("train", "test", "synthetic"))}
    for s, frame in enumerate(frames.values()):
        frame["wide"] = [f"v{i}" for i in np.random.default_rng(s).integers(0, 60, len(frame))]
        frame.loc[frame.index[:3], "x"] = np.nan
    tables = {name: _prepare(frame, kinds) for name, frame in frames.items()}
    space = _Space(list(frames["train"].columns), kinds, tables)
    dense = {name: space.embed(table) for name, table in tables.items()}
    compact = {name: space.points(table) for name, table in tables.items()}
    assert dense["test"].shape[1] > 40  # one-hot coordinates of every level, an indicator for x
    for metric in ("cityblock", "euclidean"):
        np.testing.assert_allclose(
            _pairwise(compact["synthetic"], compact["test"], metric),
            _pairwise(dense["synthetic"], dense["test"], metric),
            rtol=1e-12,
            atol=1e-12,
        )
    assert wasserstein1(compact["synthetic"], compact["train"]) == pytest.approx(
        wasserstein1(dense["synthetic"], dense["train"]), rel=1e-12
    )


def test_a_pair_the_synthetic_rows_leave_undefined_counts_as_the_largest_error():
    """Leaving a column almost always empty took its pairs out of the scores, and scored better
    than filling it badly."""
    train, test = draw(300, 0), draw(300, 1)
    bad = draw(300, 2).assign(y=lambda f: np.random.default_rng(3).permutation(f["y"].to_numpy()))
    empty = bad.copy()
    empty.loc[empty.index[5:], "y"] = np.nan  # 5 rows where y is present
    filled, emptied = (evaluate(train, test, s, KINDS) for s in (bad, empty))
    assert emptied["pair_error"] > filled["pair_error"]
    assert emptied["column_pair"] < filled["column_pair"]
