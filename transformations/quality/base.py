"""What every rule type shares: its place in the one-pass scan, its metrics, its verdict.

A rule declares the aggregate Column expressions it needs (:meth:`Rule.metrics`); the metrics of
all the rules of a dataset are computed together by one aggregation
(:func:`transformations.quality.metrics.aggregated_metrics`). The verdict
(:meth:`Rule.judge`) is plain Python on those few numbers and on the rule's own history.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

if TYPE_CHECKING:  # the settings' shape; transformations do not depend on the jobs package
    from jobs.runtime.config import QualityRule

ZONE = "__quality_zone"          # which table a scanned row comes from
TABLE, QUARANTINE = "table", "quarantine"
ROWS, READ = "rows", "read"      # dataset metrics: rows of the table; rows of table + quarantine
PASSED, FAILED, NO_DATA, NO_HISTORY, ERROR = "passed", "failed", "no_data", "no_history", "error"
FAILING_STATUSES = (FAILED, ERROR)


def in_table() -> Column:
    """True for the rows of the dataset's table (not its quarantine)."""
    return F.col(ZONE) == F.lit(TABLE)


def in_quarantine() -> Column:
    """True for the rows of the dataset's quarantine table."""
    return F.col(ZONE) == F.lit(QUARANTINE)


@dataclass(frozen=True)
class History:
    """The dataset's metrics of earlier run dates: ``{metric: [(date, value), ...]}``, oldest first."""

    series: Mapping[str, Sequence[Tuple[dt.date, float]]] = field(default_factory=dict)

    def of(self, metric: str) -> List[Tuple[dt.date, float]]:
        return list(self.series.get(metric, ()))

    def with_prefix(self, prefix: str) -> Dict[str, List[Tuple[dt.date, float]]]:
        return {m: list(v) for m, v in self.series.items() if m.startswith(prefix)}


@dataclass(frozen=True)
class Verdict:
    """A rule's outcome for one run date.

    ``observed`` is the rule's tracked figure (its history is plotted); ``band`` the accepted
    interval, when there is one; ``recorded`` the figures appended to the metrics history.
    """

    status: str
    observed: Optional[float]
    expected: str
    message: str
    band: Optional[Tuple[Optional[float], Optional[float]]] = None
    recorded: Dict[str, float] = field(default_factory=dict)
    details: Dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> bool:
        return self.status in FAILING_STATUSES


@dataclass(frozen=True)
class Scope:
    """Where a rule runs: its dataset's name and the run date."""

    dataset: str
    run_date: dt.date

    def midnight(self, time_zone: Optional[str] = None, days: int = 0) -> float:
        """00:00 of the run date plus ``days``, in ``time_zone`` (None: UTC), as epoch seconds.

        A day in ``Europe/Paris`` starts at 23:00 UTC the day before in winter, 22:00 in summer,
        and lasts 23 or 25 hours on the days of a DST change.
        """
        zone = ZoneInfo(time_zone) if time_zone else dt.timezone.utc
        return dt.datetime.combine(self.run_date + dt.timedelta(days=days), dt.time(), tzinfo=zone).timestamp()


class Rule:
    """Base of the rule types: see :data:`transformations.quality.rules.RULES`.

    Parameters
    ----------
    name
        The rule's key in ``conf/quality.yaml``; its metrics are named ``<name>:<metric>``.
    settings
        The rule's settings (:class:`jobs.runtime.config.QualityRule`).
    scope
        Dataset and run date.
    """

    #: the metric whose history the report plots
    tracked = "ratio"

    def __init__(self, name: str, settings: "QualityRule", scope: Scope):
        self.name, self.settings, self.scope = name, settings, scope

    @property
    def severity(self) -> str:
        return self.settings.severity

    def columns(self) -> List[str]:
        """Columns of the dataset the rule reads (checked before the scan)."""
        return [c for c in [self.settings.column, *self.settings.columns] if c]

    def prepare(self, df: DataFrame, references: Mapping[str, DataFrame]) -> DataFrame:
        """Columns the metrics need from elsewhere (a reference table); default: none."""
        return df

    def metrics(self) -> Dict[str, Column]:
        """Aggregate Column expressions, by metric name (unprefixed)."""
        raise NotImplementedError

    def side_metrics(self, scanned: DataFrame) -> Optional[DataFrame]:
        """Metrics that need their own grouping: a one-row DataFrame of ``<name>:<metric>``
        columns computed from the scanned rows, joined to the main aggregation's row in the same
        query. Default: none."""
        return None

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        """The verdict from this run's metric values (unprefixed) and the dataset's history."""
        raise NotImplementedError

    def failing_rows(self) -> Optional[Column]:
        """For row-level rules: true for a row that fails the rule (the report samples them)."""
        return None

    def metric(self, name: str) -> str:
        """Full name of one of this rule's metrics."""
        return f"{self.name}:{name}"


def ratio(part: Optional[float], whole: Optional[float]) -> Optional[float]:
    """``part / whole``, or None when ``whole`` is 0 or unknown."""
    if part is None or not whole:
        return None
    return float(part) / float(whole)


def fmt(value: Optional[float]) -> str:
    """A figure for a message: ratios with 4 significant digits, counts with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4g}"
