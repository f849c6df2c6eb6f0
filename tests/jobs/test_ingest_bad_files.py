"""Ingest on a day of CDR files with every kind of bad file: each is named with its problem, the
good files go through, and every line that can be read is landed (nothing is lost)."""
from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import os
import re
import zlib
from pathlib import Path
from urllib.parse import unquote

import pytest
from pyspark.sql import functions as F

from jobs import ingest
from jobs.runtime.job import run_job
from tests.conftest import FAST_SPARK_SETTINGS, LOCAL_CONF, redirected_paths

RUN_DATE = dt.date(2026, 11, 21)
HEADER = ("record_id;record_type;start_time;duration_s;calling_number;called_number;imsi;imei;cell_id;"
          "bytes_up;bytes_down;release_cause;roaming;tariff_plan")


def record(i: int, delimiter: str = ";", tariff_plan: str = "Prépayé") -> str:
    fields = [f"2026112100{i:08d}", "VOICE", "2026-11-21 10:00:00", "60", "0612345678", "+33698765432",
              "208011234567890", "490154203237518", "208-01-100-5", "0", "0", "16", "N", tariff_plan]
    return delimiter.join(fields)


def gz(lines) -> bytes:
    return gzip.compress("".join(line + "\n" for line in lines).encode("utf-8"))


# name -> (file content, the problem the report must give, or None, lines Spark can read)
TRUNCATED_RECORDS = 3000
WINDOWS_TARIFF_PLANS = {12: "Forfait 5 €", 13: "“Pro” – l’offre Œuvre"}


