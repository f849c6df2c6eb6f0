"""Raw lines to bronze rows: one row per record line, split by the feed's layout, with lineage.

Bronze keeps the data as the vendor wrote it: every field is text, the line itself is kept
byte for byte in ``_line`` (a Latin-1 byte in a UTF-8 feed stays what it was), and a line that
does not split into the header's number of fields is kept like any other (cleanse quarantines
it). Only header lines are left out; ingest counts them.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transformations.ingestion.charsets import decoded_line

LINE, SOURCE_FILE = "_line", "_source_file"
FIELD_COUNT, EXPECTED_FIELD_COUNT, FILE_PROBLEM = "_field_count", "_expected_field_count", "_file_problem"
RUN_ID, INGEST_TIME = "_ingest_run_id", "_ingest_time"
LINEAGE = (LINE, FIELD_COUNT, EXPECTED_FIELD_COUNT, FILE_PROBLEM, SOURCE_FILE, RUN_ID, INGEST_TIME)

FILE_PROFILE_SCHEMA = T.StructType([
    T.StructField(SOURCE_FILE, T.StringType(), False),
    T.StructField("_header", T.StringType(), True),
    T.StructField("_field_index", T.MapType(T.StringType(), T.IntegerType()), True),
    T.StructField(EXPECTED_FIELD_COUNT, T.IntegerType(), True),
    T.StructField(FILE_PROBLEM, T.StringType(), True),
])


def source_of(file: Column, pattern: Optional[str] = None) -> Column:
    """The source a row's file comes from (a probe, a switch): the first group of ``pattern``
    in the file's path.

    Parameters
    ----------
    file
        The file's path or URI (``_source_file``).
    pattern
        A regular expression (Java syntax) with a group, e.g. ``source=([^/]+)``; None: each
        file is a source of its own.

    Returns
    -------
    Column
        The group's text, or the path itself when ``pattern`` is None; null where the pattern
        does not match or matches an empty group (a file it does not name), and for a null path.
    """
    if pattern is None:
        return file
    found = F.regexp_extract(file, pattern, 1)
    return F.when(found != "", found)


QUOTE = '"'   # RFC 4180's: a field holding the delimiter or a quote is quoted, a quote inside doubled


def _field_pattern(delimiter: str, quote: str, possessive: bool) -> str:
    # One field, after its delimiter: quoted (spaces around the quotes allowed unless the
    # delimiter is a space) when the closing quote ends the field, otherwise everything up to the
    # next delimiter, quotes included (``O"Brien``). Every line splits, field by field, with no
    # empty matches. Java's engine recurses on each repeat of a backtracking group and overflows
    # its stack on a long quoted field: its quantifiers are possessive, which match the same here
    # (giving back a character never lets a quoted field end) and do not recurse. Python's engine
    # does not recurse, and before 3.11 has no possessive quantifiers: there, a repeat takes one
    # character, since runs of them (``[^"]+``) nested in ``*`` backtrack exponentially on an
    # open quote (a header line of 60 characters never returned).
    d, q = re.escape(delimiter), re.escape(quote)
    space = "" if delimiter == " " else (" *+" if possessive else " *")
    inner = f"(?:[^{q}]++|{q}{q})*+" if possessive else f"(?:[^{q}]|{q}{q})*"
    return f"{space}{q}{inner}{q}{space}(?![^{d}])|[^{d}]*" + ("+" if possessive else "")


def split_fields(text: Column, delimiter: str, quote: Optional[str] = QUOTE) -> Column:
    """All fields of a delimited line (empty fields kept, trailing ones too), quoted fields read.

    Parameters
    ----------
    text
        String Column: one line.
    delimiter
        One character.
    quote
        The quote character (RFC 4180: ``"a;b"`` is the field ``a;b``, and a quote inside a
        quoted field is written twice, ``"a ""b"" c"`` is ``a "b" c``; spaces around the
        quotes are dropped), or None: quotes are text. A field that is not quoted as a whole
        (``O"Brien``, ``"open``, ``"a"b``) is its text up to the next delimiter, quotes
        included, as Python's ``csv`` reads it within a line.

    Returns
    -------
    Column
        Array of strings. A line without the quote character is split by ``split`` alone; only
        the others pay for the regular expression. See :func:`split_line` for the same in Python.
    """
    plain = F.split(text, re.escape(delimiter), -1)
    if not quote:
        return plain
    d = re.escape(delimiter)
    tokens = F.regexp_extract_all(F.concat(F.lit(delimiter), text),
                                  F.lit(f"{d}({_field_pattern(delimiter, quote, possessive=True)})"), 1)

    def unquoted(token: Column) -> Column:
        trimmed = F.trim(token)
        inner = trimmed.substr(F.lit(2), F.length(trimmed) - 2)
        whole = (trimmed.startswith(quote) & trimmed.endswith(quote) & (F.length(trimmed) >= 2)
                 & (F.instr(F.replace(inner, F.lit(quote * 2), F.lit("")), quote) == 0))
        return F.when(whole, F.replace(inner, F.lit(quote * 2), F.lit(quote))).otherwise(token)
    return F.when(~text.contains(quote), plain).otherwise(F.transform(tokens, unquoted))


def split_line(text: str, delimiter: str, quote: Optional[str] = QUOTE) -> List[str]:
    """:func:`split_fields` in Python, for the driver's header check: the same fields."""
    if not quote or quote not in text:
        return text.split(delimiter)
    pattern = f"{re.escape(delimiter)}({_field_pattern(delimiter, quote, possessive=False)})"
    tokens = [m.group(1) for m in re.finditer(pattern, delimiter + text)]

    def unquoted(token: str) -> str:
        trimmed = token.strip(" ")
        inner = trimmed[1:-1]
        whole = (len(trimmed) >= 2 and trimmed.startswith(quote) and trimmed.endswith(quote)
                 and quote not in inner.replace(quote * 2, ""))
        return inner.replace(quote * 2, quote) if whole else token
    return [unquoted(t) for t in tokens]


