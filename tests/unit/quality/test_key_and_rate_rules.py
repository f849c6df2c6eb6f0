"""Uniqueness, referential integrity, duplicate and quarantine rates."""
from __future__ import annotations

from jobs.runtime.config import QualityRule
from transformations.quality.base import FAILED, PASSED
from transformations.quality.metrics import aggregated_metrics, scanned_rows
from transformations.quality.rules import build_rules

from .conftest import RUN_DATE


def test_uniqueness_counts_surplus_rows_and_ignores_null_keys(spark, check):
    df = spark.createDataFrame([("a", 1), ("a", 1), ("a", 2), ("b", 1), ("b", 1), ("b", 1), (None, 1), (None, 1)],
                               "k string, j int")
    values, v = check(df, single={"type": "uniqueness", "columns": ["k"]},
                      pair={"type": "uniqueness", "columns": ["k", "j"], "max_duplicates": 3})
    assert (values["single:keyed"], values["single:distinct"]) == (6, 2)
    assert v["single"].observed == 4 and v["single"].status == FAILED
    assert (values["pair:keyed"], values["pair:distinct"]) == (6, 3)
    assert v["pair"].observed == 3 and v["pair"].status == PASSED


def test_uniqueness_of_an_empty_table(spark, check):
    df = spark.createDataFrame([], "k string")
    values, v = check(df, u={"type": "uniqueness", "columns": ["k"]})
    assert values["u:keyed"] == 0 and v["u"].status == "no_data"


def test_one_scan_for_any_number_of_rules_and_one_more_per_uniqueness_key(spark, tmp_path):
    path = str(tmp_path / "t")
    spark.createDataFrame([(i, i % 7) for i in range(50)], "id int, v int").write.parquet(path)
    df = spark.read.parquet(path)
    rules = {f"r{i}": QualityRule(type="range", column="v", minimum=i) for i in range(10)}
    rules["unique"] = QualityRule(type="uniqueness", columns=["id"])
    built = build_rules("ds", rules, RUN_DATE)
    plan = scanned_rows(df).transform(aggregated_metrics(built, {}))._jdf.queryExecution().executedPlan().toString()
    assert plan.count("FileScan parquet") == 2           # the main aggregation and the key branch
    plan = (scanned_rows(df).transform(aggregated_metrics(built[:-1], {}))
            ._jdf.queryExecution().executedPlan().toString())
    assert plan.count("FileScan parquet") == 1           # ten rules, one scan


def test_referential_counts_orphans_once_even_with_duplicate_reference_keys(spark, check):
    calls = spark.createDataFrame([("c1",), ("c1",), ("c2",), ("c9",), (None,)], "cell_id string")
    cells = spark.createDataFrame([("c1",), ("c1",), ("c2",), (None,)], "cell_id string")
    values, v = check(calls, references={"cells": cells},
                      known={"type": "referential", "column": "cell_id", "reference": "cells",
                             "reference_column": "cell_id", "max_ratio": 0.2})
    assert values["rows"] == 5                               # the join multiplies nothing
    assert (values["known:checked"], values["known:orphans"]) == (4, 1)
    assert v["known"].status == FAILED and v["known"].observed == 0.25
    assert "1 of 4 cell_id values (25%) are not in cells.cell_id" == v["known"].message


def quarantined(spark):
    return spark.createDataFrame([(["probe_duplicate"], "r1"), (["probe_duplicate"], "r1"),
                                  (["imei_luhn", "imsi_missing"], None), (["imsi_missing"], None)],
                                 "reasons array<string>, duplicate_of string")


def test_duplicate_and_quarantine_rates_are_shares_of_the_rows_read(spark, check):
    table = spark.createDataFrame([(i,) for i in range(16)], "v int")
    values, v = check(table, quarantine=quarantined(spark),
                      dups={"type": "duplicate_rate", "max_ratio": 0.1},
                      luhn={"type": "quarantine_rate", "reason": "imei_luhn", "max_ratio": 0.1},
                      imsi={"type": "quarantine_rate", "reason": "imsi_missing", "max_ratio": 0.1})
    assert values["read"] == 20
    assert v["dups"].observed == 0.1 and v["dups"].status == PASSED
    assert v["luhn"].observed == 0.05 and v["luhn"].status == PASSED
    assert v["imsi"].observed == 0.1 and v["imsi"].status == PASSED
    _, v = check(table, quarantine=quarantined(spark), dups={"type": "duplicate_rate", "max_ratio": 0.09})
    assert v["dups"].status == FAILED
