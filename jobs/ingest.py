"""Raw exports of a run date to bronze Delta tables, as they are, with lineage.

    spark-submit --py-files dist/cdr_pipelines-<version>-py3.11.egg jobs/ingest.py \\
        --conf conf/local.yaml --run-date 2026-11-21

For every feed in ``conf/feeds.yaml``: list the date's files (``<paths.raw>/<directory>/
event_date=D/``, any depth; gzip, bzip2 or plain), check each file's header against the feed's
layout, and land every line but the headers in ``<paths.bronze>/<feed>`` (partition
``event_date=D``, replaced atomically, so a rerun leaves no duplicates).

Nothing is lost and every bad file is named:

- a file whose layout is wrong (binary content, wrong delimiter, missing columns, no header) is
  landed line by line with its problem in ``_file_problem``; cleanse quarantines those rows;
- a file that cannot be read to its end (truncated gzip) is read up to the damage and named;
- an empty or header-only file is named; it has no record to land;
- a file whose name does not say it is a text export (``.zip``, ``.dat``: ``ingest.file_suffixes``)
  is named and not read.

The per-file outcome goes to the log, to ``<paths.reports>/ingest/<date>.json`` and to the run log.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.runtime import rawfiles
from jobs.runtime.config import Feed
from jobs.runtime.job import JobContext, JobResult, run_job
from jobs.runtime.rawfiles import FileProfile
from jobs.runtime.reports import write_json_report
from jobs.runtime.tables import read_date, replace_date
from transformations.ingestion.bronze import FILE_PROFILE_SCHEMA, SOURCE_FILE, lines_to_bronze, profile_rows


@dataclass
class FeedIngest:
    """The outcome of one feed's ingest: files, their problems, lines and records."""

    feed: str
    files: List[FileProfile] = field(default_factory=list)
    records: Dict[str, int] = field(default_factory=dict)    # per file
    table: str = ""
    directory: str = ""                                       # the run date's raw directory

    @property
    def warnings(self) -> List[str]:
        """The feed's own warnings (its files' are theirs): a day without a single file to read."""
        if any(not p.hidden for p in self.files):
            return []
        return [f"no raw file in {self.directory}: the date's bronze rows are none"]

    @property
    def record_count(self) -> int:
        return sum(self.records.values())

    @property
    def header_count(self) -> int:
        return sum(1 for p in self.files if p.read and p.header is not None and p.problem is None)

    @property
    def bad_files(self) -> List[FileProfile]:
        return [p for p in self.files if p.problem is not None or p.salvaged]


def bronze_path(ctx: JobContext, feed: str) -> str:
    return f"{ctx.config.resolve(ctx.config.paths.bronze)}/{feed}"


def raw_directory(ctx: JobContext, feed: Feed) -> str:
    return f"{ctx.config.resolve(ctx.config.paths.raw)}/{feed.directory}/event_date={ctx.run_date.isoformat()}"


def probe(ctx: JobContext, raw: rawfiles.RawFile, feed: Feed) -> FileProfile:
    """Read a file's first line and check it against the feed's layout."""
    if raw.hidden:
        return FileProfile(path=raw.path, size=raw.size, uri=raw.uri, read=False, hidden=True,
                           warnings=[rawfiles.hidden_warning(raw.hidden)])
    unsupported = rawfiles.unsupported_name(raw.path, ctx.config.ingest.file_suffixes)
    if unsupported:
        return FileProfile(path=raw.path, size=raw.size, uri=raw.uri, read=False, problem=unsupported)
    try:
        first = rawfiles.read_first_line(ctx.spark, raw.path) if raw.size > 0 else None
    except Exception as error:  # noqa: BLE001 - any JVM error here means the file cannot be read
        return FileProfile(path=raw.path, size=raw.size, uri=raw.uri, read=False,
                           problem=f"unreadable: {rawfiles.java_error_line(error)}")
    return rawfiles.check_header(first, feed, raw.path, raw.size, raw.uri)


def read_lines(ctx: JobContext, profiles: List[FileProfile]) -> DataFrame:
    """All lines of the readable files; files known to be damaged are read up to the damage."""
    spark = ctx.spark
    intact = [rawfiles.glob_escaped(p.path) for p in profiles if p.read and not p.salvaged]
    damaged = [rawfiles.glob_escaped(p.path) for p in profiles if p.read and p.salvaged]
    parts = []
    if intact:
        parts.append(spark.read.text(intact))
    if damaged:
        parts.append(spark.read.option("ignoreCorruptFiles", "true").option("ignoreMissingFiles", "true")
                     .text(damaged))
    # one spelling per file, as rawfiles.normal_uri gives the profiles
    source = F.regexp_replace(F.col("_metadata.file_path"), r"^file:/+", "file:/")
    parts = [part.select(F.col("value").alias("_line"), source.alias(SOURCE_FILE)) for part in parts]
    if not parts:
        return spark.createDataFrame([], "_line string, _source_file string")
    return parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])


