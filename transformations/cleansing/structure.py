"""Row-structure rules: a line from a bad file, a blank line, a line that does not split into
the header's number of fields, or one whose quotes do not pair up. Such a row's fields cannot be
trusted, so it carries those reasons only."""
from __future__ import annotations

from typing import Optional

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import REASONS, flag, with_reasons
from transformations.cleansing.text import starts_printable, trimmed

BAD_FILE, BLANK_LINE, WRONG_FIELD_COUNT = "bad_file", "blank_line", "wrong_field_count"
UNBALANCED_QUOTE = "unbalanced_quote"
STRUCTURAL = (BAD_FILE, BLANK_LINE, WRONG_FIELD_COUNT, UNBALANCED_QUOTE)


def flag_structure(field_count: str = "_field_count", expected: str = "_expected_field_count",
                   file_problem: str = "_file_problem", line: str = "_line", quote: Optional[str] = None):
    """Curried step flagging ``bad_file`` (the file's layout was rejected at ingest),
    ``blank_line`` (nothing but blanks: an empty line at a file's end, between exports),
    ``wrong_field_count`` (more or fewer fields than the file's header) and, with a ``quote``
    character, ``unbalanced_quote``: an odd number of quotes. Quoted fields pair theirs (a quote
    inside one is doubled), so such a line is a piece of a quoted field holding a line break
    (which ingest reads as two lines; either may still have the header's field count, its
    values shifted) or a quote inside an unquoted field (``O"Brien``), which RFC 4180 does not
    allow and no reader splits alike.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    def step(df: DataFrame) -> DataFrame:
        text = F.col(line)
        good_file = F.col(file_problem).isNull()
        # a line starting with a printable ASCII character is not blank: the others only are trimmed
        blank = good_file & ~starts_printable(text) & (trimmed(text) == "")
        df = (df.transform(flag(~good_file, BAD_FILE))
              .transform(flag(blank, BLANK_LINE))
              .transform(flag(good_file & ~blank & (F.col(field_count) != F.col(expected)), WRONG_FIELD_COUNT)))
        if not quote:
            return df
        quotes = F.length(text) - F.length(F.replace(text, F.lit(quote), F.lit("")))
        # the plain test first: most lines hold no quote and pay for no replace. (``contains``, not
        # ``instr``: instr counts characters and compares the quote at each of them; contains
        # compares bytes, the whole quote only where its first byte is.)
        unbalanced = good_file & text.contains(quote) & (quotes % 2 == 1)
        return df.transform(flag(unbalanced, UNBALANCED_QUOTE))
    return step


def keep_structural_reason_only(df: DataFrame) -> DataFrame:
    """Rows with a structural reason keep only it: their field-level reasons are consequences."""
    df = with_reasons(df)
    structural = F.filter(F.col(REASONS), lambda r: r.isin(*STRUCTURAL))
    return df.withColumn(REASONS, F.when(F.size(structural) > 0, structural).otherwise(F.col(REASONS)))
