"""Key rules: a primary key is unique; a foreign key exists in its reference table."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.quality.base import FAILED, NO_DATA, PASSED, History, Rule, Verdict, fmt, in_table, ratio


class Uniqueness(Rule):
    """No two rows share the values of ``columns`` (rows with a null in them are not keys).

    Exact: rows with a key minus distinct keys, from a grouping by the key in a branch of the
    dataset's one query (:meth:`side_metrics`). Not a ``count(DISTINCT)`` in the main
    aggregation: Spark would then group every other metric's buffer by the key, shuffling them
    all and, with a set-valued metric, falling back to a sort per key (30x slower here). The
    branch reads and shuffles the key columns only. More than ``max_duplicates`` (default 0)
    surplus rows fail.
    """

    tracked = "duplicates"

    def columns(self) -> List[str]:
        return list(self.settings.columns)

    def metrics(self) -> Dict[str, Column]:
        return {}   # see side_metrics

    def side_metrics(self, scanned: DataFrame) -> DataFrame:
        keys = [F.col(c) for c in self.settings.columns]
        keyed = in_table()
        for key in keys:
            keyed = keyed & key.isNotNull()
        per_key = scanned.where(keyed).groupBy(*keys).agg(F.count(F.lit(1)).alias("n"))
        return per_key.agg(F.coalesce(F.sum("n"), F.lit(0)).alias(self.metric("keyed")),
                           F.count(F.lit(1)).alias(self.metric("distinct")))

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        allowed = self.settings.max_duplicates or 0
        keyed, distinct = values["keyed"], values["distinct"]
        key = ", ".join(self.settings.columns)
        expected = f"surplus rows <= {fmt(allowed)}"
        if not keyed:
            return Verdict(NO_DATA, None, expected, f"no row with a ({key}) key")
        surplus = keyed - distinct
        status = PASSED if surplus <= allowed else FAILED
        return Verdict(status, float(surplus), expected,
                       f"{fmt(distinct)} distinct ({key}) among {fmt(keyed)} rows: {fmt(surplus)} surplus",
                       band=(None, float(allowed)), recorded={self.metric("duplicates"): float(surplus)})


class Referential(Rule):
    """Every non-null ``column`` value exists as ``reference_column`` of the ``reference``
    dataset; at most ``max_ratio`` (default 0) of the values may be orphans.

    The reference's distinct keys are joined to the scanned rows (left outer, one flag column):
    Spark broadcasts them when they are small (a cell list), and sort-merge joins them when they
    are not, with AQE splitting skewed keys; the join is part of the one scan either way.
    """

    def _found(self) -> str:
        return f"__found_{self.name}"

    def prepare(self, df: DataFrame, references: Mapping[str, DataFrame]) -> DataFrame:
        reference = references[self.settings.reference]
        key = f"__key_{self.name}"
        keys = (reference.select(F.col(self.settings.reference_column).alias(key))
                .where(F.col(key).isNotNull()).distinct()
                .withColumn(self._found(), F.lit(True)))
        return df.join(keys, df[self.settings.column] == keys[key], "left").drop(key)

    def failing_rows(self) -> Column:
        return F.col(self.settings.column).isNotNull() & F.col(self._found()).isNull()

    def metrics(self) -> Dict[str, Column]:
        return {"checked": F.count(F.when(in_table(), F.col(self.settings.column))),
                "orphans": F.count(F.when(in_table() & self.failing_rows(), 1))}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        allowed = self.settings.max_ratio or 0.0
        checked, orphans = values["checked"], values["orphans"]
        expected = f"orphan share <= {fmt(allowed)}"
        target = f"{self.settings.reference}.{self.settings.reference_column}"
        if not checked:
            return Verdict(NO_DATA, None, expected, f"no {self.settings.column} value to look up in {target}")
        share = ratio(orphans, checked)
        status = PASSED if share <= allowed else FAILED
        return Verdict(status, share, expected,
                       f"{fmt(orphans)} of {fmt(checked)} {self.settings.column} values ({fmt(100 * share)}%) "
                       f"are not in {target}", band=(None, allowed), recorded={self.metric("ratio"): share})
