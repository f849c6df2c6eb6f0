"""An ingest or cleanse run killed with SIGKILL in the middle of a write leaves that table at its
previous version, readable and complete; the next run succeeds and gives the same tables. A write
that fails puts back the tables the run already wrote."""
from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import functions as F

from jobs import cleanse, ingest
from jobs.runtime.job import run_job
from tests.conftest import FAST_SPARK_SETTINGS, PROJECT_ROOT, job_argv, pseudonym_key

RUN_DATE = dt.date(2026, 11, 21)
KEY = "kill-test-key-0123456789abcdef"
HEADER = ("record_id;record_type;start_time;duration_s;calling_number;called_number;imsi;imei;cell_id;"
          "bytes_up;bytes_down;release_cause;roaming;tariff_plan")
# The killed job runs with the tests' settings, but many shuffle partitions and no coalescing: the
# silver write becomes a hundred small tasks, a window of seconds (~7 s here) in which the job has
# written data files but not committed them.
SLOW_WRITE = {**{k: v for k, v in FAST_SPARK_SETTINGS.items() if k != "spark.master"},
              "spark.sql.shuffle.partitions": "100", "spark.sql.adaptive.enabled": "false",
              "spark.driver.memory": "1g"}
RUN_COLUMNS = ("_ingest_run_id", "_ingest_time", "_cleanse_run_id")
TABLES = [("bronze", "cdr"), ("silver", "cdr"), ("quarantine", "cdr")]


def cdr_line(i: int) -> str:
    national = f"6{(i * 7919) % 100_000_000:08d}"
    return ";".join([f"2026112100{i:08d}", "VOICE", f"2026-11-21 {i % 24:02d}:{i % 60:02d}:00",
                     "abc" if i % 50 == 0 else str(i % 300),   # quarantined: the quarantine write has files too
                     f"0{national}", "+33698765432", f"20801{i:010d}", "490154203237518", "208-01-100-5",
                     "0", "0", "16", "N", "Prépayé" if i % 3 else "-999x"])


