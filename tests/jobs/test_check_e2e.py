"""Generator with two staged incidents -> ingest -> cleanse -> check.

The generator withholds one hour of one probe's CDR files and prints 2% of the CDRs with a cell id
the cell list does not have. The check must fail exactly the two rules that catch these (hourly
completeness of the CDR files, the CDRs' cell ids against the cell list), pass every other rule of
``conf/quality.yaml``, stop the workflow (exit 3), name both in its reports, keep the history of
the date once however often it runs, and show no clear subscriber identifier.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import check, cleanse, generate, ingest
from jobs.check import HIDDEN
from jobs.runtime.job import EXIT_FAILED, EXIT_OK, EXIT_QUALITY, run_job
from jobs.runtime.quality_history import METRICS_SCHEMA
from tests.conftest import FAST_SPARK_SETTINGS, job_argv, pseudonym_key
from tests.identifiers import assert_no_leak, clear_identifiers, digit_runs, table_digit_runs

RUN_DATE = dt.date(2026, 11, 21)
SETTINGS = {
    "generate.scale.cdr_rows_per_day": 10000, "generate.scale.subscribers": 2000,
    "generate.scale.call_centres": 2, "generate.scale.sites": 60, "generate.scale.rail_lines": 1,
    "generate.scale.areas": 4, "generate.scale.partitions": 2, "generate.scale.files_per_hour": 2,
    # every probe hears calls in every hour at this scale, so only the withheld file is missing
    "generate.radio.sampled_call_fraction": 1.0,
    "generate.defects.orphan_cell_id": 0.02,
    "generate.incidents.missing_files": "[{feed: cdr, hour: 13, source: probe02}]",
}
EXPECTED_FAILURES = ["cdr.cell_in_cell_list", "cdr.cdr_files_every_hour"]


def args(root: Path, *extra: str):
    return job_argv(root, RUN_DATE, SETTINGS, extra)


def run_captured(name, body, argv, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = run_job(name, body, argv, spark_extra=FAST_SPARK_SETTINGS, **kwargs)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def checked(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("check")
    with pseudonym_key("check-e2e-key-0123456789abcdef"):
        for name, body, extra in (("generate", generate.run, {}), ("ingest", ingest.run, {}),
                                  ("cleanse", cleanse.run, {"preflight": cleanse.load_pseudonym_key})):
            code, text = run_captured(name, body, args(root), **extra)
            assert code == 0, text[-3000:]
        code, text = run_captured("check", check.run, args(root))
        yield root, code, text


def result(root: Path) -> dict:
    return json.loads((root / "reports" / "check" / f"{RUN_DATE}.json").read_text())


def failing(document: dict):
    return sorted(f"{name}.{r['name']}" for name, d in document["datasets"].items() for r in d["rules"]
                  if r["status"] in ("failed", "error"))


def test_exactly_the_two_staged_incidents_fail_and_stop_the_workflow(checked):
    root, code, text = checked
    assert code == EXIT_QUALITY, text[-3000:]
    document = result(root)
    assert failing(document) == sorted(EXPECTED_FAILURES)
    assert document["status"] == "failed" and sorted(document["critical_failures"]) == sorted(EXPECTED_FAILURES)
    rules = {r["name"]: r for r in document["datasets"]["cdr"]["rules"]}
    assert rules["cdr_files_every_hour"]["details"]["missing"] == {"probe02": [13]}
    orphans = rules["cell_in_cell_list"]["observed"]
    assert 0.015 < orphans < 0.035                     # 2% injected, plus calls on the quarantined cells
    # every other rule passes, but those that compare with earlier days: on a first run they say so
    others = {f"{name}.{r['name']}": r for name, d in document["datasets"].items() for r in d["rules"]
              if f"{name}.{r['name']}" not in EXPECTED_FAILURES}
    assert len(others) >= 30
    not_passed = {k: r for k, r in others.items() if r["status"] != "passed"}
    assert {r["type"] for r in not_passed.values()} <= {"volume_anomaly", "drift"}, not_passed
    assert all(r["status"] == "no_history" for r in not_passed.values()), not_passed
    assert all("first run: no history yet" in r["message"] for r in not_passed.values()
               if r["type"] == "volume_anomaly")
    assert all("today's is the first reference" in r["message"] for r in not_passed.values() if r["type"] == "drift")
    assert {"cdr.cdr_volume", "radio.radio_volume"} <= set(not_passed)
    # the flag the workflow's gate reads: the critical rules that failed
    flag = root / "reports" / "check" / f"{RUN_DATE}.critical"
    assert sorted(flag.read_text().split()) == sorted(EXPECTED_FAILURES)


def test_the_output_and_both_reports_name_the_failures(checked):
    root, _, text = checked
    assert "probe02: no rows in hour 13" in text
    assert "critical data-quality failure: 2 critical rule(s) failed" in text
    page = (root / "reports" / "check" / f"{RUN_DATE}.html").read_text()
    for name in ("cell_in_cell_list", "cdr_files_every_hour", "probe02: no rows in hour 13",
                 "are not in cells.cell_id"):
        assert name in page


def test_the_run_log_records_the_quality_failure(spark, checked):
    root, _, _ = checked
    record = (spark.read.format("delta").load(str(root / "run_log")).where("job = 'check'")
              .orderBy(F.col("started_at").desc()).first())
    assert (record.status, record.exit_code) == ("quality_failed", EXIT_QUALITY)
    assert "cdr.cell_in_cell_list" in record.message


def test_failing_rows_are_sampled_with_identifiers_masked(spark, checked):
    root, _, _ = checked
    samples = {r["name"]: r["samples"] for r in result(root)["datasets"]["cdr"]["rules"]}["cell_in_cell_list"]
    assert len(samples) == 5
    cells = {r.cell_id for r in spark.read.format("delta").load(str(root / "silver" / "cells")).collect()}
    for row in samples:
        assert list(row)[0] == "cell_id" and row["cell_id"] not in cells
        for identifier in ("calling_number", "called_number", "imsi", "imei"):    # pseudonyms in silver
            assert row[identifier] in (None, HIDDEN), row[identifier]
    assert any(row["calling_number"] == HIDDEN for row in samples)


def test_no_clear_identifier_in_the_reports_tables_or_output(spark, checked):
    root, _, printed = checked
    texts = {str(p): digit_runs(p.read_text()) for p in (root / "reports" / "check").glob("*.*")
             if p.suffix in (".json", ".html")}
    texts["check output"] = digit_runs(printed)
    for table in ("metrics", "outcomes"):
        texts[table] = table_digit_runs(spark.read.format("delta").load(str(root / "quality" / table)))
    assert_no_leak(texts, clear_identifiers(spark, root / "truth" / "cdr"))


def test_no_pseudonym_in_the_reports(spark, checked):
    """Pseudonyms are personal data too: no report shows one, whole or with its digits masked."""
    root, _, _ = checked
    silver = spark.read.format("delta").load(str(root / "silver" / "cdr"))
    pseudonyms = {v for r in silver.select("calling_number", "called_number", "imsi", "imei").collect() for v in r if v}
    assert len(pseudonyms) > 100
    shapes = pseudonyms | {re.sub("[0-9]", "9", p) for p in pseudonyms}
    text = "".join(p.read_text() for p in (root / "reports" / "check").glob("*.*") if p.suffix in (".json", ".html"))
    found = set(re.findall(r"[0-9a-f]{64}", text)) & shapes
    assert not found, sorted(found)[:3]


def sql_queries(spark, description: str) -> int:
    """How many SQL queries this session ran under the job description ``description`` (a job's
    step sets it: ``"<job>: <step>"``), from Spark's SQL status store."""
    executions = spark._jsparkSession.sharedState().statusStore().executionsList()
    return sum(1 for i in range(executions.size()) if executions.apply(i).description() == description)


