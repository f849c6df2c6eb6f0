"""The generator job end to end on a small day: raw exports checked against the truth, the truth
checked against the documented model, defects against their configured rates."""
from __future__ import annotations

import datetime as dt
import gzip
import math
import re
from collections import Counter
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import generate
from jobs.runtime.job import run_job
from tests.conftest import FAST_SPARK_SETTINGS, LOCAL_CONF, job_argv
from transformations.synthetic import exports
from transformations.synthetic.calls import TARIFF_PLANS, calls_from_ids
from transformations.synthetic.network import cells_from_site_ids
from transformations.synthetic.weather import weather_from_ids
from jobs.runtime.config import load_config

RUN_DATE = dt.date(2026, 11, 21)  # a Saturday: 0.9 of the weekday volume
ROWS_PER_WEEKDAY = 8000
SCALE = {
    "generate.scale.cdr_rows_per_day": ROWS_PER_WEEKDAY, "generate.scale.subscribers": 3000,
    "generate.scale.call_centres": 3, "generate.scale.call_centre_share": 0.05, "generate.scale.sites": 100,
    "generate.scale.rail_lines": 2, "generate.scale.areas": 4, "generate.scale.partitions": 2,
    "generate.scale.files_per_hour": 2, "generate.radio.sampled_call_fraction": 0.6,
}
RATES = {
    "malformed_date": 0.01, "bad_msisdn": 0.01, "null_token": 0.01, "out_of_range": 0.01, "sentinel": 0.01,
    "wrong_column_count": 0.01, "windows_1252": 0.01, "duplicate_probe": 0.02, "truncated_last_line": 0.5,
    "alternate_date_format": 0.2,
}


def job_args(root: Path):
    return job_argv(root, RUN_DATE, {**SCALE, **{f"generate.defects.{k}": v for k, v in RATES.items()}})


@pytest.fixture(scope="module")
def day(spark, tmp_path_factory):
    """Run the generator once for the module; returns the data root and the exit code."""
    root = tmp_path_factory.mktemp("generated")
    code = run_job("generate", generate.run, job_args(root), spark_extra=FAST_SPARK_SETTINGS)
    return root, code


def read_lines(folder: Path):
    """(file, lines as bytes) of every gzip file under ``folder``, lines without newline."""
    files = sorted(folder.rglob("*.gz"))
    return [(f, gzip.decompress(f.read_bytes()).split(b"\n")[:-1]) for f in files]


def truth(spark, root: Path, table: str):
    return spark.read.format("delta").load(str(root / "truth" / table)).where(
        F.col("event_date") == F.lit(RUN_DATE))


def defect_counts(spark, root: Path, feed: str) -> Counter:
    rows = truth(spark, root, "defect_counts").where(F.col("feed") == feed).collect()
    return Counter({r.defect: r.rows for r in rows})


def normalise_msisdn(text: str) -> str:
    """Independent normaliser of the shapes French switches print (test oracle)."""
    digits = text.replace(" ", "")
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("33") and len(digits) == 11:
        return "+" + digits
    if digits.startswith("0"):
        return "+33" + digits[1:]
    return "+33" + digits


def parse_start(text: str) -> dt.datetime:
    """Independent parser of the four start-time formats, to UTC (Europe/Paris, winter: UTC+1)."""
    from zoneinfo import ZoneInfo

    if text.isdigit() and len(text) == 10:
        return dt.datetime.fromtimestamp(int(text), dt.timezone.utc)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            local = dt.datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo("Europe/Paris"))
            return local.astimezone(dt.timezone.utc)
        except ValueError:
            continue
    raise ValueError(text)


def test_job_succeeds_and_logs_its_run(spark, day):
    root, code = day
    assert code == 0
    log = spark.read.format("delta").load(str(root / "run_log")).where("job = 'generate'").collect()
    assert [r.status for r in log] == ["succeeded"]
    assert log[0].counts["cdr.records"] == log[0].rows_out - sum(
        v for k, v in log[0].counts.items() if k.endswith(".records") and not k.startswith("cdr"))


