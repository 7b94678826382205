"""Column types: inference, declared types checked against the data, schema files."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dmm.data.errors import DataError
from dmm.tabular.codec import TableCodec
from dmm.tabular.io import read_table
from dmm.tabular.schema import Column, Schema, infer_schema, read_schema_file, resolve_schema


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "flag": rng.random(n) < 0.5,
            "binary": rng.integers(0, 2, n),
            "stars": rng.integers(1, 6, n),
            "count": rng.integers(0, 1000, n),
            "price": np.exp(rng.normal(size=n)).round(2),
            "change": rng.normal(size=n),
            "rain": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(size=n)),
            "unit": ["kg"] * n,
        }
    )


def test_inferred_types():
    schema = infer_schema(_frame())
    assert {c.name: c.type for c in schema.columns} == {
        "colour": "categorical",
        "flag": "categorical",
        "binary": "categorical",  # numbers with two values
        "stars": "ordinal",
        "count": "integer",
        "price": "positive",
        "change": "real",
        "rain": "real",  # many exact zeros: not strictly positive
        "unit": "constant",
    }
    assert schema["colour"].levels == ("blue", "green", "red")
    assert schema["binary"].levels == ("0", "1") and schema["binary"].numeric_levels
    assert schema["flag"].levels == ("False", "True") and not schema["flag"].numeric_levels
    assert (schema["stars"].low, schema["stars"].high) == (1, 5)
    assert schema["price"].decimals == 2


def test_missing_cells_are_recorded_and_an_empty_column_is_an_error():
    frame = _frame()
    frame.loc[[3, 7], "price"] = np.nan
    frame.loc[5, "colour"] = None
    schema = infer_schema(frame)
    assert schema["price"].missing and schema["colour"].missing and not schema["change"].missing
    frame["nothing"] = np.nan
    with pytest.raises(DataError, match="'nothing' has no values"):
        infer_schema(frame)


def test_declared_types_override_and_are_checked_against_the_data():
    frame = _frame()
    schema = infer_schema(frame, {"stars": "categorical", "price": "real"})
    assert schema["stars"].type == "categorical" and schema["stars"].levels[0] == "1"
    assert schema["price"].type == "real"
    with pytest.raises(DataError, match=r"'change' is declared positive .*rows \d"):
        infer_schema(frame, {"change": "positive"})
    with pytest.raises(DataError, match="'change' is declared integer but has non-integer"):
        infer_schema(frame, {"change": "integer"})
    with pytest.raises(DataError, match="'colour' is declared real but has text values"):
        infer_schema(frame, {"colour": "real"})
    with pytest.raises(DataError, match="unknown type 'text'"):
        infer_schema(frame, {"colour": "text"})
    with pytest.raises(DataError, match=r"names column\(s\) \['weight'\]"):
        infer_schema(frame, {"weight": "real"})
    with pytest.raises(DataError, match="declared constant but has 3 values"):
        infer_schema(frame, {"colour": "constant"})


def test_rows_are_named_as_a_user_counts_them():
    frame = pd.DataFrame({"x": [1.0, 2.0, -3.0, 4.0]})
    with pytest.raises(DataError, match=r"values <= 0 \(rows 3\)"):
        infer_schema(frame, {"x": "positive"})


def test_schema_round_trip_and_files(tmp_path):
    schema = infer_schema(_frame())
    assert Schema.from_config(schema.to_config()) == schema
    full = tmp_path / "full.yaml"
    import yaml

    full.write_text(yaml.safe_dump(schema.to_config()))
    assert read_schema_file(full) == schema
    assert resolve_schema(_frame(), read_schema_file(full)) == schema
    short = tmp_path / "short.yaml"
    short.write_text("stars: categorical\n")
    assert read_schema_file(short) == {"stars": "categorical"}
    # an ordinal's levels as a list: text, or numbers written as level_text writes them
    short.write_text("stars: [1, 2, 5]\n")
    assert read_schema_file(short) == {"stars": [1, 2, 5]}
    stars = infer_schema(pd.DataFrame({"stars": [5, 1, 2, 2]}), {"stars": [1, 2, 5]})["stars"]
    assert stars.type == "ordinal" and stars.levels == ("1", "2", "5")
    short.write_text("stars: [1, true]\n")
    with pytest.raises(DataError, match="not all text or numbers"):
        read_schema_file(short)
    with pytest.raises(DataError, match="ordinal levels are text or numbers"):
        infer_schema(pd.DataFrame({"stars": [1, 2]}), {"stars": [1, None]})
    bad = tmp_path / "bad.yaml"
    bad.write_text("stars: text\n")
    with pytest.raises(DataError, match="unknown type 'text'"):
        read_schema_file(bad)
    bad.write_text("[1, 2\n")
    with pytest.raises(DataError, match="not valid YAML"):
        read_schema_file(bad)
    with pytest.raises(DataError, match="cannot read schema file"):
        read_schema_file(tmp_path / "absent.yaml")


def test_describe_names_every_column():
    text = infer_schema(_frame()).describe()
    assert len(text.splitlines()) == 9 and "3 levels: blue, green, red" in text


# --------------------------------------------------------------------- dates, times, identifiers


@pytest.mark.parametrize(
    "values, fmt",
    [
        (["2024-03-01", "2024-03-02", "2023-12-31"], "%Y-%m-%d"),
        (["2024/03/01", "2024/11/02", "2023/12/31"], "%Y/%m/%d"),
        (["03/01/2024", "11/02/2024", "12/31/2023"], "%m/%d/%Y"),  # month first when both read
        (["13/01/2024", "11/02/2024", "31/12/2023"], "%d/%m/%Y"),  # a 13th day: day first
        (["01.03.2024", "02.11.2024", "31.12.2023"], "%d.%m.%Y"),
        (
            ["2024-03-01 10:00:00", "2024-03-02 23:59:59", "2023-12-31 00:00:01"],
            "%Y-%m-%d %H:%M:%S",
        ),
        (["2024-03-01T10:00", "2024-03-02T23:59", "2023-12-31T00:00"], "%Y-%m-%dT%H:%M"),
        (["2024-03", "2024-11", "2023-01"], "%Y-%m"),  # months
    ],
)
def test_dates_and_times_are_read_in_their_format(values, fmt):
    column = infer_schema(pd.DataFrame({"when": values + [None]}))["when"]
    assert (column.type, column.format, column.missing) == ("datetime", fmt, True)
    days = column.days(pd.Series(values))
    # written back in the same format, value by value
    assert list(column.from_days(days)) == values
    assert column.low == days.min() and column.high == days.max()


@pytest.mark.parametrize(
    "stamps, fmt",
    [
        (["2024-03-01", "2024-03-02", "2024-05-07"], "%Y-%m-%d"),
        (["2024-03-01 10:05", "2024-03-02 23:59", "2024-05-07"], "%Y-%m-%d %H:%M:00"),
        (["2024-03-01 10:05:07", "2024-03-02 23:59", "2024-05-07"], "%Y-%m-%d %H:%M:%S"),
    ],
)
def test_timestamps_keep_their_resolution(stamps, fmt):
    # the format of a datetime64 column is its resolution: samples are rounded to it, and text
    # written with seconds (a CSV of the samples) still reads at a minutes' resolution
    column = infer_schema(pd.DataFrame({"at": pd.to_datetime(stamps, format="mixed")}))["at"]
    assert (column.format, column.timestamps) == (fmt, True)
    days = np.array([19783.123456, 19784.5])  # 2024-03-01 02:57:46.6, 2024-03-02 12:00
    written = column.from_days(days)
    step = {"%Y-%m-%d": "D", "%Y-%m-%d %H:%M:00": "min", "%Y-%m-%d %H:%M:%S": "s"}[fmt]
    assert (written == written.dt.floor(step)).all()
    assert abs(column.days(written) - days).max() <= 0.5 * pd.Timedelta(1, step) / pd.Timedelta(
        days=1
    )
    csv = written.rename("at").to_frame().to_csv(index=False)  # as pandas writes them
    text = pd.read_csv(io.StringIO(csv), dtype=str)["at"]
    np.testing.assert_array_equal(column.days(text), column.days(written))


def test_timestamps_read_text_in_any_iso_form():
    # a datetime64 column has no text format of its own: given cells written as text (a CSV,
    # a --given file) read in any ISO 8601 form, and mix with drawn timestamps
    stamps = pd.to_datetime(["2024-03-01", "2024-03-02", "2024-05-07"])
    column = infer_schema(pd.DataFrame({"day": stamps}))["day"]
    assert column.format == "%Y-%m-%d" and column.timestamps
    text = pd.Series(["2024-03-01 00:00:00", "2024-03-02", "2024-05-07T00:00"])
    np.testing.assert_array_equal(column.days(text), column.days(pd.Series(stamps)))
    mixed = column.typed([text[0], stamps[1], "2024-05-07"])
    pd.testing.assert_series_equal(mixed, pd.Series(stamps).astype(mixed.dtype))
    with pytest.raises(DataError, match="cannot be read as datetime|has other values"):
        column.days(pd.Series(["yesterday"]))


def test_days_count_from_1970_at_the_format_resolution():
    column = infer_schema(
        pd.DataFrame({"t": ["1970-01-02 12:00", "1970-01-01 00:00", "1970-01-03 06:30"]})
    )["t"]
    assert column.days(pd.Series(["1970-01-02 12:00"]))[0] == 1.5
    # the format shows minutes: 20 seconds round away, 40 round up
    assert list(column.from_days(np.array([1.5 + 20 / 86400, 1.5 + 40 / 86400]))) == [
        "1970-01-02 12:00",
        "1970-01-02 12:01",
    ]
    day = infer_schema(pd.DataFrame({"d": ["1970-01-01", "1970-01-05", "1970-01-09"]}))["d"]
    assert list(day.from_days(np.array([3.4, 3.6, -0.6]), np.array([False, False, True]))) == [
        "1970-01-04",
        "1970-01-05",
        None,
    ]


def test_text_that_is_not_one_date_format_stays_categorical():
    for values in (
        ["2024-03-01", "2024-3-2", "2024-03-03"],  # not written back the same way
        ["2024-03-01", "01/03/2024", "2024-03-03"],  # two formats
        ["2024-03-01", "2024-03-01", "2024-03-02"],  # two distinct values, as for numbers
        ["red", "green", "blue"],
    ):
        assert infer_schema(pd.DataFrame({"c": values}))["c"].type == "categorical", values


def test_a_declared_datetime_must_read_as_dates():
    frame = pd.DataFrame({"d": ["2024-03-01", "soon", "2024-03-03"]})
    with pytest.raises(DataError, match="'d' is declared datetime"):
        infer_schema(frame, {"d": "datetime"})
    column = infer_schema(pd.DataFrame({"d": ["2024-03-01", "2024-03-02", "2024-03-03"]}))["d"]
    with pytest.raises(DataError, match=r"'d' is datetime \(%Y-%m-%d\).*rows 2\b.*'soon'"):
        column.days(frame["d"])


def test_text_with_a_new_value_in_every_row_is_an_identifier():
    n = 40
    frame = pd.DataFrame(
        {
            "padded": [f"cust-{i:05d}" for i in range(n)],
            "plain": [f"A{i}" for i in range(5, 5 + n)],
            "words": [f"k{w}z" for w in np.random.default_rng(0).permutation(10**4)[:n]],
            "names": [f"name {chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(n)],
            "braces": [f"{{a}}-{i}" for i in range(n)],
            "short": ["p", "q", "r"] + ["s"] * (n - 3),
        }
    )
    schema = infer_schema(frame)
    assert [c.type for c in schema.columns] == ["id"] * 5 + ["categorical"]
    assert schema["braces"].new_ids(1)[0] == "{a}-40"  # the prefix is text, not a pattern
    assert list(schema["padded"].new_ids(2)) == ["cust-00040", "cust-00041"]
    assert list(schema["plain"].new_ids(2)) == ["A45", "A46"]  # widths differ: no padding
    # no common prefix + number at the end, so the column's name numbers them
    assert list(schema["names"].new_ids(2)) == ["names-1", "names-2"]
    assert schema["words"].new_ids(1)[0] == "words-1"
    # below ID_MIN_ROWS distinct values the text is a category
    few = infer_schema(pd.DataFrame({"k": [f"k{i}" for i in range(19)]}))
    assert few["k"].type == "categorical"


def test_an_identifier_can_be_declared_for_numbers():
    column = infer_schema(pd.DataFrame({"n": [3, 10, 7]}), {"n": "id"})["n"]
    ids = column.new_ids(3)
    assert list(ids) == [11, 12, 13] and str(ids.dtype) == "Int64"


def test_comparable_tables_drop_identifiers_and_count_days():
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(30)],
            "day": [f"2024-01-{i + 1:02d}" for i in range(30)],
            "x": np.arange(30.0),
        }
    )
    frame.loc[4, "day"] = None
    schema = infer_schema(frame)
    assert schema.kinds() == {"day": "numeric", "x": "numeric"}
    view = schema.comparable(frame)
    assert list(view.columns) == ["day", "x"]
    assert view["day"][0] == (pd.Timestamp("2024-01-01") - pd.Timestamp("1970-01-01")).days
    assert np.isnan(view["day"][4])


def test_a_date_format_can_be_declared(tmp_path):
    frame = pd.DataFrame({"d": ["01/03/2024", "02/03/2024", "05/04/2024"]})
    assert infer_schema(frame)["d"].format == "%m/%d/%Y"  # read month first
    path = tmp_path / "schema.yaml"
    path.write_text("d: datetime %d/%m/%Y\n")
    column = resolve_schema(frame, read_schema_file(path))["d"]
    assert (column.type, column.format) == ("datetime", "%d/%m/%Y")
    assert column.days(frame["d"])[0] == (pd.Timestamp("2024-03-01") - pd.Timestamp(0)).days
    assert list(column.from_days(column.days(frame["d"]))) == list(frame["d"])
    assert column.from_days(np.array([column.low]))[0] == "01/03/2024"  # the 1st of March
    # the full form written to a run folder keeps the format
    again = resolve_schema(frame, Schema.from_config(Schema((column,)).to_config()))
    assert again["d"].format == "%d/%m/%Y"
    with pytest.raises(DataError, match=r"'d' is datetime \(%Y-%m-%d\) but has other values"):
        infer_schema(frame, {"d": "datetime %Y-%m-%d"})
    zoned = pd.DataFrame({"t": ["2024-03-01T10:30:00+0000", "2024-03-02T11:30:00+0100"] * 2})
    with pytest.raises(DataError, match="'t' cannot be read as datetime"):
        infer_schema(zoned, {"t": "datetime %Y-%m-%dT%H:%M:%S%z"})
    with pytest.raises(DataError, match="time zone"):
        infer_schema(zoned.head(1), {"t": "datetime %Y-%m-%dT%H:%M:%S%z"})
    with pytest.raises(DataError, match="unknown type 'real %Y'"):
        infer_schema(frame, {"d": "real %Y"})


@pytest.mark.parametrize(
    "values, type, fmt, written",
    [
        (["$1,234.50", "$99.00", "$12,000.00"], "positive", "${:,.2f}", None),
        (
            ["12.5%", "3%", "0.5%", "100%"],
            "positive",
            "{:.1f}%",
            ["12.5%", "3.0%", "0.5%", "100.0%"],
        ),
        (["3 kg", "12.5 kg", "7 kg"], "positive", "{:.1f} kg", ["3.0 kg", "12.5 kg", "7.0 kg"]),
        (["1,234", "999", "12,345,678", "-5"], "integer", "{:,.0f}", None),
        (["-5%", "+3%", "2%"], "ordinal", "{:.0f}%", ["-5%", "3%", "2%"]),
        (["-$5.00", "$1,200.00", "$-3.50"], "real", "${:,.2f}", ["-$5.00", "$1,200.00", "-$3.50"]),
    ],
)
def test_numbers_written_with_a_unit_are_numbers(values, type, fmt, written):
    column = infer_schema(pd.DataFrame({"v": values + [None]}))["v"]
    assert (column.type, column.format, column.missing) == (type, fmt, True)
    numbers = column.numbers(pd.Series(values + [None]))
    assert numbers.iloc[:-1].notna().all() and np.isnan(numbers.iloc[-1])
    back = column.written(numbers)
    assert list(back[:-1]) == (written or values) and back.iloc[-1] is None
    # a value given without its unit reads too (--where, --given)
    assert column.numbers(pd.Series(["7"]))[0] == 7


@pytest.mark.parametrize(
    "values",
    [
        [f"INV-{i}" for i in range(30)],  # letters before the number: an identifier
        [f"ord{i}" for i in range(30)],
        ["02134", "10001", "94105"],  # a leading zero: a code
        ["$5", "5€", "$7"],  # two ways of writing
        ["-$-5", "$3", "$4"],  # two signs
        [
            "5",
            "7",
            "11",
        ],  # plain numbers read as text are still text (pandas reads them as numbers)
        ["3.10", "3.11", "3.12"],  # a DataFrame's text (versions): text; a file's are numbers
    ],
)
def test_codes_and_identifiers_are_not_numbers(values):
    assert not infer_schema(pd.DataFrame({"v": values}))["v"].written_as_text


CUTS = ("Fair", "Good", "Very Good", "Premium", "Ideal")


def test_ordered_text_levels_are_an_ordinal_on_their_positions(tmp_path):
    rng = np.random.default_rng(7)
    text = rng.choice(CUTS, 40)
    frame = pd.DataFrame(
        {
            "cut": pd.Categorical(text, CUTS, ordered=True),  # inferred from the dtype
            "plain": text,  # the same text without an order: a category
            "declared": text,  # the order given in a schema file
        }
    )
    frame.loc[3, "cut"] = None
    path = tmp_path / "schema.yaml"
    path.write_text("declared: ordinal Fair, Good, Very Good,Premium ,Ideal\n")
    schema = resolve_schema(frame, read_schema_file(path))
    assert schema["plain"].type == "categorical"
    for name in ("cut", "declared"):
        c = schema[name]
        assert (c.type, c.levels, c.low, c.high) == ("ordinal", CUTS, 0.0, 4.0), name
        assert c.written_as_text and schema.kinds()[name] == "numeric"
        positions = c.numbers(frame[name])
        assert positions.tolist()[:3] == [float(CUTS.index(v)) for v in text[:3]]
        assert list(c.written(positions).dropna()) == list(frame[name].dropna().astype(str))
    assert schema["cut"].missing and np.isnan(schema["cut"].numbers(frame["cut"])[3])
    assert "5 ordered levels: Fair < Good < Very Good < Premium < Ideal" in schema.describe()
    # the full form written to a run folder keeps the levels and their order
    again = resolve_schema(frame, Schema.from_config(schema.to_config()))
    assert again["declared"].levels == CUTS and again["cut"].levels == CUTS
    assert list(schema.comparable(frame)["declared"]) == [float(CUTS.index(v)) for v in text]


def test_ordered_levels_with_commas_are_declared_as_a_list(tmp_path):
    # 'ordinal A,B' cannot say "1,000 or more"; a YAML list can, and a full schema (the run
    # folder's form) keeps such levels through resolve_schema, which re-declares them
    sizes = ("under 100", "100 to 999", "1,000 or more")
    text = np.random.default_rng(3).choice(sizes, 30)
    frame = pd.DataFrame({"size": text, "bands": pd.Categorical(text, sizes, ordered=True)})
    path = tmp_path / "schema.yaml"
    path.write_text('size: [under 100, 100 to 999, "1,000 or more"]\n')
    schema = resolve_schema(frame, read_schema_file(path))
    for name in ("size", "bands"):  # declared as a list; inferred from the pandas dtype
        assert (schema[name].type, schema[name].levels) == ("ordinal", sizes), name
    again = resolve_schema(frame, Schema.from_config(schema.to_config()))
    assert again["size"].levels == sizes and again["bands"].levels == sizes
    assert list(again["size"].written(again["size"].numbers(frame["size"]))) == list(text)
    assert infer_schema(frame, {"size": list(sizes)})["size"].levels == sizes  # the Python form
    path.write_text("size: [1, 2, 3]\n")  # numbers are levels too ('1', '2', '3'), not these
    with pytest.raises(DataError, match=r"'size' is declared ordinal \(1 < 2 < 3\) but has other"):
        resolve_schema(frame, read_schema_file(path))
    with pytest.raises(DataError, match=r"declared ordinal \(under 100 < 1,000 or more\)"):
        infer_schema(frame, {"size": ["under 100", "1,000 or more"]})
    # a column of integers with empty cells (floats to pandas) is quoted as a file writes it
    stars = pd.Series([1.0, 5.0, None, 2.0])
    with pytest.raises(DataError, match=r"e\.g\. '5'\)"):
        infer_schema(pd.DataFrame({"stars": stars}), {"stars": [1, 2]})


def test_ordered_numeric_categories_are_an_ordinal_on_their_levels():
    # an ordered pandas categorical of numbers says its order as text does: an ordinal on the
    # categories (positions 0, 1, 2, whatever the gaps between the numbers), not a category
    grades = np.random.default_rng(4).choice([1, 2, 5], 40)
    frame = pd.DataFrame({"grade": pd.Categorical(grades, [1, 2, 5], ordered=True),
                          "score": pd.Categorical(grades / 2, [0.5, 1.0, 2.5], ordered=True),
                          "plain": pd.Categorical(grades)})  # fmt: skip
    schema = infer_schema(frame)
    assert (schema["grade"].type, schema["grade"].levels) == ("ordinal", ("1", "2", "5"))
    assert schema["score"].levels == ("0.5", "1", "2.5")
    assert schema["plain"].type == "categorical"  # no order given
    positions = schema["grade"].numbers(frame["grade"])
    assert positions.tolist() == [float([1, 2, 5].index(v)) for v in grades]


def test_ordered_levels_are_checked_against_the_data():
    frame = pd.DataFrame({"cut": ["Fair", "Good", "Ideal", "Good"]})
    with pytest.raises(DataError, match=r"'cut' is declared ordinal \(Fair < Good\) but has other"):
        infer_schema(frame, {"cut": "ordinal Fair,Good"})
    with pytest.raises(DataError, match="repeat or are empty"):
        infer_schema(frame, {"cut": "ordinal Fair,Good,Good,Ideal"})
    with pytest.raises(DataError, match="at least two levels"):
        infer_schema(frame, {"cut": "ordinal Fair"})
    with pytest.raises(DataError, match="text values .* declare them: 'ordinal LOW,...,HIGH'"):
        infer_schema(frame, {"cut": "ordinal"})  # text without its order
    many = [f"L{k:02d}" for k in range(20)]  # more ordered levels than an ordinal takes
    wide = pd.DataFrame({"c": pd.Categorical(many * 2, many, ordered=True)})
    assert infer_schema(wide)["c"].type == "categorical"
    assert infer_schema(wide, {"c": "ordinal"})["c"].levels == tuple(many)  # declared: kept


def test_a_full_schema_keeps_its_last_identifier_for_a_subset_of_rows():
    """A schema read from a whole file, given to a model fitted on its first rows: the new
    identifiers were the held-out rows' own (numbered after the fitted rows' last)."""
    frame = pd.DataFrame({"order": [f"ord-{k:05d}" for k in range(1, 101)], "x": np.arange(100.0)})
    whole = infer_schema(frame)
    assert whole["order"].type == "id"
    part = resolve_schema(frame.iloc[:80], whole)
    assert list(part["order"].new_ids(2)) == ["ord-00101", "ord-00102"]
    assert part["x"].high == 79.0  # other ranges are refitted to the rows
    assert list(resolve_schema(frame.iloc[:80], None)["order"].new_ids(1)) == ["ord-00081"]


@pytest.mark.parametrize(
    "cells, fmt",
    [
        (["36.70", "12.35", "5.00", ""], "{:.2f}"),  # padded, an empty cell: written back so
        (["1.50", "2.25", "?", "3.30"], "{:.2f}"),  # with a missing marker too
        (["51.5073510", "51.5073512", "51.5073519"], None),  # beyond MAX_DECIMALS: plain numbers
        (["1.5", "2.25", "3.0"], None),  # decimals of different widths
        (["1.5", "2.2", "3.1"], None),  # one width, no trailing zero: nothing to keep
    ],
)
def test_a_files_fixed_decimals_are_its_format(tmp_path, cells, fmt):
    path = tmp_path / "t.csv"
    path.write_text("v,w\n" + "".join(f"{c},{k}\n" for k, c in enumerate(cells * 10)))
    column = infer_schema(read_table(path))["v"]
    assert column.type == "positive" and column.format == fmt, column


def test_whole_numbers_written_as_floats_stay_numeric_levels(tmp_path):
    """pandas writes a 0/1 column with empty cells as 0.0/1.0: read as text levels '0.0', '1.0',
    another file's 0/1 were unknown levels."""
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("flag,x\n" + "".join(f"{k % 2}.0,{k}\n" for k in range(30)) + ",5\n")
    test.write_text("flag,x\n0,1\n1,2\n")
    schema = infer_schema(read_table(train))
    assert schema["flag"].type == "categorical" and schema["flag"].format is None
    codec = TableCodec.fit(read_table(train), schema)
    codec.encode(read_table(test))  # the levels 0 and 1 are the training rows' own


