"""Local wall-clock texts and epochs become instants independent of the session time zone, with
java.time's daylight-saving rules; malformed texts become null and are flagged, never raise.

Instants are compared as epoch milliseconds (``unix_millis``): collecting a TIMESTAMP into Python
would convert it with the Python process's own zone.
"""
import datetime as dt

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from transformations.cleansing.reasons import REASONS
from transformations.cleansing.timestamps import cleanse_timestamp, local_days_from, local_hour, parse_local_timestamp

PARIS = "Europe/Paris"
TZ_KEY = "spark.sql.session.timeZone"


def utc_ms(iso):
    """Epoch milliseconds of an ISO date-time read as UTC (the expected values, written by hand)."""
    instant = dt.datetime.fromisoformat(iso).replace(tzinfo=dt.timezone.utc)
    return (instant - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)


@pytest.fixture(params=["UTC", "America/New_York"])
def session_tz(spark, request):
    """Run the test once per session time zone; the results must not change."""
    previous = spark.conf.get(TZ_KEY)
    spark.conf.set(TZ_KEY, request.param)
    try:
        yield request.param
    finally:
        spark.conf.set(TZ_KEY, previous)


def check_parse(spark, cases, formats, time_zone=PARIS):
    df = spark.createDataFrame([(raw, None if iso is None else utc_ms(iso)) for raw, iso in cases],
                               "raw string, expected bigint")
    actual = F.unix_millis(parse_local_timestamp(F.col("raw"), formats, time_zone))
    assert_column_equality(df.withColumn("actual", actual), "actual", "expected")


def test_the_session_time_zone_really_changes(spark, session_tz):
    # control: a naive parse does depend on the session zone, so the tests below are meaningful
    naive = spark.range(1).select(F.unix_seconds(F.to_timestamp(F.lit("2025-11-21 09:00:00"))).alias("s"))
    offset_hours = {"UTC": 0, "America/New_York": 5}[session_tz]
    assert naive.first().s == utc_ms("2025-11-21T09:00:00") // 1000 + offset_hours * 3600


def test_each_feed_format_in_winter_and_summer(spark, session_tz):
    check_parse(spark, [("2026-01-15 10:00:00", "2026-01-15T09:00:00"),           # CET, +01:00
                        ("2026-07-14 22:15:30", "2026-07-14T20:15:30"),           # CEST, +02:00
                        ("2025-12-31 23:59:59", "2025-12-31T22:59:59"),
                        (" 2026-01-15 10:00:00\t", "2026-01-15T09:00:00")], ["yyyy-MM-dd HH:mm:ss"])
    check_parse(spark, [("21/11/2025 09:00:00", "2025-11-21T08:00:00"),
                        ("01/08/2026 00:30:00", "2026-07-31T22:30:00")], ["dd/MM/yyyy HH:mm:ss"])
    check_parse(spark, [("20251121090000", "2025-11-21T08:00:00"),
                        ("20260801003000", "2026-07-31T22:30:00")], ["yyyyMMddHHmmss"])
    check_parse(spark, [("2025-11-21 09:00", "2025-11-21T08:00:00"),
                        ("2026-08-01 00:30", "2026-07-31T22:30:00")], ["yyyy-MM-dd HH:mm"])


def test_epochs_are_utc_not_local(spark, session_tz):
    check_parse(spark, [("1763712000", "2025-11-21T08:00:00"),
                        ("999999999", "2001-09-09T01:46:39"),            # 9 digits
                        ("-100000000", "1966-10-31T14:13:20"),
                        ("17637120", None),                             # 8 digits
                        ("17637120000", None),                          # 11 digits
                        ("+1763712000", None),
                        ("1763712000.5", None)], ["epoch_s"])
    check_parse(spark, [("1763712000123", "2025-11-21T08:00:00.123"),
                        ("999999999999", "2001-09-09T01:46:39.999"),   # 12 digits
                        ("1763712000", None),
                        ("17637120001234", None)], ["epoch_ms"])


def test_compact_pattern_and_epochs_do_not_swallow_each_other(spark, session_tz):
    cases = [("20251121090000", "2025-11-21T08:00:00"),     # 14 digits: yyyyMMddHHmmss only
             ("1763712000", "2025-11-21T08:00:00"),          # 10 digits: epoch_s only
             ("1763712000123", "2025-11-21T08:00:00.123")]   # 13 digits: epoch_ms only
    check_parse(spark, cases, ["yyyyMMddHHmmss", "epoch_s", "epoch_ms"])
    check_parse(spark, cases, ["epoch_ms", "epoch_s", "yyyyMMddHHmmss"])
    check_parse(spark, [("1763712000", None), ("1763712000123", None), ("2025112109", None)],
                ["yyyyMMddHHmmss"])
    check_parse(spark, [("20251121090000", None)], ["epoch_s", "epoch_ms"])


