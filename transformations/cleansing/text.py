"""Text Column functions: blanks of every kind, null tokens, masked digits.

Bytes written in another charset are decoded at ingest: ``transformations/ingestion/charsets.py``.
"""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

# How the raw feeds write "no value" (``\N`` is the MySQL / Hive dump convention).
DEFAULT_NULL_TOKENS = ("", "-", "NULL", "\\N")

# Java regex: ASCII whitespace (space, \t, \n, \x0B, \f, \r), every Unicode space separator
# (\p{Z}: NBSP U+00A0, figure space U+2007, narrow NBSP U+202F, ...) and the byte-order mark.
BLANK = r"[\s\p{Z}\uFEFF]"
# The same characters spelled out, for ``trim(BOTH ... FROM)``: a scan of the ends of the string,
# several times cheaper than a regular expression on every field of every row.
BLANK_CHARACTERS = ("\t\n\x0b\x0c\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
                    + "\u2028\u2029\u202f\u205f\u3000\ufeff")


def starts_printable(column: Column) -> Column:
    """True when the text starts with a printable ASCII character (``!`` to ``~``).

    Parameters
    ----------
    column
        String Column.

    Returns
    -------
    Column
        Boolean; false for the empty string, null for null. Two comparisons of the first byte:
        UTF-8 order is byte order, so a string >= ``"!"`` and < DEL starts with one of them.
    """
    return (column >= F.lit("!")) & (column < F.lit("\u007f"))


def ends_between(column: Column, low: str, high: str) -> Column:
    """True when the text's last character is an ASCII character from ``low`` to ``high``.

    Parameters
    ----------
    column
        String Column.
    low, high
        One ASCII character each (``"0"`` and ``"9"``: the text ends with a digit).

    Returns
    -------
    Column
        Boolean; false for the empty string, null for null.

    Raises
    ------
    ValueError
        When ``low`` or ``high`` is not one ASCII character.
    """
    if not (len(low) == len(high) == 1 and low.isascii() and high.isascii()):
        raise ValueError(f"ends_between takes two ASCII characters, not {low!r} and {high!r}")
    # The last byte, not the last character: substring(text, -1, 1) counts the characters of the
    # whole text and walks them again to find the last one; the bytes' substring reads one byte.
    # An ASCII byte is an ASCII character in UTF-8 (every byte of a longer character is >= 0x80).
    last = F.substring(column.cast("binary"), -1, 1)
    return last.between(F.lit(bytearray(low.encode("ascii"))), F.lit(bytearray(high.encode("ascii"))))


def trimmed(column: Column) -> Column:
    """Strip leading and trailing blanks, not only spaces (``F.trim`` strips spaces only).

    Parameters
    ----------
    column
        String Column.

    Returns
    -------
    Column
        The string without leading/trailing whitespace, tabs, CR/LF, non-breaking spaces (U+00A0,
        U+202F) or byte-order mark; inner blanks are kept. Null stays null.
    """
    # Most values start and end with a printable ASCII character: two tests settle them, and only
    # the others pay for the scan of BLANK_CHARACTERS (a search through the trim string for each
    # end character, the costliest step of cleansing before this test).
    printable_ends = starts_printable(column) & ends_between(column, "!", "~")
    return F.when(printable_ends, column).otherwise(F.trim(column, F.lit(BLANK_CHARACTERS)))


def null_if_token(column: Column, tokens: Sequence[str] = DEFAULT_NULL_TOKENS) -> Column:
    """The trimmed value, or null when it is one of the tokens meaning "no value".

    Parameters
    ----------
    column
        String Column.
    tokens
        Texts meaning "no value", compared case-insensitively with the trimmed value (``"null"``
        matches ``"NULL"``). With ``""`` among them, a blank-only value is null too.

    Returns
    -------
    Column
        Trimmed string, or null for a token or a null. ``"NULLABLE"`` is not a token.
    """
    value = trimmed(column)
    lowered = sorted({token.strip().lower() for token in tokens})
    if not lowered:
        return value
    # Only a value as short as a token can be one: the others skip the (Unicode) lower-casing.
    # (Lower-casing keeps the UTF-8 length or grows it, but for the Kelvin sign, 3 bytes -> "k".)
    longest = max(len(token.encode("utf-8")) for token in lowered)
    return F.when(F.octet_length(value) > longest, value).when(~F.lower(value).isin(lowered), value)


def masked_digits(column: Column) -> Column:
    """Every digit replaced by ``9``: the shape of a value without its content.

    Parameters
    ----------
    column
        String Column.

    Returns
    -------
    Column
        ``"+33 6 12 34 56 78"`` gives ``"+99 9 99 99 99 99"``; null stays null.
    """
    return F.translate(column, "0123456789", "9999999999")
