"""Generator -> ingest -> cleanse on a small day with known injected defects.

The generator's truth is the oracle: quarantine counts per reason must equal the injected defect
counts, valid rows must equal the generator's clean values, a rerun must leave the same tables,
and no clear subscriber identifier may appear in any output, log or report.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import cleanse, generate, ingest
from jobs.runtime.job import run_job
from tests.conftest import FAST_SPARK_SETTINGS, job_argv, pseudonym_key
from tests.identifiers import assert_no_leak, clear_identifiers, digit_runs, leaks, table_digit_runs
from transformations.cleansing.pseudonymise import hmac_sha256

RUN_DATE = dt.date(2026, 11, 21)
KEY = "e2e-test-key-0123456789abcdef"
SCALE = {
    "generate.scale.cdr_rows_per_day": 6000, "generate.scale.subscribers": 2000,
    "generate.scale.call_centres": 2, "generate.scale.sites": 60, "generate.scale.rail_lines": 1,
    "generate.scale.areas": 4, "generate.scale.partitions": 2, "generate.scale.files_per_hour": 2,
    "generate.radio.sampled_call_fraction": 0.5,
}
RATES = {
    "malformed_date": 0.01, "bad_msisdn": 0.01, "null_token": 0.01, "out_of_range": 0.01, "sentinel": 0.01,
    "wrong_column_count": 0.01, "windows_1252": 0.01, "duplicate_probe": 0.02, "truncated_last_line": 0.5,
    "alternate_date_format": 0.2,
}
RUN_COLUMNS = ("_ingest_run_id", "_ingest_time", "_cleanse_run_id")


def job_args(root: Path):
    return job_argv(root, RUN_DATE, {**SCALE, **{f"generate.defects.{k}": v for k, v in RATES.items()}})


def run_captured(name, body, args, **kwargs):
    """Run a job in this process; return its exit code and everything it printed or logged."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = run_job(name, body, args, spark_extra=FAST_SPARK_SETTINGS, **kwargs)
    return code, out.getvalue()


def snapshot(spark, root: Path):
    """Every silver and quarantine table of the run date, without the run's own ids and times."""
    tables = {}
    for zone in ("bronze", "silver", "quarantine"):
        for feed in ("cdr", "radio", "cells", "weather"):
            df = spark.read.format("delta").load(str(root / zone / feed))
            tables[(zone, feed)] = df.drop(*[c for c in RUN_COLUMNS if c in df.columns])
    return tables


