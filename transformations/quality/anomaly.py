"""Anomaly detection on a metric's daily history, aware of weekly seasonality.

Call volumes have a weekly rhythm (Sundays lower, Mondays higher): today is compared with the
same weekday of the trailing weeks, by robust statistics (median and median absolute deviation),
so one bad day in the history does not widen the band. That takes three same weekdays: the median
and deviation of two values are their mean and half their gap, so one bad day of two would set the
band. Until then the trailing days give a wider band, and a first run with no history says so
instead of guessing.
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

#: MAD to standard deviation, for normally distributed noise
MAD_TO_SIGMA = 1.4826
#: while the weekly pattern is unknown (fewer than ``min_points`` same weekdays), the band is at
#: least this share of the expected value: wide enough for a normal Sunday (-20%), not a lost
#: third of the day
UNSEASONED_RELATIVE_BAND = 0.3


@dataclass(frozen=True)
class Band:
    """The accepted interval for a day's value, and how it was derived."""

    expected: float
    low: float
    high: float
    basis: str          # "same weekday", "trailing days"
    points: int         # history values behind it

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def expected_band(history: Sequence[Tuple[dt.date, float]], day: dt.date, trailing_days: int = 28,
                  max_deviation: float = 4.0, min_relative_band: float = 0.1,
                  min_points: int = 3) -> Optional[Band]:
    """The band a metric's value on ``day`` should fall in, from its values of earlier days.

    Parameters
    ----------
    history
        ``(date, value)`` pairs, any order; dates on or after ``day`` and outside
        ``trailing_days`` before it are ignored, as are missing (None) values.
    day
        The day judged.
    trailing_days
        How far back the history counts (28: four of each weekday).
    max_deviation
        Half-width of the band in robust standard deviations (1.4826 MAD).
    min_relative_band
        Smallest half-width, as a share of the expected value: a perfectly regular history must
        not flag a 1% wobble.
    min_points
        Values needed for a band: same weekdays for the weekly pattern, else trailing days. Three
        is the fewest whose median one bad day cannot move.

    Returns
    -------
    Band or None
        With ``min_points`` same weekdays: their median and spread. Otherwise, with at least
        ``min_points`` trailing days: their median, and a half-width of at least
        :data:`UNSEASONED_RELATIVE_BAND`. None when the history is shorter than that.
    """
    window = [(d, float(v)) for d, v in history
              if v is not None and day - dt.timedelta(days=trailing_days) <= d < day]
    same_weekday = [v for d, v in window if d.weekday() == day.weekday()]
    if len(same_weekday) >= min_points:
        return _band(same_weekday, max_deviation, min_relative_band, "same weekday")
    if len(window) >= min_points:
        return _band([v for _, v in window], max_deviation, max(min_relative_band, UNSEASONED_RELATIVE_BAND),
                     "trailing days")
    return None


def _band(values: List[float], max_deviation: float, min_relative_band: float, basis: str) -> Band:
    expected = statistics.median(values)
    spread = MAD_TO_SIGMA * statistics.median(abs(v - expected) for v in values)
    half = max(max_deviation * spread, min_relative_band * abs(expected))
    return Band(expected=expected, low=expected - half, high=expected + half, basis=basis, points=len(values))


def band_history(history: Sequence[Tuple[dt.date, float]], **settings) -> List[Tuple[dt.date, float, Optional[Band]]]:
    """Each day of ``history`` with its value and the band its own earlier days gave (for plots).

    Parameters
    ----------
    history
        ``(date, value)`` pairs.
    **settings
        As for :func:`expected_band`.
    """
    ordered = sorted((d, v) for d, v in history if v is not None)
    return [(d, v, expected_band(ordered, d, **settings)) for d, v in ordered]
