"""The one pass: every aggregate metric of a dataset's rules in a single aggregation.

    scanned = scanned_rows(silver, quarantine)
    values = scanned.transform(aggregated_metrics(rules, references)).first()   # one action
    verdicts = judged(rules, values.asDict(), history)
"""
from __future__ import annotations

from functools import reduce
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.quality.base import (ERROR, QUARANTINE, READ, ROWS, TABLE, ZONE, History, Rule, Verdict,
                                          in_table)

Step = Callable[[DataFrame], DataFrame]


def scanned_rows(table: DataFrame, quarantine: Optional[DataFrame] = None) -> DataFrame:
    """The rows one pass reads: the table's, and its quarantine's when given, each marked with
    its zone (columns missing on one side are null there).

    Parameters
    ----------
    table
        The dataset's rows for the run date.
    quarantine
        The quarantine rows of the same feed and date (duplicate and quarantine rates).
    """
    rows = table.withColumn(ZONE, F.lit(TABLE))
    if quarantine is None:
        return rows
    return rows.unionByName(quarantine.withColumn(ZONE, F.lit(QUARANTINE)), allowMissingColumns=True)


def prepared(rules: Sequence[Rule], references: Mapping[str, DataFrame]) -> Step:
    """Curried step: the columns the rules derive before aggregating (reference flags, times)."""
    def step(df: DataFrame) -> DataFrame:
        return reduce(lambda acc, rule: rule.prepare(acc, references), rules, df)
    return step


def metric_columns(rules: Sequence[Rule]) -> List[Column]:
    """The aggregate expressions of the dataset (``rows``, ``read``) and of every rule, named
    ``<rule>:<metric>``."""
    columns = [F.count(F.when(in_table(), 1)).alias(ROWS), F.count(F.lit(1)).alias(READ)]
    for rule in rules:
        columns += [expression.alias(rule.metric(name)) for name, expression in rule.metrics().items()]
    return columns


def aggregated_metrics(rules: Sequence[Rule], references: Mapping[str, DataFrame]) -> Step:
    """Curried step: the scanned rows (:func:`scanned_rows`) to one row holding every metric.

    One query: the main aggregation over the prepared rows, plus the branches of rules that
    need their own grouping (:meth:`~transformations.quality.base.Rule.side_metrics`: a
    uniqueness key), each a one-row result joined to it.
    """
    def step(scanned: DataFrame) -> DataFrame:
        row = scanned.transform(prepared(rules, references)).agg(*metric_columns(rules))
        for rule in rules:
            side = rule.side_metrics(scanned)
            if side is not None:
                row = row.crossJoin(side)
        return row
    return step


def missing_columns(rule: Rule, columns: Sequence[str]) -> List[str]:
    """Columns a rule reads that the dataset does not have."""
    return [c for c in rule.columns() if c not in columns]


def rule_values(rule: Rule, values: Mapping[str, Any]) -> Dict[str, Any]:
    """One rule's metrics (unprefixed) plus the dataset's ``rows`` and ``read``."""
    prefix = rule.metric("")
    own = {name[len(prefix):]: value for name, value in values.items() if name.startswith(prefix)}
    return {**own, ROWS: values[ROWS], READ: values[READ]}


def judged(rules: Sequence[Rule], values: Mapping[str, Any], history: History) -> List[Tuple[Rule, Verdict]]:
    """Each rule's verdict; a rule whose verdict raises gets an ``error`` verdict naming why."""
    verdicts = []
    for rule in rules:
        try:
            verdicts.append((rule, rule.judge(rule_values(rule, values), history)))
        except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others' outcomes
            verdicts.append((rule, Verdict(ERROR, None, "", f"could not evaluate: {type(error).__name__}: {error}")))
    return verdicts


def numeric_metrics(values: Mapping[str, Any]) -> Dict[str, float]:
    """The numeric metrics of a pass (for the history); sets and lists are left out."""
    return {name: float(value) for name, value in values.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}