def history(spark, root: Path):
    """The metrics of the run date and every outcome in the history, as DataFrames."""
    metrics = spark.read.format("delta").load(str(root / "quality" / "metrics"))
    return (metrics.where(F.col("run_date") == F.lit(RUN_DATE)),
            spark.read.format("delta").load(str(root / "quality" / "outcomes")))


@pytest.fixture(scope="module")
def rerun(spark, checked):
    """The check run a second time on the same day: the history's counts and each dataset's metrics
    queries (``"check: <dataset>: metrics"``) before it, and its exit code and output."""
    root, _, _ = checked
    metrics, outcomes = history(spark, root)
    counts_before = metrics.count(), outcomes.count()
    assert metrics.where("dataset = 'cdr' and metric = 'rows'").count() == 1
    steps = [f"check: {name}: metrics" for name in result(root)["datasets"]]
    queries_before = {step: sql_queries(spark, step) for step in steps}
    code, text = run_captured("check", check.run, args(root))
    return root, code, text, counts_before, queries_before


def test_a_rerun_replaces_the_date_in_the_history(spark, rerun):
    root, code, text, counts_before, _ = rerun
    assert code == EXIT_QUALITY, text[-2000:]
    metrics, outcomes = history(spark, root)
    assert (metrics.count(), outcomes.count()) == counts_before
    assert outcomes.select("run_id").distinct().count() == 1


def test_each_datasets_metrics_are_one_query(spark, rerun):
    """One pass: all aggregate metrics of a dataset, every rule type of conf included, come from a
    single Spark query (a rule computed apart would add one)."""
    _, code, text, _, queries_before = rerun
    assert code == EXIT_QUALITY, text[-2000:]
    assert len(queries_before) == 4
    assert {step: sql_queries(spark, step) - before for step, before in queries_before.items()} == {
        step: 1 for step in queries_before}


def test_warnings_only_exit_zero(checked):
    root, _, _ = checked
    relaxed = [f"quality.datasets.cdr.rules.{r}.severity=warning"
               for r in ("cell_in_cell_list", "cdr_files_every_hour")]
    code, text = run_captured("check", check.run, args(root, *relaxed))
    assert code == EXIT_OK, text[-2000:]
    document = result(root)
    assert document["status"] == "passed" and sorted(document["warnings"]) == sorted(EXPECTED_FAILURES)
    assert not (root / "reports" / "check" / f"{RUN_DATE}.critical").exists()


