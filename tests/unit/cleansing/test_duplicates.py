"""Probe duplicates: records of one event seen by two probes are clustered by key and time, the
smallest id survives whatever the input order, and every record is either a survivor or a duplicate."""
from datetime import datetime, timedelta

import pytest
from pyspark.sql import functions as F

from transformations.cleansing.duplicates import mark_probe_duplicates, split_duplicates

T0 = datetime(2026, 3, 1, 12, 0, 0)
SCHEMA = "record_id string, calling string, called string, start_time timestamp"
MARK = mark_probe_duplicates(["calling", "called"], "start_time", 5, "record_id")


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def marks(df):
    return {r.record_id: r.duplicate_of for r in df.transform(MARK).collect()}


def test_a_pair_one_second_apart_keeps_the_smallest_id_whatever_the_order(spark):
    rows = [("b-2", "+33612345678", "+33698765432", at(0)), ("a-1", "+33612345678", "+33698765432", at(1))]
    expected = {"a-1": None, "b-2": "a-1"}   # a-1 survives although it is the later record
    assert marks(spark.createDataFrame(rows, SCHEMA)) == expected
    assert marks(spark.createDataFrame(rows[::-1], SCHEMA)) == expected
    assert marks(spark.createDataFrame(rows, SCHEMA).repartition(2, "record_id")) == expected
    assert marks(spark.createDataFrame(rows[::-1], SCHEMA).repartition(3)) == expected


def test_a_chain_within_the_tolerance_is_one_cluster(spark):
    rows = [("r3", "A", "B", at(8)), ("r1", "A", "B", at(4)), ("r2", "A", "B", at(0))]
    # 0 s, 4 s, 8 s: each gap is 4 s <= 5 s, although 0 s and 8 s are 8 s apart.
    assert marks(spark.createDataFrame(rows, SCHEMA)) == {"r1": None, "r2": "r1", "r3": "r1"}


def test_a_gap_larger_than_the_tolerance_starts_a_new_cluster(spark):
    rows = [("r1", "A", "B", at(0)), ("r2", "A", "B", at(10)), ("r3", "A", "B", at(15)), ("r4", "A", "B", at(21))]
    # 0 | 10, 15 (gap 5: inclusive) | 21 (gap 6)
    assert marks(spark.createDataFrame(rows, SCHEMA)) == {"r1": None, "r2": None, "r3": "r2", "r4": None}


def test_different_keys_and_null_keys_never_match(spark):
    rows = [("r1", "A", "B", at(0)), ("r2", "A", "C", at(1)),      # other called party
            ("r3", "A", None, at(0)), ("r4", "A", None, at(1)),    # null key: no duplicate
            ("r5", None, None, at(0)), ("r6", None, None, at(0)),
            ("r7", "A", "B", None), ("r8", "A", "B", None),        # null time: no duplicate
            (None, "A", "B", at(2))]                               # null id: no duplicate
    assert marks(spark.createDataFrame(rows, SCHEMA)) == {
        "r1": None, "r2": None, "r3": None, "r4": None, "r5": None, "r6": None, "r7": None, "r8": None,
        None: None}


def test_exact_copies_one_survives(spark):
    rows = [("r1", "A", "B", at(0)), ("r1", "A", "B", at(0))]
    out = spark.createDataFrame(rows, SCHEMA).transform(MARK)
    assert sorted((r.duplicate_of or "") for r in out.collect()) == ["", "r1"]


def test_copies_with_the_same_id_and_time_but_other_values_keep_the_same_survivor_whatever_the_order(spark):
    # the same switch record reaching both probes, one of them printing another duration
    df = spark.createDataFrame([("r1", "A", "B", at(0), 61, "probe02"), ("r1", "A", "B", at(0), 60, "probe01")],
                               SCHEMA + ", duration int, source string")
    for ordered in (df, df.orderBy("source"), df.repartition(3), df.orderBy("duration").coalesce(1)):
        out = ordered.transform(MARK)
        assert [(r.duration, r.source) for r in out.where("duplicate_of is null").collect()] == [(60, "probe01")]
        assert [r.duplicate_of for r in out.where("duplicate_of is not null").collect()] == ["r1"]


def test_with_sources_a_probes_own_burst_is_distinct_events_and_only_other_probes_repeat_it(spark):
    by_source = mark_probe_duplicates(["calling", "called"], "start_time", 5, "record_id", source_column="file")
    # three SMS to one contact within two seconds, written by probe01; probe02 saw the same three
    rows = [("a1", "A", "B", at(0), "probe01"), ("a2", "A", "B", at(1), "probe01"), ("a3", "A", "B", at(2), "probe01"),
            ("b1", "A", "B", at(0.2), "probe02"), ("b2", "A", "B", at(1.2), "probe02"),
            ("b3", "A", "B", at(2.2), "probe02"),
            ("a2", "A", "B", at(1), "probe01"),      # a line delivered twice is still one event
            ("c1", "A", "B", at(3), None)]           # a record of no known source repeats the survivor
    df = spark.createDataFrame(rows, SCHEMA + ", file string")
    expected = {"a1": [None], "a2": [None, "a1"], "a3": [None], "b1": ["a1"], "b2": ["a1"], "b3": ["a1"],
                "c1": ["a1"]}
    for ordered in (df, df.orderBy(F.col("record_id").desc()), df.repartition(3), df.repartition(2, "file")):
        got = {}
        for r in ordered.transform(by_source).collect():
            got.setdefault(r.record_id, []).append(r.duplicate_of)
        assert {k: sorted(v, key=lambda d: d or "") for k, v in got.items()} == expected
    # a switch record both probes wrote under its id, the other probe's copy first in time: one stays
    both = spark.createDataFrame([("r1", "A", "B", at(0), "p1"), ("r2", "A", "B", at(1.0), "p2"),
                                  ("r2", "A", "B", at(1.3), "p1")], SCHEMA + ", file string")
    for ordered in (both, both.repartition(3), both.orderBy(F.col("file").desc())):
        assert sorted((r.record_id, r.file, r.duplicate_of or "") for r in ordered.transform(by_source).collect()) == [
            ("r1", "p1", ""), ("r2", "p1", ""), ("r2", "p2", "r1")]
    # without sources, the burst is one event: every record but a1 repeats it
    assert sorted(r.record_id for r in df.transform(MARK).where("duplicate_of is null").collect()) == ["a1"]


