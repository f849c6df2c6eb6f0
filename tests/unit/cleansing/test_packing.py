"""Columns riding packed: one struct in, the same columns out, in their places."""
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from transformations.cleansing.packing import pack_columns, unpack_columns

SCHEMA = "id string, `a.b` string, n bigint, tags array<string>, cell struct<mcc:string,mnc:string>"
ROWS = [("r1", "x", 1, ["t"], ("208", "01")), ("r2", None, None, None, None)]


def test_packed_columns_come_back_in_their_places_with_the_columns_added_since_at_the_end(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    packed = df.transform(pack_columns(["a.b", "tags", "cell"], "rest"))
    assert packed.columns == ["id", "n", "rest"]
    assert packed.schema["rest"].dataType.fieldNames() == ["a.b", "tags", "cell"]
    out = (packed.withColumn("doubled", F.col("n") * 2)
           .transform(unpack_columns("rest", df.columns)))
    expected = df.withColumn("doubled", F.col("n") * 2)
    assert_df_equality(out, expected, ignore_row_order=False)


def test_columns_dropped_meanwhile_stay_out_and_nothing_packed_is_the_identity(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    out = df.transform(pack_columns(["tags"], "rest")).drop("n").transform(unpack_columns("rest", df.columns))
    assert out.columns == ["id", "a.b", "tags", "cell"]
    assert df.transform(pack_columns([], "rest")) is df
    assert df.transform(unpack_columns("rest", df.columns)) is df


def test_a_name_both_packed_and_top_level_is_refused(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    with pytest.raises(ValueError, match="already has a column"):
        df.transform(pack_columns(["n"], "id"))
    packed = df.transform(pack_columns(["n"], "rest")).withColumn("n", F.lit(0))
    with pytest.raises(ValueError, match="both packed"):
        packed.transform(unpack_columns("rest", df.columns))
