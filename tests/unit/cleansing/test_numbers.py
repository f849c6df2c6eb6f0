"""Numbers and booleans as text: separators, decimal comma, garbage, overflow, sentinels, ranges and the
reason codes of the steps."""
import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from transformations.cleansing.numbers import (cleanse_boolean, cleanse_number, is_sentinel,
                                               normalised_number_text, out_of_range, to_boolean, to_double,
                                               to_int, to_long)
from transformations.cleansing.reasons import REASONS

NBSP, NNBSP = "\u00a0", "\u202f"


def check(spark, function, cases, expected_type):
    df = spark.createDataFrame(cases, f"raw string, expected {expected_type}")
    assert_column_equality(df.withColumn("actual", function(F.col("raw"))), "actual", "expected")


def test_normalised_number_text_reads_separators_and_decimal_comma(spark):
    check(spark, normalised_number_text, [
        ("1 234", "1234"),
        (f"1{NBSP}234{NBSP}567", "1234567"),
        (f"1{NNBSP}234,5", "1234.5"),
        ("1'234'567", "1234567"),
        ("1\u2019234.50", "1234.50"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("12,5", "12.5"),
        ("1,234", "1.234"),          # a single ',' is a decimal comma (European reading)
        ("1,234,567", "1234567"),
        ("1.234.567", "1234567"),
        ("1.234", "1.234"),          # a single '.' is a decimal point
        ("-1.234.567,89", "-1234567.89"),
        ("+7", "+7"),
        (" -3 ", "-3"),
        ("1.2,5", None),             # no consistent reading
        ("2'30", None),              # 2 min 30 s, not 230: a separator that groups nothing stays
        ("12 5", None),
        ("1 2 3", None),
        ("1 2345", None),
        ("- 5", None),
        ("12abc", None),
        (None, None),
    ], "string")


def test_to_long_parses_integers_only(spark):
    check(spark, to_long, [
        ("1 234", 1234),
        (f"1{NBSP}234{NBSP}567", 1234567),
        ("1,234,567", 1234567),
        ("1.234.567", 1234567),
        ("-3", -3),
        ("+7", 7),
        ("007", 7),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", None),    # overflow
        ("-9223372036854775809", None),
        ("1.5", None),                    # not truncated
        ("1,234", None),                  # 1.234 in the European reading
        ("1e3", None),
        ("2'30", None),
        ("12 5", None),
        ("12abc", None),
        ("abc", None),
        ("-", None),
        ("+", None),
        ("", None),
        ("1.234,5", None),
        ("1,2,3", None),                  # not groups of three
        (None, None),
    ], "bigint")


def test_to_int_nulls_beyond_the_int_range(spark):
    check(spark, to_int, [
        ("2147483647", 2147483647),
        ("-2147483648", -2147483648),
        ("2147483648", None),
        ("2 147 483 648", None),
        ("12,0", None),
        ("42", 42),
        (None, None),
    ], "int")


def test_to_double_reads_decimal_comma_and_nulls_garbage_nan_infinity_and_overflow(spark):
    check(spark, to_double, [
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("12,5", 12.5),
        ("1,234", 1.234),
        (f"1{NBSP}234,5", 1234.5),
        ("-3", -3.0),
        ("+7", 7.0),
        ("-0,5", -0.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("-2.5E-3", -0.0025),
        ("1,5E-03", 0.0015),      # a decimal comma with an exponent (a European spreadsheet)
        ("-2,5e2", -250.0),
        ("1.234,5E1", 12345.0),
        ("1,500,000E3", None),    # an exponent after thousands groups: no reading, not 1.5e9
        ("60\x00", 60.0),          # a C string's NUL at the end: Spark's casts drop it, so do we
        ("\x1f60", 60.0),
        ("6\x000", None),          # inside, it is garbage
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("1e400", None),          # overflow, not Infinity
        ("-1e400", None),
        ("NaN", None),
        ("Infinity", None),
        ("-Infinity", None),
        ("12d", None),            # a Java double literal suffix, not a number here
        ("0x1A", None),
        ("12abc", None),
        ("abc", None),
        ("", None),
        ("1.2,5", None),
        (None, None),
    ], "double")


@pytest.mark.parametrize("function, expected_type", [(to_long, "bigint"), (to_double, "double")])
def test_a_declared_decimal_separator_settles_what_the_guess_cannot(spark, function, expected_type):
    # raw, with '.' declared, with ',' declared, guessed
    cases = [
        ("1,234", 1234, 1.234, 1.234),             # a thousand and more, or European 1.234
        ("1.234", 1.234, 1234, 1.234),
        ("12,5", None, 12.5, 12.5),                # a decimal comma where '.' is declared: not a number
        ("12.5", 12.5, None, 12.5),
        ("1,234,567", 1234567, None, 1234567),
        ("1.234.567", None, 1234567, 1234567),
        ("1,234.5", 1234.5, None, 1234.5),
        ("1.234,5", None, 1234.5, 1234.5),
        ("1 234", 1234, 1234, 1234),               # blanks group thousands in every reading
        ("-42", -42, -42, -42),
        ("1e3", 1000.0, 1000.0, 1000.0),
        ("1.500E3", 1500.0, None, 1500.0),         # with ',' declared, '.' groups thousands: no exponent then
        ("1,500E3", None, 1500.0, 1500.0),
        ("12abc", None, None, None),
        (None, None, None, None),
    ]

    def expected(value):
        if expected_type == "bigint":      # to_long reads no fraction and no exponent
            return value if isinstance(value, int) else None
        return None if value is None else float(value)

    for column, separator in ((1, "."), (2, ","), (3, None)):
        df = spark.createDataFrame([(case[0], expected(case[column])) for case in cases],
                                   f"raw string, expected {expected_type}")
        actual = df.withColumn("actual", function(F.col("raw"), decimal_separator=separator))
        assert_column_equality(actual, "actual", "expected")


def test_an_unknown_decimal_separator_is_refused():
    with pytest.raises(ValueError, match="decimal_separator must be"):
        to_double(F.col("x"), decimal_separator=";")


def test_to_boolean_spellings_case_and_blanks(spark):
    check(spark, to_boolean, [
        ("y", True), ("YES", True), ("1", True), ("True", True), ("t", True), ("OUI", True),
        ("o", True), ("Vrai", True), (f" oui{NBSP}", True),
        ("n", False), ("No", False), ("0", False), ("FALSE", False), ("f", False), (" non ", False),
        ("faux", False),
        ("maybe", None), ("", None), ("2", None), ("yes!", None), ("ouii", None), (None, None),
    ], "boolean")


def test_to_boolean_rejects_a_spelling_both_true_and_false():
    with pytest.raises(ValueError, match="both true and false"):
        to_boolean(F.col("x"), true_spellings=("y", "1"), false_spellings=("N", "Y"))


def test_is_sentinel_by_text_or_by_number(spark):
    sentinels = ("-999", "-9999", "999999999")
    check(spark, lambda c: is_sentinel(c, sentinels), [
        ("-999", True),
        (" -999 ", True),
        ("-999.0", True),
        ("-999,00", True),
        ("-9 999", True),
        ("999999999", True),
        ("999 999 999", True),
        ("-998", False),
        ("999", False),
        ("-9990", False),
        ("-999\x00", True),        # the long parser reads -999: so must the sentinel check
        ("abc", False),
        ("", False),
        (None, False),
    ], "boolean")
    check(spark, lambda c: is_sentinel(c, ("N/A", -1)), [
        ("N/A", True), ("-1", True), ("-1.00", True), ("n/a", False), ("1", False), (None, False),
    ], "boolean")
    check(spark, lambda c: is_sentinel(c, ()), [("-999", False), (None, False)], "boolean")
    # a declared decimal separator reads the value as cleanse reads it
    check(spark, lambda c: is_sentinel(c, sentinels, decimal_separator=","), [
        ("-999,0", True), ("-999.000", False), ("-999", True)], "boolean")    # -999.000 is -999000 there
    check(spark, lambda c: is_sentinel(c, sentinels, decimal_separator="."), [
        ("-999.0", True), ("-999,0", False)], "boolean")


def test_out_of_range_bounds_are_inclusive_and_optional(spark):
    df = spark.createDataFrame([(-1, True, True, False), (0, False, False, False), (5, False, False, False),
                                (10, False, False, False), (11, True, False, True), (None, False, False, False)],
                               "v int, both boolean, min_only boolean, max_only boolean")
    result = (df.withColumn("a_both", out_of_range(F.col("v"), 0, 10))
              .withColumn("a_min_only", out_of_range(F.col("v"), minimum=0))
              .withColumn("a_max_only", out_of_range(F.col("v"), maximum=10))
              .withColumn("a_none", out_of_range(F.col("v")))
              .withColumn("never", F.lit(False)))
    for name in ("both", "min_only", "max_only"):
        assert_column_equality(result, f"a_{name}", name)
    assert_column_equality(result, "a_none", "never")
    doubles = spark.createDataFrame([(-0.5, True), (0.0, False), (99.99, False), (100.0, False), (100.01, True)],
                                    "v double, expected boolean")
    assert_column_equality(doubles.withColumn("actual", out_of_range(F.col("v"), 0, 100)), "actual", "expected")


NUMBER_ROWS = [
    (1, "1 234", 1234, []),
    (2, f"12{NNBSP}345", 12345, []),
    (17, f"1{NBSP}234{NBSP}567", None, ["duration_out_of_range"]),
    (3, "-3", None, ["duration_out_of_range"]),
    (4, "+7", 7, []),
    (5, "abc", None, ["duration_not_a_number"]),
    (6, "", None, ["duration_missing"]),
    (7, None, None, ["duration_missing"]),
    (8, "-999", None, ["duration_sentinel"]),
    (9, "-999.0", None, ["duration_sentinel"]),
    (10, "99999999999999999999", None, ["duration_not_a_number"]),   # overflow
    (11, "0", 0, []),                                                   # bounds are inclusive
    (12, "86400", 86400, []),
    (13, "86401", None, ["duration_out_of_range"]),
    (14, "1.5", None, ["duration_not_a_number"]),
    (15, " NULL ", None, ["duration_missing"]),
    (16, "12,5", None, ["duration_not_a_number"]),
]


def number_input(spark, rows):
    return spark.createDataFrame([(i, raw) for i, raw, _, _ in rows], "id int, raw string")


def outcome(df, target):
    return {r.id: (r[target], r[REASONS]) for r in df.collect()}


def test_cleanse_number_flags_one_reason_per_bad_value_and_keeps_every_row(spark):
    df = number_input(spark, NUMBER_ROWS)
    result = df.transform(cleanse_number("raw", "duration", kind="long", minimum=0, maximum=86400,
                                         sentinels=("-999", "-9999"), required=True))
    assert result.count() == len(NUMBER_ROWS)
    assert dict(result.dtypes)["duration"] == "bigint"
    assert outcome(result, "duration") == {i: (value, reasons) for i, _, value, reasons in NUMBER_ROWS}


def test_cleanse_number_not_required_does_not_flag_missing_values(spark):
    rows = [(1, "", None, []), (2, None, None, []), (3, "-", None, []), (4, "x", None, ["n_not_a_number"]),
            (5, "2147483648", None, ["n_not_a_number"]), (6, "-2147483648", -2147483648, [])]
    result = number_input(spark, rows).transform(cleanse_number("raw", "n", kind="int"))
    assert dict(result.dtypes)["n"] == "int"
    assert outcome(result, "n") == {i: (value, reasons) for i, _, value, reasons in rows}


def test_cleanse_number_double_in_place_with_existing_reasons_and_own_tokens(spark):
    df = spark.createDataFrame([(1, "12,5", ["earlier"]), (2, "N/A", []), (3, "-", []), (4, "NaN", []),
                                (5, "-0,01", []), (6, "1.234,5", [])],
                               f"id int, rssi string, {REASONS} array<string>")
    result = df.transform(cleanse_number("rssi", "rssi", kind="double", minimum=0.0, required=True,
                                         tokens=("N/A",)))
    assert dict(result.dtypes)["rssi"] == "double"
    assert outcome(result, "rssi") == {
        1: (12.5, ["earlier"]),
        2: (None, ["rssi_missing"]),
        3: (None, ["rssi_not_a_number"]),    # "-" is not a token here
        4: (None, ["rssi_not_a_number"]),
        5: (None, ["rssi_out_of_range"]),
        6: (1234.5, []),
    }


def test_cleanse_number_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        cleanse_number("raw", "n", kind="decimal")


def test_cleanse_boolean_reasons(spark):
    df = spark.createDataFrame([(1, "OUI"), (2, " non "), (3, "maybe"), (4, ""), (5, None), (6, "0"), (7, "NULL")],
                               "id int, raw string")
    required = df.transform(cleanse_boolean("raw", "roaming", required=True))
    assert dict(required.dtypes)["roaming"] == "boolean"
    assert outcome(required, "roaming") == {
        1: (True, []), 2: (False, []), 3: (None, ["roaming_not_a_boolean"]), 4: (None, ["roaming_missing"]),
        5: (None, ["roaming_missing"]), 6: (False, []), 7: (None, ["roaming_missing"]),
    }
    optional = df.transform(cleanse_boolean("raw", "roaming"))
    assert outcome(optional, "roaming") == {
        1: (True, []), 2: (False, []), 3: (None, ["roaming_not_a_boolean"]), 4: (None, []),
        5: (None, []), 6: (False, []), 7: (None, []),
    }