def write_raw_day(root: Path, records: int = 3000, files: int = 4) -> None:
    folder = root / "raw" / "cdr" / f"event_date={RUN_DATE}"
    folder.mkdir(parents=True)
    for f in range(files):
        lines = [HEADER] + [cdr_line(i) for i in range(f, records, files)]
        (folder / f"part-{f}.txt.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def args_for(root: Path, extra=()):
    return job_argv(root, RUN_DATE, extra=extra)


def snapshot(spark, root: Path):
    """Each table's rows without the run's ids and times, source files relative to the raw zone."""
    result = {}
    for zone, feed in TABLES:
        df = spark.read.format("delta").load(str(root / zone / feed))
        df = df.drop(*[c for c in RUN_COLUMNS if c in df.columns])
        df = df.withColumn("_source_file", F.regexp_replace("_source_file", "^.*/raw/", "raw/"))
        result[(zone, feed)] = sorted(map(repr, df.collect()))
    return result


def versions(root: Path):
    return {(zone, feed): sorted(p.name for p in (root / zone / feed / "_delta_log").glob("*.json"))
            for zone, feed in TABLES}


def data_files(root: Path, zone: str, feed: str) -> set:
    return {str(p) for p in (root / zone / feed).rglob("*.parquet")}


@pytest.fixture(autouse=True)
def key_in_environment(monkeypatch):
    monkeypatch.setenv("CDR_PSEUDONYM_KEY", KEY)


def ingested_and_cleansed_day(root: Path, key: str, records: int = 3000, files: int = 4) -> Path:
    """A raw day written under ``root``, then ingested and cleansed with ``key``."""
    write_raw_day(root, records, files)
    with pseudonym_key(key):
        assert run_job("ingest", ingest.run, args_for(root), spark_extra=FAST_SPARK_SETTINGS) == 0
        assert run_job("cleanse", cleanse.run, args_for(root), spark_extra=FAST_SPARK_SETTINGS,
                       preflight=cleanse.load_pseudonym_key) == 0
    return root


def copied_day(root: Path, tmp_path: Path) -> Path:
    """A copy of a day's zones for one test (Delta tables hold relative paths: a copy is a table)."""
    copy = tmp_path / "day"
    shutil.copytree(root, copy)
    return copy


@pytest.fixture(scope="module")
def ingested_and_cleansed(spark, tmp_path_factory):
    """A raw day, ingested and cleansed once for the module."""
    # one task per file: the ingest write lasts long enough to be killed
    return ingested_and_cleansed_day(tmp_path_factory.mktemp("day"), KEY, files=120)


@pytest.fixture
def first_version(ingested_and_cleansed, tmp_path):
    return copied_day(ingested_and_cleansed, tmp_path)


@pytest.mark.parametrize("job, zone", [("cleanse", "silver"), ("ingest", "bronze")])
def test_sigkill_mid_write_keeps_the_previous_version(spark, first_version, job, zone):
    """Killed while writing ``zone``: that table and the ones written after it stay at their
    previous version (the ones written before it hold this run's commit, the same rows: the input
    did not change). Delta has no transaction across tables; the next run replaces the date."""
    root = first_version
    before, logs_before = snapshot(spark, root), versions(root)
    files_before = data_files(root, zone, "cdr")
    assert len(before[("silver", "cdr")]) > 1000

    overrides = [f"runtime.spark.{k}={v}" for k, v in SLOW_WRITE.items()] + ["runtime.master=local[2]"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "CDR_PSEUDONYM_KEY": KEY}
    process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "jobs" / f"{job}.py"), *args_for(root, overrides)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed_mid_write = False
    try:
        deadline = time.time() + 240
        while time.time() < deadline and process.poll() is None:
            if data_files(root, zone, "cdr") - files_before:   # data written, not yet committed
                os.killpg(process.pid, signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert killed_mid_write, f"{job} ended before its {zone} write could be interrupted"
    assert process.returncode == -signal.SIGKILL

    # new data files were left behind, but no commit: readers see the previous version, complete
    assert data_files(root, zone, "cdr") - files_before
    unwritten = TABLES[[z for z, _ in TABLES].index(zone):]
    assert {t: versions(root)[t] for t in unwritten} == {t: logs_before[t] for t in unwritten}
    assert snapshot(spark, root) == before

    # the next run of the job succeeds and gives the same tables
    body, extra = (ingest.run, {}) if job == "ingest" else (cleanse.run, {"preflight": cleanse.load_pseudonym_key})
    assert run_job(job, body, args_for(root), spark_extra=FAST_SPARK_SETTINGS, **extra) == 0
    assert snapshot(spark, root) == before


def test_a_failed_write_puts_back_the_tables_already_written(spark, first_version):
    """The quarantine write fails after silver was committed (its table's schema was changed by
    hand): the job fails, naming the problem, and silver is put back as it was before the run."""
    root = first_version
    write_raw_day(root / "more", records=400, files=1)              # a late file: the rerun differs
    late = root / "raw" / "cdr" / f"event_date={RUN_DATE}" / "part-late.txt.gz"
    (root / "more" / "raw" / "cdr" / f"event_date={RUN_DATE}" / "part-0.txt.gz").rename(late)
    assert run_job("ingest", ingest.run, args_for(root), spark_extra=FAST_SPARK_SETTINGS) == 0
    quarantine = str(root / "quarantine" / "cdr")
    (spark.read.format("delta").load(quarantine).withColumn("reasons", F.lit(1))
     .write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(quarantine))
    silver_before = snapshot(spark, root)[("silver", "cdr")]
    silver_versions = len(versions(root)[("silver", "cdr")])

    code = run_job("cleanse", cleanse.run, args_for(root), spark_extra=FAST_SPARK_SETTINGS,
                   preflight=cleanse.load_pseudonym_key)
    assert code != 0
    assert snapshot(spark, root)[("silver", "cdr")] == silver_before
    # written, then put back: two new versions, the restore last
    assert len(versions(root)[("silver", "cdr")]) == silver_versions + 2
    last = DeltaTable.forPath(spark, str(root / "silver" / "cdr")).history(1).first()
    assert last.operation == "RESTORE"
