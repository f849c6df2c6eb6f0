"""What the quarantine keeps of a rejected CDR: its raw values, but no subscriber identifier in
clear, even when a broken line has shifted one into another field."""
from __future__ import annotations

import pytest

from jobs.cleanse import CLASSIFY_SETTINGS, KIND, classified, quarantine_rows
from jobs.runtime.session import sql_settings
from tests.jobs.cdr_bronze import CALLED, CALLING, FEED, GOOD, IMEI, IMSI, SCHEMA, bronze_row
from transformations.cleansing.rules import identifier_fields

KEY = b"quarantine-test-key-0123456789ab"


@pytest.fixture(scope="module")
def quarantined(spark):
    shifted = GOOD[:1] + GOOD[2:]                      # record_type missing: the MSISDN lands in duration_s
    bad_duration = GOOD[:3] + ["abc"] + GOOD[4:]
    first_piece = GOOD[:-1] + ['"Forfait']             # a quoted tariff plan holding a line break
    bronze = spark.createDataFrame([bronze_row(shifted), bronze_row(bad_duration), bronze_row(first_piece)], SCHEMA)
    with sql_settings(spark, CLASSIFY_SETTINGS):      # as the job plans it
        rows = quarantine_rows(bronze.transform(classified(FEED, KEY)), FEED, "cleanse-1").collect()
    return {tuple(r.reasons): r.asDict() for r in rows}


def test_a_shifted_line_keeps_no_identifier_in_clear(quarantined):
    row = quarantined[("wrong_field_count",)]
    assert row["raw_duration_s"] == "9999999999"          # was the calling number
    assert row["raw_record_type"] == "9999-99-99 99:99:99"
    text = repr(row)
    for clear in (CALLING, CALLING[1:], CALLED, CALLED[3:], IMSI, IMEI):
        assert clear not in text, clear
    # its identifier fields hold other fields' values (the called number in calling_number's):
    # their shape only, no pseudonym that would join the record to the wrong subscriber
    identifiers = identifier_fields(FEED)
    assert {f"raw_{name}": row[f"raw_{name}"] for name in identifiers} == {f"raw_{name}": None for name in identifiers}
    assert row["raw_calling_number_shape"] == "+99999999999"


def test_a_piece_of_a_quoted_field_holding_a_line_break_is_quarantined_with_its_shape_only(quarantined):
    row = quarantined[("unbalanced_quote",)]       # the header's field count, yet not a record
    assert row["raw_tariff_plan"] == '"Forfait' and row["raw_duration_s"] == "99"
    assert row["raw_calling_number"] is None and row["raw_calling_number_shape"] == "9999999999"
    assert CALLING not in repr(row) and IMSI not in repr(row)


def test_a_well_split_line_keeps_its_raw_values(quarantined):
    row = quarantined[("duration_s_not_a_number",)]
    assert row["raw_duration_s"] == "abc" and row["raw_cell_id"] == "208-01-100-5"
    assert row["raw_record_type"] == "VOICE" and row["raw_tariff_plan"] == "Prépayé"
    assert CALLING not in repr(row) and IMSI not in repr(row)


def test_a_probe_duplicate_keeps_its_raw_values_and_a_valid_row_carries_none(spark):
    """Only the quarantine keeps raw values: the cached rows of a valid record hold none of them
    (silver drops them anyway), a second probe's copy keeps them, identifiers pseudonymised."""
    day = "file:/data/raw/cdr/event_date=2026-11-21"
    copy = ["2026112100000002"] + GOOD[1:]
    bronze = spark.createDataFrame([bronze_row(GOOD, f"{day}/hour=10/source=probe01/part-0.txt.gz"),
                                    bronze_row(copy, f"{day}/hour=10/source=probe02/part-0.txt.gz")], SCHEMA)
    with sql_settings(spark, CLASSIFY_SETTINGS):      # as the job plans it
        rows = bronze.transform(classified(FEED, KEY))
        kept = {r.record_id: r.asDict() for r in rows.collect()}
        copies = quarantine_rows(rows, FEED, "cleanse-1").collect()
    survivor, duplicate = kept[GOOD[0]], kept[copy[0]]
    raw_columns = [c for c in survivor if c.startswith("raw_")]
    assert len(raw_columns) >= len(FEED.fields)
    assert (survivor[KIND], duplicate[KIND]) == ("valid", "duplicate")
    assert {c: survivor[c] for c in raw_columns} == {c: None for c in raw_columns}
    assert [r.reasons for r in copies] == [["probe_duplicate"]]
    row = copies[0].asDict()
    assert row["raw_duration_s"] == "60" and row["raw_tariff_plan"] == "Prépayé"
    assert row["raw_calling_number_shape"] == "9999999999" and len(row["raw_calling_number"]) == 64
    for clear in (CALLING, CALLED, IMSI, IMEI):
        assert clear not in repr(row), clear


def test_the_cached_row_of_a_shifted_line_holds_no_typed_value(spark):
    """The job caches classify's rows (memory, then disk): a shifted line's typed fields, which may
    hold an identifier parsed as a number (the MSISDN as a duration of 612345678 s), are null."""
    shifted = GOOD[:1] + GOOD[2:]
    one_too_many = GOOD + ["extra"]          # every field in place: the hour and the outcome derive
    bronze = spark.createDataFrame([bronze_row(shifted), bronze_row(one_too_many)], SCHEMA)
    with sql_settings(spark, CLASSIFY_SETTINGS):      # as the job plans it
        rows = bronze.transform(classified(FEED, KEY)).collect()
    identifiers = identifier_fields(FEED)
    # every column but the raw values and the lineage: typed fields (identifiers' pseudonyms too)
    # and all that derives from them (local hour, outcome, the cell id's parts, any column added later)
    kept = {"event_date", "quarantine_reasons", "duplicate_of"}
    typed = [c for c in rows[0].asDict() if not c.startswith(("raw_", "_")) and c not in kept]
    assert {"duration_s", "local_hour", "outcome", "cell_id_mcc", "cell_id_lac", *identifiers} <= set(typed)
    for row in rows:
        assert row[KIND] == "quarantined"
        assert {name: row[name] for name in typed} == {name: None for name in typed}
        for clear in (CALLING, CALLING[1:], CALLED, CALLED[3:], IMSI, IMEI):
            assert clear not in repr(row.asDict()), clear
