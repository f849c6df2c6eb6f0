"""conf's per-hour completeness of CDRs on the 25-hour day of October, from the switches' local
times as cleanse reads them: every hour number has its file, so the rule passes.

A local time printed without an offset cannot say which of the two 02:00-03:00 hours it is in:
cleanse reads it in the first (summer) one. So conf's rule counts hours by the hour number a file's
path names (``hour=02`` holds both); counted by the timestamp, the second 02:00 hour would always be
missing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from jobs.cleanse import CLASSIFY_SETTINGS, classified, silver_rows
from jobs.runtime.config import load_config
from jobs.runtime.session import sql_settings
from tests.conftest import LOCAL_CONF
from tests.jobs.cdr_bronze import FEED, GOOD, SCHEMA, bronze_row
from transformations.quality.base import FAILED, PASSED, History
from transformations.quality.metrics import aggregated_metrics, judged, scanned_rows
from transformations.quality.rules import build_rules

AUTUMN = dt.date(2026, 10, 25)      # Europe/Paris: 03:00 CEST -> 02:00 CET
KEY = b"dst-day-test-key-0123456789abcdef"
RULE = "cdr_files_every_hour"


def call(record_id: int, local_time: str, hour: int):
    """A clean call of the autumn day at ``local_time``, from probe01's file of that hour."""
    fields = [f"20261025{record_id:08d}", "VOICE", f"2026-10-25 {local_time}", *GOOD[3:]]
    return bronze_row(fields, f"file:/data/raw/cdr/event_date=2026-10-25/hour={hour:02d}/source=probe01/part-0.txt.gz",
                      day=AUTUMN)


@pytest.fixture(scope="module")
def silver(spark):
    """One call in each hour of the day; hour=02 has a call in each of its two hours."""
    rows = [call(h, f"{h:02d}:20:00", h) for h in range(24)] + [call(99, "02:40:00", 2)]
    bronze = spark.createDataFrame(rows, SCHEMA)
    with sql_settings(spark, CLASSIFY_SETTINGS):      # as the job plans it
        return silver_rows(bronze.transform(classified(FEED, KEY)), FEED, "cleanse-1").cache()


def judge(silver, settings):
    rules = build_rules("cdr", {RULE: settings}, AUTUMN)
    values = scanned_rows(silver).transform(aggregated_metrics(rules, {})).first().asDict()
    (_, verdict), = judged(rules, values, History())
    return verdict


def test_every_hour_number_delivered_passes_conf_s_rule(silver):
    assert silver.count() == 25
    settings = load_config(str(LOCAL_CONF)).quality.datasets["cdr"].rules[RULE]
    verdict = judge(silver, settings)
    assert verdict.status == PASSED, verdict.message


def test_by_the_timestamp_the_second_0200_hour_would_always_be_missing(silver):
    settings = load_config(str(LOCAL_CONF)).quality.datasets["cdr"].rules[RULE]
    verdict = judge(silver, replace(settings, hour_column="start_time", hour_pattern=None))
    assert verdict.status == FAILED
    assert verdict.message == "1 (source, hour) missing: probe01: no rows in hour 02 (UTC+01:00)"
