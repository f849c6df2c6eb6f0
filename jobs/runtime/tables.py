"""Table I/O shared by the jobs: Delta tables partitioned by event date, replaced a date at a time."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from jobs.runtime.session import sql_settings

DATE_COLUMN = "event_date"


class ConcurrentUndoError(RuntimeError):
    """Putting a run's date back may have undone another job's commit: one landed between
    reading the history and the restore (detected after the restore, not prevented)."""


def replace_date(df: DataFrame, path: str, day: dt.date, partition_column: str = DATE_COLUMN,
                 run_id: Optional[str] = None) -> None:
    """Write ``df`` as the ``day`` partition of the Delta table at ``path``, atomically.

    A rerun of the same date replaces that date (Delta ``replaceWhere``) and leaves the other
    dates untouched; readers see the previous version until the commit. Every row of ``df`` must
    belong to ``day``: Delta rejects the write otherwise. With ``run_id``, the commit carries it
    as its ``userMetadata`` (shown by ``DESCRIBE HISTORY``): :func:`undo_date` recognises the
    run's own commits by it.
    """
    writer = (df.write.format("delta").mode("overwrite")
              .option("replaceWhere", _day_predicate(day, partition_column))
              .partitionBy(partition_column))
    if run_id is not None:
        writer = writer.option("userMetadata", run_id)
    writer.save(path)


def _day_predicate(day: dt.date, partition_column: str) -> str:
    return f"{partition_column} = DATE'{day.isoformat()}'"


def table_version(spark: SparkSession, path: str) -> Optional[int]:
    """The latest version of the Delta table at ``path``, or ``None`` when there is no table yet."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]


def undo_date(spark: SparkSession, path: str, version: Optional[int], day: dt.date,
              partition_column: str = DATE_COLUMN, run_id: Optional[str] = None) -> None:
    """Take back what a run wrote to the ``day`` partition of the Delta table at ``path`` since
    ``version`` (from :func:`table_version`, read before the run's first write).

    Only ``day`` is put back: the other dates stay as they are now, whatever another job (a
    backfill of another date, the daily run of today) committed to them in the meantime. With
    ``run_id`` (see :func:`replace_date`), the run's own commits are known by it, and the date is
    put back as it was just before the first of them:

    - no commit of the run since ``version``: it wrote nothing here, and nothing is done (no new
      version);
    - only the run's commits since its first: the table is restored to the version before it, a
      change of its log alone (it needs no room for data: a run that failed for want of it can
      still be put back). A commit of another job that lands between the history read and the
      restore would be undone with it: the restore's commit tells, and a
      :class:`ConcurrentUndoError` says so;
    - otherwise: ``day``'s rows of that version are written back over the date (``replaceWhere``,
      tagged ``<run_id> undo``), which leaves every other date as it is.

    Without ``run_id`` every commit since ``version`` counts as the run's. When the run's first
    commit created the table, the ``day`` rows are deleted. The undone versions stay in the history.

    Parameters
    ----------
    spark
        The session.
    path
        The Delta table.
    version
        The table's version before the run, or ``None`` when there was no table.
    day
        The date the run wrote.
    partition_column
        The table's date partition column.
    run_id
        The run's id, as given to :func:`replace_date`.

    Raises
    ------
    ConcurrentUndoError
        When another job committed while the restore was made: its commit may be undone too.
    """
    if not DeltaTable.isDeltaTable(spark, path):
        return
    table, predicate = DeltaTable.forPath(spark, path), _day_predicate(day, partition_column)
    since = table.history().where(f"version > {-1 if version is None else int(version)}").select(
        "version", "userMetadata").collect()
    own = [row.version for row in since if run_id is None or row.userMetadata == run_id]
    if not own:
        return
    # the table as it was just before the run's first commit (another job may have written since ``version``)
    base = min(own) - 1
    if base < 0:
        table.delete(predicate)
    elif run_id is not None and all(row.userMetadata == run_id for row in since if row.version > base):
        latest = max(own)
        table.restoreToVersion(base)
        after = table.history().where(f"version > {latest}").orderBy("version").select(
            "version", "operation", "readVersion").first()
        if after is None or after.operation != "RESTORE" or after.readVersion != latest:
            raise ConcurrentUndoError(
                f"{path}: another job committed right after version {latest}, the run's last, while the run's "
                f"date was put back by restoring version {base}: the restore may have undone that job's "
                f"commit too; DESCRIBE HISTORY shows the versions after {latest}")
    else:
        earlier = spark.read.format("delta").option("versionAsOf", base).load(path).where(predicate)
        replace_date(earlier, path, day, partition_column, None if run_id is None else f"{run_id} undo")


def table_property(spark: SparkSession, path: str, name: str) -> Optional[str]:
    """The value of table property ``name`` of the Delta table at ``path``; ``None`` when the
    table or the property does not exist."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).detail().first()["properties"].get(name)


def set_table_property(spark: SparkSession, path: str, name: str, value: str, run_id: Optional[str] = None,
                       schema: Optional[StructType] = None, partition_column: str = DATE_COLUMN) -> None:
    """Set table property ``name`` of the Delta table at ``path`` (a commit of its metadata alone).

    With ``run_id``, the commit carries it as its ``userMetadata``, as :func:`replace_date`'s do,
    so :func:`undo_date` counts it among the run's own commits. With ``schema``, a missing table
    is first created by an empty write of ``schema`` partitioned by ``partition_column``, so the
    property comes before the table's first rows (without ``schema``, a missing table is an
    error). An empty write, not Delta's table builder: the builder refuses a location such as
    ``hdfs:///data/...`` (it sees two paths in it), and a write takes a directory that a killed
    first write left without a log.
    """
    with _tagged_commits(spark, run_id):
        if schema is not None and not DeltaTable.isDeltaTable(spark, path):
            (spark.createDataFrame([], schema).write.format("delta").mode("append")
             .partitionBy(partition_column).save(path))
        text = value.replace("\\", "\\\\").replace("'", "\\'")
        spark.sql(f"ALTER TABLE {_sql_table(path)} SET TBLPROPERTIES ('{name}' = '{text}')")


def unset_table_property(spark: SparkSession, path: str, name: str, run_id: Optional[str] = None) -> None:
    """Remove table property ``name`` of the Delta table at ``path`` (see :func:`set_table_property`)."""
    with _tagged_commits(spark, run_id):
        spark.sql(f"ALTER TABLE {_sql_table(path)} UNSET TBLPROPERTIES IF EXISTS ('{name}')")


def _tagged_commits(spark: SparkSession, run_id: Optional[str]):
    # the SQL commits' userMetadata, as replace_date's writer option gives a write's
    return sql_settings(spark, {} if run_id is None else {"spark.databricks.delta.commitInfo.userMetadata": run_id})


def _sql_table(path: str) -> str:
    return "delta.`" + path.replace("`", "``") + "`"


def is_empty(spark: SparkSession, path: str) -> bool:
    """Whether the Delta table at ``path`` holds no rows (or does not exist)."""
    if not DeltaTable.isDeltaTable(spark, path):
        return True
    return spark.read.format("delta").load(path).limit(1).count() == 0


def read_date(spark: SparkSession, path: str, day: dt.date, partition_column: str = DATE_COLUMN) -> DataFrame:
    """The ``day`` partition of the Delta table at ``path``."""
    return spark.read.format("delta").load(path).where(_day_predicate(day, partition_column))


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
