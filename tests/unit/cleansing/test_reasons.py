"""Reason codes accumulate per row; the split puts every row in exactly one of two outputs."""
import re

from chispa import assert_df_equality
from pyspark.sql import functions as F

from transformations.cleansing.reasons import (REASONS, StagedStep, flag, in_shared_stages, split_valid_quarantined,
                                               with_reasons)


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


def _rules():
    """Three rules in the shape cleanse_feed chains: two staged (one two stages deep), one plain."""
    from transformations.cleansing.numbers import cleanse_number
    from transformations.cleansing.strings import cleanse_enum, cleanse_string
    return [cleanse_number("raw_n", "n", kind="long", minimum=0, sentinels=("-999",), required=True),
            cleanse_enum("raw_t", "t", ("VOICE", "SMS"), required=True),
            cleanse_string("raw_s", "s", required=True),
            flag(F.col("raw_n") == "7", "seven")]


def test_in_shared_stages_gives_what_the_steps_give_one_after_the_other(spark):
    df = spark.createDataFrame(
        [("12", "voice", "a"), ("-999", "SMS", None), ("x", "fax", " b "), (None, None, "-"), ("7", " sms ", "c")],
        "raw_n string, raw_t string, raw_s string")
    sequential = df
    for rule in _rules():
        sequential = sequential.transform(rule)
    shared = df.transform(in_shared_stages(_rules()))
    assert shared.columns == sequential.columns
    assert not [c for c in shared.columns if c.startswith("__")]
    assert_df_equality(shared, sequential, ignore_row_order=True)
    reasons = {r.raw_n: r[REASONS] for r in shared.collect()}
    assert reasons["-999"] == ["n_sentinel", "s_missing"]
    assert reasons["x"] == ["n_not_a_number", "t_invalid"]
    assert reasons["7"] == ["seven"]


def test_in_shared_stages_computes_each_stage_of_all_rules_in_one_projection(spark):
    df = spark.createDataFrame([("12", "SMS", "a")], "raw_n string, raw_t string, raw_s string")
    rules = _rules()
    staged = [r for r in rules if isinstance(r, StagedStep)]
    assert len(staged) == 3
    plan = df.transform(in_shared_stages(rules))._jdf.queryExecution().analyzed().toString()
    nodes = re.split(r"\n[ :|]*\+- ", plan)   # (expressions may hold line breaks: the blanks)
    for depth in range(2):
        names = {name for s in staged if depth < len(s.stages) for name in s.stages[depth]}
        defining = {i for i, node in enumerate(nodes) for name in names if f" AS {name}#" in node}
        assert len(defining) == 1, (depth, names)   # one Project defines the whole stage
