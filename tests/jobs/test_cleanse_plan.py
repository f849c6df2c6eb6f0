"""The cleanse plan of every feed compiles to Java, planned as the job plans it.

When a stage's generated code is too large to compile, Spark logs an ERROR and a WARN carrying the
whole physical plan, literals included, then runs the stage without codegen, several times slower.
The HMAC pads are literals of that plan and give the key back (XOR 0x36 / 0x5c), so such a
fallback is a defect twice over: a leak into the driver's log and a slow job.
"""
from __future__ import annotations

import datetime as dt

import pytest

from jobs.cleanse import CLASSIFY_SETTINGS, classified, quarantine_rows, silver_rows
from jobs.runtime.config import load_config
from jobs.runtime.session import sql_settings
from tests.conftest import LOCAL_CONF
from transformations.ingestion.bronze import (EXPECTED_FIELD_COUNT, FIELD_COUNT, FILE_PROBLEM, INGEST_TIME, LINE,
                                              RUN_ID, SOURCE_FILE)

KEY = b"plan-test-key-0123456789abcdef"
FEEDS = load_config(str(LOCAL_CONF)).feeds
JVM_METHOD_LIMIT = 64 * 1024   # bytes of bytecode per method


def bronze_rows(spark, feed, folder):
    """One bronze row of ``feed`` read from Parquet in ``folder`` (an in-memory DataFrame would be
    folded by the optimizer, ConvertToLocalRelation, and never compiled)."""
    values = ["0612345678" if f.type == "msisdn" else "x" for f in feed.fields.values()]
    row = tuple(values) + (";".join(values), len(values), len(values), None, "file:/raw/x.gz", "ingest-1",
                           dt.datetime(2026, 11, 21, 1), dt.date(2026, 11, 21))
    schema = ", ".join(f"`{c}` string" for c in feed.fields) + (
        f", {LINE} string, {FIELD_COUNT} int, {EXPECTED_FIELD_COUNT} int, {FILE_PROBLEM} string, "
        f"{SOURCE_FILE} string, {RUN_ID} string, {INGEST_TIME} timestamp, event_date date")
    spark.createDataFrame([row], schema).write.parquet(str(folder))
    return spark.read.parquet(str(folder))


def compiled_stages(spark, df):
    """Byte-code statistics of each whole-stage-codegen subtree of ``df``'s physical plan, compiled
    as Spark would (``org.apache.spark.sql.execution.debug.codegenStringSeq``); a stage that does
    not compile has ``maxMethodCodeSize`` -1."""
    debug = getattr(spark._jvm.org.apache.spark.sql.execution.debug, "package$").__getattr__("MODULE$")
    stages = debug.codegenStringSeq(df._jdf.queryExecution().executedPlan())
    return [stages.apply(i)._3() for i in range(stages.size())]


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_every_stage_of_the_cleanse_plan_compiles(spark, tmp_path, name):
    """As the job plans it: the classified rows cached under CLASSIFY_SETTINGS (per-operator
    codegen: small methods, no whole-stage method to outgrow the JVM), silver and quarantine
    written from the cache with whole-stage codegen."""
    feed = FEEDS[name]
    bronze = bronze_rows(spark, feed, tmp_path / "bronze")
    with sql_settings(spark, CLASSIFY_SETTINGS):
        cleansed = bronze.transform(classified(feed, KEY))
        assert compiled_stages(spark, cleansed) == []
        cleansed = cleansed.persist()
    try:
        assert cleansed.count() == 1
        for output in (silver_rows(cleansed, feed, "cleanse-1"), quarantine_rows(cleansed, feed, "cleanse-1")):
            stages = compiled_stages(spark, output)
            assert stages
            sizes = [s.maxMethodCodeSize() for s in stages]
            assert all(0 <= size < JVM_METHOD_LIMIT for size in sizes), sizes
    finally:
        cleansed.unpersist()
