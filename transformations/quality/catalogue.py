"""The rule types of ``conf/quality.yaml`` and the settings each one needs.

Plain data, no Spark: the configuration is validated against it before Spark starts. The code of
each type is the class of the same name in :mod:`transformations.quality.rules` (``RULES``).
"""
from __future__ import annotations

from typing import Dict, Tuple

SEVERITIES = ("critical", "warning")

# type -> (required settings, optional settings), besides name, type, severity and description.
RULE_SETTINGS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    # Row-level validity: the share of rows passing must reach min_ratio (default 1.0).
    "completeness": (("column",), ("min_ratio",)),
    "range": (("column",), ("minimum", "maximum", "min_ratio")),
    "allowed_values": (("column", "allowed"), ("min_ratio",)),
    "pattern": (("column", "pattern"), ("min_ratio",)),
    "luhn": (("column",), ("min_ratio",)),
    "pseudonymised": (("column",), ("min_ratio",)),
    # Keys.
    "uniqueness": (("columns",), ("max_duplicates",)),
    "referential": (("column", "reference", "reference_column"), ("max_ratio",)),
    # Time.
    "freshness": (("column",), ("max_lag_hours", "time_zone")),
    "late_arrival": (("column",), ("lateness_hours", "max_ratio", "time_zone")),
    "hourly_completeness": (("hour_column", "source_column"),
                            ("hour_pattern", "source_pattern", "time_zone", "max_missing")),
    # Volume and rates.
    "volume_anomaly": ((), ("trailing_days", "max_deviation", "min_relative_band", "min_rows")),
    "duplicate_rate": ((), ("max_ratio",)),
    "quarantine_rate": (("reason",), ("max_ratio",)),
    # Distribution drift against a reference window (population stability index).
    "drift": (("column",), ("bins", "categories", "reference_days", "max_psi")),
}

# Rule types that need the dataset's quarantine table in the pass.
NEEDS_QUARANTINE = ("duplicate_rate", "quarantine_rate")