def bad_day(folder: Path) -> dict:
    folder.mkdir(parents=True)
    full = gz([HEADER] + [record(i) for i in range(TRUNCATED_RECORDS)])
    files = {
        "good.txt.gz": gz([HEADER, record(1), record(2), record(3)]),
        "good_plain.csv": (HEADER + "\n" + record(4) + "\n").encode("utf-8"),
        "bom_header.csv": ("\ufeff" + HEADER + "\n" + record(10) + "\n" + record(11) + "\n").encode("utf-8"),
        # saved by a Windows tool into the UTF-8 feed: its lines are repaired by conf's fallback
        "windows_export.csv": "".join(line + "\n" for line in (
            HEADER, *[record(i, tariff_plan=plan) for i, plan in WINDOWS_TARIFF_PLANS.items()])).encode("cp1252"),
        "binary_garbage.gz": os.urandom(4096),
        # two lines: no CR or LF in the random part (Spark's text reader splits on both)
        "binary_garbage.csv": (b"\x00\x01\x02\xff\xfe" * 300 + b"\n"
                               + bytes(b for b in os.urandom(2000) if b not in (10, 13))[:1000]),
        "empty.txt.gz": b"",
        "empty_compressed.txt.gz": gz([]),
        "header_only.txt.gz": gz([HEADER]),
        "no_header.txt.gz": gz([record(8), record(9)]),
        "wrong_delimiter.txt.gz": gz([HEADER.replace(";", ","), record(5, ","), record(6, ",")]),
        "wrong_delimiter_quoted.csv": ('"' + HEADER.replace(";", '","') + '"\n' + record(30, ",") + "\n").encode(),
        "missing_columns.txt.gz": gz([HEADER.replace(";imsi", ""), record(7).replace(";208011234567890", "")]),
        "truncated.txt.gz": full[: len(full) // 2],
        "export.zip": b"PK\x03\x04" + os.urandom(200),
        # names a glob would take for patterns: each is read once, as itself
        "export[1].csv": (HEADER + "\n" + record(20) + "\n" + record(21) + "\n").encode("utf-8"),
        "export1.csv": (HEADER + "\n" + record(22) + "\n").encode("utf-8"),
        "export{b,c}.csv": (HEADER + "\n" + record(23) + "\n").encode("utf-8"),
        # a tool that upper-cases the header, a blank line before it (the blank line is a record)
        "upper_case_header.csv": (HEADER.upper() + "\n" + record(24) + "\n").encode("utf-8"),
        "blank_line_first.csv": ("\n" + HEADER + "\n" + record(25) + "\n").encode("utf-8"),
        # RFC 4180 quoting: a quoted header, a field holding the delimiter and a doubled quote, a
        # quote left open (its field ends at the next delimiter: one field too many, cleanse
        # quarantines it), and a quoted field on the line of a quote inside a word
        "quoted_fields.csv": "".join(line + "\n" for line in (
            '"' + HEADER.replace(";", '";"') + '"', record(28, tariff_plan='"Forfait; 2h ""Pro"""'),
            record(29, tariff_plan='"Forfait; 3h'),
            record(31, tariff_plan='O"Brien').replace("202611210000000031", '"202611210000000031"'))).encode("utf-8"),
        # a copy still being written: named, not read
        "_temporary/0/part-00000.csv": (HEADER + "\n" + record(26) + "\n").encode("utf-8"),
        ".upload.csv": (HEADER + "\n" + record(27) + "\n").encode("utf-8"),
    }
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    (folder.parent / "_SUCCESS").write_bytes(b"")    # conf's done flag in the day's directory: no data
    # what Hadoop's local file system writes beside its files: a checksum each, a job's marker
    (folder / ".good_plain.csv.crc").write_bytes(b"crc\x00\x00\x02\x00")
    (folder / "_temporary" / "0" / ".part-00000.csv.crc").write_bytes(b"crc\x00\x00\x02\x00")
    (folder / "_temporary" / "0" / "_SUCCESS").write_bytes(b"")
    return files


def decompressed(content: bytes) -> bytes:
    """Independent oracle: what zlib can decompress from a (possibly damaged) gzip."""
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(content)


# The records each file must land, from its content alone (headers left out).
EXPECTED_RECORDS = {
    "good.txt.gz": 3, "good_plain.csv": 1, "bom_header.csv": 2, "windows_export.csv": 2,
    "binary_garbage.gz": 0,              # not gzip: nothing can be read
    "binary_garbage.csv": 2,             # two lines of bytes, landed with the file's problem
    "empty.txt.gz": 0, "empty_compressed.txt.gz": 0, "header_only.txt.gz": 0,
    "no_header.txt.gz": 2,               # its first line is a record, not a header: landed too
    "wrong_delimiter.txt.gz": 3,         # header included: it is not a header of this feed
    "wrong_delimiter_quoted.csv": 2,
    "missing_columns.txt.gz": 2,
    "export.zip": 0,                     # not read, named
    "export[1].csv": 2, "export1.csv": 1, "export{b,c}.csv": 1,
    "upper_case_header.csv": 1, "blank_line_first.csv": 2, "quoted_fields.csv": 3,
    "part-00000.csv": 0, ".upload.csv": 0,     # hidden: not read, named
}
HEADERS = {"good.txt.gz", "good_plain.csv", "bom_header.csv", "windows_export.csv", "header_only.txt.gz",
           "truncated.txt.gz", "export[1].csv", "export1.csv", "export{b,c}.csv", "upper_case_header.csv",
           "blank_line_first.csv", "quoted_fields.csv"}


@pytest.fixture(scope="module")
def ingested(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-files")
    files = bad_day(root / "raw" / "cdr" / f"event_date={RUN_DATE}" / "hour=10")
    args = ["--conf", str(LOCAL_CONF), "--run-date", RUN_DATE.isoformat()]
    for item in redirected_paths(root):
        args += ["--set", item]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run_job("ingest", ingest.run, args, spark_extra=FAST_SPARK_SETTINGS)
    report = json.loads((root / "reports" / "ingest" / f"{RUN_DATE}.json").read_text())
    by_name = {Path(f["path"]).name: f for f in report["feeds"]["cdr"]["files"]}
    bronze = spark.read.format("delta").load(str(root / "bronze" / "cdr"))
    per_file = {Path(unquote(r["_source_file"])).name: r["count"]
                for r in bronze.groupBy("_source_file").count().collect()}
    return code, report, by_name, per_file, files, bronze, printed.getvalue()


def test_job_succeeds_and_names_every_file(ingested):
    code, report, by_name, *_ = ingested
    assert code == 0
    # the done flag, checksums and markers are no files of data
    assert set(by_name) == set(EXPECTED_RECORDS) | {"truncated.txt.gz"}


@pytest.mark.parametrize("name, expected", [
    ("binary_garbage.gz", "unreadable: "),
    ("binary_garbage.csv", "not a text file"),
    ("empty.txt.gz", "empty file"),
    ("empty_compressed.txt.gz", "empty file"),
    ("no_header.txt.gz", "no header: the first line names none of the feed's columns"),
    ("wrong_delimiter.txt.gz", "wrong delimiter: the header splits on ','"),
    ("wrong_delimiter_quoted.csv", "wrong delimiter: the header splits on ','"),
    ("missing_columns.txt.gz", "missing columns: imsi"),
    ("export.zip", "not read: the name does not end with .gz, .bz2, .csv, .tsv, .txt"),
])
def test_each_bad_file_gets_its_problem_in_report_log_and_console(ingested, name, expected):
    *_, by_name, _, _, _, printed = ingested
    problem = by_name[name]["problem"]
    assert problem is not None and problem.startswith(expected), by_name[name]
    path = by_name[name]["path"]
    assert f"! {path}: {problem}" in [line.strip() for line in printed.splitlines()], printed


def test_unreadable_gzip_names_the_cause(ingested):
    _, _, by_name, *_ = ingested
    assert "gzip" in by_name["binary_garbage.gz"]["problem"].lower()


def test_a_record_quoted_in_a_message_has_its_digits_masked(ingested):
    """A headerless file's first line is a record: its identifiers must not reach the report."""
    *_, by_name, _, _, bronze, printed = ingested
    problem = by_name["no_header.txt.gz"]["problem"]
    assert "99;VOICE;9999-99-99 99:99:99;99;" in problem
    assert re.search(r"[0-8]", problem.split("(", 1)[1]) is None, problem
    for text in (printed, json.dumps(by_name)):
        assert "0612345678" not in text and "208011234567890" not in text
    landed = bronze.where(F.col("_source_file").endswith("/no_header.txt.gz"))
    assert [r._file_problem for r in landed.collect()] == [problem, problem]


def test_a_feed_without_any_file_that_day_is_named(ingested):
    _, report, *_, printed = ingested
    assert report["feeds"]["cdr"]["warnings"] == []
    for feed in ("radio", "cells", "weather"):               # this day holds CDR files only
        warning, = report["feeds"][feed]["warnings"]
        assert re.fullmatch(rf"no raw file in \S+/raw/{feed}/event_date={RUN_DATE}: the date's bronze rows are none",
                            warning), warning
        assert f"! {warning}" in [line.strip() for line in printed.splitlines()]


def test_header_only_file_is_named(ingested):
    _, _, by_name, *_ = ingested
    assert by_name["header_only.txt.gz"]["problem"] is None
    assert by_name["header_only.txt.gz"]["warnings"] == ["header only: the file holds no record"]


def test_truncated_gzip_is_named_and_read_up_to_the_damage(ingested):
    *_, by_name, per_file, files, bronze, _ = ingested
    truncated = by_name["truncated.txt.gz"]
    assert truncated["damaged"] is True and truncated["problem"] is None
    assert truncated["warnings"][0].startswith("damaged: ")
    complete = decompressed(files["truncated.txt.gz"]).decode().split("\n")[1:-1]   # no header, no cut line
    assert 0 < len(complete) < TRUNCATED_RECORDS
    landed = bronze.where(F.col("_source_file").endswith("/truncated.txt.gz"))
    assert sorted(r._line for r in landed.collect()) == sorted(complete)
    assert truncated["records"] == per_file["truncated.txt.gz"] == len(complete)


def test_a_byte_order_mark_before_the_header_leaves_the_header_out(ingested):
    """The header is checked without its mark, and Hadoop's line reader drops the mark of a file's
    first line: the header matches and is left out, not landed as a record."""
    *_, by_name, per_file, _, bronze, _ = ingested
    assert by_name["bom_header.csv"]["problem"] is None and by_name["bom_header.csv"]["warnings"] == []
    landed = bronze.where(F.col("_source_file").endswith("/bom_header.csv")).orderBy("record_id").collect()
    assert [r.record_id for r in landed] == ["202611210000000010", "202611210000000011"]


@pytest.mark.parametrize("name, record_ids", [
    ("export[1].csv", ["202611210000000020", "202611210000000021"]),
    ("export1.csv", ["202611210000000022"]),
    ("export{b,c}.csv", ["202611210000000023"]),
])
def test_a_name_with_glob_characters_is_read_once_as_itself(ingested, name, record_ids):
    """``export[1].csv`` as a glob is ``export1.csv``, and ``export{b,c}.csv`` matches no file."""
    *_, by_name, _, _, bronze, _ = ingested
    assert by_name[name]["problem"] is None and by_name[name]["records"] == len(record_ids)
    landed = [r for r in bronze.collect() if unquote(r._source_file).endswith("/" + name)]
    assert sorted(r.record_id for r in landed) == record_ids


def test_an_upper_case_header_and_a_blank_line_before_the_header_still_find_the_columns(ingested):
    *_, by_name, _, _, bronze, _ = ingested
    for name, record_id in (("upper_case_header.csv", "202611210000000024"),
                            ("blank_line_first.csv", "202611210000000025")):
        assert by_name[name]["problem"] is None and by_name[name]["warnings"] == [], by_name[name]
        landed = bronze.where(F.col("_source_file").endswith("/" + name)).collect()
        assert record_id in [r.record_id for r in landed] and all(r._file_problem is None for r in landed)
    blank, = [r for r in bronze.where(F.col("_source_file").endswith("/blank_line_first.csv")).collect()
              if r.record_id != "202611210000000025"]
    assert blank._line == "" and blank._field_count == 1     # landed: cleanse quarantines it as blank_line


def test_quoted_fields_are_read_and_a_quote_inside_a_field_is_text(ingested):
    *_, by_name, _, _, bronze, _ = ingested
    assert by_name["quoted_fields.csv"]["problem"] is None and by_name["quoted_fields.csv"]["warnings"] == []
    stray_quote, quoted, open_quote = (bronze.where(F.col("_source_file").endswith("/quoted_fields.csv"))
                                       .orderBy("_line").collect())
    assert stray_quote.record_id == "202611210000000031" and stray_quote._field_count == 14
    assert stray_quote.tariff_plan == 'O"Brien'
    assert quoted.record_id == "202611210000000028" and quoted._field_count == 14
    assert quoted.tariff_plan == 'Forfait; 2h "Pro"' and quoted.roaming == "N"
    assert open_quote.record_id == "202611210000000029" and open_quote._field_count == 15   # wrong_field_count
    assert open_quote.tariff_plan == '"Forfait'


def test_a_file_under_a_hidden_name_is_named_and_not_read(ingested):
    """A ``_temporary/`` folder (a copy in progress) or a dot file: read, it would land its records
    twice or half-written; skipped without a word, an operator would never see it."""
    *_, by_name, per_file, _, _, printed = ingested
    for name, hidden in (("part-00000.csv", "_temporary"), (".upload.csv", ".upload.csv")):
        warning, = by_name[name]["warnings"]
        assert warning.startswith(f"not read: hidden by '{hidden}'") and by_name[name]["problem"] is None
        assert f"! {by_name[name]['path']}: {warning}" in [line.strip() for line in printed.splitlines()]
        assert name not in per_file


def test_good_files_go_through_with_typed_layout(ingested):
    *_, per_file, _, bronze, _ = ingested
    assert per_file["good.txt.gz"] == 3 and per_file["good_plain.csv"] == 1
    good = bronze.where(F.col("_source_file").endswith("/good.txt.gz")).orderBy("record_id").collect()
    assert [r.record_id for r in good] == ["202611210000000001", "202611210000000002", "202611210000000003"]
    assert all(r.imsi == "208011234567890" and r._file_problem is None and r._field_count == 14 for r in good)


def test_a_windows_1252_file_in_the_utf8_feed_lands_as_the_text_it_holds(ingested):
    """The euro sign, curly quotes and dashes of a Windows export are bytes 0x80-0x9F: read as the
    text the Windows tool showed (ISO-8859-1 would give invisible control characters)."""
    *_, by_name, per_file, _, bronze, _ = ingested
    assert by_name["windows_export.csv"]["problem"] is None
    landed = bronze.where(F.col("_source_file").endswith("/windows_export.csv")).orderBy("record_id").collect()
    assert [r.tariff_plan for r in landed] == ["Forfait 5 €", "“Pro” – l’offre Œuvre"]
    assert [r.calling_number for r in landed] == ["0612345678"] * 2 and all(r._field_count == 14 for r in landed)


def test_no_line_is_lost(ingested):
    """Every record line of every file is landed, with its file's problem where it has one; the
    report's counts are those of the files' contents."""
    _, report, by_name, per_file, files, bronze, _ = ingested
    complete = len(decompressed(files["truncated.txt.gz"]).decode().split("\n")[1:-1])
    expected = dict(EXPECTED_RECORDS, **{"truncated.txt.gz": complete})
    assert {name: per_file.get(name, 0) for name in expected} == expected
    assert {name: f["records"] for name, f in by_name.items()} == expected
    for name in ("wrong_delimiter.txt.gz", "missing_columns.txt.gz", "binary_garbage.csv", "no_header.txt.gz"):
        landed = bronze.where(F.col("_source_file").endswith(f"/{name}"))
        assert landed.where(F.col("_file_problem").isNull()).count() == 0, name
        assert landed.where(F.col("record_id").isNotNull()).count() == 0, name
    lines = gzip.decompress(files["wrong_delimiter.txt.gz"]).decode().splitlines()
    landed = bronze.where(F.col("_source_file").endswith("/wrong_delimiter.txt.gz"))
    assert sorted(r._line for r in landed.collect()) == sorted(lines)
    cdr = report["feeds"]["cdr"]
    assert cdr["records"] == sum(expected.values())
    assert cdr["headers"] == len(HEADERS)
    assert cdr["lines"] == sum(expected.values()) + len(HEADERS)


def test_rerun_replaces_the_date(spark, ingested, tmp_path_factory):
    code, report, *_ = ingested
    root = Path(report["feeds"]["cdr"]["table"]).parent.parent
    args = ["--conf", str(LOCAL_CONF), "--run-date", RUN_DATE.isoformat()]
    for item in redirected_paths(root):
        args += ["--set", item]
    assert run_job("ingest", ingest.run, args, spark_extra=FAST_SPARK_SETTINGS) == 0
    again = spark.read.format("delta").load(report["feeds"]["cdr"]["table"])
    assert again.count() == report["feeds"]["cdr"]["records"]
