"""Reason codes accumulate per row; the split puts every row in exactly one of two outputs."""
from chispa import assert_df_equality
from pyspark.sql import functions as F

from transformations.cleansing.reasons import REASONS, flag, split_valid_quarantined, with_reasons


def test_reasons_accumulate_and_null_conditions_do_not_flag(spark):
    df = spark.createDataFrame([(1, "a"), (2, None), (3, "bad")], "id int, v string")
    flagged = (df.transform(flag(F.col("v").isNull(), "missing_value"))
               .transform(flag(F.col("v") == "bad", "invalid_v"))
               .transform(flag("id >= 2", "late")))
    rows = {r.id: r[REASONS] for r in flagged.collect()}
    # row 2: v == 'bad' is null for a null v, which must not flag invalid_v
    assert rows == {1: [], 2: ["missing_value", "late"], 3: ["invalid_v", "late"]}


def test_split_accounts_for_every_row(spark):
    df = spark.createDataFrame([(1, "a"), (2, None), (3, "b")], "id int, v string")
    valid, quarantined = split_valid_quarantined(df.transform(flag(F.col("v").isNull(), "missing_value")))
    assert_df_equality(valid, spark.createDataFrame([(1, "a"), (3, "b")], "id int, v string"),
                       ignore_row_order=True, ignore_nullable=True)
    assert [(r.id, r[REASONS]) for r in quarantined.collect()] == [(2, ["missing_value"])]


def test_with_reasons_keeps_existing_reasons(spark):
    df = spark.createDataFrame([(1, ["x"])], f"id int, {REASONS} array<string>")
    assert with_reasons(df).first()[REASONS] == ["x"]
