"""Population stability index and the drift rule's reference window."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from jobs.runtime.config import QualityRule
from transformations.quality.base import FAILED, NO_HISTORY, PASSED, History, Scope
from transformations.quality.drift import Drift, bucket_labels, population_stability_index

DAY = dt.date(2026, 11, 21)


def test_psi_of_identical_shapes_is_zero():
    assert population_stability_index([10, 20, 70], [1, 2, 7]) == pytest.approx(0.0)


def test_psi_by_hand():
    # shares 0.5/0.5 against 0.25/0.75: 0.25 ln 2 + (-0.25) ln(2/3)
    expected = 0.25 * math.log(2) - 0.25 * math.log(2 / 3)
    assert population_stability_index([5, 5], [25, 75]) == pytest.approx(expected)


def test_an_empty_bucket_keeps_psi_finite():
    assert math.isfinite(population_stability_index([0, 10], [5, 5]))


def test_histograms_must_match():
    with pytest.raises(ValueError):
        population_stability_index([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        population_stability_index([0, 0], [1, 2])


def test_bucket_labels():
    assert bucket_labels(bins=[0, 10, 60]) == ["< 0", "[0, 10)", "[10, 60)", ">= 60"]
    assert bucket_labels(categories=["VOICE", "SMS"]) == ["VOICE", "SMS", "other"]


def drift_rule(**settings):
    return Drift("calls_drift", QualityRule(type="drift", column="record_type", **settings), Scope("cdr", DAY))


def history_of(rule, days, counts):
    series = {}
    for back in range(1, days + 1):
        for i, n in enumerate(counts):
            series.setdefault(rule.metric(f"bucket.{i}"), []).append((DAY - dt.timedelta(days=back), float(n)))
    return History(series)


def values(counts):
    return {f"bucket.{i}": n for i, n in enumerate(counts)}


def test_a_shifted_mix_fails_and_a_stable_one_passes():
    rule = drift_rule(categories=["VOICE", "SMS", "DATA"], max_psi=0.1)
    history = history_of(rule, 7, [600, 250, 150, 0])
    stable = rule.judge(values([598, 252, 150, 0]), history)
    assert stable.status == PASSED and stable.observed < 0.01
    shifted = rule.judge(values([300, 250, 450, 0]), history)
    assert shifted.status == FAILED and shifted.observed > 0.1
    assert "DATA 15.0% -> 45.0%" in shifted.message


def test_without_reference_days_the_rule_says_so():
    rule = drift_rule(categories=["VOICE"], reference_days=7)
    assert rule.judge(values([5, 0]), History()).status == NO_HISTORY
    old = History({rule.metric(f"bucket.{i}"): [(DAY - dt.timedelta(days=30), 5.0)] for i in range(2)})
    assert rule.judge(values([5, 0]), old).status == NO_HISTORY


def test_bucket_counts_come_from_the_pass(spark, check):
    df = spark.createDataFrame([(v,) for v in (-1.0, 0.0, 9.99, 10.0, 59.0, 60.0, 1e6, None)], "d double")
    values, v = check(df, duration={"type": "drift", "column": "d", "bins": [0, 10, 60]})
    # < 0 | [0, 10) | [10, 60) | >= 60; the null is in no bucket
    assert [values[f"duration:bucket.{i}"] for i in range(4)] == [1, 2, 2, 2]
    assert v["duration"].status == NO_HISTORY


def test_categories_count_the_others_together(spark, check):
    df = spark.createDataFrame([(t,) for t in ("VOICE", "VOICE", "SMS", "FAX", "voice", None)], "t string")
    values, _ = check(df, mix={"type": "drift", "column": "t", "categories": ["VOICE", "SMS", "DATA"]})
    assert [values[f"mix:bucket.{i}"] for i in range(4)] == [2, 1, 0, 2]
