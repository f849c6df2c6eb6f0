"""The volume anomaly detector on synthetic histories with a weekly rhythm."""
from __future__ import annotations

import datetime as dt

from transformations.quality.anomaly import UNSEASONED_RELATIVE_BAND, band_history, expected_band

MONDAY = dt.date(2026, 11, 2)
# Weekday volumes with Sundays at 0.8 and Mondays at 1.1, and a little noise.
RHYTHM = {0: 1.10, 1: 1.0, 2: 1.0, 3: 0.98, 4: 1.02, 5: 0.9, 6: 0.8}
NOISE = [0.004, -0.006, 0.002, 0.0, -0.003, 0.005, -0.001, 0.003, -0.004, 0.001, 0.006, -0.002, 0.0, 0.002]


def weekly_history(days: int, start: dt.date = MONDAY, base: float = 1_000_000.0):
    return [(start + dt.timedelta(days=i),
             base * (RHYTHM[(start + dt.timedelta(days=i)).weekday()] + NOISE[i % len(NOISE)]))
            for i in range(days)]


def test_a_40_percent_drop_is_flagged():
    history = weekly_history(28)
    day = MONDAY + dt.timedelta(days=28)                    # a Monday
    band = expected_band(history, day)
    assert band.basis == "same weekday" and band.points == 4
    assert not band.contains(0.6 * 1_100_000)
    assert band.contains(1_100_000)


def test_normal_weekly_seasonality_is_not_flagged():
    history = weekly_history(42)
    for value_day, value in weekly_history(42)[28:]:         # weeks 5 and 6, judged on weeks 1-4(5)
        band = expected_band([h for h in history if h[0] < value_day], value_day)
        assert band.contains(value), (value_day, value, band)


def test_a_sunday_against_a_flat_band_would_be_flagged_so_the_weekday_matters():
    # The same Sunday value, judged against all trailing days instead of Sundays, is outside a
    # +-10% band: this is what seasonality awareness buys.
    history = weekly_history(28)
    sunday = MONDAY + dt.timedelta(days=34)
    value = 800_000.0
    assert expected_band(history, sunday).contains(value)
    flat = expected_band([(d, v) for d, v in history], sunday, min_points=10)   # too few Sundays: trailing days
    assert flat.basis == "trailing days"
    assert abs(value - flat.expected) / flat.expected > 0.1


def test_first_run_has_no_band():
    assert expected_band([], MONDAY) is None
    assert expected_band([(MONDAY - dt.timedelta(days=1), 5.0)], MONDAY) is None


def test_short_history_uses_a_wide_band_of_trailing_days():
    history = weekly_history(6)                               # Monday..Saturday: no Sunday yet
    sunday = MONDAY + dt.timedelta(days=6)
    band = expected_band(history, sunday)
    assert band.basis == "trailing days"
    assert band.high - band.expected >= UNSEASONED_RELATIVE_BAND * band.expected - 1e-6
    assert band.contains(800_000.0)                           # a normal Sunday passes
    assert not band.contains(550_000.0)                       # a lost 45% does not


def test_one_bad_day_in_the_history_does_not_widen_the_band():
    history = weekly_history(28)
    history[7] = (history[7][0], 100.0)                       # the second Monday was an incident
    band = expected_band(history, MONDAY + dt.timedelta(days=28))
    assert not band.contains(0.6 * 1_100_000)


def test_history_outside_the_window_or_on_and_after_the_day_is_ignored():
    day = MONDAY + dt.timedelta(days=28)
    history = weekly_history(28) + [(day, 1.0), (day + dt.timedelta(days=7), 1.0)]
    assert expected_band(history, day) == expected_band(weekly_history(28), day)
    old = [(d - dt.timedelta(days=400), 1.0) for d, _ in weekly_history(28)]
    assert expected_band(old + weekly_history(28), day) == expected_band(weekly_history(28), day)


def test_two_same_weekdays_one_of_them_an_incident_do_not_make_the_band():
    # Two values' median and deviation are their mean and half their gap: 0.2 M and 1.1 M would
    # give a band of about -2 M to +3.3 M, and a Monday at 0.3 M would pass.
    history = weekly_history(14)
    history[7] = (history[7][0], 200_000.0)                   # last Monday was an incident
    monday = MONDAY + dt.timedelta(days=14)
    band = expected_band(history, monday)
    assert band.basis == "trailing days" and 900_000 < band.expected < 1_100_000
    assert not band.contains(300_000.0)
    assert band.contains(1_100_000.0)                          # a normal Monday passes


def test_band_history_gives_each_day_the_band_of_its_past():
    points = band_history(weekly_history(22))
    assert [b is None for _, _, b in points[:4]] == [True, True, True, False]
    assert points[14][2].basis == "trailing days"             # day 15 is a Monday with 2 Mondays behind
    assert points[-1][2].basis == "same weekday"              # day 22, with 3


def test_a_wider_relative_band_accepts_the_drop():
    history = weekly_history(28)
    day = MONDAY + dt.timedelta(days=28)
    wide = expected_band(history, day, min_relative_band=0.5)
    assert wide.contains(0.6 * 1_100_000)
