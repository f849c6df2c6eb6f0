"""The conservation check of cleanse: rows read = valid + quarantined + duplicates = bronze rows,
and the written tables hold exactly those figures."""
from __future__ import annotations

import dataclasses

import pytest

from jobs.cleanse import ConservationError, FeedCleanse, check_conservation

READ = FeedCleanse(feed="cdr", rows_read=100, valid=90, quarantined=6, duplicates=4, bronze_rows=100)
WRITTEN = dataclasses.replace(READ, silver_written=90, quarantined_written=6, duplicates_written=4)


@pytest.mark.parametrize("outcome", [READ, WRITTEN])
def test_balanced_figures_pass(outcome):
    check_conservation("cdr", outcome)


@pytest.mark.parametrize("change, shown", [
    ({"bronze_rows": 101}, "bronze=101"),                 # a row of bronze not read
    ({"valid": 89}, "valid=89"),                          # a row neither valid, quarantined nor a duplicate
    ({"duplicates": 5}, "duplicates=5"),                  # a row counted twice
])
def test_figures_that_disagree_before_the_write_fail_and_nothing_is_written(change, shown):
    with pytest.raises(ConservationError) as raised:
        check_conservation("cdr", dataclasses.replace(READ, **change))
    message = str(raised.value)
    assert message.startswith("cdr: rows read and rows written disagree: bronze=")
    assert shown in message and message.endswith("(nothing written)")


@pytest.mark.parametrize("change", [{"silver_written": 89}, {"quarantined_written": 7}, {"duplicates_written": 0}])
def test_written_tables_that_disagree_fail_and_are_put_back(change):
    with pytest.raises(ConservationError) as raised:
        check_conservation("cdr", dataclasses.replace(WRITTEN, **change))
    (name, value), = change.items()
    assert f"{name}={value}" in str(raised.value)
    assert str(raised.value).endswith("(the date is put back in silver and quarantine as it was)")
