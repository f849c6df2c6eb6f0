"""Header checks of raw files: the rules that name a bad file, without Spark."""
from __future__ import annotations

import pytest

from jobs.runtime.config import load_config
from jobs.runtime.rawfiles import check_header, failed_file, normal_uri, same_file
from tests.conftest import LOCAL_CONF

FEEDS = load_config(str(LOCAL_CONF)).feeds
CDR_HEADER = ("record_id;record_type;start_time;duration_s;calling_number;called_number;imsi;imei;cell_id;"
              "bytes_up;bytes_down;release_cause;roaming;tariff_plan")


def check(raw, feed="cdr"):
    return check_header(raw, FEEDS[feed], "file:/x/f.gz", 10 if raw is not None else 0)


def test_good_header_maps_every_field_to_its_position():
    profile = check(CDR_HEADER.encode())
    assert profile.problem is None and profile.warnings == []
    assert profile.field_count == 14
    assert profile.field_index["record_id"] == 0 and profile.field_index["tariff_plan"] == 13


def test_reordered_columns_and_a_bom_are_fine():
    names = CDR_HEADER.split(";")
    profile = check(b"\xef\xbb\xbf" + ";".join(reversed(names)).encode())
    assert profile.problem is None
    assert profile.field_index["record_id"] == 13 and profile.field_index["tariff_plan"] == 0


def test_missing_optional_columns_warn_and_stay_null():
    profile = check(CDR_HEADER.replace(";tariff_plan", "").replace(";imei", "").encode())
    assert profile.problem is None
    assert profile.warnings == ["optional columns absent, left null: imei, tariff_plan"]
    assert profile.field_index["imei"] is None


@pytest.mark.parametrize("raw, problem", [
    (None, "empty file (no header, no records)"),
    (CDR_HEADER.replace(";imsi", "").replace(";cell_id", "").encode(), "missing columns: imsi, cell_id"),
    (CDR_HEADER.replace(";", ",").encode(), "wrong delimiter: the header splits on ',', the feed declares ';'"),
    (CDR_HEADER.replace(";", "\t").encode(), "wrong delimiter: the header splits on 'TAB', the feed declares ';'"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00binary", "not a text file: the first line holds binary bytes"),
    (b"2026112100001;VOICE;2026-11-21 10:00:00;60", "no header: the first line names none of the feed's"),
])
def test_bad_headers_are_named(raw, problem):
    profile = check(raw)
    assert profile.problem is not None and profile.problem.startswith(problem), profile.problem


def test_latin1_header_decodes_with_the_fallback():
    header = "observed_at,area_id,température,rain_mm_h,wind_kmh,temperature_c".encode("latin-1")
    profile = check(header, "weather")
    assert profile.problem is None and profile.field_index["temperature_c"] == 5


def test_failed_file_is_read_from_sparks_error():
    message = ("org.apache.spark.SparkException: [FAILED_READ_FILE.NO_HINT] Encountered error while reading "
               "file file:///data/raw/cdr/a%20b.txt.gz.  SQLSTATE: KD001\n\tat ...")
    assert failed_file(Exception(message)) == "file:///data/raw/cdr/a%20b.txt.gz"
    assert failed_file(Exception("something else")) is None
    assert same_file("file:///data/raw/x.gz", "file:/data/raw/x.gz")
    assert normal_uri("hdfs://nn:8020/data/x.gz") == "hdfs://nn:8020/data/x.gz"
