"""Delta Lake through the project's SparkSession factory: versions, time travel, history, and the
date-at-a-time replacement every job's output relies on."""
from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable
from pyspark.sql import types as T

from jobs.runtime.jars import DELTA_CATALOG, DELTA_EXTENSION
from jobs.runtime.tables import (ConcurrentUndoError, is_empty, read_date, replace_date, set_table_property,
                                 table_property, table_version, undo_date, unset_table_property)

SCHEMA = T.StructType([
    T.StructField("msisdn", T.StringType(), False),
    T.StructField("calls", T.LongType(), False),
])
DATED = T.StructType([
    T.StructField("event_date", T.DateType(), False),
    T.StructField("cell", T.StringType(), False),
    T.StructField("calls", T.LongType(), False),
])
DAY1, DAY2 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)


def assert_rows(actual, expected):
    """Same columns, types and rows, in any order.

    Nullability is not compared: Delta stores every column of a DataFrame write as nullable.
    """
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_session_is_built_from_the_factory_with_test_settings(spark):
    conf = spark.sparkContext.getConf()
    assert spark.sparkContext.master == "local[2]"
    assert conf.get("spark.sql.extensions") == DELTA_EXTENSION
    assert conf.get("spark.sql.catalog.spark_catalog") == DELTA_CATALOG
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert "delta-spark" in conf.get("spark.jars")


def test_overwrite_keeps_versions_for_time_travel(spark, tmp_path):
    path = str(tmp_path / "calls")
    first = spark.createDataFrame([("33600000001", 3), ("33600000002", 1)], SCHEMA)
    second = spark.createDataFrame([("33600000001", 4), ("33600000003", 7), ("33600000004", 0)], SCHEMA)
    first.write.format("delta").mode("overwrite").save(path)
    second.write.format("delta").mode("overwrite").save(path)

    reader = spark.read.format("delta")
    assert_rows(reader.option("versionAsOf", 0).load(path), first)
    assert_rows(reader.option("versionAsOf", 1).load(path), second)
    assert_rows(reader.load(path), second)

    history = DeltaTable.forPath(spark, path).history().orderBy("version").collect()
    assert [(h.version, h.operation, h.operationParameters["mode"]) for h in history] == [
        (0, "WRITE", "Overwrite"), (1, "WRITE", "Overwrite")]


def test_replace_date_replaces_only_that_date(spark, tmp_path):
    path = str(tmp_path / "dated")
    day1 = spark.createDataFrame([(DAY1, "A", 1), (DAY1, "B", 2)], DATED)
    day2 = spark.createDataFrame([(DAY2, "A", 5)], DATED)
    day2_rerun = spark.createDataFrame([(DAY2, "A", 6), (DAY2, "C", 9)], DATED)
    replace_date(day1, path, DAY1)
    replace_date(day2, path, DAY2)
    replace_date(day2_rerun, path, DAY2)

    assert_rows(read_date(spark, path, DAY1), day1)
    assert_rows(read_date(spark, path, DAY2), day2_rerun)
    table = DeltaTable.forPath(spark, path)
    assert table.detail().first().partitionColumns == ["event_date"]
    assert table.history().count() == 3


def test_replace_date_rejects_rows_of_another_date(spark, tmp_path):
    path = str(tmp_path / "dated")
    replace_date(spark.createDataFrame([(DAY1, "A", 1)], DATED), path, DAY1)
    stray = spark.createDataFrame([(DAY1, "A", 2), (DAY2, "B", 3)], DATED)
    with pytest.raises(Exception, match="replaceWhere|DELTA_REPLACE_WHERE_MISMATCH"):
        replace_date(stray, path, DAY2)
    # the failed write committed nothing
    assert DeltaTable.forPath(spark, path).history().count() == 1


def last_operation(spark, path: str):
    """The latest commit's operation and ``userMetadata``."""
    last = DeltaTable.forPath(spark, path).history(1).first()
    return last.operation, last.userMetadata


def test_undo_date_restores_the_version_before_the_runs_own_writes(spark, tmp_path):
    path = str(tmp_path / "dated")
    assert table_version(spark, path) is None
    day1 = spark.createDataFrame([(DAY1, "A", 1)], DATED)
    replace_date(day1, path, DAY1, run_id="run-0")
    assert last_operation(spark, path) == ("WRITE", "run-0")
    before = table_version(spark, path)
    replace_date(spark.createDataFrame([(DAY1, "A", 7), (DAY1, "B", 8)], DATED), path, DAY1, run_id="run-1")
    assert table_version(spark, path) == before + 1

    undo_date(spark, path, before, DAY1, run_id="run-1")
    assert_rows(read_date(spark, path, DAY1), day1)
    assert table_version(spark, path) == before + 2            # the undo is a version of its own
    assert last_operation(spark, path)[0] == "RESTORE"         # only the run's commits since: the log alone
    undo_date(spark, path, before + 2, DAY1, run_id="run-1")    # nothing written since: nothing to do
    assert table_version(spark, path) == before + 2


def test_undo_date_keeps_another_jobs_commits_to_other_dates(spark, tmp_path):
    """A backfill of DAY1 fails after writing, while today's run committed DAY2: the undo puts
    DAY1 back and leaves DAY2 as today's run wrote it (a restore of the table would take it away)."""
    path = str(tmp_path / "dated")
    day1 = spark.createDataFrame([(DAY1, "A", 1)], DATED)
    replace_date(day1, path, DAY1, run_id="backfill-earlier")
    replace_date(spark.createDataFrame([(DAY2, "A", 2)], DATED), path, DAY2, run_id="today-earlier")
    before = table_version(spark, path)
    replace_date(spark.createDataFrame([(DAY1, "A", 7), (DAY1, "C", 9)], DATED), path, DAY1, run_id="backfill")
    today = spark.createDataFrame([(DAY2, "A", 3), (DAY2, "B", 4)], DATED)
    replace_date(today, path, DAY2, run_id="today")

    undo_date(spark, path, before, DAY1, run_id="backfill")
    assert_rows(read_date(spark, path, DAY1), day1)
    assert_rows(read_date(spark, path, DAY2), today)
    assert last_operation(spark, path) == ("WRITE", "backfill undo")   # DAY1 written back, not a restore


