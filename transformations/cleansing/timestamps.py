"""Timestamps written in the local wall-clock time of the switches (or as epochs) turned into instants,
the same whatever ``spark.sql.session.timeZone`` is."""
from __future__ import annotations

from typing import Optional, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import computed_once, flag, flag_missing
from transformations.cleansing.text import DEFAULT_NULL_TOKENS, null_if_token, trimmed

EPOCH_SECONDS = "epoch_s"       # 9-10 digits, optional '-': seconds since 1970-01-01T00:00:00Z
EPOCH_MILLIS = "epoch_ms"       # 12-13 digits, optional '-': milliseconds since then
_EPOCH_DIGITS = {EPOCH_SECONDS: r"^-?\d{9,10}$", EPOCH_MILLIS: r"^-?\d{12,13}$"}
_EPOCH_TO_INSTANT = {EPOCH_SECONDS: F.timestamp_seconds, EPOCH_MILLIS: F.timestamp_millis}


def _wall_clock_as_utc(text: Column, pattern: str) -> Column:
    # A fixed offset appended to text and pattern makes the parser ignore the session time zone: the
    # result holds the local wall-clock reading as if it were UTC (null when text does not fit).
    return F.try_to_timestamp(F.concat(text, F.lit("+0000")), F.lit(pattern + "Z"))


def _parse_one(text: Column, fmt: str, time_zone: str) -> Column:
    if fmt in _EPOCH_DIGITS:
        return F.when(text.rlike(_EPOCH_DIGITS[fmt]), _EPOCH_TO_INSTANT[fmt](text.try_cast("bigint")))
    # to_utc_timestamp reads a wall-clock reading in time_zone (java.time atZone rules).
    return F.to_utc_timestamp(_wall_clock_as_utc(text, fmt), time_zone)


def parse_local_timestamp(column: Column, formats: Sequence[str], time_zone: str) -> Column:
    """Parse text written in the local wall-clock time of ``time_zone`` into an instant.

    The result does not depend on ``spark.sql.session.timeZone``. Wall-clock readings follow
    ``java.time.ZonedDateTime.of``: a time inside the spring-forward gap is moved later by the gap
    length (Europe/Paris 2026-03-29 02:30 is 03:30+02:00, i.e. 01:30Z); an ambiguous time in the
    autumn overlap takes the earlier offset, i.e. the summer-time reading (Europe/Paris
    2026-10-25 02:30 is 02:30+02:00, i.e. 00:30Z).

    Parameters
    ----------
    column
        String Column (trimmed here; apply :func:`~transformations.cleansing.text.null_if_token`
        first for tokens).
    formats
        Tried in order, the first that parses wins. Either a Spark datetime pattern of a local
        wall-clock reading without zone or offset (``"dd/MM/yyyy HH:mm:ss"``), or ``"epoch_s"``
        (texts of 9-10 digits, optional '-': seconds since 1970-01-01T00:00:00Z, not local), or
        ``"epoch_ms"`` (12-13 digits: milliseconds). Epochs never match a 14-digit
        ``yyyyMMddHHmmss`` text and vice versa.
    time_zone
        Region id of the wall clock, e.g. ``"Europe/Paris"``.

    Returns
    -------
    Column
        TIMESTAMP (an instant), or null when no format parses (``"2026-11-21 25:61:00"``,
        ``"N/A"``, ...). Never raises under ANSI.
    """
    if not formats:
        raise ValueError("formats must name at least one format")
    text = trimmed(column)
    return F.coalesce(*[_parse_one(text, fmt, time_zone) for fmt in formats])


def local_hour(instant: Column, time_zone: str) -> Column:
    """The hour (0-23) an instant shows on a wall clock in ``time_zone``.

    Independent of ``spark.sql.session.timeZone``. In the autumn overlap two instants an hour apart
    both give the same hour (2 in Europe/Paris).

    Parameters
    ----------
    instant
        TIMESTAMP Column.
    time_zone
        Region id, e.g. ``"Europe/Paris"``.

    Returns
    -------
    Column
        Int; null for null.
    """
    return _hour_of(_local_seconds(instant, time_zone))


