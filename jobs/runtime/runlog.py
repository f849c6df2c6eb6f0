"""The run log: one Delta row per job run (job, run date, status, counts, duration)."""
from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession
from pyspark.sql import types as T

RUN_LOG_SCHEMA = T.StructType([
    T.StructField("job", T.StringType(), False),
    T.StructField("run_id", T.StringType(), False),
    T.StructField("run_date", T.DateType(), False),
    T.StructField("status", T.StringType(), False),
    T.StructField("exit_code", T.IntegerType(), False),
    T.StructField("started_at", T.TimestampType(), False),
    T.StructField("duration_s", T.DoubleType(), False),
    T.StructField("rows_in", T.LongType(), False),
    T.StructField("rows_out", T.LongType(), False),
    T.StructField("counts", T.MapType(T.StringType(), T.LongType()), False),
    T.StructField("message", T.StringType(), True),
    T.StructField("environment", T.StringType(), False),
    T.StructField("version", T.StringType(), False),
])


def append_run_record(spark: SparkSession, path: str, *, job, run_id, run_date, status, exit_code,
                      started_at, duration_s, result, environment, version) -> None:
    """Append one record to the run log Delta table at ``path`` (created on first use)."""
    row = (job, run_id, run_date, status, int(exit_code),
           dt.datetime.fromtimestamp(started_at, dt.timezone.utc),
           float(duration_s), int(result.rows_in), int(result.rows_out),
           {k: int(v) for k, v in result.counts.items()}, result.message or None, environment, version)
    spark.createDataFrame([row], RUN_LOG_SCHEMA).write.format("delta").mode("append").save(path)
