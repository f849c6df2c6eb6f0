"""The volume rule's verdicts: first run, empty day, a drop against the weekly history."""
from __future__ import annotations

import datetime as dt

from jobs.runtime.config import QualityRule
from transformations.quality.base import FAILED, NO_HISTORY, PASSED, History, Scope
from transformations.quality.volume import VolumeAnomaly

from .test_anomaly import MONDAY, weekly_history

DAY = MONDAY + dt.timedelta(days=28)


def rule(**settings):
    return VolumeAnomaly("volume", QualityRule(type="volume_anomaly", **settings), Scope("cdr", DAY))


def test_first_run_says_there_is_no_history_and_does_not_fail():
    verdict = rule().judge({"rows": 1_000_000, "read": 1_000_000}, History())
    assert verdict.status == NO_HISTORY and "first run: no history yet" in verdict.message


def test_an_empty_day_fails_even_without_history():
    verdict = rule().judge({"rows": 0, "read": 0}, History())
    assert verdict.status == FAILED and "0 rows" in verdict.message


def test_a_drop_against_the_same_weekdays_fails_and_a_normal_monday_passes():
    history = History({"rows": weekly_history(28)})
    assert rule().judge({"rows": 1_100_000, "read": 0}, history).status == PASSED
    dropped = rule().judge({"rows": 660_000, "read": 0}, history)
    assert dropped.status == FAILED
    # the Mondays of the history: 1.104M, 1.103M, 1.104M, 1.103M -> median 1.1035M
    assert dropped.message == "660,000 rows, -40.19% against 1,103,500 expected (same weekday, 4 days)"