def land(ctx: JobContext, name: str, feed: Feed, profiles: List[FileProfile], table: str) -> None:
    """Write the feed's lines to bronze, marking files found damaged during the read and retrying.

    Spark reads every file once. When a file turns out to be damaged past its first line (a
    truncated gzip), the write fails before its commit, naming the file; that file is then read
    up to the damage and the write runs again. Each damaged file costs one retry, at most
    ``ingest.max_corrupt_files``.
    """
    spark, day = ctx.spark, ctx.run_date
    by_uri = {p.uri: p for p in profiles}
    retries = 0
    while True:
        rows = profile_rows(p for p in profiles)
        file_profiles = spark.createDataFrame(rows, FILE_PROFILE_SCHEMA)
        bronze = (read_lines(ctx, profiles)
                  .transform(lines_to_bronze(list(feed.fields), feed.delimiter, feed.encoding, feed.fallback_encoding,
                                             file_profiles, ctx.run_id, quote=feed.quote))
                  .withColumn("event_date", F.lit(day)))
        try:
            replace_date(bronze, table, day, run_id=ctx.run_id)
            return
        except Exception as error:  # noqa: BLE001 - inspected below, re-raised unless a damaged file
            damaged = rawfiles.failed_file(error)
            profile = next((p for uri, p in by_uri.items() if damaged and rawfiles.same_file(uri, damaged)), None)
            if profile is None or profile.salvaged or retries >= ctx.config.ingest.max_corrupt_files:
                raise
            retries += 1
            profile.salvaged = True
            profile.warnings.append(f"damaged: {_root_cause(error)}; the lines before the damage were kept")
            ctx.log.warning(f"{name}: damaged file, reading it up to the damage: {profile.path}")


def _root_cause(error: Exception) -> str:
    causes = re.findall(r"Caused by: ([^\n]+)", str(error))
    text = causes[-1] if causes else rawfiles.java_error_line(error)
    return text.strip()[:200]


def ingest_feed(ctx: JobContext, name: str, feed: Feed) -> FeedIngest:
    """List, probe and land one feed; count records per file from the landed table."""
    outcome = FeedIngest(feed=name, table=bronze_path(ctx, name), directory=raw_directory(ctx, feed))
    with ctx.step(f"{name}: probe"):
        files = rawfiles.list_files(ctx.spark, outcome.directory, ctx.config.oozie.coordinator.done_flag)
        outcome.files = [probe(ctx, raw, feed) for raw in files]
    with ctx.step(f"{name}: land"):
        land(ctx, name, feed, outcome.files, outcome.table)
    with ctx.step(f"{name}: count"):
        per_file = (read_date(ctx.spark, outcome.table, ctx.run_date).groupBy(SOURCE_FILE).count().collect())
    counted = {rawfiles.normal_uri(row[SOURCE_FILE]): row["count"] for row in per_file}
    for profile in outcome.files:
        records = counted.get(rawfiles.normal_uri(profile.uri), 0)
        outcome.records[profile.path] = records
        if profile.read and profile.problem is None and records == 0 and not profile.salvaged:
            profile.warnings.append("header only: the file holds no record")
    return outcome


def run(ctx: JobContext) -> JobResult:
    outcomes = [ingest_feed(ctx, name, feed) for name, feed in ctx.config.feeds.items()]
    return report(ctx, outcomes)


def report(ctx: JobContext, outcomes: List[FeedIngest]) -> JobResult:
    """Print and log every bad file by name; write the JSON report; return the counts."""
    counts: Dict[str, int] = {}
    document = {"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(), "feeds": {}}
    print(f"ingested {ctx.run_date}")
    for outcome in outcomes:
        name = outcome.feed
        lines = outcome.record_count + outcome.header_count
        counts.update({f"{name}.files": len(outcome.files), f"{name}.bad_files": len(outcome.bad_files),
                       f"{name}.lines": lines, f"{name}.headers": outcome.header_count,
                       f"{name}.records": outcome.record_count})
        print(f"  {name:<8} {len(outcome.files):>5} files {outcome.record_count:>12,} records  {outcome.table}")
        for message in outcome.warnings:
            ctx.log.warning(f"{name}: {message}")
            print(f"    ! {message}")
        for profile in outcome.files:
            for message in ([profile.problem] if profile.problem else []) + profile.warnings:
                ctx.log.warning(f"{name}: {profile.path}: {message}")
                print(f"    ! {profile.path}: {message}")
        document["feeds"][name] = {
            "table": outcome.table, "lines": lines, "headers": outcome.header_count,
            "records": outcome.record_count, "warnings": outcome.warnings,
            "files": [{"path": p.path, "bytes": p.size, "records": outcome.records.get(p.path, 0),
                       "problem": p.problem, "warnings": p.warnings, "damaged": p.salvaged}
                      for p in outcome.files],
        }
    path = write_json_report(ctx, "ingest", json.dumps(document, indent=2))
    print(f"  report   {path}")
    records = sum(o.record_count for o in outcomes)
    lines = sum(o.record_count + o.header_count for o in outcomes)
    return JobResult(rows_in=lines, rows_out=records, counts=counts)


if __name__ == "__main__":
    sys.exit(run_job("ingest", run))
