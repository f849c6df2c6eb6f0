"""``sql_settings`` scopes SQL settings to a block and restores what was there before."""
import pytest

from jobs.runtime.session import sql_settings

CODEGEN, UNSET_BEFORE = "spark.sql.codegen.wholeStage", "spark.sql.codegen.hugeMethodLimit"


def test_settings_hold_inside_the_block_and_are_restored_after(spark):
    spark.conf.set(CODEGEN, "true")
    spark.conf.unset(UNSET_BEFORE)
    with sql_settings(spark, {CODEGEN: "false", UNSET_BEFORE: "8000"}):
        assert spark.conf.get(CODEGEN) == "false"
        assert spark.conf.get(UNSET_BEFORE) == "8000"
    assert spark.conf.get(CODEGEN) == "true"
    assert spark.conf.get(UNSET_BEFORE) == "65535"    # back to Spark's default: it was unset


def test_settings_are_restored_when_the_block_fails(spark):
    spark.conf.set(CODEGEN, "true")
    with pytest.raises(ZeroDivisionError):
        with sql_settings(spark, {CODEGEN: "false"}):
            1 / 0
    assert spark.conf.get(CODEGEN) == "true"


def test_a_plan_made_inside_the_block_has_no_whole_stage_codegen(spark):
    df = spark.range(10).selectExpr("id * 2 AS x")
    with sql_settings(spark, {CODEGEN: "false"}):
        inside = df.select("x")._jdf.queryExecution().executedPlan().toString()
    outside = df.select("x")._jdf.queryExecution().executedPlan().toString()
    assert "*(" not in inside and "*(" in outside
