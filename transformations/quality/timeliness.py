"""Time rules: data is fresh, not late, and every source delivered every hour."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Dict, List, Mapping, NamedTuple, Optional
from zoneinfo import ZoneInfo

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transformations.ingestion.bronze import source_of
from transformations.quality.base import FAILED, NO_DATA, PASSED, History, Rule, Verdict, fmt, in_table, ratio

#: days of history whose sources are expected today (a source silent all day is missing too)
SOURCE_MEMORY_DAYS = 7


def epoch_seconds(df: DataFrame, column: str, time_zone: Optional[str] = None) -> Column:
    """Seconds since 1970 (UTC) up to which ``column`` says the data goes: a timestamp itself, a
    date the end of that day (in ``time_zone``; None: UTC)."""
    data_type = df.schema[column].dataType
    if isinstance(data_type, T.DateType):
        if time_zone:
            after = F.date_add(F.col(column), 1)
            return F.unix_seconds(F.make_timestamp(F.year(after), F.month(after), F.dayofmonth(after), F.lit(0),
                                                   F.lit(0), F.lit(0), F.lit(time_zone)))
        return (F.unix_date(F.col(column)).cast("bigint") + 1) * 86_400
    if isinstance(data_type, (T.TimestampType, T.TimestampNTZType)):
        return F.unix_micros(F.col(column).cast("timestamp")) / 1_000_000
    raise TypeError(f"{column} must be a timestamp or a date, not {data_type.simpleString()}")


class DayHour(NamedTuple):
    """One hour of the run date's day: ``number``, the rule's key for it (hours since local
    midnight, or the hour number); ``hour``, its local hour; ``label``, as messages name it."""

    number: int
    hour: int
    label: str


def _day_text(rule: Rule) -> str:
    zone = rule.settings.time_zone
    return f"{rule.scope.run_date}" + (f" ({zone})" if zone else " (UTC)")


class Freshness(Rule):
    """The latest ``column`` (timestamp or date) is at most ``max_lag_hours`` (default 24) before
    the end of the run date in ``time_zone`` (a feed's local day: the days its raw directories hold;
    conf gives the feed's unless the rule sets one, UTC when None): a feed that stopped, a
    reference list a week late.

    Times after the end of the run date do not count (a clock set to next year would otherwise
    hide a feed that stopped); they are counted and named. A date reaches the end of its day, and
    its lag is in whole days of 24 hours (a week is 168 hours, whatever the DST change within it).
    """

    tracked = "lag_hours"
    #: whether the column is a date: known once :meth:`prepare` has seen it
    _date: Optional[bool] = None

    def _time(self) -> str:
        return f"__time_{self.name}"

    def _end(self) -> float:
        return self.scope.midnight(self.settings.time_zone, days=1)

    def prepare(self, df: DataFrame, references: Mapping[str, DataFrame]) -> DataFrame:
        self._date = isinstance(df.schema[self.settings.column].dataType, T.DateType)
        return df.withColumn(self._time(), epoch_seconds(df, self.settings.column, self.settings.time_zone))

    def metrics(self) -> Dict[str, Column]:
        time = F.col(self._time())
        return {"latest": F.max(F.when(in_table() & (time <= F.lit(self._end())), time)),
                "future": F.count(F.when(in_table() & (time > F.lit(self._end())), 1))}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        allowed = 24.0 if self.settings.max_lag_hours is None else self.settings.max_lag_hours
        expected = f"lag <= {fmt(allowed)} h"
        latest, future = values["latest"], values["future"] or 0
        future_text = (f"; {fmt(future)} rows with a {self.settings.column} after the end of {_day_text(self)} "
                       f"left out" if future else "")
        if latest is None and future:
            return Verdict(FAILED, None, expected, f"no {self.settings.column} up to the end of {_day_text(self)}: "
                           f"all {fmt(future)} are after it")
        if latest is None:
            return Verdict(FAILED, None, expected, f"no {self.settings.column} at all: nothing arrived")
        end = self._end()
        if self._date:
            zone = ZoneInfo(self.settings.time_zone) if self.settings.time_zone else dt.timezone.utc
            last_day = dt.datetime.fromtimestamp(latest - 1, zone).date()
            lag = 24.0 * (self.scope.run_date - last_day).days
        else:
            lag = (end - latest) / 3600.0
        seen = dt.datetime.fromtimestamp(latest, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        status = PASSED if lag <= allowed else FAILED
        # (a date column reaches the end of its latest day)
        return Verdict(status, lag, expected, f"{self.settings.column} reaches {seen}: {fmt(lag)} h before the "
                       f"end of {_day_text(self)}{future_text}", band=(None, allowed),
                       recorded={self.metric("lag_hours"): lag})


class LateArrival(Rule):
    """Rows whose ``column`` is more than ``lateness_hours`` (default 0) before the start of the
    run date in ``time_zone`` (conf: the feed's unless set; UTC when None) arrived late; at most
    ``max_ratio`` (default 0) of the rows may."""

    def _time(self) -> str:
        return f"__time_{self.name}"

    def prepare(self, df: DataFrame, references: Mapping[str, DataFrame]) -> DataFrame:
        return df.withColumn(self._time(), epoch_seconds(df, self.settings.column, self.settings.time_zone))

    def _cutoff(self) -> float:
        return self.scope.midnight(self.settings.time_zone) - 3600.0 * (self.settings.lateness_hours or 0.0)

    def failing_rows(self) -> Column:
        return F.col(self._time()) < F.lit(self._cutoff())

    def metrics(self) -> Dict[str, Column]:
        return {"checked": F.count(F.when(in_table(), F.col(self._time()))),
                "late": F.count(F.when(in_table() & self.failing_rows(), 1))}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        allowed = self.settings.max_ratio or 0.0
        expected = f"late share <= {fmt(allowed)}"
        if not values["checked"]:
            return Verdict(NO_DATA, None, expected, f"no {self.settings.column} to check")
        share = ratio(values["late"], values["checked"])
        cutoff = dt.datetime.fromtimestamp(self._cutoff(), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return Verdict(PASSED if share <= allowed else FAILED, share, expected,
                       f"{fmt(values['late'])} of {fmt(values['checked'])} rows ({fmt(100 * share)}%) have "
                       f"{self.settings.column} before {cutoff}", band=(None, allowed),
                       recorded={self.metric("ratio"): share})


class HourlyCompleteness(Rule):
    """Every source delivered rows in every hour of the day: the classic missing-file incident.

    The source of a row is ``source_column`` (with ``source_pattern``, its first group: the
    switch or probe in a file path; rows of a file whose path it does not name are counted and
    reported, not taken for a source). Sources are those seen today or in the last
    :data:`SOURCE_MEMORY_DAYS` days of history (a source silent all day misses every hour).

    The hour of a row is ``hour_column``:

    - with ``hour_pattern``, the hour number of its first group in the column's text: the hour a
      file's path names (``hour=(\\d{2})``). Counted so, an hour is complete when its file came,
      whatever the times of its rows: a record of another day, or of a call that started in the
      hour before, does not stand in for a missing file. Rows whose path names no hour are
      counted and reported, as those whose path names no source.
    - an hour number (or a wall-clock timestamp without time zone): hours 0-23, without the hour
      a DST change skips in ``time_zone``. A repeated hour's two occurrences are one number, so
      they count as one, as a raw directory per hour number (``hour=02``) holds them both.
    - a timestamp: the hour of the run date's day it falls in, in ``time_zone`` (UTC when None).
      The day has 23, 24 or 25 hours: on the day a DST change repeats an hour (02:00-03:00 twice in
      Paris in October), each of its two occurrences is expected, and a missing one is named with
      its UTC offset. Rows outside the day belong to no hour (a late record does not fill a gap).
      Only for true instants (epoch stamps): a local time printed without an offset reads as the
      first of the repeated hours, and the second would always be missing.

    More than ``max_missing`` (default 0) missing (source, hour) pairs fail. The details list each
    source's missing hours as local hour numbers (a repeated hour can appear twice).

    The pass collects the set of (source, hour) pairs seen: at most sources x 25 entries, so the
    source must be a switch or a probe, not a file name.
    """

    tracked = "missing"
    #: whether the hour column is an instant (a timestamp): known once :meth:`prepare` has seen it
    _instant: Optional[bool] = None

    def columns(self) -> List[str]:
        return list(dict.fromkeys([self.settings.hour_column, self.settings.source_column]))

    def _source(self) -> str:
        return f"__source_{self.name}"

    def _hour(self) -> str:
        return f"__hour_{self.name}"

    def prepare(self, df: DataFrame, references: Mapping[str, DataFrame]) -> DataFrame:
        # null for a file whose path the pattern does not name: counted apart, not a source
        source = source_of(F.col(self.settings.source_column).cast("string"), self.settings.source_pattern or None)
        hour = F.col(self.settings.hour_column)
        data_type = df.schema[self.settings.hour_column].dataType
        self._instant = isinstance(data_type, T.TimestampType) and not self.settings.hour_pattern
        if self.settings.hour_pattern:
            named = F.regexp_extract(hour.cast("string"), self.settings.hour_pattern, 1).try_cast("int")
            hour = F.when(named.between(0, 23), named)
        elif self._instant:
            # the hour's number in the day: hours since local midnight (the session's zone is UTC)
            start, end = (int(self.scope.midnight(self.settings.time_zone, days)) for days in (0, 1))
            seconds = F.unix_seconds(hour)
            hour = F.when((seconds >= start) & (seconds < end), F.floor((seconds - F.lit(start)) / 3600))
        elif isinstance(data_type, T.TimestampNTZType):
            hour = F.hour(hour)
        return df.withColumns({self._source(): source, self._hour(): hour.cast("int")})

    def metrics(self) -> Dict[str, Column]:
        source = F.col(self._source())
        pair = F.struct(source.alias("source"), F.col(self._hour()).alias("hour"))
        unnamed = source.isNull() & F.col(self.settings.source_column).isNotNull()
        if self.settings.hour_pattern:
            unnamed = unnamed | (F.col(self._hour()).isNull() & F.col(self.settings.hour_column).isNotNull())
        return {"pairs": F.collect_set(F.when(in_table() & source.isNotNull() & F.col(self._hour()).isNotNull(), pair)),
                "unnamed": F.count(F.when(in_table() & unnamed, 1))}

    def day_hours(self) -> List[DayHour]:
        """The run date's hours, as :class:`DayHour`, in ``time_zone`` (UTC when None).

        For a timestamp hour column, every hour of the day: 23, 24 or 25 on the days of a DST
        change. For an hour number, 0-23 without the hour a DST change skips.
        """
        if self._instant is None:
            raise RuntimeError(f"{self.name}: the day's hours depend on the hour column's type: prepare first")
        zone = ZoneInfo(self.settings.time_zone) if self.settings.time_zone else dt.timezone.utc
        if self._instant:
            start, end = self.scope.midnight(self.settings.time_zone), self.scope.midnight(self.settings.time_zone, 1)
            # (with a half-hour DST shift, Lord Howe's, the day's last hour lasts 30 minutes)
            local = [dt.datetime.fromtimestamp(start + 3600 * i, zone) for i in range(math.ceil((end - start) / 3600))]
            repeated = {t.hour for t in local if sum(u.hour == t.hour for u in local) > 1}
            return [DayHour(i, t.hour, f"{t.hour:02d}" + (f" (UTC{t.isoformat()[-6:]})" if t.hour in repeated else ""))
                    for i, t in enumerate(local)]
        day = self.scope.run_date
        hours = []
        for hour in range(24):
            local = dt.datetime(day.year, day.month, day.day, hour, 30, tzinfo=zone)
            if local.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
                hours.append(DayHour(hour, hour, f"{hour:02d}"))
        return hours

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        allowed = self.settings.max_missing or 0
        seen: Dict[str, set] = {}
        for pair in values["pairs"] or []:
            seen.setdefault(pair["source"], set()).add(pair["hour"])
        recent = self.scope.run_date - dt.timedelta(days=SOURCE_MEMORY_DAYS)
        prefix = self.metric("source.")
        for metric, series in history.with_prefix(prefix).items():
            if metric.endswith(".hours") and any(d >= recent and v for d, v in series):
                seen.setdefault(metric[len(prefix):-len(".hours")], set())
        hours = self.day_hours()
        missing = {source: [h for h in hours if h.number not in got] for source, got in sorted(seen.items())}
        missing = {source: gap for source, gap in missing.items() if gap}
        count = sum(len(gap) for gap in missing.values())
        unnamed = values["unnamed"] or 0
        recorded = {self.metric("missing"): float(count)}
        recorded.update({self.metric(f"source.{s}.hours"): float(len(h)) for s, h in seen.items()})
        expected = f"missing (source, hour) <= {allowed}"
        names = "source (source_pattern)" + (" or hour (hour_pattern)" if self.settings.hour_pattern else "")
        unnamed_text = f"{fmt(unnamed)} rows come from files whose path names no {names}"
        if not seen and unnamed:     # the pattern names none of today's files: nothing can be checked
            return Verdict(FAILED, None, expected, f"no source seen: {unnamed_text}", recorded=recorded,
                           details={"missing": {}, "sources": [], "unnamed_rows": unnamed})
        if not seen:
            return Verdict(NO_DATA, None, expected, "no source seen today nor in the last days", recorded=recorded)
        status = PASSED if count <= allowed else FAILED
        if missing:
            message = "; ".join(f"{s}: {_hours_text([h.label for h in gap], len(hours))}" for s, gap in missing.items())
            message = f"{count} (source, hour) missing: {message}"
        else:
            message = (f"{len(seen)} sources, every one in each of the {len(hours)} hours" if len(seen) > 1
                       else f"{next(iter(seen))} in each of the {len(hours)} hours")
        if unnamed:
            message += f"; {unnamed_text}"
        return Verdict(status, float(count), expected, message, band=(None, float(allowed)), recorded=recorded,
                       details={"missing": {s: [h.hour for h in gap] for s, gap in missing.items()},
                                "sources": sorted(seen), "unnamed_rows": unnamed})


def _hours_text(gap: List[str], day_hours: int) -> str:
    if len(gap) == day_hours:
        return "nothing all day"
    return "no rows in hour" + ("s " if len(gap) > 1 else " ") + ", ".join(gap)
