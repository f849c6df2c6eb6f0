"""The data-quality history: every metric and every rule outcome of each run date, in two Delta
tables under ``paths.quality`` (``metrics`` and ``outcomes``). A rerun of a date replaces that
date's rows; anomaly bands and drift references are read back from here."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, List, Tuple

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

METRICS_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType(), False),
    T.StructField("dataset", T.StringType(), False),
    T.StructField("metric", T.StringType(), False),
    T.StructField("value", T.DoubleType(), True),
    T.StructField("run_id", T.StringType(), False),
])
OUTCOMES_SCHEMA = T.StructType([
    T.StructField("run_date", T.DateType(), False),
    T.StructField("dataset", T.StringType(), False),
    T.StructField("rule", T.StringType(), False),
    T.StructField("type", T.StringType(), False),
    T.StructField("severity", T.StringType(), False),
    T.StructField("status", T.StringType(), False),
    T.StructField("observed", T.DoubleType(), True),
    T.StructField("expected", T.StringType(), False),
    T.StructField("message", T.StringType(), False),
    T.StructField("run_id", T.StringType(), False),
])
Series = Dict[str, List[Tuple[dt.date, float]]]


def _exists(spark: SparkSession, path: str) -> bool:
    from delta.tables import DeltaTable
    return DeltaTable.isDeltaTable(spark, path)


def read_metrics(spark: SparkSession, root: str, run_date: dt.date, days: int) -> Dict[str, Series]:
    """The metrics of the ``days`` dates before ``run_date``: ``{dataset: {metric: [(date, value)]}}``,
    oldest first. Bounded by days x metrics, whatever the data volume; empty on a first run."""
    path = f"{root}/metrics"
    if not _exists(spark, path):
        return {}
    since = run_date - dt.timedelta(days=days)
    rows = (spark.read.format("delta").load(path)
            .where((F.col("run_date") >= F.lit(since)) & (F.col("run_date") < F.lit(run_date)))
            .select("dataset", "metric", "run_date", "value").orderBy("run_date").collect())
    history: Dict[str, Series] = {}
    for row in rows:
        history.setdefault(row["dataset"], {}).setdefault(row["metric"], []).append((row["run_date"], row["value"]))
    return history


def replace_run_date(spark: SparkSession, root: str, run_date: dt.date, metrics: Iterable[tuple],
                     outcomes: Iterable[tuple]) -> None:
    """Write the run date's metrics and outcomes, replacing any earlier run of the same date."""
    for name, schema, rows in (("metrics", METRICS_SCHEMA, list(metrics)),
                               ("outcomes", OUTCOMES_SCHEMA, list(outcomes))):
        (spark.createDataFrame(rows, schema).coalesce(1).write.format("delta").mode("overwrite")
         .option("replaceWhere", f"run_date = DATE'{run_date.isoformat()}'")
         .save(f"{root}/{name}"))
