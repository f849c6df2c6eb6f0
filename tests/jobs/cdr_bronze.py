"""Bronze CDR rows as ingest lands them, for the tests that run cleanse's steps on a few rows."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from jobs.runtime.config import load_config
from tests.conftest import LOCAL_CONF
from transformations.ingestion.bronze import (EXPECTED_FIELD_COUNT, FIELD_COUNT, FILE_PROBLEM, INGEST_TIME, LINE,
                                              RUN_ID, SOURCE_FILE)

FEED = load_config(str(LOCAL_CONF)).feeds["cdr"]
CALLING, CALLED, IMSI, IMEI = "0612345678", "+33698765432", "208011234567890", "490154203237518"
# a clean record's fields, in the feed's order
GOOD = ["2026112100000001", "VOICE", "2026-11-21 10:00:00", "60", CALLING, CALLED, IMSI, IMEI, "208-01-100-5",
        "0", "0", "16", "N", "Prépayé"]
SCHEMA = ", ".join(f"`{c}` string" for c in FEED.fields) + (
    f", {LINE} string, {FIELD_COUNT} int, {EXPECTED_FIELD_COUNT} int, {FILE_PROBLEM} string, "
    f"{SOURCE_FILE} string, {RUN_ID} string, {INGEST_TIME} timestamp, event_date date")


def bronze_row(fields: Sequence[str], file: str = "file:/raw/x.gz", expected: int = len(GOOD),
               day: dt.date = dt.date(2026, 11, 21)) -> tuple:
    """A bronze row (:data:`SCHEMA`) of a line of ``fields`` read from ``file`` in the raw
    directory of ``day``: the fields by position, null past the line's end."""
    values = (list(fields) + [None] * len(GOOD))[:len(GOOD)]
    return tuple(values) + (";".join(fields), len(fields), expected, None, file, "ingest-1",
                            dt.datetime.combine(day, dt.time(1)), day)
