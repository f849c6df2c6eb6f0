"""The check's samples of failing rows never show a subscriber identifier in clear."""
from __future__ import annotations

import datetime as dt
import logging

from jobs.check import HIDDEN, masked_columns
from jobs.runtime.config import load_config
from jobs.runtime.job import JobContext
from tests.conftest import LOCAL_CONF


def test_a_pseudonymised_rule_hides_its_column_even_when_no_feed_names_it_an_identifier(spark):
    """The rule's failing rows are the ones holding a value in clear: its column is hidden in
    every sample, whatever conf says of the column elsewhere."""
    config = load_config(str(LOCAL_CONF), [
        "quality.datasets.radio.rules.cell_is_a_pseudonym.type=pseudonymised",
        "quality.datasets.radio.rules.cell_is_a_pseudonym.column=cell_id"])
    ctx = JobContext(name="check", config=config, run_date=dt.date(2026, 11, 21), run_id="test", spark=spark,
                     log=logging.getLogger("test"))
    shown = masked_columns(ctx, config.quality.datasets["radio"], ["cell_id", "signal_dbm"])
    assert set(shown) == {"cell_id"}
    df = spark.createDataFrame([("+33612345678", -90)], "cell_id string, signal_dbm int")
    assert df.select(shown["cell_id"]).first()[0] == HIDDEN
