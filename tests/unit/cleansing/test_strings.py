"""Free text and categories: trimming, tokens, required values, allowed sets."""
from chispa import assert_df_equality

from transformations.cleansing.reasons import REASONS
from transformations.cleansing.strings import cleanse_enum, cleanse_string

NBSP = "\u00a0"


def test_cleanse_string_trims_nulls_tokens_and_flags_missing_only_when_required(spark):
    df = spark.createDataFrame([(1, f" Forfait{NBSP}Pro{NBSP}"), (2, "NULL"), (3, "\\N"), (4, "   "), (5, None),
                                (6, "NULLABLE")], "id int, raw string")
    expected = spark.createDataFrame([
        (1, f"Forfait{NBSP}Pro", []), (2, None, ["plan_missing"]), (3, None, ["plan_missing"]),
        (4, None, ["plan_missing"]), (5, None, ["plan_missing"]), (6, "NULLABLE", []),
    ], f"id int, plan string, {REASONS} array<string>")
    actual = df.transform(cleanse_string("raw", "plan", required=True)).select("id", "plan", REASONS)
    assert_df_equality(actual, expected, ignore_nullable=True)
    optional = df.transform(cleanse_string("raw", "plan")).select("id", "plan")
    assert_df_equality(optional, expected.drop(REASONS), ignore_nullable=True)


def test_cleanse_string_uses_the_feeds_tokens(spark):
    df = spark.createDataFrame([(1, "n/a"), (2, "-")], "id int, raw string")
    actual = df.transform(cleanse_string("raw", "plan", tokens=("n/a",))).select("id", "plan")
    assert_df_equality(actual, spark.createDataFrame([(1, None), (2, "-")], "id int, plan string"),
                       ignore_nullable=True)


def test_cleanse_enum_canonical_spelling_invalid_and_missing(spark):
    df = spark.createDataFrame([(1, "voice"), (2, " SMS "), (3, "Data"), (4, "FAX"), (5, "-"), (6, None)],
                               "id int, raw string")
    expected = spark.createDataFrame([
        (1, "VOICE", []), (2, "SMS", []), (3, "DATA", []), (4, None, ["type_invalid"]),
        (5, None, ["type_missing"]), (6, None, ["type_missing"]),
    ], f"id int, type string, {REASONS} array<string>")
    actual = df.transform(cleanse_enum("raw", "type", ("VOICE", "SMS", "DATA"), required=True))
    assert_df_equality(actual.select("id", "type", REASONS), expected, ignore_nullable=True)
    optional = df.transform(cleanse_enum("raw", "type", ("VOICE", "SMS", "DATA"))).select(REASONS)
    assert [r[REASONS] for r in optional.collect()] == [[], [], [], ["type_invalid"], [], []]