def test_with_sources_every_source_that_wrote_the_survivors_id_keeps_its_own_events(spark):
    """The survivor's id reached two sources. Each one's other records are events of its own: a
    probe's second SMS that the other probe missed, or the burst of a file re-delivered without a
    probe in its path (whose path sorts before "probe..."), are kept, not taken for repeats."""
    by_source = mark_probe_duplicates(["calling", "called"], "start_time", 5, "record_id", source_column="file")
    rows = [("r1", "A", "B", at(0), "probe01"), ("r1", "A", "B", at(0.3), "probe02"),
            ("r2", "A", "B", at(1), "probe02"),                  # only probe02 saw the second SMS
            ("s1", "C", "D", at(0), "file:/late/x.gz"), ("s1", "C", "D", at(0), "probe01"),
            ("s2", "C", "D", at(1), "probe01"), ("s3", "C", "D", at(2), "probe01"),
            ("s3", "C", "D", at(2.2), "probe02")]              # probe02 repeats s3 (not the survivor's)
    df = spark.createDataFrame(rows, SCHEMA + ", file string")
    expected = [("r1", "probe01", ""), ("r1", "probe02", "r1"), ("r2", "probe02", ""),
                ("s1", "file:/late/x.gz", ""), ("s1", "probe01", "s1"), ("s2", "probe01", ""),
                ("s3", "probe01", ""), ("s3", "probe02", "s1")]
    for ordered in (df, df.repartition(3), df.orderBy(F.col("file").desc(), F.col("record_id").desc())):
        got = sorted((r.record_id, r.file, r.duplicate_of or "") for r in ordered.transform(by_source).collect())
        assert got == expected


def test_numeric_seconds_and_integer_ids(spark):
    df = spark.createDataFrame([(3, "A", 100.0), (1, "A", 104.5), (2, "A", 110.0), (5, "B", 100.2)],
                               "id long, key string, t double")
    out = df.transform(mark_probe_duplicates(["key"], "t", 5.0, "id", flag_column="dup"))
    assert dict(out.dtypes)["dup"] == "bigint"
    assert {r.id: r.dup for r in out.collect()} == {3: 1, 1: None, 2: None, 5: None}


def test_split_accounts_for_every_row(spark):
    rows = [("r1", "A", "B", at(0)), ("r2", "A", "B", at(1)), ("r3", "A", "B", at(2)),
            ("r4", "A", "C", at(0)), ("r5", None, "B", at(0)), ("r6", "A", "B", at(60))]
    df = spark.createDataFrame(rows, SCHEMA)
    survivors, duplicates = split_duplicates(df.transform(MARK))
    assert survivors.columns == df.columns
    assert sorted(r.record_id for r in survivors.collect()) == ["r1", "r4", "r5", "r6"]
    assert sorted((r.record_id, r.duplicate_of) for r in duplicates.collect()) == [("r2", "r1"), ("r3", "r1")]
    assert survivors.count() + duplicates.count() == df.count() == 6


def test_output_columns_and_plan_one_shuffle_no_join(spark):
    df = spark.createDataFrame([("r1", "A", "B", at(0))], SCHEMA)
    out = df.transform(MARK)
    assert out.columns == df.columns + ["duplicate_of"]
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange") == 1 and "Join" not in plan
    by_source = df.withColumn("file", F.lit("probe01")).transform(
        mark_probe_duplicates(["calling", "called"], "start_time", 5, "record_id", source_column="file"))
    plan = by_source._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange") == 1 and plan.count("Sort [") == 2 and "Join" not in plan   # a sort per window order


def test_every_column_comes_out_as_it_went_in_whatever_its_type(spark):
    # the columns the windows do not read ride through them packed, and come out unpacked
    schema = (SCHEMA + ", tags array<string>, attrs map<string,int>, cell struct<mcc:string,mnc:string>, "
              "bytes bigint, `note.text` string")
    rows = [("r2", "A", "B", at(1), ["x", None], {"k": 1}, ("208", "01"), 12, "a"),
            ("r1", "A", "B", at(0), [], {}, None, None, None),
            ("r3", "A", None, at(0), None, None, ("208", None), -1, "é")]
    df = spark.createDataFrame(rows, schema)
    out = df.transform(MARK)
    assert out.columns == df.columns + ["duplicate_of"]
    assert [f.dataType for f in out.schema.fields][:-1] == [f.dataType for f in df.schema.fields]
    assert {r.record_id: tuple(r)[:-1] for r in out.collect()} == {r.record_id: tuple(r) for r in df.collect()}
    assert {r.record_id: r.duplicate_of for r in out.collect()} == {"r1": None, "r2": "r1", "r3": None}


def test_bad_settings():
    with pytest.raises(ValueError):
        mark_probe_duplicates([], "t", 5, "id")
    with pytest.raises(ValueError):
        mark_probe_duplicates(["k"], "t", -1, "id")


def test_text_time_column_is_refused(spark):
    df = spark.createDataFrame([("r1", "A", "2026-03-01")], "id string, k string, t string")
    with pytest.raises(TypeError, match="timestamp"):
        df.transform(mark_probe_duplicates(["k"], "t", 5, "id"))
