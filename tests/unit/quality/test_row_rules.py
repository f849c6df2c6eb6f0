"""Row-level validity rules: completeness, range, allowed values, pattern, Luhn, pseudonymised."""
from __future__ import annotations

import hashlib

from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs.runtime.config import QualityRule
from transformations.quality.base import FAILED, NO_DATA, PASSED, Scope
from transformations.quality.validity import Luhn, Pseudonymised, Range

from .conftest import RUN_DATE


def test_completeness_counts_nulls_against_every_row(spark, check):
    df = spark.createDataFrame([("a",), (None,), ("",), (None,)], "msisdn string")
    values, v = check(df, strict={"type": "completeness", "column": "msisdn"},
                      lenient={"type": "completeness", "column": "msisdn", "min_ratio": 0.5})
    assert values["strict:failed"] == 2 and values["strict:checked"] == 4
    assert v["strict"].status == FAILED and v["strict"].observed == 0.5
    assert v["lenient"].status == PASSED
    assert "2 of 4 msisdn rows (50%) are missing" == v["strict"].message


def test_range_bounds_are_inclusive_and_nulls_are_not_judged(spark, check):
    df = spark.createDataFrame([(0,), (86400,), (-1,), (86401,), (None,), (5,)], "duration_s long")
    values, v = check(df, duration={"type": "range", "column": "duration_s", "minimum": 0, "maximum": 86400},
                      open_top={"type": "range", "column": "duration_s", "minimum": 0})
    assert (values["duration:checked"], values["duration:failed"]) == (5, 2)
    assert values["open_top:failed"] == 1
    assert v["duration"].status == FAILED and v["duration"].observed == 0.6
    assert "outside [0, 86,400]" in v["duration"].message


def test_range_failing_rows_are_exactly_the_bad_ones(spark):
    df = spark.createDataFrame([(1, 0), (2, -3), (3, None), (4, 99)], "id int, v int")
    rule = Range("r", QualityRule(type="range", column="v", minimum=0, maximum=10), Scope("ds", RUN_DATE))
    assert_df_equality(df.where(rule.failing_rows()), spark.createDataFrame([(2, -3), (4, 99)], "id int, v int"))


def test_allowed_values_compare_text(spark, check):
    df = spark.createDataFrame([("VOICE",), ("SMS",), ("voice",), ("FAX",), (None,)], "t string")
    values, v = check(df, known={"type": "allowed_values", "column": "t", "allowed": ["VOICE", "SMS", "DATA"]})
    assert values["known:failed"] == 2 and values["known:checked"] == 4
    ints = spark.createDataFrame([(16,), (31,), (99,)], "cause int")
    values, _ = check(ints, known={"type": "allowed_values", "column": "cause", "allowed": ["16", "31"]})
    assert values["known:failed"] == 1


def test_pattern_matches_the_whole_value_when_anchored(spark, check):
    df = spark.createDataFrame([("208-01-103-870",), ("208-01-103",), ("x208-01-1-2",)], "cell string")
    values, v = check(df, shape={"type": "pattern", "column": "cell",
                                 "pattern": "^[0-9]{3}-[0-9]{2,3}-[0-9]+-[0-9]+$", "min_ratio": 0.3})
    assert values["shape:failed"] == 2
    assert v["shape"].status == PASSED                         # 1/3 passing >= 0.3


def test_luhn_uses_the_check_digit_of_cleanse(spark, check):
    df = spark.createDataFrame([("490154203237518",), ("490154203237519",), ("35209900176148",),
                                ("3520990017614823",)], "imei string")
    values, v = check(df, luhn={"type": "luhn", "column": "imei"})
    # only the 15-digit value with a wrong check digit fails; other shapes are a pattern rule's
    assert values["luhn:failed"] == 1 and v["luhn"].status == FAILED
    rule = Luhn("luhn", QualityRule(type="luhn", column="imei"), Scope("ds", RUN_DATE))
    assert [r.imei for r in df.where(rule.failing_rows()).collect()] == ["490154203237519"]


def test_no_value_to_check_is_no_data_not_a_pass(spark, check):
    df = spark.createDataFrame([(None,)], "v int")
    _, v = check(df, r={"type": "range", "column": "v", "minimum": 0})
    assert v["r"].status == NO_DATA


def test_quarantine_rows_are_not_judged_by_row_rules(spark, check):
    table = spark.createDataFrame([(5,), (6,)], "v int")
    quarantine = spark.createDataFrame([(["v_out_of_range"],)], "reasons array<string>").withColumn("v", F.lit(-1))
    values, v = check(table, quarantine=quarantine, r={"type": "range", "column": "v", "minimum": 0})
    assert values["rows"] == 2 and values["read"] == 3
    assert values["r:failed"] == 0 and v["r"].status == PASSED


def test_a_share_exactly_at_min_ratio_passes(spark, check):
    """7 missing of 100 is 93% present: it meets min_ratio 0.93 (1 - 0.07 in floating point is
    0.9299999999999999, which would not)."""
    df = spark.createDataFrame([(None if i < 7 else "x",) for i in range(100)], "msisdn string")
    _, v = check(df, present={"type": "completeness", "column": "msisdn", "min_ratio": 0.93},
                 stricter={"type": "completeness", "column": "msisdn", "min_ratio": 0.94})
    assert v["present"].status == PASSED and v["present"].observed == 0.93
    assert v["stricter"].status == FAILED and "7 of 100 msisdn rows (7%) are missing" in v["stricter"].message


def test_pseudonymised_fails_a_clear_identifier_and_a_wrong_shaped_digest(spark, check):
    digest = hashlib.sha256(b"+33612345678").hexdigest()
    df = spark.createDataFrame([(digest,), (digest,), ("+33612345678",), (digest.upper(),), (digest[:-1],),
                                (None,)], "calling_number string")
    values, v = check(df, pseudo={"type": "pseudonymised", "column": "calling_number", "severity": "critical"})
    assert (values["pseudo:checked"], values["pseudo:failed"]) == (5, 3)
    assert v["pseudo"].status == FAILED
    assert v["pseudo"].message == ("3 of 5 calling_number values (60%) are not pseudonyms "
                                   "(64 lowercase hexadecimal characters)")
    rule = Pseudonymised("p", QualityRule(type="pseudonymised", column="calling_number"), Scope("ds", RUN_DATE))
    assert sorted(r.calling_number for r in df.where(rule.failing_rows()).collect()) == sorted([
        "+33612345678", digest.upper(), digest[:-1]])
