"""Freshness, late arrival and per-source hourly completeness."""
from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from jobs.runtime.config import QualityRule
from transformations.quality.base import FAILED, History, NO_DATA, PASSED
from transformations.quality.rules import build_rules

from .conftest import RUN_DATE


def times(spark, *values):
    return spark.createDataFrame([(v,) for v in values], "t timestamp")


def test_freshness_is_the_lag_of_the_latest_time_behind_the_end_of_the_run_date(spark, check):
    df = times(spark, dt.datetime(2026, 11, 21, 20, 0), dt.datetime(2026, 11, 21, 21, 30), None)
    _, v = check(df, fresh={"type": "freshness", "column": "t", "max_lag_hours": 3},
                 strict={"type": "freshness", "column": "t", "max_lag_hours": 2})
    assert v["fresh"].observed == 2.5 and v["fresh"].status == PASSED
    assert v["strict"].status == FAILED
    assert "2026-11-21 21:30:00 UTC" in v["strict"].message


def test_freshness_of_a_date_counts_the_whole_day_and_nothing_at_all_fails(spark, check):
    df = spark.createDataFrame([(dt.date(2026, 11, 13),)], "d date")
    _, v = check(df, week={"type": "freshness", "column": "d", "max_lag_hours": 192})
    assert v["week"].observed == 192 and v["week"].status == PASSED
    _, v = check(spark.createDataFrame([], "d date"), week={"type": "freshness", "column": "d"})
    assert v["week"].status == FAILED and "nothing arrived" in v["week"].message


def test_late_arrival_counts_rows_before_the_run_date_less_the_lateness(spark, check):
    df = times(spark, dt.datetime(2026, 11, 20, 21, 59), dt.datetime(2026, 11, 20, 22, 0),
               dt.datetime(2026, 11, 21, 10, 0), dt.datetime(2026, 11, 19, 0, 0))
    values, v = check(df, late={"type": "late_arrival", "column": "t", "lateness_hours": 2, "max_ratio": 0.25})
    assert values["late:late"] == 2 and v["late"].status == FAILED


def test_in_a_feeds_time_zone_the_day_ends_and_starts_at_local_midnight_whatever_the_season(spark, check):
    """The raw directories hold Paris days: 23:00 UTC ends 21 November (UTC+1), 22:00 UTC ends
    15 July (UTC+2). In UTC the same feed would look an hour staler in winter than in summer."""
    paris = "Europe/Paris"
    fresh = {"type": "freshness", "column": "t", "max_lag_hours": 3, "time_zone": paris}
    late = {"type": "late_arrival", "column": "t", "lateness_hours": 2, "max_ratio": 1.0, "time_zone": paris}
    winter = times(spark, dt.datetime(2026, 11, 20, 20, 59), dt.datetime(2026, 11, 20, 21, 0),
                   dt.datetime(2026, 11, 21, 21, 30))
    values, v = check(winter, fresh=fresh, late=late)
    assert v["fresh"].observed == 1.5 and "end of 2026-11-21 (Europe/Paris)" in v["fresh"].message
    assert values["late:late"] == 1 and "before 2026-11-20 21:00 UTC" in v["late"].message
    summer = times(spark, dt.datetime(2026, 7, 14, 19, 59), dt.datetime(2026, 7, 14, 20, 0),
                   dt.datetime(2026, 7, 15, 21, 30))
    values, v = check(summer, run_date=dt.date(2026, 7, 15), fresh=fresh, late=late)
    assert v["fresh"].observed == 0.5 and values["late:late"] == 1
    # a date column's day ends at local midnight too: 13 November ends at 2026-11-13 23:00 UTC
    dates = spark.createDataFrame([(dt.date(2026, 11, 13),)], "d date")
    _, v = check(dates, week={"type": "freshness", "column": "d", "time_zone": paris})
    assert v["week"].observed == 192