def test_a_small_negative_number_is_not_written_as_minus_zero():
    column = Column("a", "real", format="{:.2f}")
    assert list(column.written(pd.Series([-0.001, -5.0, 0.004]))) == ["0.00", "-5.00", "0.00"]


def test_a_full_schema_keeps_its_identifier_pattern_for_a_subset_of_rows():
    """Without a common pattern in the whole file (A-1.., B-1..), the first rows' pattern A-{}
    numbered new ids as held-out rows' own."""
    ids = [f"A-{k}" for k in range(1, 51)] + [f"B-{k}" for k in range(1, 51)]
    frame = pd.DataFrame({"order": ids, "x": np.arange(100.0)})
    part = resolve_schema(frame.iloc[:40], infer_schema(frame))
    assert not set(part["order"].new_ids(5)) & set(ids)


def test_a_level_holding_a_comma_is_quoted_in_messages():
    """'department categorical 5 levels: Engineering, Finance, Legal, HR, ...' read as six."""
    frame = pd.DataFrame({"department": ["Engineering", "Finance, Legal", "HR"] * 10})
    text = infer_schema(frame).describe()
    assert "Engineering, 'Finance, Legal', HR" in text
    codec = TableCodec.fit(frame, infer_schema(frame))
    with pytest.raises(DataError, match=r"levels: Engineering, 'Finance, Legal', HR"):
        codec.encode(pd.DataFrame({"department": ["Sales"]}))
