"""Ingest on a day of CDR files with every kind of bad file: each is named with its problem, the
good files go through, and every line that can be read is landed (nothing is lost)."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import zlib
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import ingest
from jobs.runtime.job import run_job
from tests.conftest import FAST_SPARK_SETTINGS, LOCAL_CONF, redirected_paths

RUN_DATE = dt.date(2026, 11, 21)
HEADER = ("record_id;record_type;start_time;duration_s;calling_number;called_number;imsi;imei;cell_id;"
          "bytes_up;bytes_down;release_cause;roaming;tariff_plan")


def record(i: int, delimiter: str = ";") -> str:
    fields = [f"2026112100{i:08d}", "VOICE", "2026-11-21 10:00:00", "60", "0612345678", "+33698765432",
              "208011234567890", "490154203237518", "208-01-100-5", "0", "0", "16", "N", "Prépayé"]
    return delimiter.join(fields)


def gz(lines) -> bytes:
    return gzip.compress("".join(line + "\n" for line in lines).encode("utf-8"))


# name -> (file content, the problem the report must give, or None, lines Spark can read)
TRUNCATED_RECORDS = 3000


def bad_day(folder: Path) -> dict:
    folder.mkdir(parents=True)
    full = gz([HEADER] + [record(i) for i in range(TRUNCATED_RECORDS)])
    files = {
        "good.txt.gz": gz([HEADER, record(1), record(2), record(3)]),
        "good_plain.csv": (HEADER + "\n" + record(4) + "\n").encode("utf-8"),
        "binary_garbage.gz": os.urandom(4096),
        "binary_garbage.csv": b"\x00\x01\x02\xff\xfe" * 300 + b"\n" + os.urandom(1000),
        "empty.txt.gz": b"",
        "empty_compressed.txt.gz": gz([]),
        "header_only.txt.gz": gz([HEADER]),
        "wrong_delimiter.txt.gz": gz([HEADER.replace(";", ","), record(5, ","), record(6, ",")]),
        "missing_columns.txt.gz": gz([HEADER.replace(";imsi", ""), record(7).replace(";208011234567890", "")]),
        "truncated.txt.gz": full[: len(full) // 2],
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


def readable_lines(content: bytes) -> int:
    """Independent oracle: the complete lines zlib can decompress from a damaged gzip."""
    data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(content)
    return data.count(b"\n")


@pytest.fixture(scope="module")
def ingested(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-files")
    files = bad_day(root / "raw" / "cdr" / f"event_date={RUN_DATE}" / "hour=10")
    args = ["--conf", str(LOCAL_CONF), "--run-date", RUN_DATE.isoformat()]
    for item in redirected_paths(root):
        args += ["--set", item]
    code = run_job("ingest", ingest.run, args, spark_extra=FAST_SPARK_SETTINGS)
    report = json.loads((root / "reports" / "ingest" / f"{RUN_DATE}.json").read_text())
    by_name = {Path(f["path"]).name: f for f in report["feeds"]["cdr"]["files"]}
    bronze = spark.read.format("delta").load(str(root / "bronze" / "cdr"))
    per_file = {Path(r["_source_file"]).name: r["count"] for r in bronze.groupBy("_source_file").count().collect()}
    return code, report, by_name, per_file, files, bronze


def test_job_succeeds_and_names_every_file(ingested):
    code, report, by_name, *_ = ingested
    assert code == 0
    assert set(by_name) == {"good.txt.gz", "good_plain.csv", "binary_garbage.gz", "binary_garbage.csv",
                            "empty.txt.gz", "empty_compressed.txt.gz", "header_only.txt.gz",
                            "wrong_delimiter.txt.gz", "missing_columns.txt.gz", "truncated.txt.gz"}


@pytest.mark.parametrize("name, expected", [
    ("binary_garbage.gz", "unreadable: "),
    ("binary_garbage.csv", "not a text file"),
    ("empty.txt.gz", "empty file"),
    ("empty_compressed.txt.gz", "empty file"),
    ("wrong_delimiter.txt.gz", "wrong delimiter: the header splits on ','"),
    ("missing_columns.txt.gz", "missing columns: imsi"),
])
def test_each_bad_file_gets_its_problem(ingested, name, expected):
    _, _, by_name, *_ = ingested
    assert by_name[name]["problem"] is not None and by_name[name]["problem"].startswith(expected), by_name[name]


def test_unreadable_gzip_names_the_cause(ingested):
    _, _, by_name, *_ = ingested
    assert "gzip" in by_name["binary_garbage.gz"]["problem"].lower()


def test_header_only_and_truncated_files_are_named(ingested):
    _, _, by_name, *_ = ingested
    assert by_name["header_only.txt.gz"]["problem"] is None
    assert by_name["header_only.txt.gz"]["warnings"] == ["header only: the file holds no record"]
    truncated = by_name["truncated.txt.gz"]
    assert truncated["damaged"] is True
    assert truncated["warnings"][0].startswith("damaged: ")


def test_good_files_go_through_with_typed_layout(ingested):
    *_, per_file, _, bronze = ingested
    assert per_file["good.txt.gz"] == 3 and per_file["good_plain.csv"] == 1
    good = bronze.where(F.col("_source_file").endswith("/good.txt.gz")).orderBy("record_id").collect()
    assert [r.record_id for r in good] == ["202611210000000001", "202611210000000002", "202611210000000003"]
    assert all(r.imsi == "208011234567890" and r._file_problem is None and r._field_count == 14 for r in good)


def test_no_line_is_lost(ingested):
    """Every line of a file with a wrong layout is landed (with its problem), and a damaged file
    gives every line that can be decompressed, header excepted."""
    _, report, by_name, per_file, files, bronze = ingested
    assert per_file["wrong_delimiter.txt.gz"] == 3       # header included: it is not a header of this feed
    assert per_file["missing_columns.txt.gz"] == 2
    lines = gzip.decompress(files["wrong_delimiter.txt.gz"]).decode().splitlines()
    landed = bronze.where(F.col("_source_file").endswith("/wrong_delimiter.txt.gz"))
    assert sorted(r._line for r in landed.collect()) == sorted(lines)
    assert landed.where(F.col("_file_problem").isNull()).count() == 0
    assert landed.where(F.col("record_id").isNotNull()).count() == 0
    expected = readable_lines(files["truncated.txt.gz"]) - 1  # minus the header
    assert 0 < expected < TRUNCATED_RECORDS
    assert per_file["truncated.txt.gz"] >= expected
    assert by_name["truncated.txt.gz"]["records"] == per_file["truncated.txt.gz"]
    cdr = report["feeds"]["cdr"]
    assert cdr["records"] == bronze.count() == sum(per_file.values())
    assert cdr["lines"] == cdr["records"] + cdr["headers"]
    assert cdr["headers"] == 4  # good, good_plain, header_only, truncated


def test_rerun_replaces_the_date(spark, ingested, tmp_path_factory):
    code, report, *_ = ingested
    root = Path(report["feeds"]["cdr"]["table"]).parent.parent
    args = ["--conf", str(LOCAL_CONF), "--run-date", RUN_DATE.isoformat()]
    for item in redirected_paths(root):
        args += ["--set", item]
    assert run_job("ingest", ingest.run, args, spark_extra=FAST_SPARK_SETTINGS) == 0
    again = spark.read.format("delta").load(report["feeds"]["cdr"]["table"])
    assert again.count() == report["feeds"]["cdr"]["records"]