@pytest.fixture(scope="module")
def pipeline(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    with pseudonym_key(KEY):
        outputs = {}
        assert run_job("generate", generate.run, job_args(root), spark_extra=FAST_SPARK_SETTINGS) == 0
        for name, body, extra in (("ingest", ingest.run, {}),
                                  ("cleanse", cleanse.run, {"preflight": cleanse.load_pseudonym_key})):
            code, text = run_captured(name, body, job_args(root), **extra)
            assert code == 0, text[-3000:]
            outputs[name] = text
        yield root, outputs


def table(spark, root: Path, zone: str, feed: str):
    return spark.read.format("delta").load(str(root / zone / feed)).where(F.col("event_date") == F.lit(RUN_DATE))


def injected(spark, root: Path, feed: str) -> Counter:
    rows = table(spark, root, "truth", "defect_counts").where(F.col("feed") == feed).collect()
    return Counter({r.defect: r.rows for r in rows if r.defect != "none"})


def cleanse_report(root: Path) -> dict:
    return json.loads((root / "reports" / "cleanse" / f"{RUN_DATE}.json").read_text())


def test_conservation_holds_and_is_in_the_run_log(spark, pipeline):
    root, _ = pipeline
    report = cleanse_report(root)
    for feed, figures in report["feeds"].items():
        assert figures["read"] == figures["valid"] + figures["quarantined"] + figures["duplicates"], feed
        assert figures["read"] == table(spark, root, "bronze", feed).count()
    record = (spark.read.format("delta").load(str(root / "run_log")).where("job = 'cleanse'")
              .orderBy(F.col("started_at").desc()).first())
    assert record.status == "succeeded"
    assert record.counts["cdr.read"] == report["feeds"]["cdr"]["read"]
    assert record.counts["cdr.reason.probe_duplicate"] == report["feeds"]["cdr"]["duplicates"]


def clean_cdrs(spark, root: Path):
    return table(spark, root, "truth", "cdr").where(F.col("defect").isNull() | (F.col("defect") == "windows_1252"))


def natural_collisions(spark, root: Path, tolerance_s: float = 5.0) -> set:
    """Record ids of distinct clean calls that the dedup rule merges all the same (see
    :func:`bursts`)."""
    return bursts(spark, root, tolerance_s)[0]


def bursts(spark, root: Path, tolerance_s: float = 5.0) -> tuple:
    """Distinct clean calls with the same parties and type, starts chained within the tolerance (a
    burst of SMS to one contact): the record ids the dedup rule merges all the same (written by
    another probe than the smallest id of their chain), and those it keeps beside the smallest id
    (its probe's, in any hour's file). The generator writes a subscriber's calls through one probe
    and their injected copies through the other, so the copies never come from the survivor's
    probe. Plain Python over the truth, independent of the job's code."""
    chains = defaultdict(list)
    for r in clean_cdrs(spark, root).select("record_id", "calling_e164", "called_e164", "record_type",
                                            "start_time_utc", "source_no").collect():
        chains[(r.calling_e164, r.called_e164 or "", r.record_type)].append(
            (r.start_time_utc, r.record_id, r.source_no))
    merged, kept = set(), set()

    def merge(cluster):
        survivor, survivor_probe = min(cluster)
        merged.update(record_id for record_id, probe in cluster if probe != survivor_probe)
        kept.update(record_id for record_id, probe in cluster if probe == survivor_probe and record_id != survivor)

    for events in chains.values():
        events.sort()
        cluster = [events[0][1:]]
        for (before, *_), (time, *record) in zip(events, events[1:]):
            if (time - before).total_seconds() > tolerance_s:
                merge(cluster)
                cluster = []
            cluster.append(tuple(record))
        merge(cluster)
    return merged, kept


def quarantine_reasons(spark, root: Path, feed: str) -> Counter:
    rows = table(spark, root, "quarantine", feed).select("reasons").collect()
    assert all(len(r.reasons) == 1 for r in rows), "each injected defect gives exactly one reason"
    return Counter(r.reasons[0] for r in rows)


def test_cdr_quarantine_counts_match_the_injected_defects(spark, pipeline):
    root, _ = pipeline
    defects, reasons = injected(spark, root, "cdr"), quarantine_reasons(spark, root, "cdr")
    assert min(defects.values()) > 0
    expected = Counter({
        "start_time_unparseable": defects["malformed_date"],
        "calling_number_invalid": defects["bad_msisdn"],
        "wrong_field_count": defects["wrong_column_count"] + defects["truncated_last_line"],
        "probe_duplicate": defects["duplicate_probe"] + len(natural_collisions(spark, root)),
    })
    grouped = {
        "null_token": ("start_time_missing", "calling_number_missing", "imsi_missing", "cell_id_missing"),
        "out_of_range": ("duration_s_out_of_range", "bytes_up_out_of_range"),
        "sentinel": ("duration_s_sentinel", "bytes_down_sentinel"),
    }
    for defect, codes in grouped.items():
        assert sum(reasons[c] for c in codes) == defects[defect], defect
    assert {k: reasons[k] for k in expected} == dict(expected)
    assert set(reasons) <= set(expected) | {c for codes in grouped.values() for c in codes}
    assert cleanse_report(root)["feeds"]["cdr"]["repaired_encoding"] == defects["windows_1252"]


def test_other_feeds_quarantine_counts_match_the_injected_defects(spark, pipeline):
    root, _ = pipeline
    radio, reasons = injected(spark, root, "radio"), quarantine_reasons(spark, root, "radio")
    assert reasons["report_time_unparseable"] == radio["malformed_date"]
    assert reasons["signal_dbm_missing"] + reasons["cell_id_missing"] == radio["null_token"]
    assert reasons["signal_dbm_out_of_range"] == radio["out_of_range"]
    assert reasons["signal_dbm_sentinel"] == radio["sentinel"]
    assert reasons["wrong_field_count"] == radio["wrong_column_count"]
    assert sum(reasons.values()) == sum(radio.values())
    cells = injected(spark, root, "cells")
    assert quarantine_reasons(spark, root, "cells") == Counter({"azimuth_deg_missing": cells["null_token"]})
    assert cleanse_report(root)["feeds"]["cells"]["repaired_encoding"] == cells["windows_1252"]
    weather = injected(spark, root, "weather")
    assert quarantine_reasons(spark, root, "weather") == Counter(
        {k: v for k, v in {"rain_mm_h_missing": weather["null_token"],
                           "temperature_c_sentinel": weather["sentinel"]}.items() if v})


def test_valid_cdrs_are_the_generators_clean_values(spark, pipeline):
    root, _ = pipeline
    key = KEY.encode()
    merged, kept = bursts(spark, root)
    assert kept, "the day holds bursts of SMS in one probe's records, so silver is seen to keep them"
    truth = clean_cdrs(spark, root).where(~F.col("record_id").isin(*merged) if merged else F.lit(True))
    expected = truth.select(
        "record_id", "record_type", F.col("start_time_utc").alias("start_time"), "local_hour", "duration_s",
        hmac_sha256(F.col("calling_e164"), key).alias("calling_number"),
        hmac_sha256(F.col("called_e164"), key).alias("called_number"),
        hmac_sha256(F.col("imsi"), key).alias("imsi"), hmac_sha256(F.col("imei"), key).alias("imei"),
        "cell_id", "bytes_up", "bytes_down", F.col("release_cause").cast("int").alias("release_cause"),
        "outcome", "roaming", "tariff_plan")
    silver = table(spark, root, "silver", "cdr").select(*expected.columns)
    assert_df_equality(silver, expected, ignore_row_order=True, ignore_nullable=True, ignore_column_order=True)
    # among them, lines a Windows tool saved, with the characters of windows-1252's bytes 0x80-0x9F
    windows_only = truth.where((F.col("defect") == "windows_1252") & F.col("tariff_plan").rlike("[€’]"))
    assert windows_only.count() > 0


def test_pseudonyms_are_standard_hmac_sha256(spark, pipeline):
    """Independent oracle: Python's hmac on a sample of rows."""
    root, _ = pipeline
    truth = (table(spark, root, "truth", "cdr").where("defect is null")
             .select("record_id", "calling_e164", "imsi", "imei"))
    silver = table(spark, root, "silver", "cdr").select("record_id", "calling_number", "imsi", "imei")
    rows = truth.join(silver.withColumnsRenamed({"imsi": "p_imsi", "imei": "p_imei"}), "record_id").limit(200).collect()
    assert len(rows) == 200

    def mac(text):
        return hmac.new(KEY.encode(), text.encode(), hashlib.sha256).hexdigest()

    assert all(r.calling_number == mac(r.calling_e164) and r.p_imsi == mac(r.imsi) and r.p_imei == mac(r.imei)
               for r in rows)


def test_valid_radio_reports_are_the_generators_clean_values(spark, pipeline):
    root, _ = pipeline
    truth = table(spark, root, "truth", "radio").where(F.col("defect").isNull())
    expected = truth.select(
        F.timestamp_millis("report_epoch_ms").alias("report_time"),
        "call_id", "cell_id", F.col("signal_dbm").cast("int").alias("signal_dbm"),
        F.col("quality_db").cast("double").alias("quality_db"),
        F.col("timing_advance").cast("int").alias("timing_advance"),
        *[F.col(c).cast("double").alias(c) for c in ("latitude", "longitude", "speed_kmh")])
    silver = table(spark, root, "silver", "radio")
    assert_df_equality(silver.select(*expected.columns), expected, ignore_row_order=True, ignore_nullable=True)
    # the local hour is the report's own (a call's reports may run past midnight), by zoneinfo
    paris = ZoneInfo("Europe/Paris")
    for r in silver.select(F.unix_millis("report_time").alias("ms"), "local_hour").collect():
        assert dt.datetime.fromtimestamp(r.ms / 1000, paris).hour == r.local_hour


def test_valid_cells_are_the_generators_clean_values_windows_names_repaired(spark, pipeline):
    root, _ = pipeline
    truth = table(spark, root, "truth", "cells")
    assert truth.where(F.col("defect") == "windows_1252").count() > 0
    expected = truth.where(F.col("defect").isNull() | (F.col("defect") == "windows_1252")).select(
        "cell_id", F.col("site_id").cast("long").alias("site_id"), "site_name",
        *[F.col(c).cast("double").alias(c) for c in ("latitude", "longitude", "azimuth_deg")],
        "technology", F.col("band_mhz").cast("int").alias("band_mhz"), "antenna_type",
        F.col("antenna_height_m").cast("double").alias("antenna_height_m"),
        F.col("area_id").cast("int").alias("area_id"))
    silver = table(spark, root, "silver", "cells").select(*expected.columns)
    assert_df_equality(silver, expected, ignore_row_order=True, ignore_nullable=True)


def test_valid_weather_is_the_generators_clean_values_in_utc(spark, pipeline):
    """Local Paris hours to instants, with Python's zoneinfo as the oracle."""
    root, _ = pipeline
    paris = ZoneInfo("Europe/Paris")
    rows = table(spark, root, "truth", "weather").where(F.col("defect").isNull()).collect()
    assert len(rows) > 50
    expected = spark.createDataFrame(
        [(int(dt.datetime.combine(r.event_date, dt.time(r.hour), paris).timestamp()), int(r.hour), int(r.area_id),
          float(r.temperature_c), float(r.rain_mm_h), float(r.wind_kmh)) for r in rows],
        "observed_epoch_s long, local_hour int, area_id int, temperature_c double, rain_mm_h double, wind_kmh double")
    silver = table(spark, root, "silver", "weather").select(
        F.unix_seconds("observed_at").alias("observed_epoch_s"), *expected.columns[1:])
    assert_df_equality(silver, expected, ignore_row_order=True, ignore_nullable=True)


def test_rerun_leaves_identical_tables(spark, pipeline):
    root, _ = pipeline
    before = snapshot(spark, root)
    counts = {k: v.count() for k, v in before.items()}
    before = {k: v.collect() for k, v in before.items()}
    for name, body, extra in (("ingest", ingest.run, {}),
                              ("cleanse", cleanse.run, {"preflight": cleanse.load_pseudonym_key})):
        code, text = run_captured(name, body, job_args(root), **extra)
        assert code == 0, text[-3000:]
    after = snapshot(spark, root)
    for name, df in after.items():
        assert df.count() == counts[name], name
        assert sorted(map(repr, df.collect())) == sorted(map(repr, before[name])), name


def test_no_clear_identifier_in_any_output(spark, pipeline):
    root, outputs = pipeline
    identifiers = clear_identifiers(spark, root / "truth" / "cdr")
    texts = {}
    for zone in ("silver", "quarantine", "run_log"):
        folders = [root / zone] if zone == "run_log" else sorted((root / zone).iterdir())
        for folder in folders:
            texts[str(folder)] = table_digit_runs(spark.read.format("delta").load(str(folder)))
    for path in (root / "reports").rglob("*"):
        if path.is_file():
            texts[str(path)] = digit_runs(path.read_text(encoding="utf-8", errors="replace"))
    for job, printed in outputs.items():
        texts[f"{job} output"] = digit_runs(printed)
    assert_no_leak(texts, identifiers)
    # the scan itself finds identifiers where they are allowed: bronze holds the raw lines, some
    # numbers spaced as the switch printed them
    bronze = spark.read.format("delta").load(str(root / "bronze" / "cdr"))
    spaced = bronze.where(F.col("calling_number").rlike("^0[67] [0-9]{2} ")).select("calling_number").limit(20)
    runs = table_digit_runs(spaced)
    assert len(runs) > 5 and len(leaks(runs, identifiers)) == len(runs)
    assert leaks(table_digit_runs(bronze.select("imsi").limit(50)), identifiers)