def test_every_feed_has_headers_and_the_files_of_each_hour(day):
    root, _ = day
    raw = root / "raw"
    expected_files = {"cdr": 48, "radio": 48, "cells": 1, "weather": 1}
    columns = {"cdr": (exports.CDR_COLUMNS, ";"), "radio": (exports.RADIO_COLUMNS, "\t"),
               "cells": (exports.CELL_COLUMNS, ","), "weather": (exports.WEATHER_COLUMNS, ",")}
    for feed, count in expected_files.items():
        files = read_lines(raw / feed / f"event_date={RUN_DATE}")
        assert len(files) == count, feed
        names, delimiter = columns[feed]
        for path, lines in files:
            assert lines[0].decode() == delimiter.join(names), path
    cdr_dirs = {p.parent.relative_to(raw / "cdr" / f"event_date={RUN_DATE}").as_posix()
                for p in (raw / "cdr").rglob("*.gz")}
    assert cdr_dirs == {f"hour={h:02d}/source=probe0{s}" for h in range(24) for s in (1, 2)}


def test_cdr_lines_carry_exactly_the_counted_defects(spark, day):
    root, _ = day
    counts = defect_counts(spark, root, "cdr")
    lines = [line for _, ls in read_lines(root / "raw" / "cdr" / f"event_date={RUN_DATE}") for line in ls[1:]]
    assert len(lines) == sum(counts.values())
    fields = [line.split(b";") for line in lines]
    assert sum(len(f) != 14 for f in fields) == counts["wrong_column_count"] + counts["truncated_last_line"]
    not_utf8 = []
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8.append(line)
    assert len(not_utf8) == counts["windows_1252"]
    # Python's codec as the oracle: each is a tariff plan saved in windows-1252, some in its bytes 0x80-0x9F
    plans = [line.split(b";")[-1].decode("cp1252") for line in not_utf8]
    assert set(plans) <= set(TARIFF_PLANS) and {"Pass Europe 5 €", "L’Essentiel"} & set(plans), Counter(plans)
    sentinels = sum(len(f) == 14 and (f[3] == b"-999" or f[10] == b"-999") for f in fields)
    assert sentinels == counts["sentinel"]
    assert sum(f[0].endswith(b"-2") for f in fields) == counts["duplicate_probe"]
    tokens = {b"", b"-", b"NULL", b"\\N"}
    mandatory = (2, 4, 6, 8)
    assert sum(len(f) == 14 and any(f[i] in tokens for i in mandatory) for f in fields) == counts["null_token"]


def test_defect_rates_are_within_binomial_tolerance(spark, day):
    root, _ = day
    counts = defect_counts(spark, root, "cdr")
    records = sum(v for k, v in counts.items() if k not in ("duplicate_probe", "truncated_last_line"))
    for defect in ("malformed_date", "bad_msisdn", "null_token", "out_of_range", "sentinel",
                   "wrong_column_count", "windows_1252", "duplicate_probe"):
        rate = RATES[defect]
        sigma = math.sqrt(records * rate * (1 - rate))
        assert abs(counts[defect] - records * rate) <= 4 * sigma + 1, (defect, counts[defect], records * rate)
    assert 0 < counts["truncated_last_line"] <= 48


def test_clean_cdr_lines_match_the_truth(spark, day):
    root, _ = day
    lines = [line for _, ls in read_lines(root / "raw" / "cdr" / f"event_date={RUN_DATE}") for line in ls[1:]]
    printed = {}
    for line in lines:
        f = line.decode("utf-8", errors="replace").split(";")
        printed[f[0]] = f
    clean = truth(spark, root, "cdr").where("defect IS NULL").select(
        "record_id", "calling_e164", "called_e164", "start_time_utc", "duration_s", "imsi", "imei", "cell_id",
        "roaming").collect()
    assert len(clean) > 0.9 * 0.9 * ROWS_PER_WEEKDAY * 0.9
    for row in clean:
        f = printed[row.record_id]
        assert normalise_msisdn(f[4]) == row.calling_e164, f
        if row.called_e164:
            assert normalise_msisdn(f[5]) == row.called_e164, f
        assert parse_start(f[2]) == row.start_time_utc.replace(tzinfo=dt.timezone.utc), f
        assert (int(f[3]), f[6], f[7], f[8]) == (row.duration_s, row.imsi, row.imei, row.cell_id)
        assert (f[12] in exports.TRUE_SPELLINGS) == row.roaming


def test_duplicates_come_from_the_other_probe_within_two_seconds(spark, day):
    root, _ = day
    where = {}
    for path, lines in read_lines(root / "raw" / "cdr" / f"event_date={RUN_DATE}"):
        probe = re.search(r"source=(probe\d+)", str(path)).group(1)
        for line in lines[1:]:
            f = line.decode("utf-8", errors="replace").split(";")
            where[f[0]] = (probe, f)
    pairs = [(where[k[:-2]], v) for k, v in where.items() if k.endswith("-2")]
    assert pairs
    for (probe, original), (dup_probe, dup) in pairs:
        assert probe != dup_probe
        assert original[4:9] == dup[4:9]  # same parties, identifiers and cell
        delta = (parse_start(dup[2]) - parse_start(original[2])).total_seconds()
        assert 0 <= delta <= 2


