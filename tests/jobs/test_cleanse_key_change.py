"""Silver records its pseudonymisation key's fingerprint: a run with another key fails before
writing anything (its pseudonyms would not join with the earlier dates), unless conf allows a
deliberate rotation."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
from delta.tables import DeltaTable
from pyspark.sql import functions as F

from jobs import cleanse
from jobs.runtime.job import run_job
from jobs.runtime.keys import key_fingerprint
from tests.conftest import FAST_SPARK_SETTINGS, pseudonym_key
from tests.jobs.test_kill_during_write import args_for, copied_day, ingested_and_cleansed_day, versions

KEY, OTHER_KEY = "key-change-test-key-0123456789ab", "another-test-key-0123456789abcdef"
SILVER = ("silver", "cdr")
OTHER_DAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def cleansed_once(spark, tmp_path_factory):
    return ingested_and_cleansed_day(tmp_path_factory.mktemp("day"), KEY, records=600, files=2)


@pytest.fixture
def day(cleansed_once, tmp_path):
    return copied_day(cleansed_once, tmp_path)


def cleanse_with(key: str, root, *overrides) -> int:
    with pseudonym_key(key):
        return run_job("cleanse", cleanse.run, args_for(root, overrides), spark_extra=FAST_SPARK_SETTINGS,
                       preflight=cleanse.load_pseudonym_key)


def properties(spark, root, feed: str = "cdr", zone: str = "silver") -> dict:
    return DeltaTable.forPath(spark, str(root / zone / feed)).detail().first()["properties"]


def callers(spark, root) -> set:
    silver = spark.read.format("delta").load(str(root / "silver" / "cdr"))
    return {r[0] for r in silver.select("calling_number").distinct().collect()}


def test_the_first_run_records_the_key_fingerprint_in_silver_and_quarantine_and_a_rerun_keeps_it(spark, day):
    for zone in ("silver", "quarantine"):         # both hold pseudonyms
        assert properties(spark, day, zone=zone)[cleanse.KEY_FINGERPRINT] == key_fingerprint(KEY.encode())
    for feed in ("radio", "cells", "weather"):     # no identifiers: no key to record
        for zone in ("silver", "quarantine"):
            if DeltaTable.isDeltaTable(spark, str(day / zone / feed)):
                assert cleanse.KEY_FINGERPRINT not in properties(spark, day, feed, zone)
    before = versions(day)[SILVER]
    assert cleanse_with(KEY, day) == 0
    history = DeltaTable.forPath(spark, str(day / "silver" / "cdr")).history().select("operation").collect()
    # created empty, the fingerprint set, then the first rows; the rerun only replaces the date
    assert [r.operation for r in history] == ["WRITE", "WRITE", "SET TBLPROPERTIES", "WRITE"]
    assert len(versions(day)[SILVER]) == len(before) + 1


def test_a_run_with_another_key_fails_before_writing_and_names_both_fingerprints(spark, day, capfd):
    before = versions(day)
    callers_before = callers(spark, day)
    capfd.readouterr()

    assert cleanse_with(OTHER_KEY, day) == 2           # a configuration error: the key

    assert versions(day) == before                       # nothing written, in any table
    assert callers(spark, day) == callers_before
    err = "".join(capfd.readouterr())
    assert "not the one of the pseudonyms" in err and str(day / "silver" / "cdr") in err
    assert key_fingerprint(OTHER_KEY.encode()) in err and key_fingerprint(KEY.encode()) in err
    assert "allow_key_change" in err
    assert OTHER_KEY not in err and KEY not in err


def test_a_deliberate_rotation_is_allowed_by_conf_and_recorded(spark, day):
    callers_before = callers(spark, day)

    assert cleanse_with(OTHER_KEY, day, "cleanse.pseudonymisation.allow_key_change=true") == 0

    for zone in ("silver", "quarantine"):
        assert properties(spark, day, zone=zone)[cleanse.KEY_FINGERPRINT] == key_fingerprint(OTHER_KEY.encode())
    assert callers(spark, day).isdisjoint(callers_before)        # the date's pseudonyms are the new key's
    # from then on the new key is the table's: the old one is refused
    assert cleanse_with(KEY, day) == 2
    assert cleanse_with(OTHER_KEY, day) == 0


class Killed(BaseException):
    """What a kill leaves: no ``except Exception`` runs, so nothing is put back."""


def test_a_run_killed_after_writing_a_new_silver_table_leaves_the_fingerprint_with_the_pseudonyms(
        spark, day, monkeypatch):
    shutil.rmtree(day / "silver" / "cdr")      # the first run that writes this table
    write = cleanse.replace_date

    def killed_after_the_silver_write(df, path, *args, **kwargs):
        write(df, path, *args, **kwargs)
        if path.endswith("/silver/cdr"):
            raise Killed()
    monkeypatch.setattr(cleanse, "replace_date", killed_after_the_silver_write)
    with pytest.raises(Killed):
        cleanse_with(KEY, day)
    monkeypatch.undo()
    assert callers(spark, day)                  # the killed run's pseudonyms are there...
    assert properties(spark, day)[cleanse.KEY_FINGERPRINT] == key_fingerprint(KEY.encode())   # ...with their key
    assert cleanse_with(OTHER_KEY, day) == 2


def test_a_first_run_put_back_leaves_empty_tables_that_take_the_next_runs_key(spark, day, monkeypatch):
    for zone in ("silver", "quarantine"):      # the feed's first run
        shutil.rmtree(day / zone / "cdr")
    write = cleanse.replace_date

    def failing_quarantine_write(df, path, *args, **kwargs):
        if path.endswith("/quarantine/cdr"):
            raise OSError("disk full")
        write(df, path, *args, **kwargs)
    monkeypatch.setattr(cleanse, "replace_date", failing_quarantine_write)
    assert cleanse_with(KEY, day) == 1
    monkeypatch.undo()
    assert not callers(spark, day)              # put back: no pseudonyms of the failed run's key

    assert cleanse_with(OTHER_KEY, day) == 0    # nothing to join with: its key is the tables'
    for zone in ("silver", "quarantine"):
        assert properties(spark, day, zone=zone)[cleanse.KEY_FINGERPRINT] == key_fingerprint(OTHER_KEY.encode())


def test_a_quarantine_written_with_another_key_is_refused_too(spark, day):
    """The quarantine holds pseudonyms too (a rejected row's identifiers, a probe copy's): a
    silver table lost or rebuilt does not let another key in beside them."""
    shutil.rmtree(day / "silver" / "cdr")
    before = versions(day)[("quarantine", "cdr")]
    assert cleanse_with(OTHER_KEY, day) == 2
    assert versions(day)[("quarantine", "cdr")] == before
    assert not (day / "silver" / "cdr").exists()


def test_a_failed_rotation_puts_the_fingerprint_back_even_when_another_job_committed_meanwhile(
        spark, day, monkeypatch):
    """Another job's commit between the run's commits makes the undo write the date back instead of
    restoring the table, which would leave the new key's fingerprint beside the old key's rows."""
    silver = str(day / "silver" / "cdr")
    write = cleanse.replace_date

    def another_job_then_a_failure(df, path, *args, **kwargs):
        if path == silver:      # another job writes another date of silver, then this write fails
            other = spark.read.format("delta").load(silver).withColumn("event_date", F.lit(OTHER_DAY))
            write(other, silver, OTHER_DAY)
            raise OSError("disk full")
        write(df, path, *args, **kwargs)
    monkeypatch.setattr(cleanse, "replace_date", another_job_then_a_failure)
    assert cleanse_with(OTHER_KEY, day, "cleanse.pseudonymisation.allow_key_change=true") == 1
    monkeypatch.undo()

    for zone in ("silver", "quarantine"):
        assert properties(spark, day, zone=zone)[cleanse.KEY_FINGERPRINT] == key_fingerprint(KEY.encode())
    assert cleanse_with(KEY, day) == 0          # the table's key still works, with no manual step
