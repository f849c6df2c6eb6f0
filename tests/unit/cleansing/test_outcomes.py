"""Outcomes: every release cause code of the switches maps to its outcome; unknown codes are flagged."""
import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from transformations.cleansing.outcomes import DEFAULT_OUTCOMES, derive_outcome, release_cause_to_outcome
from transformations.cleansing.reasons import REASONS


def test_default_outcomes_are_the_switch_codes():
    assert dict(DEFAULT_OUTCOMES) == {"completed": (16, 31), "busy": (17,), "no_answer": (18, 19),
                                      "failed": (34, 38, 47), "dropped": (41, 102)}


def test_release_cause_to_outcome_maps_every_default_code(spark):
    df = spark.createDataFrame([
        (16, "completed"), (31, "completed"), (17, "busy"), (18, "no_answer"), (19, "no_answer"),
        (34, "failed"), (38, "failed"), (47, "failed"), (41, "dropped"), (102, "dropped"),
        (0, None), (99, None), (-16, None), (None, None),
    ], "cause int, expected string")
    assert_column_equality(df.withColumn("actual", release_cause_to_outcome(F.col("cause"))), "actual", "expected")


def test_release_cause_to_outcome_reads_long_and_text_codes(spark):
    df = spark.createDataFrame([("16", 16, "completed"), ("x", 2**40, None), ("102", 102, "dropped")],
                               "text string, code bigint, expected string")
    out = df.withColumns({"from_text": release_cause_to_outcome("text"),
                          "from_long": release_cause_to_outcome(F.col("code"))})
    assert_column_equality(out, "from_text", "expected")
    assert_column_equality(out, "from_long", "expected")


def test_custom_outcomes_and_conflicting_codes(spark):
    df = spark.createDataFrame([(1, "ok"), (2, "ko"), (3, "ko"), (16, None)], "cause int, expected string")
    actual = release_cause_to_outcome(F.col("cause"), {"ok": [1], "ko": (2, 3)})
    assert_column_equality(df.withColumn("actual", actual), "actual", "expected")
    with pytest.raises(ValueError, match="release cause 16"):
        release_cause_to_outcome(F.col("cause"), {"completed": (16,), "dropped": (16, 41)})
    with pytest.raises(ValueError, match="integers"):
        release_cause_to_outcome(F.col("cause"), {"completed": ("16",)})


def test_derive_outcome_flags_unknown_causes_only(spark):
    df = spark.createDataFrame([(1, 16), (2, 99), (3, None), (4, 41)], "id int, release_cause int")
    out = df.transform(derive_outcome("release_cause"))
    assert {r.id: (r.outcome, r[REASONS]) for r in out.collect()} == {
        1: ("completed", []), 2: (None, ["unknown_release_cause"]), 3: (None, []), 4: ("dropped", [])}
    custom = df.transform(derive_outcome("release_cause", "result", {"completed": (16, 99)}))
    assert {r.id: (r.result, r[REASONS]) for r in custom.collect()} == {
        1: ("completed", []), 2: ("completed", []), 3: (None, []), 4: (None, ["unknown_release_cause"])}
