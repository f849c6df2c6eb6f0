"""Synthetic operator data for one run date: raw exports per feed, plus the ground truth.

    spark-submit --py-files dist/cdr_pipelines-<version>-py3.11.egg jobs/generate.py \\
        --conf conf/local.yaml --run-date 2026-11-21 [--set generate.scale.cdr_rows_per_day=10000]

Writes, for the run date:

- raw exports (``paths.raw``): ``cdr/``, ``radio/`` (delimited text per hour and probe, with a
  header), ``cells/`` and ``weather/`` (one daily file each), compressed as configured;
- the truth (``paths.truth``, Delta, partitioned by ``event_date``): clean values, expected
  signal, true drop probability and the defect of every row (``cdr``, ``radio``, ``cells``,
  ``weather``), and ``defect_counts`` per feed and defect.

The model is documented in ``docs/generator-model.md``. Everything is built on ``spark.range``
with keyed hashes, so the output is the same for a seed on any cluster.
"""
from __future__ import annotations

import sys
import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.runtime.job import JobContext, JobResult, run_job
from jobs.runtime.tables import read_date, replace_date, write_text_files
from transformations.synthetic import defects as D
from transformations.synthetic import exports
from transformations.synthetic.calendar import rows_for_date
from transformations.synthetic.calls import calls_from_ids
from transformations.synthetic.network import NetworkLayout, cells_from_site_ids
from transformations.synthetic.radio import measurement_reports
from transformations.synthetic.weather import weather_from_ids

FEEDS = ("cdr", "radio", "cells", "weather")


def raw_path(ctx: JobContext, feed: str) -> str:
    """Where a feed's raw files for the run date go."""
    return f"{ctx.config.resolve(ctx.config.paths.raw)}/{feed}/event_date={ctx.run_date.isoformat()}"


def truth_path(ctx: JobContext, table: str) -> str:
    return f"{ctx.config.resolve(ctx.config.paths.truth)}/{table}"


def defect_counts(spark, truths: dict) -> DataFrame:
    """Rows and injected defects per feed, from the truth tables (one small aggregation)."""
    parts = []
    for feed, truth in truths.items():
        rows = truth.select(F.lit(feed).alias("feed"), F.coalesce("defect", F.lit("none")).alias("defect"),
                            F.lit(1).alias("rows"))
        parts.append(rows)
        if feed == "cdr":
            parts.append(truth.where("duplicated").select(F.lit(feed).alias("feed"), F.lit(D.DUPLICATE).alias("defect"),
                                                          F.lit(1).alias("rows")))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    return union.groupBy("feed", "defect").agg(F.sum("rows").cast("long").alias("rows"))


def write_reference_truth(ctx: JobContext, layout: NetworkLayout):
    """Cells and weather of the run date into the truth; returns them read back (small)."""
    spark, settings, day = ctx.spark, ctx.config.generate, ctx.run_date
    cells = (cells_from_site_ids(spark.range(settings.scale.sites, numPartitions=1), settings)
             .transform(D.with_defects(D.CELL_DEFECTS, settings, F.col("cell_id"), salt="cells"))
             .withColumn("event_date", F.lit(day)))
    replace_date(cells, truth_path(ctx, "cells"), day)
    weather = (weather_from_ids(spark.range(layout.areas * 24, numPartitions=1), settings, day)
               .transform(D.with_defects(D.WEATHER_DEFECTS, settings, F.col("area_id"), F.col("hour"),
                                         F.lit(day.toordinal()), salt="weather"))
               .withColumn("event_date", F.lit(day)))
    replace_date(weather, truth_path(ctx, "weather"), day)
    return read_date(spark, truth_path(ctx, "cells"), day), read_date(spark, truth_path(ctx, "weather"), day)