def test_daylight_saving_gap_and_overlap_follow_java_time(spark, session_tz):
    check_parse(spark, [
        ("2026-03-29 01:59:59", "2026-03-29T00:59:59"),   # last winter second
        ("2026-03-29 02:30:00", "2026-03-29T01:30:00"),   # in the gap: read as 03:30+02:00
        ("2026-03-29 03:00:00", "2026-03-29T01:00:00"),   # first summer wall-clock time
        ("2026-10-25 01:59:59", "2026-10-24T23:59:59"),
        ("2026-10-25 02:30:00", "2026-10-25T00:30:00"),   # ambiguous: the earlier (summer) offset
        ("2026-10-25 03:00:00", "2026-10-25T02:00:00"),
        ("2026-03-08 02:30:00", "2026-03-08T01:30:00"),   # New York's gap: nothing special in Paris
        ("2026-11-01 01:30:00", "2026-11-01T00:30:00"),   # New York's overlap: nothing special in Paris
    ], ["yyyy-MM-dd HH:mm:ss"])


def test_formats_are_tried_in_order(spark, session_tz):
    day_first, month_first = "dd/MM/yyyy HH:mm:ss", "MM/dd/yyyy HH:mm:ss"
    check_parse(spark, [("01/02/2026 10:00:00", "2026-02-01T09:00:00"),
                        ("13/02/2026 10:00:00", "2026-02-13T09:00:00")], [day_first, month_first])
    check_parse(spark, [("01/02/2026 10:00:00", "2026-01-02T09:00:00"),
                        ("13/02/2026 10:00:00", "2026-02-13T09:00:00")], [month_first, day_first])
    check_parse(spark, [("2025-11-21 09:00:00", "2025-11-21T08:00:00"),
                        ("2025-11-21 09:00", "2025-11-21T08:00:00")], ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"])


def test_malformed_texts_are_null_never_an_error(spark, session_tz):
    formats = ["yyyy-MM-dd HH:mm:ss", "dd/MM/yyyy HH:mm:ss", "yyyyMMddHHmmss", "yyyy-MM-dd HH:mm",
               "epoch_s", "epoch_ms"]
    check_parse(spark, [(raw, None) for raw in [
        "2026-11-21 25:61:00", "2026-11-21 24:00:00", "21/13/2026 10:00:00", "2026-02-30 10:00:00",
        "2026-11-21T", "2026-11-21T10:00:00", "2026-11-21 10:00:00+0100", "2026-11-21", "N/A", "",
        "17x", "NaN", "-", "2026-1-5 10:00:00", "20261121250000", None]], formats)


def test_local_hour_is_independent_of_the_session_time_zone(spark, session_tz):
    df = spark.createDataFrame([
        (utc_ms("2026-01-15T09:00:00"), 10),
        (utc_ms("2026-07-14T20:15:30"), 22),
        (utc_ms("2026-10-25T00:30:00"), 2),    # 02:30+02:00
        (utc_ms("2026-10-25T01:30:00"), 2),    # 02:30+01:00, an hour later: same local hour
        (utc_ms("2026-03-29T00:59:59"), 1),
        (utc_ms("2026-03-29T01:00:00"), 3),    # 02:00 never shows
        (utc_ms("2025-12-31T23:30:00"), 0),
        (utc_ms("1966-10-31T14:13:20"), 15),
        (None, None),
    ], "ms bigint, expected int")
    result = df.withColumn("actual", local_hour(F.timestamp_millis("ms"), PARIS))
    assert_column_equality(result, "actual", "expected")
    in_new_york = df.select(local_hour(F.timestamp_millis("ms"), "America/New_York").alias("h"))
    assert [r.h for r in in_new_york.collect()] == [4, 16, 20, 21, 20, 21, 18, 9, None]


def test_local_days_from_counts_local_dates_independent_of_the_session_time_zone(spark, session_tz):
    day = dt.date(2026, 11, 21)
    df = spark.createDataFrame([
        (utc_ms("2026-11-20T22:59:59"), day, -1),    # 23:59:59 on the 20th in Paris
        (utc_ms("2026-11-20T23:00:00"), day, 0),     # midnight of the 21st in Paris, 23:00 in UTC
        (utc_ms("2026-11-21T22:59:59"), day, 0),
        (utc_ms("2026-11-21T23:00:00"), day, 1),
        (utc_ms("2026-03-28T23:30:00"), dt.date(2026, 3, 29), 0),    # 00:30+01:00 on the spring-forward day
        (utc_ms("2026-03-29T21:59:59"), dt.date(2026, 3, 29), 0),    # 23:59:59+02:00, same day
        (utc_ms("2026-11-21T12:00:00"), dt.date(2025, 11, 21), 365),
        (utc_ms("1966-10-31T14:13:20"), dt.date(1966, 11, 1), -1),    # before the epoch: floor, not truncation
        (None, day, None),
        (utc_ms("2026-11-21T12:00:00"), None, None),
    ], "ms bigint, day date, expected int")
    result = df.withColumn("actual", local_days_from(F.timestamp_millis("ms"), F.col("day"), PARIS))
    assert_column_equality(result, "actual", "expected")


def test_cleanse_timestamp_reasons_and_local_hour(spark, session_tz):
    df = spark.createDataFrame([(1, "2026-10-25 02:30:00"), (2, "20261025023000"), (3, "1763712000"),
                                (4, "NULL"), (5, None), (6, " "), (7, "2026-11-21 25:61:00"), (8, "N/A")],
                               "id int, start_raw string")
    step = cleanse_timestamp("start_raw", "start_at", ["yyyy-MM-dd HH:mm:ss", "yyyyMMddHHmmss", "epoch_s"],
                             PARIS, local_hour_column="start_hour")
    result = df.transform(step)
    assert result.count() == 8
    assert dict(result.dtypes)["start_at"] == "timestamp"
    got = {r.id: (r.ms, r.start_hour, r[REASONS])
           for r in result.select("id", F.unix_millis("start_at").alias("ms"), "start_hour", REASONS).collect()}
    assert got == {
        1: (utc_ms("2026-10-25T00:30:00"), 2, []),
        2: (utc_ms("2026-10-25T00:30:00"), 2, []),
        3: (utc_ms("2025-11-21T08:00:00"), 9, []),
        4: (None, None, ["start_at_missing"]),
        5: (None, None, ["start_at_missing"]),
        6: (None, None, ["start_at_missing"]),
        7: (None, None, ["start_at_unparseable"]),
        8: (None, None, ["start_at_unparseable"]),
    }
    optional = df.transform(cleanse_timestamp("start_raw", "start_raw", ["yyyy-MM-dd HH:mm:ss"], PARIS,
                                              required=False))
    assert "start_hour" not in optional.columns
    assert {r.id: r[REASONS] for r in optional.collect()} == {
        1: [], 2: ["start_raw_unparseable"], 3: ["start_raw_unparseable"], 4: [], 5: [], 6: [],
        7: ["start_raw_unparseable"], 8: ["start_raw_unparseable"]}
    assert dict(optional.dtypes)["start_raw"] == "timestamp"     # replaced in place


def test_a_time_far_from_its_directorys_date_is_out_of_range_by_local_date(spark, session_tz):
    """Bounds in local (Paris) dates around the raw directory's date, 21 November 2026: at most 7
    days before, 1 day after."""
    day = dt.date(2026, 11, 21)
    df = spark.createDataFrame([
        (1, "2026-11-14 00:00:00", day),   # 7 days before: kept
        (2, "2026-11-13 23:59:59", day),   # 8 days before
        (3, "2026-11-22 23:59:59", day),   # the day after: kept (a call's reports run past midnight)
        (4, "2026-11-23 00:00:00", day),   # 2 days after
        (5, "1763679600", day),            # epoch 2025-11-20T23:00:00Z: 21 November 2025, a year off
        (6, "2026112109", day),            # a cut yyyyMMddHH read as epoch seconds: 2034
        (7, "1794612600", day),            # 2026-11-13T23:30:00Z: 14 November 00:30 in Paris: kept
        (8, "1795302000", day),            # 2026-11-21T23:00:00Z: 22 November 00:00 in Paris: kept
        (9, "garbage", day),               # unparseable only
    ], "id int, t string, event_date date")
    step = cleanse_timestamp("t", "t", ["yyyy-MM-dd HH:mm:ss", "epoch_s"], PARIS, day_column="event_date",
                             max_days_before=7, max_days_after=1)
    assert {r.id: r[REASONS] for r in df.transform(step).collect()} == {
        1: [], 2: ["t_out_of_range"], 3: [], 4: ["t_out_of_range"], 5: ["t_out_of_range"],
        6: ["t_out_of_range"], 7: [], 8: [], 9: ["t_unparseable"]}
    only_before = cleanse_timestamp("t", "t", ["yyyy-MM-dd HH:mm:ss", "epoch_s"], PARIS, day_column="event_date",
                                    max_days_before=7)
    assert sorted(r.id for r in df.transform(only_before).where(F.size(REASONS) > 0).collect()) == [2, 5, 9]
