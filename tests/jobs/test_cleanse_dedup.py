"""Probe duplicates in cleanse with the CDR feed of conf: the probe that wrote a record is read
from its file's path (``feeds.cdr.source_pattern``), so a probe's own burst of SMS stays several
messages even when an hour's end splits it between two of its files, and only another probe's
records repeat it."""
from __future__ import annotations

import pytest

from jobs.cleanse import CLASSIFY_SETTINGS, KIND, classified
from jobs.runtime.session import sql_settings
from tests.jobs.cdr_bronze import FEED, GOOD, SCHEMA, bronze_row
from transformations.cleansing.duplicates import DUPLICATE_OF

KEY = b"dedup-test-key-0123456789abcdef"
DAY = "file:/data/raw/cdr/event_date=2026-11-21"


def record(record_id: str, start: str, file: str):
    """A clean SMS from one subscriber to one contact, as ingest lands it from ``file``."""
    return bronze_row([record_id, "SMS", f"2026-11-21 {start}", "0", *GOOD[4:]], f"{DAY}/{file}")


@pytest.fixture(scope="module")
def kinds(spark):
    """Each record's (kind, survivor) after cleanse's classification, by record id."""
    # 14:59:58 and 15:00:01 local: probe01's burst lands in its files of hours 14 and 15; probe02
    # saw the same two messages; a file no source pattern describes is a source of its own.
    rows = [record("a1", "14:59:58", "hour=14/source=probe01/part-0.txt.gz"),
            record("a2", "15:00:01", "hour=15/source=probe01/part-0.txt.gz"),
            record("b1", "14:59:58", "hour=14/source=probe02/part-0.txt.gz"),
            record("b2", "15:00:01", "hour=15/source=probe02/part-0.txt.gz"),
            record("c1", "15:00:02", "late-delivery.txt.gz")]
    bronze = spark.createDataFrame(rows, SCHEMA)
    with sql_settings(spark, CLASSIFY_SETTINGS):      # as the job plans it
        out = bronze.transform(classified(FEED, KEY)).select("record_id", KIND, DUPLICATE_OF).collect()
    return {r.record_id: (r[KIND], r[DUPLICATE_OF]) for r in out}


def test_a_probes_burst_across_an_hours_end_stays_two_messages(kinds):
    assert (kinds["a1"], kinds["a2"]) == (("valid", None), ("valid", None))


def test_the_other_probes_records_and_a_file_of_no_known_probe_repeat_the_survivor(kinds):
    assert {k: kinds[k] for k in ("b1", "b2", "c1")} == {k: ("duplicate", "a1") for k in ("b1", "b2", "c1")}