@pytest.fixture(scope="module")
def with_history(spark, checked):
    """The check run again after three earlier same weekdays twice as busy as today were added to
    the metrics history."""
    root, _, _ = checked
    today = result(root)["datasets"]["cdr"]["rows"]
    days = [RUN_DATE - dt.timedelta(days=7 * w) for w in (1, 2, 3)]
    history = [(d, "cdr", "rows", 2.0 * today, "seeded") for d in days]
    spark.createDataFrame(history, METRICS_SCHEMA).write.format("delta").mode("append").save(
        str(root / "quality" / "metrics"))
    code, text = run_captured("check", check.run, args(root))
    return root, code, text, days


def test_a_volume_drop_against_the_history_is_flagged(with_history):
    root, code, text, days = with_history
    assert code == EXIT_QUALITY, text[-2000:]
    rules = {r["name"]: r for r in result(root)["datasets"]["cdr"]["rules"]}
    volume = rules["cdr_volume"]
    assert volume["status"] == "failed", volume
    assert "-50% against" in volume["message"] and "same weekday, 3 days" in volume["message"]
    assert [point[0] for point in volume["history"]] == [d.isoformat() for d in reversed(days)] + [RUN_DATE.isoformat()]
    assert volume["history"][-1][2] is not None                    # today's band is drawn


# --------------------------------------------------------------------------------------------
# The HTML report in a real browser
# --------------------------------------------------------------------------------------------
def read_png(data: bytes):
    """(width, height, rows of RGB(A) pixel tuples) of an 8-bit, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), header
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Debian's chromium package is needed (make setup installs it)")
    return path


def screenshot_colours(page: Path, shot: Path) -> dict:
    """Pixel counts by colour of ``page`` rendered by headless Chromium, offline."""
    # An unreachable proxy: any network request would fail; the report needs none.
    completed = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                "--proxy-server=127.0.0.1:9", "--window-size=1200,2600",
                                f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0 and shot.exists(), completed.stderr[-2000:]
    width, height, rows = read_png(shot.read_bytes())
    assert (width, height) == (1200, 2600)
    colours = {}
    for row in rows:
        for pixel in row:
            colours[pixel] = colours.get(pixel, 0) + 1
    return colours


def test_the_html_report_renders_offline_in_headless_chromium_with_its_plots(with_history, tmp_path):
    """The report of the run with history: the volume drop's card (failed, so among the first) shows
    the history line and its anomaly band."""
    root, *_ = with_history
    page = root / "reports" / "check" / f"{RUN_DATE}.html"
    text = page.read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", text), "the report must not load anything"
    plotted = [r for d in result(root)["datasets"].values() for r in d["rules"]
               if any(p[1] is not None for p in r["history"])]
    assert len(plotted) >= 30 and text.count('<svg class="plot"') == len(plotted)
    limit = (0xEF, 0x6C, 0x00)            # the dashed threshold lines: drawn only inside the plots
    colours = screenshot_colours(page, tmp_path / "report.png")
    assert colours.get(limit, 0) > 500, "no threshold line drawn"
    assert colours.get((0xC6, 0x28, 0x28), 0) > 200, "failures not shown in red"
    series, band = (0x1F, 0x77, 0xB4), (0xCF, 0xE3, 0xF5)   # drawn only for a history of several days
    assert colours.get(series, 0) > 300, "no history line drawn"
    # today's band (each seeded day has fewer than three same weekdays before it: no band of its own)
    assert colours.get(band, 0) > 1000, "no anomaly band drawn"
    # The same page without its plots: the check above would notice.
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r"<svg .*?</svg>", "", text, flags=re.S))
    bare_colours = screenshot_colours(bare, tmp_path / "bare.png")
    assert bare_colours.get(limit, 0) == bare_colours.get(series, 0) == bare_colours.get(band, 0) == 0


def test_a_rerun_that_crashes_is_not_reported_as_the_earlier_runs_quality_stop(spark, checked, tmp_path):
    """The workflow's gate sends the data-quality alert when the flag exists: a rerun of a stopped
    day that then crashes (here: a metrics history it cannot read) must take the earlier flag away,
    so that the gate reports the crash."""
    root, *_ = checked
    flag = root / "reports" / "check" / f"{RUN_DATE}.critical"
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.write_text("cdr.cdr_files_every_hour\n")            # the earlier run's stop
    broken = tmp_path / "quality"
    spark.range(1).write.format("delta").save(str(broken / "metrics"))   # no metric columns
    code, text = run_captured("check", check.run, args(root, f"paths.quality={broken}"))
    assert code == EXIT_FAILED, text[-2000:]
    assert "UNRESOLVED_COLUMN" in text or "cannot be resolved" in text, text[-2000:]
    assert not flag.exists()
