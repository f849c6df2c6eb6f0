"""The code of each rule ``type`` in ``conf/quality.yaml``: one class per type in :data:`RULES`.

Row-level validity (:mod:`.validity`), keys (:mod:`.keys`), time (:mod:`.timeliness`), volume and
rates (:mod:`.volume`), distribution drift (:mod:`.drift`).
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Dict, List, Type

from transformations.quality.base import Rule, Scope
from transformations.quality.catalogue import RULE_SETTINGS
from transformations.quality.drift import Drift
from transformations.quality.keys import Referential, Uniqueness
from transformations.quality.timeliness import Freshness, HourlyCompleteness, LateArrival
from transformations.quality.validity import AllowedValues, Completeness, Luhn, Pattern, Pseudonymised, Range
from transformations.quality.volume import DuplicateRate, QuarantineRate, VolumeAnomaly

if TYPE_CHECKING:
    from jobs.runtime.config import QualityRule

RULES: Dict[str, Type[Rule]] = {
    "completeness": Completeness,
    "range": Range,
    "allowed_values": AllowedValues,
    "pattern": Pattern,
    "luhn": Luhn,
    "pseudonymised": Pseudonymised,
    "uniqueness": Uniqueness,
    "referential": Referential,
    "freshness": Freshness,
    "late_arrival": LateArrival,
    "hourly_completeness": HourlyCompleteness,
    "volume_anomaly": VolumeAnomaly,
    "duplicate_rate": DuplicateRate,
    "quarantine_rate": QuarantineRate,
    "drift": Drift,
}
assert set(RULES) == set(RULE_SETTINGS), "every rule type of the catalogue has its class, and only those"


def build_rules(dataset: str, settings: Dict[str, "QualityRule"], run_date: dt.date) -> List[Rule]:
    """The rules of one dataset, in conf order.

    Parameters
    ----------
    dataset
        The dataset's name in ``quality.datasets``.
    settings
        Its rules: name -> settings.
    run_date
        The date checked.
    """
    scope = Scope(dataset=dataset, run_date=run_date)
    return [RULES[rule.type](name, rule, scope) for name, rule in settings.items()]