def lines_to_bronze(fields: Sequence[str], delimiter: str, encoding: str, fallback_encoding: Optional[str],
                    profiles: DataFrame, run_id: str, quote: Optional[str] = QUOTE):
    """Curried step: raw lines (``_line``, ``_source_file``) to bronze rows.

    Parameters
    ----------
    fields
        The feed's curated field names, in conf order.
    delimiter, encoding, fallback_encoding
        The feed's layout.
    profiles
        One row per file (:data:`FILE_PROFILE_SCHEMA`): its header line, where each field sits in
        it, the header's field count, and the file's problem (null for a good file). Small: it is
        broadcast.
    run_id
        The ingest run, stamped on every row with the ingest time.
    quote
        The feed's quote character, or None (see :func:`split_fields`).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Rows with one text column per field (null where the line or the header lacks it, and
        for every field of a file with a problem), then the lineage columns :data:`LINEAGE`.
        The header line of each good file is left out.
    """
    def step(lines: DataFrame) -> DataFrame:
        joined = lines.join(F.broadcast(profiles), on=SOURCE_FILE, how="left")
        text = F.col("_text")
        parts = F.col("_parts")
        with_parts = joined.withColumn("_text", decoded_line(F.col(LINE), encoding, fallback_encoding)).withColumn(
            "_parts", split_fields(text, delimiter, quote))
        body = with_parts.where(F.col("_header").isNull() | (text != F.col("_header")))

        def field(name: str) -> Column:
            index = F.try_element_at(F.col("_field_index"), F.lit(name))
            return F.when(F.col(FILE_PROBLEM).isNull(), F.try_element_at(parts, index + 1)).alias(name)

        return body.select(
            *[field(name) for name in fields],
            F.col(LINE),
            F.size(parts).alias(FIELD_COUNT),
            F.col(EXPECTED_FIELD_COUNT),
            F.col(FILE_PROBLEM),
            F.col(SOURCE_FILE),
            F.lit(run_id).alias(RUN_ID),
            F.current_timestamp().alias(INGEST_TIME),
        )
    return step


def profile_rows(profiles) -> list:
    """``FileProfile`` objects as rows of :data:`FILE_PROFILE_SCHEMA`."""
    return [(p.uri or p.path, p.header, _index(p.field_index), p.field_count, p.problem) for p in profiles]


def _index(field_index: Dict[str, Optional[int]]) -> Dict[str, int]:
    return {name: i for name, i in field_index.items() if i is not None}
