"""Probe duplicates: the same event recorded by two probes, a few seconds apart.

Records with equal keys (calling number, called number, type...) whose times chain within a
tolerance form a cluster; the record with the smallest id survives, the others point to it. The
whole computation is two windows over one shuffle by the keys: no join, no action.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transformations.cleansing.packing import pack_columns, unpack_columns

DUPLICATE_OF = "duplicate_of"
_PREFIX = "__dup_"


def _seconds(df: DataFrame, time_column: str) -> Tuple[Column, float]:
    """The time column as a number and the factor turning seconds into its unit."""
    data_type = df.schema[time_column].dataType
    column = F.col(time_column)
    if isinstance(data_type, T.TimestampType):
        return F.unix_micros(column), 1_000_000.0
    if isinstance(data_type, T.TimestampNTZType):
        return F.unix_micros(column.cast("timestamp")), 1_000_000.0
    if isinstance(data_type, T.DateType):
        return F.unix_date(column).cast("bigint") * 86_400, 1.0
    if isinstance(data_type, T.NumericType):
        return column, 1.0
    raise TypeError(f"{time_column} must be a timestamp, date or number (seconds), not {data_type.simpleString()}")


def _orderable(data_type: T.DataType) -> bool:
    """Whether Spark can sort by a column of this type (maps and variants cannot)."""
    if isinstance(data_type, T.StructType):
        return all(_orderable(f.dataType) for f in data_type.fields)
    if isinstance(data_type, T.ArrayType):
        return _orderable(data_type.elementType)
    return not isinstance(data_type, (T.MapType, getattr(T, "VariantType", T.MapType)))


def mark_probe_duplicates(keys: Sequence[str], time_column: str, tolerance_seconds: float, id_column: str,
                          flag_column: str = DUPLICATE_OF, source_column: Optional[str] = None):
    """Curried step marking the records that repeat an event already seen by another probe.

    Within equal ``keys``, records sorted by time form one cluster as long as each is at most
    ``tolerance_seconds`` after the previous one (a chain: 0 s, 4 s, 8 s with a tolerance of 5 s is
    one cluster); a larger gap starts a new cluster. The survivor of a cluster is its record with
    the smallest ``id_column``; every other record gets ``flag_column`` = the survivor's id. With
    ``source_column``, the other records of the survivor's sources (every source that wrote the
    survivor's id) survive too, one per id: a probe writes an event once, so its records of a
    burst (three SMS to one contact within a second) are three events, and only the other
    sources' records repeat them. The result does not
    depend on the input order or partitioning.

    Parameters
    ----------
    keys
        Columns that must be equal. A record with a null key (or a null time or id) is never a
        duplicate and never the survivor of anything: null matches nothing.
    time_column
        Timestamp, date, or number of seconds.
    tolerance_seconds
        Largest gap (inclusive) between consecutive records of one cluster.
    id_column
        Unique record id; the smallest (in its type's order) survives. Records with equal ids
        and times (the same switch record reaching both probes) are ordered by their other
        columns, so the same one survives on every run, whatever its values.
    flag_column
        Column to add (type of ``id_column``): null for survivors and for records without
        duplicates.
    source_column
        Where a record comes from (the probe that wrote it: e.g.
        :func:`transformations.ingestion.bronze.source_of` of its file); None: every record of a
        cluster but its survivor is a duplicate. A record with a null source is never one of the
        survivor's sources. The calls of a cluster that only another source than the survivor's
        saw are merged, as without sources.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        The input columns plus ``flag_column``. Never drops a row.

    Raises
    ------
    ValueError
        For no keys or a negative tolerance.
    """
    keys = list(keys)
    if not keys:
        raise ValueError("mark_probe_duplicates needs at least one key column")
    if tolerance_seconds < 0:
        raise ValueError(f"tolerance_seconds must be >= 0, not {tolerance_seconds}")

    def step(df: DataFrame) -> DataFrame:
        time, per_second = _seconds(df, time_column)
        ident = F.col(id_column)
        eligible = ident.isNotNull() & F.col(time_column).isNotNull()
        for key in keys:
            eligible = eligible & F.col(key).isNotNull()
        # Records that cannot match anything are spread over their own window partitions instead
        # of piling up in the partition of the null key.
        salt, t, cluster, rank, survivor, sources, own, spread, rest = (
            f"{_PREFIX}{n}" for n in ("salt", "t", "cluster", "rank", "survivor", "sources", "own", "spread", "rest"))
        # (xxhash64 is never null, so they never share a partition with eligible records.)
        salted = F.when(~eligible, F.xxhash64(ident, F.col(time_column), *[F.col(k) for k in keys]))
        # The windows' sorts compare rows by their partition columns first, and a sort compares an
        # 8-byte prefix of its first column before the whole rows: a hash of the keys first gives
        # nearly every key its own prefix (the keys' own first bytes, "+336...", are shared by most
        # rows). It is a function of the keys: the partitions are the same.
        spreading = F.xxhash64(*[F.col(k) for k in keys], salted)
        by_key = Window.partitionBy(spread, *keys, salt).orderBy(F.col(t).asc_nulls_first(), ident.asc_nulls_last())
        gap = F.col(t) - F.lag(F.col(t)).over(by_key)
        # 1 where a cluster starts: first record of its key, or a gap over the tolerance (one lag).
        starts = F.when(F.coalesce(gap <= F.lit(tolerance_seconds * per_second), F.lit(False)), 0).otherwise(1)
        # The windows read the keys, the time, the id and the source. Every other column rides
        # through the shuffle, the sorts and the windows packed in one struct: each operator copies
        # it as one block of bytes instead of column by column (a cleansed CDR has some fifty).
        read = {id_column, time_column, *keys, *([source_column] if source_column else [])}
        riding = [c for c, field in zip(df.columns, df.schema.fields)
                  if c not in read and c != flag_column and _orderable(field.dataType)]
        # Same partitioning plus the cluster: satisfied by the shuffle of by_key, only a sort more.
        # Ties on id and time fall to the other columns (compared only for such ties; the keys
        # are equal within a window, the source compared already): a total order, so which record
        # survives does not depend on the shuffle's order. A struct compares field by field, each
        # ascending with nulls first, as the columns themselves would.
        others = [F.col(rest)] if riding else []
        source = None if source_column is None else F.col(source_column)
        # With sources, the copies of one id are sorted by source: those of one source are adjacent.
        by_source = [] if source is None else [source.asc_nulls_last()]
        by_cluster = Window.partitionBy(spread, *keys, salt, cluster).orderBy(ident.asc(), *by_source,
                                                                              F.col(t).asc(), *others)
        ranked = {rank: F.row_number().over(by_cluster), survivor: F.first(ident).over(by_cluster)}
        marked = (df
                  .transform(pack_columns(riding, rest))
                  .withColumns({salt: salted, t: time, spread: spreading})
                  .withColumn(cluster, F.sum(starts).over(by_key.rowsBetween(Window.unboundedPreceding,
                                                                             Window.currentRow)))
                  .withColumns(ranked))
        repeats = F.col(rank) > 1
        if source is not None:
            # The survivor's sources: every source that wrote the survivor's id (one switch record
            # reaches two probes; a re-delivered file names no probe). The survivor's id sorts first,
            # so the running frame of the same window holds them all: no other sort.
            written = F.coalesce(F.array_contains(F.col(sources), source), F.lit(False))
            # One record per id among them: the first in the same order (within the id's window, a
            # prefix of the cluster's sort: no other sort either). A line delivered twice is one event.
            by_id = (Window.partitionBy(spread, *keys, salt, cluster, ident)
                     .orderBy(*by_source, F.col(t).asc(), *others)
                     .rowsBetween(Window.unboundedPreceding, Window.currentRow))
            marked = (marked
                      .withColumn(sources, F.collect_set(F.when(ident == F.col(survivor), source)).over(by_cluster))
                      .withColumn(own, written & (F.sum(written.cast("int")).over(by_id) == 1)))
            repeats = repeats & ~F.col(own)
        return (marked
                .withColumn(flag_column, F.when(eligible & repeats, F.col(survivor)))
                .drop(salt, t, cluster, rank, survivor, sources, own, spread)
                .transform(unpack_columns(rest, df.columns)))
    return step


def split_duplicates(df: DataFrame, flag_column: str = DUPLICATE_OF) -> Tuple[DataFrame, DataFrame]:
    """Split a DataFrame marked by :func:`mark_probe_duplicates` into survivors and duplicates.

    Parameters
    ----------
    df
        DataFrame with ``flag_column``.
    flag_column
        The column naming the survivor of a duplicate (null for survivors).

    Returns
    -------
    tuple of DataFrame
        (rows with a null ``flag_column``, without that column; rows with it set, with it). Every
        row lands in exactly one of the two.
    """
    marked = F.col(flag_column).isNotNull()
    return df.where(~marked).drop(flag_column), df.where(marked)
