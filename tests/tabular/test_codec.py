"""A table as rows of a product space: encoding, decoding, the product process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from dmm.data.errors import DataError
from dmm.processes import VP, AbsorbingChain, OrdinalChain
from dmm.processes.positive import GeometricOU
from dmm.processes.product import ProductProcess
from dmm.tabular.codec import TableCodec
from dmm.tabular.schema import infer_schema, resolve_schema


def _frame(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "binary": rng.integers(0, 2, n),
            "stars": rng.integers(1, 6, n),
            "count": rng.integers(-50, 1000, n),
            "price": np.exp(rng.normal(size=n)).round(2),
            "change": rng.normal(size=n).round(3),
            "unit": ["kg"] * n,
        }
    )
    frame.loc[[2, 9], "price"] = np.nan
    frame.loc[[4], "stars"] = np.nan
    frame.loc[[6, 7], "colour"] = None
    return frame


def _codec(frame: pd.DataFrame) -> TableCodec:
    return TableCodec.fit(frame, infer_schema(frame))


def test_decode_inverts_encode_cell_for_cell():
    frame = _frame()
    codec = _codec(frame)
    back = codec.decode(codec.encode(frame))
    assert list(back.columns) == list(frame.columns)
    for name in frame.columns:
        original, decoded = frame[name], back[name]
        assert (original.isna().to_numpy() == decoded.isna().to_numpy()).all(), name
        keep = original.notna().to_numpy()
        if name in ("price", "change"):
            np.testing.assert_allclose(decoded[keep].astype(float), original[keep], atol=1e-9)
        else:
            assert [str(v) for v in decoded[keep]] == [
                str(int(v)) if isinstance(v, float) else str(v) for v in original[keep]
            ], name
    assert str(back["count"].dtype) == "Int64" and str(back["stars"].dtype) == "Int64"
    assert str(back["binary"].dtype) == "Int64"  # numeric levels come back as numbers


def test_one_factor_per_column_type_and_state_count():
    codec = _codec(_frame())
    process = codec.process()
    assert isinstance(process, ProductProcess)
    kinds = [type(f) for f in process.factors]
    assert kinds == [VP, GeometricOU, OrdinalChain, AbsorbingChain, AbsorbingChain]
    vp, gou, ordinal, indicators, categories = process.factors
    assert vp.dim == 2 and gou.dim == 1 and ordinal.S == 5
    assert indicators.S == 2 and indicators.d == 3  # binary + the empty-cell flags of 2 columns
    assert categories.S == 4 and categories.d == 1  # colour: 3 levels + empty
    assert process.space.dim == codec.width
    assert process.has_exact_transition  # --given uses the replacement method


def test_a_table_with_one_column_type_is_one_process():
    rng = np.random.default_rng(0)
    numbers = pd.DataFrame(rng.normal(size=(30, 3)), columns=list("abc"))
    assert isinstance(_codec(numbers).process(), VP)
    words = pd.DataFrame({"a": rng.choice(list("xyz"), 30), "b": rng.choice(list("uvw"), 30)})
    process = _codec(words).process()
    assert isinstance(process, AbsorbingChain) and process.d == 2 and process.S == 3


def test_samples_of_any_encoded_rows_decode_to_valid_cells():
    frame = _frame()
    codec = _codec(frame)
    noise = codec.process().reference.sample(500, torch.Generator().manual_seed(0))
    back = codec.decode(noise)
    assert (back["price"].dropna() > 0).all()
    assert back["count"].dropna().between(-50, 999).all() or back["count"].max() <= 1000
    assert set(back["colour"].dropna()) <= {"red", "green", "blue"}
    assert set(back["stars"].dropna()) <= {1, 2, 3, 4, 5}
    assert (back["unit"] == "kg").all()


def test_a_thousand_levels():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"k{i}" for i in rng.integers(0, 1000, 5000)]})
    frame["x"] = rng.normal(size=len(frame))
    codec = _codec(frame)
    assert codec.process().factors[1].S == frame["id"].nunique()
    assert (codec.decode(codec.encode(frame))["id"] == frame["id"]).all()


def test_unseen_values_are_errors():
    frame = _frame()
    codec = _codec(frame)
    other = frame.copy()
    other.loc[0, "colour"] = "purple"
    with pytest.raises(DataError, match=r"'colour' has value\(s\) \['purple'\]"):
        codec.encode(other)
    other = frame.copy()
    other.loc[3, "stars"] = 9
    with pytest.raises(DataError, match="ordinal on 1..5"):
        codec.encode(other)
    other = frame.copy()
    other.loc[3, "change"] = np.nan  # no empty cells in training: no indicator to say so
    with pytest.raises(DataError, match="'change' has empty cells"):
        codec.encode(other)


def test_partial_rows_give_their_filled_cells():
    frame = _frame()
    codec = _codec(frame)
    partial = frame.head(4).copy()
    partial.loc[0, "change"] = np.nan
    partial.loc[1, "price"] = np.nan
    values, given = codec.encode_partial(partial)
    slot = {s.name: k for k, s in enumerate(codec.slots)}
    assert not given[0, slot["change"]] and given[0, slot["price"]]
    assert not given[1, slot["price"]]
    assert given[1, slot["price (empty)"]] and values[1, slot["price (empty)"]] == 0  # not empty


def test_config_round_trip():
    codec = _codec(_frame())
    again = TableCodec.from_config(codec.to_config())
    assert again.slots == codec.slots and again.stats == codec.stats


def test_dates_are_a_real_factor_and_identifiers_none():
    n = 60
    rng = np.random.default_rng(2)
    stamps = pd.Timestamp("2021-06-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="min")
    frame = pd.DataFrame(
        {
            "order": [f"ord-{i:04d}" for i in range(n)],
            "placed": stamps.strftime("%Y-%m-%d %H:%M"),
            "x": rng.normal(size=n),
        }
    )
    frame.loc[[3, 7], "placed"] = None
    codec = _codec(frame)
    assert [c.type for c in codec.schema.columns] == ["id", "datetime", "real"]
    # one VP factor for the date and x; the date's empty cells get an indicator chain
    assert isinstance(codec.process().factors[0], VP) and codec.process().factors[0].dim == 2
    assert [s.name for s in codec.slots] == ["placed", "x", "placed (empty)"]
    encoded = codec.encode(frame)
    present = torch.tensor(frame["placed"].notna().to_numpy())
    assert abs(float(encoded[present, 0].mean())) < 1e-5  # standardised days
    back = codec.decode(encoded)
    # minutes survive the float32 rows; empty cells stay empty
    assert list(back["placed"].fillna("-")) == list(frame["placed"].fillna("-"))
    assert list(back["order"]) == [f"ord-{i:04d}" for i in range(n, 2 * n)]  # new identifiers


def test_numbers_with_a_unit_decode_as_they_were_written():
    rng = np.random.default_rng(3)
    n = 50
    price = np.round(np.exp(rng.normal(5, 1, n)), 2)
    frame = pd.DataFrame({"price": [f"${p:,.2f}" for p in price], "x": rng.normal(size=n)})
    frame.loc[4, "price"] = None
    codec = _codec(frame)
    assert codec.schema["price"].type == "positive"
    back = codec.decode(codec.encode(frame))
    assert list(back["price"].fillna("-")) == list(frame["price"].fillna("-"))


def test_ordered_text_levels_encode_as_positions_and_decode_as_text():
    levels = ("low", "mid", "high")
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "grade": pd.Categorical(rng.choice(levels, 30), levels, ordered=True),
            "x": rng.normal(size=30),
        }
    )
    codec = _codec(frame)
    process = codec.process()
    assert isinstance(process, ProductProcess)
    assert any(isinstance(f, OrdinalChain) and f.S == 3 for f in process.factors)
    encoded = codec.encode(frame)
    column = [s.column for s in codec.slots].index("grade")  # slots are grouped by factor
    assert encoded[:, column].tolist() == [float(levels.index(v)) for v in frame["grade"]]
    assert list(codec.decode(encoded)["grade"]) == list(frame["grade"].astype(str))
    with pytest.raises(DataError, match=r"value\(s\) \['top'\] that are not among its levels"):
        codec.encode(pd.DataFrame({"grade": ["low", "top"], "x": [0.0, 1.0]}))


def test_a_real_column_of_whole_numbers_is_written_without_decimals():
    """age declared real on whole numbers (decimals 0) came back 39.0, 42.0."""
    frame = pd.DataFrame({"age": [21.0, 35.0, 42.0, 58.0, 33.0] * 4, "c": ["a", "b"] * 10})
    schema = resolve_schema(frame, {"age": "real"})
    assert schema["age"].decimals == 0
    codec = TableCodec.fit(frame, schema)
    out = codec.decode(codec.encode(frame))
    assert (
        str(out["age"].dtype) == "Int64"
        and out["age"].tolist() == frame["age"].astype(int).tolist()
    )


def test_drawn_real_and_positive_numbers_stay_in_the_training_range():
    """hours (never negative, 60% zeros) came back with no zeros and some negatives: drawn
    numbers are kept in the column's range, as SDV keeps its synthesizers' by default."""
    rng = np.random.default_rng(0)
    hours = np.where(rng.random(200) < 0.6, 0.0, rng.gamma(2.0, 10.0, 200).round(1))
    frame = pd.DataFrame({"hours": hours, "price": np.exp(rng.normal(size=200)).round(2)})
    codec = _codec(frame)
    noise = codec.process().reference.sample(2000, torch.Generator().manual_seed(0))
    back = codec.decode(3.0 * noise)  # wider than the data: some draws fall outside its range
    assert back["hours"].min() == 0.0 and (back["hours"] == 0.0).mean() > 0.05
    assert back["hours"].max() == hours.max()
    assert back["price"].between(frame["price"].min(), frame["price"].max()).all()
    assert back["price"].max() == frame["price"].max()


def test_a_full_schema_widens_a_range_and_never_narrows_it():
    frame = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5] * 5, "c": ["a", "b"] * 10})
    schema = infer_schema(frame).to_config()
    for column in schema["columns"]:
        if column["name"] == "x":
            column["low"], column["high"] = -10.0, 3.0  # wider below, narrower above
    from dmm.tabular.schema import Schema

    fitted = resolve_schema(frame, Schema.from_config(schema))
    assert (fitted["x"].low, fitted["x"].high) == (-10.0, 3.5)