def hourly(spark, pairs):
    return spark.createDataFrame([(f"/raw/cdr/event_date=2026-11-21/hour={h:02d}/source={s}/part-0.gz", h)
                                  for s, h in pairs], "_source_file string, local_hour int")


RULE = {"type": "hourly_completeness", "hour_column": "local_hour", "source_column": "_source_file",
        "source_pattern": "source=([^/]+)"}


def test_a_missing_hour_of_one_source_is_named(spark, check):
    pairs = [(s, h) for s in ("probe01", "probe02") for h in range(24) if (s, h) != ("probe02", 13)]
    values, v = check(hourly(spark, pairs * 2), files=RULE)
    assert v["files"].status == FAILED and v["files"].observed == 1
    assert v["files"].details["missing"] == {"probe02": [13]}
    assert "probe02: no rows in hour 13" in v["files"].message
    _, v = check(hourly(spark, pairs), files={**RULE, "max_missing": 1})
    assert v["files"].status == PASSED


def test_a_source_silent_all_day_is_missing_when_the_history_knows_it(spark, check):
    pairs = [("probe01", h) for h in range(24)]
    history = History({"files:source.probe03.hours": [(RUN_DATE - dt.timedelta(days=1), 24.0)],
                       "files:source.probe04.hours": [(RUN_DATE - dt.timedelta(days=30), 24.0)]})
    _, v = check(hourly(spark, pairs), history=history, files=RULE)
    assert v["files"].details["missing"] == {"probe03": list(range(24))}
    assert "probe03: nothing all day" in v["files"].message
    assert v["files"].recorded["files:source.probe01.hours"] == 24


def test_the_hour_skipped_by_a_dst_change_is_not_expected(spark, check):
    spring = dt.date(2026, 3, 29)                               # Europe/Paris: 02:00 -> 03:00
    pairs = [("probe01", h) for h in range(24) if h != 2]
    _, v = check(hourly(spark, pairs), run_date=spring, files={**RULE, "time_zone": "Europe/Paris"})
    assert v["files"].status == PASSED
    _, v = check(hourly(spark, pairs), run_date=spring, files=RULE)
    assert v["files"].details["missing"] == {"probe01": [2]}


def test_a_timestamp_hour_column_is_read_in_the_rules_time_zone(spark, check):
    # 29 March 2026 in Paris runs from 22:00 UTC on the 28th to 21:59 UTC (23 hours): one record
    # per local hour. Read as a UTC day, it would miss its first hour and its rows of 22:xx UTC.
    stamps = [dt.datetime(2026, 3, 28, 23, 30) + dt.timedelta(hours=i) for i in range(23)]
    df = spark.createDataFrame([("/source=probe01/x.gz", t) for t in stamps], "_source_file string, t timestamp")
    rule = {**RULE, "hour_column": "t", "time_zone": "Europe/Paris"}
    _, v = check(df, run_date=dt.date(2026, 3, 29), files=rule)
    assert v["files"].status == PASSED, v["files"].message
    _, v = check(df.where(F.col("t") != dt.datetime(2026, 3, 29, 12, 30)), run_date=dt.date(2026, 3, 29), files=rule)
    assert v["files"].details["missing"] == {"probe01": [14]}    # 12:30 UTC is 14:30 in Paris (UTC+2)


