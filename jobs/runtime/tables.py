"""Table I/O shared by the jobs: Delta tables partitioned by event date, replaced a date at a time."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

DATE_COLUMN = "event_date"


def replace_date(df: DataFrame, path: str, day: dt.date, partition_column: str = DATE_COLUMN) -> None:
    """Write ``df`` as the ``day`` partition of the Delta table at ``path``, atomically.

    A rerun of the same date replaces that date (Delta ``replaceWhere``) and leaves the other
    dates untouched; readers see the previous version until the commit. Every row of ``df`` must
    belong to ``day``: Delta rejects the write otherwise.
    """
    (df.write.format("delta").mode("overwrite")
     .option("replaceWhere", f"{partition_column} = DATE'{day.isoformat()}'")
     .partitionBy(partition_column)
     .save(path))


def table_version(spark: SparkSession, path: str) -> Optional[int]:
    """The latest version of the Delta table at ``path``, or ``None`` when there is no table yet."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]


def undo_date(spark: SparkSession, path: str, version: Optional[int], day: dt.date,
              partition_column: str = DATE_COLUMN) -> None:
    """Take back what was written to the Delta table at ``path`` since ``version`` (from
    :func:`table_version`): restore that version, or, when there was no table then, delete the
    ``day`` rows written since. The undo is a new version; the undone one stays in the history.
    """
    if not DeltaTable.isDeltaTable(spark, path):
        return
    table = DeltaTable.forPath(spark, path)
    if version is None:
        table.delete(f"{partition_column} = DATE'{day.isoformat()}'")
    elif table_version(spark, path) != version:
        table.restoreToVersion(version)


def read_date(spark: SparkSession, path: str, day: dt.date, partition_column: str = DATE_COLUMN) -> DataFrame:
    """The ``day`` partition of the Delta table at ``path``."""
    return spark.read.format("delta").load(path).where(f"{partition_column} = DATE'{day.isoformat()}'")


def write_text_files(lines: DataFrame, path: str, compression: str, files: int, per_hour: bool = True) -> None:
    """Write raw export lines as delimited text files.

    ``lines`` has ``hour``, ``source``, ``line_rank``, ``sort_key`` and ``value``. With
    ``per_hour``, each (hour, source) pair becomes one file under ``path/hour=HH/source=NAME/``
    (``files`` is the number of pairs); otherwise ``path`` gets a single file. Headers come first
    and records in ``sort_key`` order, as a mediation platform drops them.
    """
    ordered = lines.repartition(files, "hour", "source") if per_hour else lines.coalesce(1)
    ordered = ordered.sortWithinPartitions(*(["hour", "source"] if per_hour else []), "line_rank", "sort_key")
    writer = (ordered.select("hour", "source", "value") if per_hour else ordered.select("value")).write
    writer = writer.mode("overwrite").option("compression", compression)
    (writer.partitionBy("hour", "source") if per_hour else writer).text(path)