def run(ctx: JobContext) -> JobResult:
    spark, settings, day = ctx.spark, ctx.config.generate, ctx.run_date
    scale = settings.scale
    started = time.time()
    layout = NetworkLayout.from_scale(scale)     # validated with the config
    regular_rows = rows_for_date(scale.cdr_rows_per_day, day)
    files = 24 * scale.files_per_hour
    ctx.log.info("generating", extra={"fields": {"cdr_rows": regular_rows, "sites": scale.sites,
                                                 "cells": layout.cells, "subscribers": scale.subscribers,
                                                 "partitions": scale.partitions}})

    # Small reference feeds first; read back from the truth so the big steps broadcast them.
    with ctx.step("reference"):
        cells, weather = write_reference_truth(ctx, layout)
    with ctx.step("calls"):
        row_ids = spark.range(regular_rows + files, numPartitions=scale.partitions)
        calls = (calls_from_ids(row_ids, cells, weather, settings, day, regular_rows)
                 .transform(D.with_cdr_defects(settings)))
        replace_date(calls, truth_path(ctx, "cdr"), day)
        calls = read_date(spark, truth_path(ctx, "cdr"), day)
    with ctx.step("radio"):
        reports = (measurement_reports(calls, cells, weather, settings)
                   .transform(D.with_defects(D.RADIO_DEFECTS, settings, F.col("call_id"), F.col("report_no"),
                                             salt="radio")))
        replace_date(reports, truth_path(ctx, "radio"), day)
        reports = read_date(spark, truth_path(ctx, "radio"), day)
    # Raw exports, rendered from the truth.
    headers = {
        "cdr": (exports.CDR_COLUMNS, exports.CDR_DELIMITER, 24, scale.files_per_hour),
        "radio": (exports.RADIO_COLUMNS, exports.RADIO_DELIMITER, 24, scale.files_per_hour),
        "cells": (exports.CELL_COLUMNS, exports.CSV_DELIMITER, 1, 1),
        "weather": (exports.WEATHER_COLUMNS, exports.CSV_DELIMITER, 1, 1),
    }
    bodies = {
        "cdr": exports.cdr_lines(calls, settings),
        "radio": exports.radio_lines(reports, settings),
        "cells": exports.cell_lines(cells, settings),
        "weather": exports.weather_lines(weather, settings),
    }
    missing = settings.incidents.missing_files
    withheld = {}
    for feed in FEEDS:
        columns, delimiter, hours, sources = headers[feed]
        lines = bodies[feed].unionByName(exports.header_lines(spark, columns, delimiter, hours, sources))
        for incident in (m for m in missing if m.feed == feed):
            in_file = (F.col("hour") == exports.hour_name(F.lit(incident.hour))) & (F.col("source") == incident.source)
            withheld[f"{feed} hour {incident.hour:02d} {incident.source}"] = bodies[feed].where(in_file).count()
            lines = lines.where(~in_file)
        with ctx.step(f"export {feed}"):
            write_text_files(lines, raw_path(ctx, feed), settings.compression, hours * sources,
                             per_hour=feed in ("cdr", "radio"))
    with ctx.step("defect counts"):
        counts = defect_counts(spark, {"cdr": calls, "radio": reports, "cells": cells, "weather": weather})
        replace_date(counts.withColumn("event_date", F.lit(day)), truth_path(ctx, "defect_counts"), day)
        table = sorted((r["feed"], r["defect"], r["rows"])
                       for r in read_date(spark, truth_path(ctx, "defect_counts"), day).collect())
    return report(ctx, table, time.time() - started, withheld)


def report(ctx: JobContext, table, seconds: float, withheld=None) -> JobResult:
    """Print what was written and where, with rows/s; return the run's counts."""
    lines = {}
    for feed, defect, rows in table:
        lines[feed] = lines.get(feed, 0) + rows
    records = {feed: lines.get(feed, 0) for feed in FEEDS}
    total = sum(records.values())
    rate = total / seconds if seconds > 0 else 0.0
    print(f"generated {ctx.run_date} in {seconds:.1f} s: {total:,} records, {rate:,.0f} rows/s")
    for feed in FEEDS:
        print(f"  {feed:<8} {records[feed]:>12,} records  {raw_path(ctx, feed)}")
    print(f"  truth    {ctx.config.resolve(ctx.config.paths.truth)}/{{cdr,radio,cells,weather,defect_counts}}")
    print("  injected defects (feed, defect, rows):")
    for feed, defect, rows in table:
        if defect != "none":
            print(f"    {feed:<8} {defect:<22} {rows:>10,}")
    for incident, rows in (withheld or {}).items():
        print(f"  incident: file not written ({incident}): {rows:,} records withheld")
    counts = {f"{feed}.{defect}": rows for feed, defect, rows in table}
    counts.update({f"missing_file.{k.replace(' ', '.')}": n for k, n in (withheld or {}).items()})
    counts.update({f"{feed}.records": n for feed, n in records.items()})
    ctx.log.info("generated", extra={"fields": {"records": total, "rows_per_s": round(rate)}})
    return JobResult(rows_in=0, rows_out=total, counts=counts)


if __name__ == "__main__":
    sys.exit(run_job("generate", run))