def test_on_the_25_hour_day_each_occurrence_of_the_repeated_hour_is_expected(spark, check):
    """25 October 2026 in Paris runs from 22:00 UTC on the 24th to 22:59 UTC: 02:00-03:00 comes
    twice, at 00:xx UTC (UTC+2) and at 01:xx UTC (UTC+1). A probe whose file of the second one is
    missing has rows in local hour 2 all the same: read as hour numbers, nothing would be missing."""
    autumn = dt.date(2026, 10, 25)
    stamps = [dt.datetime(2026, 10, 24, 22, 30) + dt.timedelta(hours=i) for i in range(25)]
    df = spark.createDataFrame([("/source=probe01/x.gz", t) for t in stamps], "_source_file string, t timestamp")
    rule = {**RULE, "hour_column": "t", "time_zone": "Europe/Paris"}
    _, v = check(df, run_date=autumn, files=rule)
    assert v["files"].status == PASSED and v["files"].message == "probe01 in each of the 25 hours"
    assert v["files"].recorded["files:source.probe01.hours"] == 25
    second = df.where(F.col("t") != dt.datetime(2026, 10, 25, 1, 30))
    _, v = check(second, run_date=autumn, files=rule)
    assert v["files"].status == FAILED and v["files"].details["missing"] == {"probe01": [2]}
    assert "probe01: no rows in hour 02 (UTC+01:00)" in v["files"].message
    # the same rows as local hour numbers: the two 02:xx hours are one, and the gap goes unseen
    numbers = second.select("_source_file", F.hour(F.from_utc_timestamp("t", "Europe/Paris")).alias("local_hour"))
    _, v = check(numbers, run_date=autumn, files={**RULE, "time_zone": "Europe/Paris"})
    assert v["files"].status == PASSED


def test_rows_outside_the_run_dates_day_fill_no_hour(spark, check):
    # a record from the day before (a late arrival) at 13:30 does not stand for today's hour 13;
    # the day starts at its midnight, included, and ends at the next, excluded
    stamps = ([dt.datetime(2026, 11, 21, 0, 0)] + [dt.datetime(2026, 11, 21, h, 30) for h in range(1, 23) if h != 13]
              + [dt.datetime(2026, 11, 20, 13, 30), dt.datetime(2026, 11, 22, 0, 0)])
    df = spark.createDataFrame([("/source=probe01/x.gz", t) for t in stamps], "_source_file string, t timestamp")
    _, v = check(df, files={**RULE, "hour_column": "t"})
    assert v["files"].details["missing"] == {"probe01": [13, 23]}
    # in Paris (UTC+1) the same rows are 01:00 to 23:30 and 01:00 the next day: hour 00 is missing
    _, v = check(df, files={**RULE, "hour_column": "t", "time_zone": "Europe/Paris"})
    assert v["files"].details["missing"] == {"probe01": [0, 14]}


@pytest.mark.parametrize("day, hours", [(dt.date(2026, 4, 5), 25), (dt.date(2026, 10, 4), 24)])
def test_a_half_hour_dst_shift_leaves_a_short_or_long_last_hour_not_a_lost_half_hour(day, hours):
    """Lord Howe Island shifts by 30 minutes: its days of change last 24.5 and 23.5 hours."""
    settings = QualityRule(**{**RULE, "hour_column": "t", "time_zone": "Australia/Lord_Howe"})
    rule, = build_rules("ds", {"files": settings}, day)
    with pytest.raises(RuntimeError, match="prepare first"):
        rule.day_hours()
    rule._instant = True                         # what prepare finds for a timestamp column
    assert len(rule.day_hours()) == hours
    assert rule.day_hours()[-1].hour == 23


def test_rows_of_files_the_source_pattern_does_not_name_are_counted_not_taken_for_sources(spark, check):
    """A stray file (or a vendor's new file names) is reported; it does not become a source the
    history would then expect every day."""
    pairs = [("probe01", h) for h in range(24)]
    unnamed = spark.createDataFrame([(f"/raw/cdr/event_date=2026-11-21/MSC7_{h:02d}00.csv.gz", h) for h in (3, 4)] * 2,
                                    "_source_file string, local_hour int")
    _, v = check(hourly(spark, pairs).unionByName(unnamed), files=RULE)
    assert v["files"].status == PASSED
    assert v["files"].details["sources"] == ["probe01"] and v["files"].details["unnamed_rows"] == 4
    assert "4 rows come from files whose path names no source" in v["files"].message
    assert [m for m in v["files"].recorded if m.startswith("files:source.")] == ["files:source.probe01.hours"]
    # a pattern that names none of the day's files (a vendor renamed them all) fails the rule
    _, v = check(unnamed, files=RULE)
    assert v["files"].status == FAILED
    assert v["files"].message == "no source seen: 4 rows come from files whose path names no source (source_pattern)"


