"""Which rows carry which injected defect: decided in the truth, so every defect is counted.

At most one row-level defect per row, drawn at the configured rates. A duplicate from a second
probe is added only for clean rows (so the survivor of deduplication is always a valid row), and
a file's truncated last line is a dedicated record (``calls.calls_from_ids``).
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.synthetic.random import uniform

CDR_DEFECTS = ("malformed_date", "bad_msisdn", "null_token", "out_of_range", "sentinel",
               "wrong_column_count", "windows_1252", "orphan_cell_id")
RADIO_DEFECTS = ("malformed_date", "null_token", "out_of_range", "sentinel", "wrong_column_count")
WEATHER_DEFECTS = ("null_token", "sentinel")
CELL_DEFECTS = ("null_token", "windows_1252")
TRUNCATED = "truncated_last_line"
DUPLICATE = "duplicate_probe"


def defect_choice(u: Column, rates, kinds: Sequence[str]) -> Column:
    """The defect a row carries given a uniform draw: ``kinds[i]`` with probability ``rates.<kind>``,
    null (clean) otherwise."""
    cumulative, expression = 0.0, None
    for kind in kinds:
        rate = getattr(rates, kind)
        if rate <= 0:
            continue
        cumulative += rate
        expression = (F.when(u < cumulative, F.lit(kind)) if expression is None
                      else expression.when(u < cumulative, F.lit(kind)))
    if cumulative >= 1.0:
        raise ValueError(f"defect rates of {', '.join(kinds)} add up to {cumulative:.3f} >= 1")
    return F.lit(None).cast("string") if expression is None else expression


def with_defects(kinds: Sequence[str], settings, *keys: Column, salt: str):
    """Curried step adding ``defect`` (string, null when clean) keyed by ``keys``.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        For ``df.transform``.
    """
    def step(df: DataFrame) -> DataFrame:
        u = uniform(settings.seed, f"defect:{salt}", *keys)
        return df.withColumn("defect", defect_choice(u, settings.defects, kinds))
    return step


def with_cdr_defects(settings):
    """Curried step for call records: ``defect``, ``duplicated`` (a second probe also saw it) and
    ``alternate_date_format`` (printed in another valid format: not a defect)."""
    rates = settings.defects
    key = F.col("record_id")

    def step(df: DataFrame) -> DataFrame:
        marked = df.transform(with_defects(CDR_DEFECTS, settings, key, salt="cdr"))
        defect = F.when(F.col("is_tail"), F.lit(TRUNCATED)).otherwise(F.col("defect"))
        return marked.withColumn("defect", defect).withColumns({
            "duplicated": F.col("defect").isNull() & (uniform(settings.seed, "dup", key) < rates.duplicate_probe),
            "alternate_date_format": uniform(settings.seed, "altdate", key) < rates.alternate_date_format,
        })
    return step


def rates_table(settings) -> dict:
    """The configured rates, for the defect report."""
    return dataclasses.asdict(settings.defects)
