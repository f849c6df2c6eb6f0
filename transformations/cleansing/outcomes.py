"""The outcome of a call (completed, busy, dropped...) from the release cause code of the switch."""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence, Union

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import flag

# Release cause codes (ITU-T Q.850) of each outcome, as our switches use them.
DEFAULT_OUTCOMES: Mapping[str, Sequence[int]] = MappingProxyType({
    "completed": (16, 31),          # normal call clearing, normal unspecified
    "busy": (17,),                  # user busy
    "no_answer": (18, 19),          # no user responding, no answer (user alerted)
    "failed": (34, 38, 47),         # no circuit available, network out of order, resource unavailable
    "dropped": (41, 102),           # temporary failure, recovery on timer expiry
})

UNKNOWN_RELEASE_CAUSE = "unknown_release_cause"


def outcome_by_code(outcomes: Mapping[str, Sequence[int]]) -> dict:
    """Invert ``{outcome: codes}`` into ``{code: outcome}``.

    Raises
    ------
    ValueError
        When a code belongs to two outcomes, or a code is not an integer.
    """
    by_code: dict = {}
    for outcome, codes in outcomes.items():
        for code in codes:
            if isinstance(code, bool) or not isinstance(code, int):
                raise ValueError(f"release cause codes must be integers, not {code!r} (outcome {outcome!r})")
            if code in by_code and by_code[code] != outcome:
                raise ValueError(f"release cause {code} is mapped to both {by_code[code]!r} and {outcome!r}")
            by_code[code] = outcome
    return by_code


def release_cause_to_outcome(cause: Union[Column, str],
                             outcomes: Mapping[str, Sequence[int]] = DEFAULT_OUTCOMES) -> Column:
    """The outcome name of a release cause code, looked up in a literal map.

    Parameters
    ----------
    cause
        Integer Column (or column name) of release cause codes. Text is read as an integer when it
        is one (``"16"``), anything else is an unknown code.
    outcomes
        ``{outcome name: codes}``, e.g. :data:`DEFAULT_OUTCOMES`.

    Returns
    -------
    Column
        String: the outcome name, or null for a null or unmapped code.

    Raises
    ------
    ValueError
        When a code belongs to two outcomes (see :func:`outcome_by_code`).
    """
    by_code = outcome_by_code(outcomes)
    code = (F.col(cause) if isinstance(cause, str) else cause).try_cast("int")
    if not by_code:
        return F.lit(None).cast("string")
    mapping = F.create_map(*[x for c, name in sorted(by_code.items()) for x in (F.lit(c), F.lit(name))])
    return F.try_element_at(mapping, code)


def derive_outcome(cause_column: str, target: str = "outcome",
                   outcomes: Mapping[str, Sequence[int]] = DEFAULT_OUTCOMES):
    """Curried step: ``target`` = :func:`release_cause_to_outcome` of ``cause_column``.

    Reason ``unknown_release_cause`` when the cause is present (non-null) but not mapped. A null
    cause gives a null outcome and no reason (the cause column's own rule decides whether a missing
    cause quarantines the row).

    Parameters
    ----------
    cause_column
        Name of the (typed, integer) release cause column.
    target
        Name of the string column to add.
    outcomes
        ``{outcome name: codes}``.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    outcome = release_cause_to_outcome(cause_column, outcomes)

    def step(df: DataFrame) -> DataFrame:
        return (df.transform(flag(F.col(cause_column).isNotNull() & outcome.isNull(), UNKNOWN_RELEASE_CAUSE))
                .withColumn(target, outcome))
    return step
