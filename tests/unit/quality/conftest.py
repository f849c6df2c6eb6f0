"""Helpers: build a rule from its conf settings and evaluate it on a small DataFrame."""
from __future__ import annotations

import datetime as dt
from typing import Dict, Optional

import pytest

from jobs.runtime.config import QualityRule
from transformations.quality.base import History
from transformations.quality.metrics import aggregated_metrics, judged, scanned_rows
from transformations.quality.rules import build_rules

RUN_DATE = dt.date(2026, 11, 21)


@pytest.fixture
def check():
    """``check(df, rule_name={settings}, ..., quarantine=, references=, history=)`` -> (values, verdicts)."""
    def run(df, quarantine=None, references: Optional[Dict] = None, history: Optional[History] = None,
            run_date: dt.date = RUN_DATE, **rules):
        built = build_rules("ds", {name: QualityRule(**settings) for name, settings in rules.items()}, run_date)
        values = (scanned_rows(df, quarantine).transform(aggregated_metrics(built, references or {}))
                  .first().asDict())
        verdicts = {rule.name: verdict for rule, verdict in judged(built, values, history or History())}
        return values, verdicts
    return run
