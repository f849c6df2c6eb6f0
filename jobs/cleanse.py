"""Bronze to silver: typed, normalised, deduplicated and pseudonymised rows, and a quarantine.

    CDR_PSEUDONYM_KEY=... spark-submit --py-files dist/cdr_pipelines-<version>-py3.11.egg \\
        jobs/cleanse.py --conf conf/local.yaml --run-date 2026-11-21

For every feed in ``conf/feeds.yaml``, the run date's bronze rows go through the feed's rules
(``transformations/cleansing/rules.py``). Rows that pass land in ``<paths.silver>/<feed>``; rows
that fail land in ``<paths.quarantine>/<feed>`` with their reason codes, their raw values
(identifiers pseudonymised; the raw line, and every field of a line split wrongly, with their
digits masked) and the run id; copies of one event seen by a second probe land there too, as
``probe_duplicate`` with the survivor's id.

Subscriber identifiers (MSISDN, IMSI, IMEI) are replaced by their keyed HMAC-SHA256: the key
comes from ``$CDR_PSEUDONYM_KEY`` or the key file named in conf, and the job refuses to run
without one. The same key gives the same pseudonyms on every run, so joins work; silver and the
quarantine (which holds pseudonyms too) record the key's fingerprint (table property
``cdr.pseudonymKeyFingerprint``), and a run with another key fails before writing anything
(exit 2) unless conf allows the change.

Conservation is checked on every run, per feed: rows read = valid + quarantined + duplicates,
and the tables written hold exactly those numbers; the figures go to the run log and the JSON
report (``<paths.reports>/cleanse/<date>.json``), and a disagreement fails the job.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Dict, List, Optional, Sequence

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.runtime.config import Feed
from jobs.runtime.job import JobContext, JobResult, run_job
from jobs.runtime.config import ConfigError
from jobs.runtime.keys import key_fingerprint, load_pseudonym_key
from jobs.runtime.reports import write_json_report
from jobs.runtime.session import sql_settings
from jobs.runtime.tables import (ConcurrentUndoError, is_empty, read_date, replace_date, set_table_property,
                                 table_property, table_version, undo_date, unset_table_property)
from transformations.cleansing.duplicates import mark_probe_duplicates
from transformations.cleansing.pseudonymise import hidden_hmac_pads, hmac_sha256_with_pads
from transformations.cleansing.reasons import REASONS, is_quarantined
from transformations.cleansing.rules import cleanse_feed, identifier_fields, raw
from transformations.cleansing.structure import STRUCTURAL
from transformations.cleansing.text import masked_digits
from transformations.ingestion.bronze import SOURCE_FILE, source_of
from transformations.ingestion.charsets import falls_back

DUPLICATE_OF, PROBE_DUPLICATE = "duplicate_of", "probe_duplicate"
RUN_ID, REPAIRED = "_cleanse_run_id", "_encoding_repaired"
RAW_LINE_MASKED = "raw_line_masked"   # the raw line of a quarantined row, every digit a 9
KIND = "_kind"  # valid, quarantined or duplicate
DEDUP_SOURCE = "__dedup_probe"     # not "_dedup_<key>": a dedup key may be named "source"
KEY_FINGERPRINT = "cdr.pseudonymKeyFingerprint"   # silver's table property: the key of its pseudonyms
# Cleansing is one wide projection of string functions per feed. Whole-stage codegen inlines all
# of it into one Java method (36 KB of bytecode for the CDR feed), beyond what HotSpot compiles:
# C2 gives up ("out of nodes"), and the stage ran as C1 code or in the interpreter. Without it,
# each operator's code is split into small methods that C2 compiles: the rules of 1.1M CDRs ran
# in 21 s instead of 65 s (bench/cleanse_bench.py measures the job on 10M). With
# -XX:-DontCompileHugeMethods (conf's extraJavaOptions) both settings take the same time once the
# JIT is warm; off stays the safe choice for a JVM started without that flag.
CLASSIFY_SETTINGS = {"spark.sql.codegen.wholeStage": "false"}
_DROPPED_FROM_SILVER = (REASONS, DUPLICATE_OF, KIND, "_ingest_time", "_line", "_field_count",
                        "_expected_field_count", "_file_problem")


class ConservationError(RuntimeError):
    """Rows read and rows written disagree: something was lost or doubled."""


class KeyChangedError(ConfigError):
    """The pseudonymisation key is not the one that wrote the silver table's pseudonyms (a
    configuration error: the job exits 2)."""


@dataclass
class FeedCleanse:
    feed: str
    rows_read: int = 0
    valid: int = 0
    quarantined: int = 0
    duplicates: int = 0
    repaired_encoding: int = 0
    reasons: Dict[str, int] = field(default_factory=dict)
    silver: str = ""
    quarantine: str = ""
    bronze_rows: int = 0
    silver_written: Optional[int] = None        # None until the tables are written
    quarantined_written: Optional[int] = None
    duplicates_written: Optional[int] = None

    def figures(self) -> Dict[str, Optional[int]]:
        """The conservation figures, by name, for the log and the error message."""
        return {"bronze": self.bronze_rows, "read": self.rows_read, "valid": self.valid,
                "quarantined": self.quarantined, "duplicates": self.duplicates,
                "silver_written": self.silver_written, "quarantined_written": self.quarantined_written,
                "duplicates_written": self.duplicates_written}


def zone_path(ctx: JobContext, zone: str, feed: str) -> str:
    return f"{ctx.config.resolve(getattr(ctx.config.paths, zone))}/{feed}"


def dedup_keys(keys: List[str], among: Optional[Column] = None) -> Dict[str, Column]:
    """The probe-dedup window's key columns (``_dedup_<key>``), as text: an absent optional key
    (a data session has no called number) matches another absent one. Rows where ``among`` is
    false get null keys: they match nothing."""
    def key(name: str) -> Column:
        text = F.coalesce(F.col(name).cast("string"), F.lit(""))
        return text if among is None else F.when(among, text)
    return {f"_dedup_{name}": key(name) for name in keys}


def classified(feed: Feed, key: bytes):
    """Curried step: bronze rows to cleansed rows with their ``_kind`` and pseudonymised
    identifiers (typed values for silver; raw text of quarantined rows, plus its masked shape).

    Clear identifiers and the raw line do not survive this step, so nothing after it (cache,
    spill files, silver, quarantine) holds them; nor do the digits of the other fields of a row
    with a structural problem (its values may be shifted, identifiers among them), nor its typed
    fields' values. The probe dedup within the step shuffles rows before the pseudonyms are taken (the
    survivor decides which raw values the quarantine keeps): conf's ``spark.io.encryption.enabled``
    keeps the shuffle files on the executors' disks encrypted.
    """
    identifiers = identifier_fields(feed)

    def step(bronze: DataFrame) -> DataFrame:
        # The raw line is only kept (digits masked) for quarantined rows; dropped here, before the
        # dedup shuffle, it neither widens the shuffled rows nor reaches the shuffle files.
        cleansed = bronze.transform(cleanse_feed(feed))
        # the typed fields and every column derived from them (local hour, outcome, a cell id's parts)
        typed = [c for c in cleansed.columns if (c in feed.fields or c not in bronze.columns)
                 and not c.startswith("raw_") and c != REASONS and c not in identifiers]
        df = cleansed.withColumns({
            REPAIRED: falls_back(F.col("_line"), feed.encoding, feed.fallback_encoding) & ~is_quarantined(),
            RAW_LINE_MASKED: F.when(is_quarantined(), masked_digits(F.col("_line")))}).drop("_line")
        if feed.dedup is not None:
            dedup = feed.dedup
            valid_keys = dedup_keys(dedup.keys, among=~is_quarantined())   # quarantined rows match nothing
            source = DEDUP_SOURCE if dedup.same_source_distinct else None
            # the probe that wrote a record; a file the feed's source pattern does not name (or every
            # file, without one) is a source of its own
            file = F.col(SOURCE_FILE)
            sources = {source: F.coalesce(source_of(file, feed.source_pattern), file)} if source else {}
            df = (df.withColumns({**valid_keys, **sources})
                  .transform(mark_probe_duplicates(list(valid_keys), dedup.time, dedup.tolerance_s, dedup.survivor,
                                                   DUPLICATE_OF, source_column=source))
                  .drop(*valid_keys, *sources))
        else:
            df = df.withColumn(DUPLICATE_OF, F.lit(None).cast("string"))
        kept = is_quarantined() | F.col(DUPLICATE_OF).isNotNull()
        df = df.withColumn(KIND, F.when(is_quarantined(), "quarantined")
                           .when(F.col(DUPLICATE_OF).isNotNull(), "duplicate").otherwise("valid"))
        pads = hidden_hmac_pads(df.sparkSession, key)      # the key never appears in the plan
        # A line split into the wrong number of fields has its values shifted: an identifier can sit
        # in any other field, and an identifier's field hold another subscriber's. Those fields keep
        # their shape only, as the raw line does, and its identifiers no pseudonym (one would link
        # the record to the wrong subscriber). Only the quarantine keeps raw values: a valid row's
        # are null, so the cached rows do not carry them. Its typed values, and the columns derived
        # from them, are null: the cached rows must not hold one (the MSISDN parsed as a duration),
        # and no table takes a quarantined row's typed values.
        structural = F.coalesce(reduce(or_, [F.array_contains(F.col(REASONS), reason) for reason in STRUCTURAL]),
                                F.lit(False))
        pseudonyms = {name: F.when(~structural, hmac_sha256_with_pads(name, pads)) for name in identifiers}
        pseudonyms.update({raw(name): F.when(kept & ~structural, hmac_sha256_with_pads(raw(name), pads))
                           for name in identifiers})
        pseudonyms.update({f"{raw(name)}_shape": F.when(kept, masked_digits(F.col(raw(name)))) for name in identifiers})
        pseudonyms.update({raw(name): F.when(structural, masked_digits(F.col(raw(name)))).when(kept, F.col(raw(name)))
                           for name in feed.fields if name not in identifiers})
        pseudonyms.update({name: F.when(~structural, F.col(name)) for name in typed})
        return df.withColumns(pseudonyms)
    return step


def check_key_unchanged(ctx: JobContext, name: str, tables: Sequence[str], fingerprint: str) -> List[str]:
    """The tables (of ``tables``: a feed's silver and quarantine, which both hold pseudonyms) that
    must record ``fingerprint`` (:func:`jobs.runtime.keys.key_fingerprint` of this run's key)
    with the run's write: those with none yet, those holding no rows (a first run put back leaves
    its table empty), and, when conf allows a key change, those recording another key.

    A new key gives unrelated pseudonyms: the run's dates would not join with the earlier ones (a
    key from another environment, a changed key file, a key's text read differently by another
    version). So a run whose key differs from the one a table records stops here, before
    anything is written, unless ``cleanse.pseudonymisation.allow_key_change`` (a deliberate rotation).

    Raises
    ------
    KeyChangedError
        Naming the table and both fingerprints (never the key), when the key changed unallowed.
    """
    settings = ctx.config.cleanse.pseudonymisation
    to_record = []
    for table in tables:
        recorded = table_property(ctx.spark, table, KEY_FINGERPRINT)
        if recorded == fingerprint:
            continue
        to_record.append(table)
        if recorded is None or is_empty(ctx.spark, table):
            continue
        change = (f"{name}: the pseudonymisation key (fingerprint {fingerprint}) is not the one of the pseudonyms "
                  f"in {table} (fingerprint {recorded})")
        if not settings.allow_key_change:
            raise KeyChangedError(
                f"{change}: this run's pseudonyms would not join with the earlier dates; nothing written. Check "
                f"${settings.key_env} and the key file; after a deliberate key rotation, run once with "
                "--set cleanse.pseudonymisation.allow_key_change=true")
        ctx.log.warning(f"{change}: allowed by cleanse.pseudonymisation.allow_key_change; from {ctx.run_date} on, "
                        "the table's pseudonyms are the new key's")
    return to_record


def silver_rows(df: DataFrame, feed: Feed, run_id: str) -> DataFrame:
    """Valid survivors: typed columns, lineage, no raw text."""
    raw_columns = [c for c in df.columns if c.startswith("raw_")]
    return (df.where(F.col(KIND) == "valid")
            .drop(*raw_columns, *[c for c in _DROPPED_FROM_SILVER if c in df.columns])
            .withColumn(RUN_ID, F.lit(run_id)))


def quarantine_rows(df: DataFrame, feed: Feed, run_id: str) -> DataFrame:
    """Quarantined rows and probe duplicates: raw values, reasons, lineage."""
    reasons = F.when(F.col(KIND) == "duplicate", F.array(F.lit(PROBE_DUPLICATE))).otherwise(F.col(REASONS))
    raw_columns = [c for c in df.columns if c.startswith("raw_")]
    return df.where(F.col(KIND) != "valid").select(
        reasons.alias("reasons"), F.col(DUPLICATE_OF), *raw_columns, "_file_problem", SOURCE_FILE,
        "_ingest_run_id", F.lit(run_id).alias(RUN_ID), "event_date")


def cleanse_one_feed(ctx: JobContext, name: str, feed: Feed, key: bytes, record_key: Sequence[str] = ()
                     ) -> FeedCleanse:
    """Cleanse one feed's run date, write silver and quarantine, check conservation; record the
    key's fingerprint in the tables of ``record_key`` first (see :func:`check_key_unchanged`): a
    run killed after a write leaves no pseudonyms without their key's fingerprint.

    The figures are checked against bronze before anything is written, and the written tables
    against the figures after: when those disagree, or a write fails, the run date of both tables
    is put back as it was before the run (a new Delta version of each table the run wrote; other
    dates, which another job may have written meanwhile, stay as they are:
    :func:`jobs.runtime.tables.undo_date`), so no half-done date is left published.
    """
    spark, day = ctx.spark, ctx.run_date
    outcome = FeedCleanse(feed=name, silver=zone_path(ctx, "silver", name),
                          quarantine=zone_path(ctx, "quarantine", name))
    bronze = read_date(spark, zone_path(ctx, "bronze", name), day)
    with sql_settings(spark, CLASSIFY_SETTINGS):   # the cached plan is fixed when it is cached
        rows = bronze.transform(classified(feed, key)).persist(StorageLevel.MEMORY_AND_DISK)
    versions = {path: table_version(spark, path) for path in (outcome.silver, outcome.quarantine)}
    fingerprints = {path: table_property(spark, path, KEY_FINGERPRINT) for path in record_key}
    try:
        with ctx.step(f"{name}: cleanse"):
            figures = rows.agg(
                F.count(F.lit(1)).alias("rows"),
                F.count(F.when(F.col(KIND) == "valid", 1)).alias("valid"),
                F.count(F.when(F.col(KIND) == "quarantined", 1)).alias("quarantined"),
                F.count(F.when(F.col(KIND) == "duplicate", 1)).alias("duplicates"),
                F.count(F.when(F.col(REPAIRED) & (F.col(KIND) == "valid"), 1)).alias("repaired"),
            ).first()
        outcome.rows_read, outcome.valid = figures["rows"], figures["valid"]
        outcome.quarantined, outcome.duplicates = figures["quarantined"], figures["duplicates"]
        outcome.repaired_encoding = figures["repaired"]
        with ctx.step(f"{name}: conservation"):
            outcome.bronze_rows = bronze.count()
            check_conservation(name, outcome)
        with ctx.step(f"{name}: write"):
            tables = {outcome.silver: silver_rows(rows, feed, ctx.run_id),
                      outcome.quarantine: quarantine_rows(rows, feed, ctx.run_id)}
            for path in record_key:
                set_table_property(spark, path, KEY_FINGERPRINT, key_fingerprint(key), run_id=ctx.run_id,
                                   schema=tables[path].schema)
            for path, df in tables.items():
                replace_date(df, path, day, run_id=ctx.run_id)
        with ctx.step(f"{name}: conservation"):
            count_written(ctx, outcome)
            check_conservation(name, outcome)
    except Exception:
        for path, version in versions.items():
            try:
                undo_date(spark, path, version, day, run_id=ctx.run_id)
            except ConcurrentUndoError as error:
                ctx.log.error(f"{name}: {day} is put back, but another job's commit may be undone: {error}")
            except Exception as error:  # noqa: BLE001 - the first error is the one to raise
                ctx.log.error(f"{name}: could not put {day} of {path} back as of version {version}: {error}")
        put_fingerprints_back(ctx, name, fingerprints)
        raise
    finally:
        rows.unpersist()
    ctx.log.info(f"{name}: conservation holds", extra={"fields": outcome.figures()})
    return outcome


def put_fingerprints_back(ctx: JobContext, name: str, fingerprints: Dict[str, Optional[str]]) -> None:
    """After a failed run's undo, give each table the key fingerprint it had before the run.

    :func:`jobs.runtime.tables.undo_date` restores a table (its properties with it) only when no
    other job committed since the run's first commit; otherwise it writes the date's rows back,
    and the run's fingerprint would stay beside the earlier key's rows.
    """
    for path, before in fingerprints.items():
        try:
            if table_property(ctx.spark, path, KEY_FINGERPRINT) == before:
                continue
            if before is None:
                unset_table_property(ctx.spark, path, KEY_FINGERPRINT, run_id=f"{ctx.run_id} undo")
            else:
                set_table_property(ctx.spark, path, KEY_FINGERPRINT, before, run_id=f"{ctx.run_id} undo")
        except Exception as error:  # noqa: BLE001 - the run's own error is the one to raise
            ctx.log.error(f"{name}: could not put back {path}'s key fingerprint {before}: {error}")


def count_written(ctx: JobContext, outcome: FeedCleanse) -> None:
    """Count the rows the run wrote: silver, quarantined and duplicates, and the rows per reason."""
    spark, day = ctx.spark, ctx.run_date
    outcome.silver_written = read_date(spark, outcome.silver, day).count()
    quarantine = read_date(spark, outcome.quarantine, day)
    reasons = {r["reason"]: r["count"]
               for r in quarantine.select(F.explode("reasons").alias("reason")).groupBy("reason").count().collect()}
    written = {r["dup"]: r["count"]
               for r in quarantine.groupBy(F.col(DUPLICATE_OF).isNotNull().alias("dup")).count().collect()}
    outcome.reasons = dict(sorted(reasons.items()))
    outcome.quarantined_written, outcome.duplicates_written = written.get(False, 0), written.get(True, 0)


def check_conservation(name: str, outcome: FeedCleanse) -> None:
    """Rows read = valid + quarantined + duplicates = bronze rows, and, once the tables are
    written (``silver_written`` is not ``None``), each written count equals its figure.

    Raises
    ------
    ConservationError
        Naming the feed and every figure, when any of them disagree.
    """
    o = outcome
    balanced = o.bronze_rows == o.rows_read == o.valid + o.quarantined + o.duplicates
    if o.silver_written is not None:
        balanced = balanced and (o.silver_written, o.quarantined_written, o.duplicates_written) == (
            o.valid, o.quarantined, o.duplicates)
    if not balanced:
        raise ConservationError(f"{name}: rows read and rows written disagree: "
                                + ", ".join(f"{k}={v}" for k, v in o.figures().items())
                                + (" (the date is put back in silver and quarantine as it was)"
                                   if o.silver_written is not None else " (nothing written)"))


def run(ctx: JobContext) -> JobResult:
    key = ctx.prepared
    feeds = ctx.config.feeds
    # every feed's key check before any feed is written
    record = {name: check_key_unchanged(ctx, name, [zone_path(ctx, zone, name) for zone in ("silver", "quarantine")],
                                        key_fingerprint(key))
              for name, feed in feeds.items() if identifier_fields(feed)}
    outcomes = [cleanse_one_feed(ctx, name, feed, key, record.get(name, ())) for name, feed in feeds.items()]
    return report(ctx, outcomes)


def report(ctx: JobContext, outcomes: List[FeedCleanse]) -> JobResult:
    """Print the per-feed figures and per-reason quarantine counts; write the JSON report."""
    counts: Dict[str, int] = {}
    document = {"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(), "feeds": {}}
    print(f"cleansed {ctx.run_date}")
    for o in outcomes:
        counts.update({f"{o.feed}.read": o.rows_read, f"{o.feed}.valid": o.valid,
                       f"{o.feed}.quarantined": o.quarantined, f"{o.feed}.duplicates": o.duplicates,
                       f"{o.feed}.repaired_encoding": o.repaired_encoding})
        counts.update({f"{o.feed}.reason.{reason}": n for reason, n in o.reasons.items()})
        print(f"  {o.feed:<8} read {o.rows_read:>11,}  valid {o.valid:>11,}  quarantined {o.quarantined:>8,}  "
              f"duplicates {o.duplicates:>8,}  encoding repaired {o.repaired_encoding:>6,}")
        print(f"           silver {o.silver}   quarantine {o.quarantine}")
        for reason, n in o.reasons.items():
            print(f"           {reason:<28} {n:>10,}")
        document["feeds"][o.feed] = {"read": o.rows_read, "valid": o.valid, "quarantined": o.quarantined,
                                     "duplicates": o.duplicates, "repaired_encoding": o.repaired_encoding,
                                     "reasons": o.reasons, "silver": o.silver, "quarantine": o.quarantine}
    path = write_json_report(ctx, "cleanse", json.dumps(document, indent=2))
    print(f"  report   {path}")
    return JobResult(rows_in=sum(o.rows_read for o in outcomes), rows_out=sum(o.valid for o in outcomes),
                     counts=counts)


if __name__ == "__main__":
    sys.exit(run_job("cleanse", run, preflight=load_pseudonym_key))
