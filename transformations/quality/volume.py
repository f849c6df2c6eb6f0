"""Volume and rate rules: the day's row count against its history, the duplicate and quarantine
rates of cleanse."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

from pyspark.sql import Column
from pyspark.sql import functions as F

from transformations.quality.anomaly import expected_band
from transformations.quality.base import (FAILED, NO_DATA, NO_HISTORY, PASSED, READ, ROWS, History, Rule, Verdict,
                                          fmt, in_quarantine, ratio)

DUPLICATE_OF, REASONS = "duplicate_of", "reasons"   # quarantine columns written by cleanse


class VolumeAnomaly(Rule):
    """The day's row count is within the band its history predicts
    (:func:`transformations.quality.anomaly.expected_band`: same weekday of the last
    ``trailing_days`` (28), ``max_deviation`` (4) robust deviations, at least
    ``min_relative_band`` (0.1) of the expected count). Fewer than ``min_rows`` (1) rows always
    fail, history or not; without enough history the rule says so and passes."""

    tracked = ROWS

    def columns(self) -> List[str]:
        return []

    def metrics(self) -> Dict[str, Column]:
        return {}   # the dataset's row count, computed once for every rule

    def settings_of_band(self) -> Dict[str, float]:
        s = self.settings
        return {"trailing_days": s.trailing_days or 28,
                "max_deviation": 4.0 if s.max_deviation is None else s.max_deviation,
                "min_relative_band": 0.1 if s.min_relative_band is None else s.min_relative_band}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        rows = values[ROWS]
        floor = 1 if self.settings.min_rows is None else self.settings.min_rows
        band = expected_band(history.of(ROWS), self.scope.run_date, **self.settings_of_band())
        if rows < floor:
            return Verdict(FAILED, float(rows), f"rows >= {fmt(floor)}", f"{fmt(rows)} rows, fewer than {fmt(floor)}",
                           band=None if band is None else (band.low, band.high))
        if band is None:
            known = len([d for d, v in history.of(ROWS) if d < self.scope.run_date])
            what = "first run: no history yet" if not known else f"only {known} earlier days in the history"
            return Verdict(NO_HISTORY, float(rows), "a band from >= 3 earlier days",
                           f"{fmt(rows)} rows; {what}, no band to compare with")
        expected = f"{fmt(round(band.low))} .. {fmt(round(band.high))} rows"
        change = ratio(rows - band.expected, band.expected)
        message = (f"{fmt(rows)} rows, {'+' if (change or 0) >= 0 else ''}{fmt(100 * (change or 0))}% against "
                   f"{fmt(round(band.expected))} expected ({band.basis}, {band.points} days)")
        return Verdict(PASSED if band.contains(rows) else FAILED, float(rows), expected, message,
                       band=(band.low, band.high), details={"basis": band.basis, "expected": band.expected})


class DuplicateRate(Rule):
    """Probe duplicates removed by cleanse, as a share of the rows it read (table + quarantine),
    at most ``max_ratio`` (default 0)."""

    def columns(self) -> List[str]:
        return []

    def metrics(self) -> Dict[str, Column]:
        return {"duplicates": F.count(F.when(in_quarantine() & F.col(DUPLICATE_OF).isNotNull(), 1))}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        return _rate_verdict(self, values["duplicates"], values[READ], "are probe duplicates")


class QuarantineRate(Rule):
    """Rows quarantined with ``reason`` (a cleanse reason code, e.g. ``imei_luhn``), as a share of
    the rows read (table + quarantine), at most ``max_ratio`` (default 0)."""

    def columns(self) -> List[str]:
        return []

    def metrics(self) -> Dict[str, Column]:
        reason = F.array_contains(F.col(REASONS), F.lit(self.settings.reason))
        return {"quarantined": F.count(F.when(in_quarantine() & reason, 1))}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        return _rate_verdict(self, values["quarantined"], values[READ],
                             f"were quarantined for {self.settings.reason}")


def _rate_verdict(rule: Rule, count: int, read: int, what: str) -> Verdict:
    allowed = rule.settings.max_ratio or 0.0
    expected = f"share <= {fmt(allowed)}"
    if not read:
        return Verdict(NO_DATA, None, expected, "no row read")
    share = ratio(count, read)
    return Verdict(PASSED if share <= allowed else FAILED, share, expected,
                   f"{fmt(count)} of {fmt(read)} rows read ({fmt(100 * share)}%) {what}", band=(None, allowed),
                   recorded={rule.metric("ratio"): share})
