"""Unit tests of the generator's Column building blocks: draws, identifiers, the radio model."""
from __future__ import annotations

import math

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from transformations.synthetic import identifiers as ids
from transformations.synthetic import radio_model as rm
from transformations.synthetic.random import normal, pick, uniform


def luhn_valid(number: str) -> bool:
    """Independent Luhn check (the textbook algorithm over the full number)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def test_uniform_is_keyed_not_positional(spark):
    one = spark.range(2000, numPartitions=1).select("id", uniform(7, "x", F.col("id")).alias("u"))
    many = spark.range(2000, numPartitions=5).select("id", uniform(7, "x", F.col("id")).alias("u"))
    assert sorted(one.collect()) == sorted(many.collect())
    other_seed = spark.range(2000).select(uniform(8, "x", F.col("id")).alias("u")).collect()
    assert [r.u for r in other_seed] != [r.u for r in sorted(one.collect())]


def test_uniform_and_normal_moments(spark):
    stats = spark.range(200_000).select(uniform(1, "m", F.col("id")).alias("u"),
                                        normal(1, "n", F.col("id")).alias("z")).agg(
        F.min("u"), F.max("u"), F.avg("u"), F.avg("z"), F.stddev("z")).first()
    assert stats[0] >= 0.0 and stats[1] < 1.0
    assert abs(stats[2] - 0.5) < 0.005
    assert abs(stats[3]) < 0.01 and abs(stats[4] - 1.0) < 0.01


def test_pick_follows_weights(spark):
    counts = dict(spark.range(100_000).select(
        pick(uniform(3, "p", F.col("id")), [("a", 0.5), ("b", 0.3), ("c", 0.2)]).alias("v"))
        .groupBy("v").count().collect())
    assert abs(counts["a"] / 100_000 - 0.5) < 0.01
    assert abs(counts["b"] / 100_000 - 0.3) < 0.01
    assert abs(counts["c"] / 100_000 - 0.2) < 0.01


@pytest.mark.parametrize("shape,printed", [
    (0, "+33612345678"), (1, "0033612345678"), (2, "0612345678"), (3, "33612345678"),
    (4, "06 12 34 56 78"), (5, "+33 6 12 34 56 78"), (6, "612345678"),
])
def test_messy_msisdn_shapes(spark, shape, printed):
    df = spark.createDataFrame([("612345678", shape, printed)], "national string, shape int, expected string")
    df = df.withColumn("printed", ids.messy_msisdn("33", F.col("national"), F.col("shape")))
    assert_column_equality(df, "printed", "expected")


def test_identifiers_unique_and_well_formed(spark):
    rows = spark.range(5000).select(
        ids.national_number(F.col("id")).alias("nsn"),
        ids.imsi("208", "01", F.col("id")).alias("imsi"),
        ids.imei(uniform(1, "d", F.col("id")), F.col("id")).alias("imei"),
    ).collect()
    assert len({r.nsn for r in rows}) == 5000 and len({r.imsi for r in rows}) == 5000
    assert all(len(r.nsn) == 9 and r.nsn.startswith("6") and not r.nsn.startswith(("639", "69")) for r in rows)
    assert all(r.nsn[1] in "01245678" for r in rows)
    spread = spark.range(0, 80_000_000, 16_000).select(ids.national_number(F.col("id")).alias("nsn")).collect()
    assert len({r.nsn for r in spread}) == len(spread) and {r.nsn[1] for r in spread} == set("01245678")
    assert all(len(r.imsi) == 15 and r.imsi.startswith("20801") for r in rows)
    assert all(len(r.imei) == 15 and r.imei.isdigit() and luhn_valid(r.imei) for r in rows)


@pytest.mark.parametrize("body,check", [("49015420323751", "8"), ("35332509000000", None)])
def test_luhn_check_digit_known_values(spark, body, check):
    # 490154203237518 is the IMEI example of 3GPP TS 23.003; the second body is checked by rule.
    got = spark.createDataFrame([(body,)], "b string").select(ids.luhn_check_digit(F.col("b"), 14)).first()[0]
    if check is not None:
        assert got == check
    assert luhn_valid(body + got)
    assert not luhn_valid(body + str((int(got) + 1) % 10))


def test_path_loss_and_gain_match_the_documented_formulas(spark):
    row = spark.createDataFrame([(0.05, 1.0, 5.0, 1800.0, 0.0, 30.0, 120.0, 65.0)],
                                "d1 double, d2 double, d3 double, f double, a0 double, a1 double, a2 double, bw double"
                                ).select(
        rm.path_loss_db(F.col("d1"), F.col("f"), 3.5).alias("pl1"),
        rm.path_loss_db(F.col("d2"), F.col("f"), 3.5).alias("pl2"),
        rm.path_loss_db(F.col("d3"), F.col("f"), 3.5).alias("pl3"),
        rm.antenna_gain_db(F.col("a0"), F.col("bw"), 17.0, 25.0).alias("g0"),
        rm.antenna_gain_db(F.col("a1"), F.col("bw"), 17.0, 25.0).alias("g1"),
        rm.antenna_gain_db(F.col("a2"), F.col("bw"), 17.0, 25.0).alias("g2"),
    ).first()
    free_space_50m = 32.45 + 20 * math.log10(1800) + 20 * math.log10(0.05)
    at_100m = 32.45 + 20 * math.log10(1800) + 20 * math.log10(0.1)
    assert row.pl1 == pytest.approx(free_space_50m)
    assert row.pl2 == pytest.approx(at_100m + 35 * math.log10(10))
    assert row.pl3 - row.pl2 == pytest.approx(35 * math.log10(5))
    assert row.g0 == pytest.approx(17.0)
    assert row.g1 == pytest.approx(17.0 - 12 * (30 / 65) ** 2)
    assert row.g2 == pytest.approx(17.0 - 25.0)  # capped by the front-to-back ratio


def test_bearing_and_angle_off_azimuth(spark):
    schema = "nx double, ny double, ex double, ey double, wx double, wy double"
    row = spark.createDataFrame([(0.0, 1.0, 1.0, 0.0, -1.0, 0.0)], schema).select(
        rm.bearing_deg(F.col("nx"), F.col("ny")).alias("north"),
        rm.bearing_deg(F.col("ex"), F.col("ey")).alias("east"),
        rm.bearing_deg(F.col("wx"), F.col("wy")).alias("west"),
        rm.angle_off_azimuth_deg(F.lit(350.0), F.lit(10.0)).alias("wrap"),
    ).first()
    assert (row.north, row.east, row.west, row.wrap) == pytest.approx((0.0, 90.0, 270.0, 20.0))


def test_observed_signal_is_clipped_to_the_report_range(spark):
    rows = spark.createDataFrame([(-200.0,), (-30.0,), (-80.4,)], "e double").select(
        rm.observed_signal_dbm(F.col("e"), F.lit(0.0), 6.0).alias("s")).collect()
    assert [r.s for r in rows] == [-140, -44, -80]