def test_a_commit_landing_while_the_run_is_restored_is_named(spark, tmp_path, monkeypatch):
    """Another job commits between the undo's history read and its restore: the restore's commit
    shows it, and the undo says so instead of passing in silence."""
    path = str(tmp_path / "dated")
    replace_date(spark.createDataFrame([(DAY1, "A", 1)], DATED), path, DAY1, run_id="earlier")
    before = table_version(spark, path)
    replace_date(spark.createDataFrame([(DAY1, "A", 7)], DATED), path, DAY1, run_id="failed")
    restore = DeltaTable.restoreToVersion

    def restore_after_another_commit(table, version):
        replace_date(spark.createDataFrame([(DAY2, "B", 2)], DATED), path, DAY2, run_id="today")
        return restore(table, version)

    monkeypatch.setattr(DeltaTable, "restoreToVersion", restore_after_another_commit)
    with pytest.raises(ConcurrentUndoError, match=f"another job committed right after version {before + 1}"):
        undo_date(spark, path, before, DAY1, run_id="failed")


def test_undo_date_of_a_run_that_wrote_nothing_leaves_the_table_as_it_is(spark, tmp_path):
    """The run failed before its write; meanwhile another job wrote the table (and, in the second
    table, created it): there is nothing of the run's to take back."""
    path = str(tmp_path / "dated")
    replace_date(spark.createDataFrame([(DAY1, "A", 1)], DATED), path, DAY1, run_id="earlier")
    before = table_version(spark, path)
    replace_date(spark.createDataFrame([(DAY1, "A", 2)], DATED), path, DAY1, run_id="another")
    undo_date(spark, path, before, DAY1, run_id="failed")
    assert table_version(spark, path) == before + 1
    assert read_date(spark, path, DAY1).first().calls == 2
    created = str(tmp_path / "created")
    replace_date(spark.createDataFrame([(DAY1, "A", 3)], DATED), created, DAY1, run_id="another")
    undo_date(spark, created, None, DAY1, run_id="failed")
    assert read_date(spark, created, DAY1).count() == 1


def test_undo_date_without_a_run_id_writes_the_date_back(spark, tmp_path):
    path = str(tmp_path / "dated")
    replace_date(spark.createDataFrame([(DAY2, "B", 5)], DATED), path, DAY2)
    before = table_version(spark, path)
    replace_date(spark.createDataFrame([(DAY1, "A", 1)], DATED), path, DAY1)   # the date was not there
    undo_date(spark, path, before, DAY1)
    assert read_date(spark, path, DAY1).count() == 0
    assert_rows(read_date(spark, path, DAY2), spark.createDataFrame([(DAY2, "B", 5)], DATED))
    assert last_operation(spark, path)[0] == "WRITE"


def test_undo_date_of_a_table_the_run_created_deletes_that_date_only(spark, tmp_path):
    path = str(tmp_path / "dated")
    replace_date(spark.createDataFrame([(DAY2, "A", 5)], DATED), path, DAY2)
    undo_date(spark, path, None, DAY2)
    assert read_date(spark, path, DAY2).count() == 0 and DeltaTable.isDeltaTable(spark, path)
    undo_date(spark, str(tmp_path / "never-written"), None, DAY2)   # no table: nothing to undo


def test_a_property_set_on_a_missing_table_creates_it_empty_as_a_write_would_with_the_property(spark, tmp_path):
    # a URI with an empty authority, as conf's hdfs:///data/... (Delta's table builder refused it)
    path, written = (tmp_path / "created").as_uri(), str(tmp_path / "written")
    assert path.startswith("file:///")
    df = spark.createDataFrame([(DAY2, "A", 5)], DATED)
    set_table_property(spark, path, "cdr.test", "it's", schema=DATED)
    assert table_property(spark, path, "cdr.test") == "it's" and is_empty(spark, path)
    replace_date(df, path, DAY2)
    replace_date(df, written, DAY2)
    assert spark.read.format("delta").load(path).schema == spark.read.format("delta").load(written).schema
    assert DeltaTable.forPath(spark, path).detail().first()["partitionColumns"] == ["event_date"]
    assert not is_empty(spark, path) and table_property(spark, path, "cdr.test") == "it's"
    set_table_property(spark, path, "cdr.test", "changed")
    assert table_property(spark, path, "cdr.test") == "changed"
    unset_table_property(spark, path, "cdr.test")
    assert table_property(spark, path, "cdr.test") is None
    unset_table_property(spark, path, "cdr.test")          # already gone: nothing to do
    with pytest.raises(Exception):      # without a schema, a missing table is an error
        set_table_property(spark, str(tmp_path / "missing"), "cdr.test", "x")


def test_a_property_set_where_a_killed_first_write_left_files_without_a_log_creates_the_table(spark, tmp_path):
    path = str(tmp_path / "stray")
    spark.createDataFrame([(DAY2, "A", 5)], DATED).write.parquet(path)     # no _delta_log
    set_table_property(spark, path, "cdr.test", "v", schema=DATED)
    assert table_property(spark, path, "cdr.test") == "v" and is_empty(spark, path)
