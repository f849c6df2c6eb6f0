"""Generator throughput on 10M CDRs (``BENCH_CDR_ROWS``), beside a bare Spark job.

The reference writes the same number of lines of comparable width as gzip'd text files, per hour
and probe, from ``spark.range`` with a trivial projection: the floor for producing that much raw
text with Spark on this machine. The generator also computes the network, the physics, the
defects, the truth tables (Delta) and the measurement reports, so the ratio says what all that
costs on top of writing the files.
"""
from __future__ import annotations

import datetime as dt
import os
import time

from pyspark.sql import functions as F

from jobs import generate
from jobs.runtime.job import JobResult, run_job
from jobs.runtime.tables import write_text_files

CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conf", "local.yaml")
RUN_DATE = dt.date(2026, 11, 23)  # a Monday: the full weekday volume


def bare_text_write(spark, rows: int, path: str, partitions: int, files_per_hour: int) -> float:
    """Seconds to write ``rows`` lines of ~140 characters as gzip text, one file per hour and probe."""
    started = time.time()
    lines = spark.range(rows, numPartitions=partitions).select(
        F.lpad((F.col("id") % 24).cast("string"), 2, "0").alias("hour"),
        F.concat(F.lit("probe0"), (F.col("id") % files_per_hour + 1).cast("string")).alias("source"),
        F.lit(1).alias("line_rank"),
        F.col("id").cast("string").alias("sort_key"),
        F.concat_ws(";", *[(F.col("id") * (i + 7)).cast("string") for i in range(12)]).alias("value"))
    write_text_files(lines, path, "gzip", 24 * files_per_hour)
    return time.time() - started


def run(work: str):
    """Returns rows of (label, value, unit)."""
    rows = int(os.environ.get("BENCH_CDR_ROWS", "10000000"))
    figures = {}

    def body(ctx):
        scale = ctx.config.generate.scale
        figures["bare_s"] = bare_text_write(ctx.spark, rows, os.path.join(work, "bare"), scale.partitions,
                                            scale.files_per_hour)
        started = time.time()
        result = generate.run(ctx)
        figures["generate_s"] = time.time() - started
        figures["result"] = result
        figures["steps"] = dict(ctx.timings)
        figures["cores"] = ctx.spark.sparkContext.defaultParallelism
        return JobResult(rows_in=0, rows_out=result.rows_out, counts=result.counts)

    overrides = [f"paths.{zone}={work}/{zone}"
                 for zone in ("raw", "truth", "run_log", "bronze", "silver", "quarantine", "gold", "reports")]
    overrides += [f"generate.scale.cdr_rows_per_day={rows}",
                  f"generate.scale.partitions={max(8, rows // 250_000)}"]
    argv = ["--conf", CONF, "--run-date", RUN_DATE.isoformat()]
    for item in overrides:
        argv += ["--set", item]
    code = run_job("bench-generate", body, argv)
    if code != 0:
        raise SystemExit(f"generator benchmark failed with exit code {code}")
    result, cores = figures["result"], figures["cores"]
    cdr = result.counts["cdr.records"]
    total = result.rows_out
    out = [
        ("generate: CDR records", cdr, "rows"),
        ("generate: all records (cdr, radio, cells, weather)", total, "rows"),
        ("generate: time", round(figures["generate_s"], 1), "s"),
        ("generate: throughput, all records", round(total / figures["generate_s"]), "rows/s"),
        ("generate: throughput per core", round(total / figures["generate_s"] / cores), "rows/s/core"),
        ("generate: CDR throughput", round(cdr / figures["generate_s"]), "CDR/s"),
        ("reference: bare gzip text write, as many lines as CDRs", round(figures["bare_s"], 1), "s"),
        ("ratio generate / bare write (same run)", round(figures["generate_s"] / figures["bare_s"], 2), "x"),
    ]
    out += [(f"generate step: {name}", round(seconds, 1), "s") for name, seconds in figures["steps"].items()]
    return out
