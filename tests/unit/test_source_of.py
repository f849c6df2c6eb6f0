"""The source (probe, switch) of a raw file, read from its path."""
from __future__ import annotations

from pyspark.sql import functions as F

from transformations.ingestion.bronze import source_of

PATTERN = "source=([^/]+)"


def test_the_pattern_names_a_files_source_and_none_of_a_file_it_misses(spark):
    paths = ["file:/raw/cdr/event_date=2026-11-21/hour=14/source=probe01/part-0.gz",
             "hdfs://nn/raw/cdr/event_date=2026-11-21/hour=15/source=probe01/part-3.gz",
             "file:/raw/cdr/event_date=2026-11-21/MSC7_1400.csv.gz",    # not named by the pattern
             "file:/raw/cdr/event_date=2026-11-21/source=/part-0.gz",   # an empty name is no name
             None]
    df = spark.createDataFrame([(p,) for p in paths], "file string")
    got = [r[0] for r in df.select(source_of(F.col("file"), PATTERN)).collect()]
    assert got == ["probe01", "probe01", None, None, None]
    assert [r[0] for r in df.select(source_of(F.col("file"))).collect()] == paths    # no pattern: the file
