"""Daily and weekly cycles of network activity (local time)."""
from __future__ import annotations

import datetime as dt

from pyspark.sql import Column
from pyspark.sql import functions as F

# Relative activity per local hour 0..23: night trough, morning ramp, evening peak.
HOURLY_WEIGHTS = (0.6, 0.35, 0.25, 0.2, 0.2, 0.35, 0.9, 2.2, 3.6, 4.6, 5.1, 5.4,
                  5.3, 5.0, 5.2, 5.3, 5.6, 6.1, 6.5, 6.2, 5.4, 4.3, 3.0, 1.6)
# Relative volume per weekday, Monday first.
WEEKDAY_FACTORS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8)


def rows_for_date(rows_per_weekday: int, day: dt.date) -> int:
    """Number of CDRs a day holds: the configured weekday volume times the weekday factor."""
    return int(round(rows_per_weekday * WEEKDAY_FACTORS[day.weekday()]))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5


def hourly_weight(hour: Column) -> Column:
    """The activity weight of a local hour, normalised so the busiest hour is 1."""
    peak = max(HOURLY_WEIGHTS)
    return F.element_at(F.array(*[F.lit(w / peak) for w in HOURLY_WEIGHTS]), hour + 1)
