"""Cleanse's probe dedup shuffles rows before their identifiers are pseudonymised (the survivor
decides which raw values the quarantine keeps): conf turns on Spark's local disk encryption, so the
shuffle files that land on the executors' disks hold no identifier in clear."""
from __future__ import annotations

from pathlib import Path

from jobs.cleanse import CLASSIFY_SETTINGS, classified
from jobs.runtime.session import sql_settings
from tests.jobs.cdr_bronze import CALLING, FEED, GOOD, IMEI, IMSI, SCHEMA, bronze_row

KEY = b"shuffle-test-key-0123456789abcdef"


def shuffle_files(spark):
    """The ``shuffle_*.data`` files of this application's block manager."""
    dirs = spark._jvm.org.apache.spark.SparkEnv.get().blockManager().diskBlockManager().localDirs()
    return [p for d in dirs for p in Path(d.getPath()).rglob("shuffle_*.data")]


def test_the_dedup_shuffle_files_hold_no_clear_identifier(spark):
    assert spark.sparkContext.getConf().get("spark.io.encryption.enabled") == "true"
    before = set(shuffle_files(spark))
    rows = [bronze_row([f"2026112100{i:06d}", "VOICE", "2026-11-21 10:00:00", "60", *GOOD[4:]]) for i in range(50)]
    rows += [bronze_row([f"2026112199{i:06d}", "VOICE", "2026-11-21 10:00:00", "60", *GOOD[4:12]]) for i in range(50)]
    with sql_settings(spark, {**CLASSIFY_SETTINGS, "spark.sql.adaptive.enabled": "false"}):
        marked = spark.createDataFrame(rows, SCHEMA).repartition(2).transform(classified(FEED, KEY))
        marked.write.format("noop").mode("overwrite").save()
    written = [p for p in shuffle_files(spark) if p not in before]
    assert written, "the dedup shuffled nothing to disk"
    for path in written:
        content = path.read_bytes()
        for identifier in (CALLING, IMSI, IMEI):
            assert identifier.encode() not in content, f"{identifier} in clear in {path}"