def test_signal_truth_follows_the_documented_model(spark, day):
    root, _ = day
    sigma = 6.0
    reports = truth(spark, root, "radio")
    cells = truth(spark, root, "cells").select("cell_id", "band_mhz", "beamwidth_deg")
    rows = reports.join(cells, "cell_id").select(
        "distance_km", "off_azimuth_deg", "band_mhz", "beamwidth_deg", "rain_mm_h", "on_train", "load",
        "expected_signal_dbm", "signal_dbm").collect()
    assert len(rows) > 1000
    for r in rows:
        d = max(r.distance_km, 0.02)
        pl = 32.45 + 20 * math.log10(r.band_mhz) + (
            20 * math.log10(d) if d <= 0.1 else 20 * math.log10(0.1) + 35 * math.log10(d / 0.1))
        gain = 17.0 - min(12 * (r.off_azimuth_deg / r.beamwidth_deg) ** 2, 25.0)
        expected = (15.0 + gain - pl - 0.15 * r.rain_mm_h * r.band_mhz / 1800 - (24.0 if r.on_train else 0.0)
                    - 6.0 * r.load)
        assert r.expected_signal_dbm == pytest.approx(expected, abs=1e-6)
    inside = [r.signal_dbm - r.expected_signal_dbm for r in rows if -125 <= r.expected_signal_dbm <= -60]
    mean = sum(inside) / len(inside)
    std = math.sqrt(sum((x - mean) ** 2 for x in inside) / (len(inside) - 1))
    assert abs(mean) < 0.4
    assert std == pytest.approx(math.sqrt(sigma ** 2 + 1 / 12), rel=0.06)


def test_drops_follow_the_true_probability(spark, day):
    root, _ = day
    stats = truth(spark, root, "cdr").where("record_type = 'VOICE' AND outcome IN ('completed', 'dropped')").agg(
        F.count("*").alias("n"), F.sum(F.col("dropped").cast("int")).alias("drops"),
        F.sum("drop_probability").alias("expected"),
        F.sum(F.col("drop_probability") * (1 - F.col("drop_probability"))).alias("variance"),
        F.avg(F.when(F.col("on_train"), F.col("drop_probability"))).alias("p_train"),
        F.avg(F.when(~F.col("on_train"), F.col("drop_probability"))).alias("p_ground")).first()
    assert stats.n > 1000 and stats.drops > 10
    assert abs(stats.drops - stats.expected) <= 4 * math.sqrt(stats.variance)
    assert stats.p_train > 2 * stats.p_ground  # deep indoor-in-train loss and speed


def test_activity_is_heavy_tailed_and_follows_the_day(spark, day):
    root, _ = day
    calls = truth(spark, root, "cdr").where("defect IS NULL OR defect <> 'truncated_last_line'")
    n = calls.count()
    per_sub = [r[0] for r in calls.groupBy("subscriber_id").count().orderBy(F.desc("count")).select("count").collect()]
    centres = calls.where("is_call_centre").count()
    assert abs(centres / n - 0.05) < 0.01
    top = per_sub[3: 3 + 30]  # after the 3 call centres, the top 1 % of 3000 lines
    assert sum(top) / n > 0.05
    hours = dict(calls.groupBy("local_hour").count().collect())
    assert hours[18] > 5 * hours[3]


def test_generation_does_not_depend_on_partitioning(spark):
    settings = load_config(str(LOCAL_CONF), [f"{k}={v}" for k, v in SCALE.items()]).generate
    cells = cells_from_site_ids(spark.range(100, numPartitions=1), settings)
    weather = weather_from_ids(spark.range(4 * 24, numPartitions=1), settings, RUN_DATE)

    def calls(partitions):
        return calls_from_ids(spark.range(1500 + 48, numPartitions=partitions), cells, weather, settings,
                              RUN_DATE, 1500).drop("heading_rad")

    assert_df_equality(calls(1), calls(3), ignore_row_order=True, ignore_nullable=True)


def test_rerun_replaces_the_date(spark, day):
    root, _ = day
    before = truth(spark, root, "cdr").count()
    assert run_job("generate", generate.run, job_args(root), spark_extra=FAST_SPARK_SETTINGS) == 0
    assert truth(spark, root, "cdr").count() == before
    history = spark.sql(f"DESCRIBE HISTORY delta.`{root / 'truth' / 'cdr'}`").collect()
    assert len(history) == 2
