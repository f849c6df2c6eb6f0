"""Text functions: every kind of blank is trimmed, tokens become null."""
from chispa import assert_column_equality
from pyspark.sql import functions as F

import pytest

from transformations.cleansing.text import (BLANK, BLANK_CHARACTERS, DEFAULT_NULL_TOKENS, ends_between, null_if_token,
                                            starts_printable, trimmed)

NBSP, NNBSP, BOM = "\u00a0", "\u202f", "\ufeff"


def test_trimmed_strips_tabs_cr_lf_and_non_breaking_spaces_but_keeps_inner_blanks(spark):
    df = spark.createDataFrame([
        ("  abc  ", "abc"),
        ("\tabc\r\n", "abc"),
        (f"{NBSP}Forfait{NBSP}Illimité{NBSP}", f"Forfait{NBSP}Illimité"),
        (f"{NNBSP}{BOM} a  b \t", "a  b"),
        (" \t\r\n" + NBSP, ""),
        ("", ""),
        (None, None),
    ], "raw string, expected string")
    assert_column_equality(df.withColumn("actual", trimmed(F.col("raw"))), "actual", "expected")


def test_starts_printable_and_ends_between_read_the_first_and_last_characters(spark):
    # (text, starts with "!".."~", ends with "!".."~", ends with "0".."9")
    df = spark.createDataFrame([
        ("abc", True, True, False),
        ("12", True, True, True),
        ("!~", True, True, False),
        (" 12", False, True, True),
        ("12 ", True, False, False),
        ("\t12\r", False, False, False),
        (f"{NBSP}12{NBSP}", False, False, False),   # multi-byte blanks at both ends
        ("café", True, False, False),                # last character two bytes
        ("é9", False, True, True),
        ("9€", True, False, False),                  # three bytes, the last 0xAC
        ("1\u0661", True, False, False),             # an Arabic-Indic digit is not "0".."9"
        ("a\x7f", True, False, False),               # DEL is not printable
        ("\x00a", False, True, False),
        ("", False, False, False),
        (None, None, None, None),
    ], "text string, starts boolean, ends boolean, digit boolean")
    actual = df.select("starts", "ends", "digit", starts_printable(F.col("text")).alias("starts_actual"),
                       ends_between(F.col("text"), "!", "~").alias("ends_actual"),
                       ends_between(F.col("text"), "0", "9").alias("digit_actual"))
    for name in ("starts", "ends", "digit"):
        assert_column_equality(actual, f"{name}_actual", name)


@pytest.mark.parametrize("low, high", [("", "9"), ("00", "9"), ("0", "é")])
def test_ends_between_takes_two_ascii_characters(spark, low, high):
    with pytest.raises(ValueError, match="two ASCII characters"):
        ends_between(F.col("text"), low, high)


def test_default_tokens_are_the_feed_conventions():
    assert DEFAULT_NULL_TOKENS == ("", "-", "NULL", "\\N")
    assert len(DEFAULT_NULL_TOKENS[3]) == 2   # backslash and N, not a newline


def test_null_if_token_nulls_tokens_case_insensitively_and_trims_the_rest(spark):
    df = spark.createDataFrame([
        ("", None),
        ("   ", None),            # blank only: "" after trimming
        (None, None),
        ("-", None),
        ("  - ", None),
        ("NULL", None),
        ("null", None),
        ("Null", None),
        ("\\N", None),
        (f"\t\\N{NBSP}", None),
        ("\\n", None),            # case-insensitive like NULL
        ("N", "N"),
        ("--", "--"),
        ("NULLABLE", "NULLABLE"),
        ("0", "0"),
        ("  Prépayé ", "Prépayé"),
    ], "raw string, expected string")
    assert_column_equality(df.withColumn("actual", null_if_token(F.col("raw"))), "actual", "expected")


def test_null_if_token_with_own_tokens_keeps_empty_string_when_not_a_token(spark):
    df = spark.createDataFrame([
        ("  ", ""),
        ("n/a", None),
        (" N/A ", None),
        ("-", "-"),
        ("NULL", "NULL"),
        (None, None),
    ], "raw string, expected string")
    actual = df.withColumn("actual", null_if_token(F.col("raw"), tokens=("N/A",)))
    assert_column_equality(actual, "actual", "expected")
    no_tokens = df.withColumn("actual", null_if_token(F.col("raw"), tokens=()))
    assert [r.actual for r in no_tokens.collect()] == ["", "n/a", "N/A", "-", "NULL", None]


def test_blank_characters_are_exactly_what_the_blank_regex_matches(spark):
    """``trimmed`` scans for BLANK_CHARACTERS; they must be the characters of the BLANK class."""
    code_points = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    df = spark.createDataFrame([(c, chr(c)) for c in code_points], "code int, ch string")
    matched = {r.code for r in df.where(F.col("ch").rlike("^" + BLANK + "$")).collect()}
    assert matched == {ord(c) for c in BLANK_CHARACTERS}
