"""Row-structure rules: a line from a bad file, a blank line, or a line that does not split into
the header's number of fields. Such a row's fields cannot be trusted, so it carries that one reason
only."""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import REASONS, flag, with_reasons
from transformations.cleansing.text import trimmed

BAD_FILE, BLANK_LINE, WRONG_FIELD_COUNT = "bad_file", "blank_line", "wrong_field_count"
STRUCTURAL = (BAD_FILE, BLANK_LINE, WRONG_FIELD_COUNT)


def flag_structure(field_count: str = "_field_count", expected: str = "_expected_field_count",
                   file_problem: str = "_file_problem", line: str = "_line"):
    """Curried step flagging ``bad_file`` (the file's layout was rejected at ingest),
    ``blank_line`` (nothing but blanks: an empty line at a file's end, between exports) and
    ``wrong_field_count`` (more or fewer fields than the file's header).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    def step(df: DataFrame) -> DataFrame:
        good_file = F.col(file_problem).isNull()
        blank = good_file & (trimmed(F.col(line)) == "")
        return (df.transform(flag(~good_file, BAD_FILE))
                .transform(flag(blank, BLANK_LINE))
                .transform(flag(good_file & ~blank & (F.col(field_count) != F.col(expected)), WRONG_FIELD_COUNT)))
    return step


def keep_structural_reason_only(df: DataFrame) -> DataFrame:
    """Rows with a structural reason keep only it: their field-level reasons are consequences."""
    df = with_reasons(df)
    structural = F.filter(F.col(REASONS), lambda r: r.isin(*STRUCTURAL))
    return df.withColumn(REASONS, F.when(F.size(structural) > 0, structural).otherwise(F.col(REASONS)))