def _hour_of(local_seconds: Column) -> Column:
    return F.floor(F.pmod(local_seconds, F.lit(86400)) / 3600).cast("int")


def _local_seconds(instant: Column, time_zone: str) -> Column:
    # from_utc_timestamp shifts the instant by the zone's offset at that instant: its epoch seconds
    # are then the local wall-clock reading counted as if it were UTC.
    return F.unix_seconds(F.from_utc_timestamp(instant, time_zone))


def local_days_from(instant: Column, day: Column, time_zone: str) -> Column:
    """Days from ``day`` to the date an instant shows on a wall clock in ``time_zone``.

    Independent of ``spark.sql.session.timeZone``.

    Parameters
    ----------
    instant
        TIMESTAMP Column.
    day
        DATE Column, e.g. the date of the raw directory the row came from.
    time_zone
        Region id, e.g. ``"Europe/Paris"``.

    Returns
    -------
    Column
        Int: 0 on ``day`` itself, -1 the day before, 1 the day after; null for a null input.
        2026-11-20T23:30Z is 21 November in Paris (UTC+1): 0 from 2026-11-21.
    """
    return _days_from(_local_seconds(instant, time_zone), day)


def _days_from(local_seconds: Column, day: Column) -> Column:
    return (F.floor(local_seconds / 86400) - F.unix_date(day)).cast("int")


def cleanse_timestamp(raw: str, target: str, formats: Sequence[str], time_zone: str,
                      required: bool = True, tokens: Sequence[str] = DEFAULT_NULL_TOKENS,
                      local_hour_column: Optional[str] = None, day_column: Optional[str] = None,
                      max_days_before: Optional[int] = None, max_days_after: Optional[int] = None):
    """Curried step parsing the raw text column ``raw`` into the instant column ``target``.

    Reasons: ``{target}_missing`` (null or token, only when ``required``),
    ``{target}_unparseable`` (present, but no format parses), or ``{target}_out_of_range``
    (parsed, but its local date is more than ``max_days_before`` days before ``day_column`` or
    more than ``max_days_after`` days after it: a switch clock off by years, a cut
    ``yyyyMMddHH`` text read as epoch seconds).

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the TIMESTAMP column to add (may be the same).
    formats, time_zone
        See :func:`parse_local_timestamp`.
    required
        Whether a missing value quarantines the row.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.
    local_hour_column
        When given, also add this int column: :func:`local_hour` of ``target`` in ``time_zone``.
    day_column, max_days_before, max_days_after
        The DATE column the times belong to (the raw directory's date) and how far from it, in
        local dates (:func:`local_days_from`), a time may be; a bound that is None is not checked.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    names = [f"__{target}_{part}" for part in ("text", "instant", "local")]
    text, instant, local = (F.col(name) for name in names)
    windowed = bool(day_column) and (max_days_before is not None or max_days_after is not None)
    stages = [{names[0]: null_if_token(F.col(raw), tokens)},
              {names[1]: parse_local_timestamp(text, formats, time_zone)}]
    if windowed or local_hour_column:
        # the local wall-clock reading, once per row for both the window and the hour
        stages.append({names[2]: _local_seconds(instant, time_zone)})

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(text, target, required))
        df = df.transform(flag(text.isNotNull() & instant.isNull(), f"{target}_unparseable"))
        if windowed:
            days = _days_from(local, F.col(day_column))
            outside = F.lit(False)
            if max_days_before is not None:
                outside = outside | (days < -max_days_before)
            if max_days_after is not None:
                outside = outside | (days > max_days_after)
            df = df.transform(flag(outside, f"{target}_out_of_range"))
        df = df.withColumn(target, instant)   # after the flags: target may be raw
        if local_hour_column:
            df = df.withColumn(local_hour_column, _hour_of(local))     # as local_hour
        return df
    return computed_once(stages, step)
