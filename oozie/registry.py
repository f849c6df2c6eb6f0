"""The stages of the daily chain, in order: the one place a stage is registered.

Each stage is a job of the job contract (``jobs/<name>.py --conf ... --run-date ...``); the
workflow runs them in this order, and every file of the Oozie application is generated from
this list and from conf. Adding a stage (features, training, scoring) is one line here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Stage:
    """A job of the daily chain.

    Parameters
    ----------
    name
        The job: ``jobs/<name>.py``; also the workflow action's name.
    description
        One line, for the workflow's comments and the operator's README.
    needs_pseudonym_key
        The job reads the HMAC key: the action ships the environment's key file.
    quality_gate
        The job exits 3 on a critical data-quality failure: the workflow then stops the day and
        sends the data-quality alert instead of the failure alert.
    """

    name: str
    description: str
    needs_pseudonym_key: bool = False
    quality_gate: bool = False


DAILY_CHAIN: Tuple[Stage, ...] = (
    Stage("ingest", "the day's raw exports of every feed to bronze Delta tables"),
    Stage("cleanse", "bronze to silver and quarantine: typed, deduplicated, pseudonymised",
          needs_pseudonym_key=True),
    Stage("check", "data-quality rules, metrics history and report; a critical failure stops the day",
          quality_gate=True),
)
