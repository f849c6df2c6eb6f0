"""Cleanse throughput on 10M generated CDRs (``BENCH_CDR_ROWS``), beside a bare Spark job.

The day is generated and ingested first (not timed). Then, in the same Spark session:

- the reference, a bare job: read the same bronze CDR table, cast every field to the type
  cleanse gives it (``try_cast``: no parsing of formats, no rules), write Delta; run before and
  after cleanse, and the mean is the reference (JIT warm-up and caches favour neither side);
- the issue's required work without the field rules: the bare job plus the same probe-dedup
  window, then also the HMAC of the same identifiers. Every implementation of cleanse pays at least
  this (a shuffle of every row by the dedup keys, two SHA-256 per identifier), so its ratio to the
  bare job is the lowest ratio any set of field rules can reach. Each is also run before and after
  cleanse, in mirrored order;
- cleanse of the CDR feed as the job runs it: parse, normalise, flag, deduplicate, pseudonymise,
  write silver and quarantine, check conservation.

Where the time goes: the job's own steps (cleanse = everything up to the cached classified
rows, write, conservation), and, with ``BENCH_CLEANSE_ABLATIONS=1`` (three more passes over the
day), the cleanse step alone, without the dedup window and without identifier parsing + HMAC.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs import cleanse, generate, ingest
from jobs.runtime.config import Feed
from jobs.runtime.job import JobResult, run_job
from jobs.runtime.session import sql_settings
from jobs.runtime.tables import read_date
from transformations.cleansing.duplicates import mark_probe_duplicates
from transformations.cleansing.pseudonymise import pseudonymise
from transformations.cleansing.rules import identifier_fields

CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conf", "local.yaml")
RUN_DATE = dt.date(2026, 11, 23)  # a Monday: the full weekday volume
BARE_TYPES = {"record_id": "string", "record_type": "string", "start_time": "timestamp", "duration_s": "long",
              "calling_number": "string", "called_number": "string", "imsi": "string", "imei": "string",
              "cell_id": "string", "bytes_up": "long", "bytes_down": "long", "release_cause": "int",
              "roaming": "boolean", "tariff_plan": "string"}
KEY = b"benchmark-key-not-a-secret-0123456789"


def bare_typed(spark, bronze_path: str) -> DataFrame:
    """The bronze CDRs with each field ``try_cast`` to the type cleanse gives it."""
    bronze = read_date(spark, bronze_path, RUN_DATE)
    return bronze.select(*[F.col(c).try_cast(t).alias(c) for c, t in BARE_TYPES.items()], "_source_file",
                         "event_date")


def timed_write(df: DataFrame, out: str) -> float:
    """Seconds to write ``df`` as a Delta table partitioned by event date (the plan runs here)."""
    started = time.time()
    df.write.format("delta").mode("overwrite").partitionBy("event_date").save(out)
    return time.time() - started


def with_dedup(feed: Feed):
    """Curried step: the probe-dedup window cleanse runs, on the bare typed rows."""
    dedup = feed.dedup
    keys = cleanse.dedup_keys(dedup.keys)

    def step(typed: DataFrame) -> DataFrame:
        return (typed.withColumns(keys)
                .transform(mark_probe_duplicates(list(keys), dedup.time, dedup.tolerance_s, dedup.survivor))
                .drop(*keys))
    return step


def timed_cleanse(ctx, feed, key) -> float:
    started = time.time()
    cleanse.cleanse_one_feed(ctx, "cdr", feed, key)
    return time.time() - started


def classify_only(ctx, feed, key) -> float:
    """Seconds to compute the classified rows (the job's cleanse step) without writing them."""
    started = time.time()
    bronze = read_date(ctx.spark, cleanse.zone_path(ctx, "bronze", "cdr"), RUN_DATE)
    with sql_settings(ctx.spark, cleanse.CLASSIFY_SETTINGS):
        bronze.transform(cleanse.classified(feed, key)).write.format("noop").mode("overwrite").save()
    return time.time() - started


def run(work: str):
    """Returns rows of (label, value, unit)."""
    rows = int(os.environ.get("BENCH_CDR_ROWS", "10000000"))
    ablations = os.environ.get("BENCH_CLEANSE_ABLATIONS", "0") == "1"   # three more passes over the day
    figures = {}

    def body(ctx):
        generate.run(ctx)
        ingest.run(ctx)
        spark, feed = ctx.spark, ctx.config.feeds["cdr"]
        bronze = cleanse.zone_path(ctx, "bronze", "cdr")
        figures["rows"] = read_date(spark, bronze, RUN_DATE).count()
        figures["cores"] = spark.sparkContext.defaultParallelism
        ctx.timings.clear()
        references = {"bare": bare_typed(spark, bronze)}
        references["dedup"] = references["bare"].transform(with_dedup(feed))
        references["required"] = references["dedup"].transform(pseudonymise(identifier_fields(feed), KEY))
        for name, df in references.items():
            figures[f"{name}_before"] = timed_write(df, os.path.join(work, f"{name}1"))
        figures["cleanse"] = timed_cleanse(ctx, feed, KEY)
        figures["steps"] = dict(ctx.timings)
        for name, df in reversed(references.items()):
            figures[f"{name}_after"] = timed_write(df, os.path.join(work, f"{name}2"))
        if not ablations:
            return JobResult()
        figures["classify"] = classify_only(ctx, feed, KEY)
        no_dedup = dataclasses.replace(feed, dedup=None)
        figures["classify_no_dedup"] = classify_only(ctx, no_dedup, KEY)
        no_ids = dataclasses.replace(feed, fields={k: (dataclasses.replace(r, type="string")
                                                       if r.type in ("msisdn", "imsi", "imei") else r)
                                                   for k, r in feed.fields.items()})
        figures["classify_no_hmac"] = classify_only(ctx, no_ids, KEY)
        return JobResult()

    overrides = [f"paths.{zone}={work}/{zone}"
                 for zone in ("raw", "truth", "run_log", "bronze", "silver", "quarantine", "gold", "reports")]
    overrides += [f"generate.scale.cdr_rows_per_day={rows}", f"generate.scale.partitions={max(8, rows // 250_000)}"]
    argv = ["--conf", CONF, "--run-date", RUN_DATE.isoformat()]
    for item in overrides:
        argv += ["--set", item]
    code = run_job("bench-cleanse", body, argv, preflight=lambda config: None)
    if code != 0:
        raise SystemExit(f"cleanse benchmark failed with exit code {code}")
    bare, dedup, required = ((figures[f"{name}_before"] + figures[f"{name}_after"]) / 2
                             for name in ("bare", "dedup", "required"))
    n, cores = figures["rows"], figures["cores"]
    out = [
        ("cleanse: bronze CDR rows", n, "rows"),
        ("cleanse: time (cdr feed, whole job step)", round(figures["cleanse"], 1), "s"),
        ("cleanse: throughput per core", round(n / figures["cleanse"] / cores), "rows/s/core"),
        ("reference: bare read + cast + Delta write (mean of 2)", round(bare, 1), "s"),
        ("reference: bare throughput per core", round(n / bare / cores), "rows/s/core"),
        ("ratio cleanse / bare job (same run)", round(figures["cleanse"] / bare, 2), "x"),
        ("reference: bare + dedup window, no field rules (mean of 2)", round(dedup, 1), "s"),
        ("reference: bare + dedup window + HMAC, no field rules (mean of 2)", round(required, 1), "s"),
        ("ratio (bare + dedup) / bare job", round(dedup / bare, 2), "x"),
        ("ratio (bare + dedup + HMAC) / bare job: the lowest any field rules can reach",
         round(required / bare, 2), "x"),
    ]
    out += [(f"cleanse step: {name.split(': ', 1)[-1]}", round(s, 1), "s") for name, s in figures["steps"].items()]
    if not ablations:
        return out
    out += [
        ("where: classify only (no write)", round(figures["classify"], 1), "s"),
        ("where: classify without the dedup window", round(figures["classify_no_dedup"], 1), "s"),
        ("where: classify without identifier parsing + HMAC", round(figures["classify_no_hmac"], 1), "s"),
    ]
    return out
