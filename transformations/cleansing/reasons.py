"""Reason codes: why a row cannot go to the curated zone. Codes accumulate per row; nothing is
dropped until :func:`split_valid_quarantined` separates valid from quarantined rows."""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Tuple, Union

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

REASONS = "quarantine_reasons"


def with_reasons(df: DataFrame) -> DataFrame:
    """Add an empty ``quarantine_reasons`` (array of strings) unless the DataFrame has one."""
    if REASONS in df.columns:
        return df
    return df.withColumn(REASONS, F.array().cast("array<string>"))


def flag(condition: Union[Column, str], reason: str):
    """Curried step appending ``reason`` to ``quarantine_reasons`` of the rows where
    ``condition`` is true (a null condition counts as false).

    Parameters
    ----------
    condition
        Boolean Column (or SQL expression) marking the failing rows.
    reason
        The reason code, e.g. ``"invalid_msisdn"``.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    failing = F.expr(condition) if isinstance(condition, str) else condition

    # The previous reasons are referenced once, so Catalyst collapses a chain of flags into one
    # projection (CollapseProject) whose concats it flattens (CombineConcats); the form
    # ``when(c, array_append(r)).otherwise(r)`` names ``r`` twice and leaves one projection per
    # flag, a plan too deep to compile.
    appended = F.when(F.coalesce(failing, F.lit(False)), F.array(F.lit(reason))).otherwise(
        F.array().cast("array<string>"))

    def step(df: DataFrame) -> DataFrame:
        df = with_reasons(df)
        return df.withColumn(REASONS, F.concat(F.col(REASONS), appended))
    return step


def flag_missing(value: Column, field: str, required: bool = True):
    """Curried step appending ``<field>_missing`` where ``value`` is null, for a required field
    (an optional field's absence is no reason: the step is then the identity).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    if not required:
        return lambda df: df
    return flag(value.isNull(), f"{field}_missing")


class StagedStep:
    """A step in two parts: temporary columns computed in stages, then a step reading them.

    Called on a DataFrame it is an ordinary curried step (see :func:`computed_once`); several of
    them run together with :func:`in_shared_stages`, which computes the stages of all in one
    projection per stage.
    """

    def __init__(self, stages: Sequence[Dict[str, Column]], step: Callable[[DataFrame], DataFrame]):
        self.stages = [dict(stage) for stage in stages]
        self.step = step

    @property
    def temporary_columns(self) -> List[str]:
        return [name for stage in self.stages for name in stage]

    def __call__(self, df: DataFrame) -> DataFrame:
        for stage in self.stages:
            df = df.withColumns(stage)
        return df.transform(self.step).drop(*self.temporary_columns)


def computed_once(stages: Sequence[Dict[str, Column]], step: Callable[[DataFrame], DataFrame]) -> StagedStep:
    """Curried step: add each stage's columns (one projection per stage, in order), run ``step``,
    which reads them, then drop them.

    A Column expression used in several conditions of a rule is repeated in each, and Catalyst's
    common-subexpression elimination misses the copies in conditional positions (a CASE branch,
    the right side of AND/OR, COALESCE). A column computed in its own projection and read more than
    once is computed once per row: CollapseProject does not inline such a column.

    Parameters
    ----------
    stages
        Dicts of temporary column name to expression; a later stage may read an earlier one.
    step
        The rule, reading the temporary columns by name.

    Returns
    -------
    StagedStep
        Callable as a step: ``step``'s result without the temporary columns.
    """
    return StagedStep(stages, step)


def in_shared_stages(steps: Sequence[Callable[[DataFrame], DataFrame]]):
    """Curried step running ``steps`` in order, with the stages of every :class:`StagedStep`
    among them merged: stage ``i`` of all of them is one projection.

    A feed's rules then cost a few wide projections instead of a few per field: fewer plan nodes,
    rows materialised fewer times when whole-stage codegen is off, and the same result as running
    the steps one after the other, provided no stage reads a column that an earlier step writes
    (each rule's stages read the raw text of its own field).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    steps = list(steps)
    staged = [s for s in steps if isinstance(s, StagedStep)]
    depth = max((len(s.stages) for s in staged), default=0)

    def run(df: DataFrame) -> DataFrame:
        for i in range(depth):
            df = df.withColumns({name: column for s in staged if i < len(s.stages)
                                 for name, column in s.stages[i].items()})
        for s in steps:
            df = df.transform(s.step if isinstance(s, StagedStep) else s)
        return df.drop(*[name for s in staged for name in s.temporary_columns])
    return run


def is_quarantined() -> Column:
    """True for rows with at least one reason."""
    return F.size(F.col(REASONS)) > 0


def split_valid_quarantined(df: DataFrame) -> Tuple[DataFrame, DataFrame]:
    """Split a flagged DataFrame into (valid rows without ``quarantine_reasons``, quarantined
    rows with them). Every row lands in exactly one of the two.
    """
    df = with_reasons(df)
    return df.where(~is_quarantined()).drop(REASONS), df.where(is_quarantined())
