"""Distribution drift: a column's histogram today against a reference window of earlier days,
by the population stability index (PSI).

The histogram of each day is part of the dataset's one pass (one conditional count per bucket)
and goes to the metrics history, so the reference window is read from the history, not
recomputed from old partitions.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

from transformations.quality.base import FAILED, NO_DATA, NO_HISTORY, PASSED, History, Rule, Verdict, fmt, in_table

#: share given to an empty bucket, so that the logarithm stays finite
EMPTY_SHARE = 1e-4


def population_stability_index(actual: Sequence[float], reference: Sequence[float]) -> float:
    """PSI of two histograms over the same buckets: sum of (a - r) * ln(a / r) over the shares.

    Parameters
    ----------
    actual, reference
        Counts (or shares) per bucket, same length; each is normalised to shares, an empty
        bucket counting as :data:`EMPTY_SHARE`.

    Returns
    -------
    float
        0 for identical shapes; below 0.1 is usually read as stable, above 0.25 as a shift.

    Raises
    ------
    ValueError
        For histograms of different lengths or without any count.
    """
    if len(actual) != len(reference):
        raise ValueError(f"histograms differ in length: {len(actual)} and {len(reference)} buckets")
    a, r = _shares(actual), _shares(reference)
    return sum((x - y) * math.log(x / y) for x, y in zip(a, r))


def _shares(counts: Sequence[float]) -> List[float]:
    total = float(sum(counts))
    if total <= 0:
        raise ValueError("a histogram without any count")
    return [max(c / total, EMPTY_SHARE) for c in counts]


def bucket_labels(bins: Sequence[float] = (), categories: Sequence[str] = ()) -> List[str]:
    """Names of the buckets: ``< 0``, ``[0, 10)``, ..., ``>= 3600``; or the categories and ``other``."""
    if categories:
        return [*categories, "other"]
    edges = [fmt(b) for b in bins]
    return [f"< {edges[0]}", *[f"[{lo}, {hi})" for lo, hi in zip(edges, edges[1:])], f">= {edges[-1]}"]


def bucket_conditions(value: Column, bins: Sequence[float] = (), categories: Sequence[str] = ()) -> List[Column]:
    """One boolean Column per bucket of :func:`bucket_labels` (false for a null value)."""
    if categories:
        text = value.cast("string")
        return [text == F.lit(c) for c in categories] + [text.isNotNull() & ~text.isin(list(categories))]
    edges = [F.lit(float(b)) for b in bins]
    conditions = [value < edges[0]]
    conditions += [(value >= lo) & (value < hi) for lo, hi in zip(edges, edges[1:])]
    return conditions + [value >= edges[-1]]


class Drift(Rule):
    """The histogram of ``column`` (numeric ``bins`` edges, or ``categories`` plus ``other``)
    against the sum of the last ``reference_days`` (7) days' histograms in the history: a PSI
    above ``max_psi`` (0.2) fails. The first days, without a reference, pass and say so."""

    tracked = "psi"

    def labels(self) -> List[str]:
        return bucket_labels(self.settings.bins, self.settings.categories)

    def metrics(self) -> Dict[str, Column]:
        conditions = bucket_conditions(F.col(self.settings.column), self.settings.bins, self.settings.categories)
        return {f"bucket.{i}": F.count(F.when(in_table() & c, 1)) for i, c in enumerate(conditions)}

    def reference(self, history: History) -> Optional[List[float]]:
        """Bucket counts summed over the reference days that have every bucket, or None."""
        days = self.settings.reference_days or 7
        start = self.scope.run_date - dt.timedelta(days=days)
        per_day: Dict[dt.date, Dict[int, float]] = {}
        for i in range(len(self.labels())):
            for day, value in history.of(self.metric(f"bucket.{i}")):
                if start <= day < self.scope.run_date:
                    per_day.setdefault(day, {})[i] = value
        complete = [counts for counts in per_day.values() if len(counts) == len(self.labels())]
        if not complete or sum(sum(c.values()) for c in complete) <= 0:
            return None
        return [sum(c[i] for c in complete) for i in range(len(self.labels()))]

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        allowed = 0.2 if self.settings.max_psi is None else self.settings.max_psi
        expected = f"PSI <= {fmt(allowed)}"
        today = [float(values[f"bucket.{i}"]) for i in range(len(self.labels()))]
        if sum(today) <= 0:
            return Verdict(NO_DATA, None, expected, f"no {self.settings.column} value today")
        reference = self.reference(history)
        if reference is None:
            return Verdict(NO_HISTORY, None, expected, f"no histogram of {self.settings.column} in the last "
                           f"{self.settings.reference_days or 7} days: today's is the first reference")
        psi = population_stability_index(today, reference)
        shares = _shares(today), _shares(reference)
        moved = max(range(len(today)), key=lambda i: abs(shares[0][i] - shares[1][i]))
        message = (f"PSI {psi:.3f} against the last {self.settings.reference_days or 7} days; largest move: "
                   f"{self.labels()[moved]} {100 * shares[1][moved]:.1f}% -> {100 * shares[0][moved]:.1f}%")
        return Verdict(PASSED if psi <= allowed else FAILED, psi, expected, message, band=(None, allowed),
                       recorded={self.metric("psi"): psi},
                       details={"buckets": self.labels(), "today": shares[0], "reference": shares[1]})