def test_no_source_at_all_is_no_data(spark, check):
    _, v = check(hourly(spark, []), files=RULE)
    assert v["files"].status == NO_DATA


FILE_HOUR = {**RULE, "hour_column": "_source_file", "hour_pattern": r"hour=(\d{2})"}


def test_by_the_path_s_hour_a_missing_file_is_missing_whatever_its_neighbours_rows_say(spark, check):
    """probe02's hour-13 file is missing. Its neighbours hold a record whose local time is 13:xx
    (a late record of the day before in hour 14's file, a call that started at 13:58 in its
    file): by local_hour they fill hour 13; by the path's hour, the file is missing."""
    pairs = [(s, h) for s in ("probe01", "probe02") for h in range(24) if (s, h) != ("probe02", 13)]
    rows = [(f"/raw/cdr/event_date=2026-11-21/hour={h:02d}/source={s}/part-0.gz", h) for s, h in pairs]
    rows.append(("/raw/cdr/event_date=2026-11-21/hour=14/source=probe02/part-0.gz", 13))
    df = spark.createDataFrame(rows, "_source_file string, local_hour int")
    _, v = check(df, files=RULE)
    assert v["files"].status == PASSED            # what local_hour says: the gap is hidden
    _, v = check(df, files=FILE_HOUR)
    assert v["files"].status == FAILED and v["files"].details["missing"] == {"probe02": [13]}


def test_rows_of_files_whose_path_names_no_hour_are_counted_not_given_one(spark, check):
    rows = [(f"/raw/cdr/event_date=2026-11-21/hour={h:02d}/source=probe01/part-0.gz", h) for h in range(24)]
    rows += [("/raw/cdr/event_date=2026-11-21/source=probe01/late.gz", 5),
             ("/raw/cdr/event_date=2026-11-21/hour=31/source=probe01/x.gz", 5)]
    _, v = check(spark.createDataFrame(rows, "_source_file string, local_hour int"), files=FILE_HOUR)
    assert v["files"].status == PASSED and v["files"].details["unnamed_rows"] == 2
    assert v["files"].message.endswith("2 rows come from files whose path names no source (source_pattern) "
                                       "or hour (hour_pattern)")


def test_a_time_after_the_run_date_does_not_hide_a_feed_that_stopped(spark, check):
    """The feed stopped at 12:00; one record stamped by a clock a day ahead must not make it fresh."""
    df = times(spark, dt.datetime(2026, 11, 21, 12, 0), dt.datetime(2026, 11, 22, 9, 0))
    _, v = check(df, fresh={"type": "freshness", "column": "t", "max_lag_hours": 3})
    assert v["fresh"].status == FAILED and v["fresh"].observed == 12
    assert v["fresh"].message.endswith("1 rows with a t after the end of 2026-11-21 (UTC) left out")
    _, v = check(times(spark, dt.datetime(2026, 11, 22, 9, 0)), fresh={"type": "freshness", "column": "t"})
    assert v["fresh"].status == FAILED
    assert v["fresh"].message == "no t up to the end of 2026-11-21 (UTC): all 1 are after it"


def test_freshness_of_a_date_is_in_whole_days_across_a_dst_change(spark, check):
    """From Saturday 24 October to Sunday 1 November 2026 in Paris is 8 days, 193 clock hours (the
    night of the 25th has 25): a weekly list of 8 days ago is 192 h old, as on any other week."""
    df = spark.createDataFrame([(dt.date(2026, 10, 24),)], "d date")
    _, v = check(df, run_date=dt.date(2026, 11, 1),
                 week={"type": "freshness", "column": "d", "max_lag_hours": 192, "time_zone": "Europe/Paris"})
    assert v["week"].observed == 192 and v["week"].status == PASSED
