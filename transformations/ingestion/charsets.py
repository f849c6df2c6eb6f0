"""Charsets of the raw exports: which a feed may declare, and its lines' bytes as text.

Spark's text reader splits files into lines on the bytes ``\\n`` and ``\\r``, so a feed's charset
must write those as single ASCII bytes: UTF-8, ISO-8859-1 or windows-1252 (UTF-16 and UTF-32
cannot be split into lines that way). US-ASCII is read as UTF-8, of which it is a part: a stray
byte above 0x7F then goes to the fallback charset instead of becoming a replacement character.

Spark 4's ``decode`` knows no windows-1252 (unless ``spark.sql.legacy.javaCharsets``), so it is
decoded here as ISO-8859-1 and its 27 characters of the bytes 0x80-0x9F (euro sign, curly quotes,
dashes, ``Œ``...) put in place with ``translate``: native expressions, no UDF. Its five undefined
bytes keep their control character, as the WHATWG decoder (every browser's) does, so no byte is
lost.

Everything here is plain Python or a Column expression: ``conf`` validation and the driver's
header check use the same names and tables as the executors.
"""
from __future__ import annotations

from typing import Optional

from pyspark.sql import Column
from pyspark.sql import functions as F

UTF8, LATIN1, WINDOWS_1252 = "UTF-8", "ISO-8859-1", "windows-1252"
LINE_CHARSETS = (UTF8, LATIN1, WINDOWS_1252)
_ALIASES = {
    "utf-8": UTF8, "utf8": UTF8,
    "us-ascii": UTF8, "ascii": UTF8,
    "iso-8859-1": LATIN1, "iso8859-1": LATIN1, "latin-1": LATIN1, "latin1": LATIN1,
    "windows-1252": WINDOWS_1252, "cp1252": WINDOWS_1252,
}
_PYTHON_CODECS = {UTF8: "utf-8", LATIN1: "latin-1"}


def _windows_1252_extras() -> tuple:
    """The C1 control characters (ISO-8859-1's reading of 0x80-0x9F) and windows-1252's reading."""
    pairs = []
    for byte in range(0x80, 0xA0):
        try:
            pairs.append((chr(byte), bytes([byte]).decode("cp1252")))
        except UnicodeDecodeError:
            pass   # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined, kept as their control character
    return "".join(c for c, _ in pairs), "".join(w for _, w in pairs)


C1_CONTROLS, WINDOWS_1252_EXTRAS = _windows_1252_extras()
_WINDOWS_1252_FROM_LATIN1 = str.maketrans(C1_CONTROLS, WINDOWS_1252_EXTRAS)


def line_charset(name: str) -> Optional[str]:
    """The canonical name of a charset a feed may declare, or None when lines cannot be read in it.

    Parameters
    ----------
    name
        As written in conf, in any case, with ``-`` or ``_``: ``utf8``, ``Latin-1``, ``CP1252``...

    Returns
    -------
    str or None
        One of :data:`LINE_CHARSETS` (``US-ASCII`` gives ``UTF-8``).
    """
    return _ALIASES.get(name.strip().lower().replace("_", "-"))


def is_utf8(name: str) -> bool:
    """True when ``name`` is UTF-8 under any of its spellings."""
    return line_charset(name) == UTF8


def decoded(binary: Column, charset: str) -> Column:
    """Bytes decoded as text in one of :data:`LINE_CHARSETS`.

    Parameters
    ----------
    binary
        Binary Column (or a string Column holding the raw bytes: it is cast to binary).
    charset
        Any spelling :func:`line_charset` knows.

    Returns
    -------
    Column
        String. Windows-1252's ``b"5 \\x80"`` gives ``"5 €"`` (ISO-8859-1 gives a control
        character there); ``b"\\x91ok\\x92"`` gives ``"‘ok’"``. Null stays null.
    """
    name = line_charset(charset)
    if name is None:
        raise ValueError(f"unsupported charset {charset!r}: expected one of {', '.join(LINE_CHARSETS)}")
    if name == WINDOWS_1252:
        return F.translate(F.decode(binary.cast("binary"), LATIN1), C1_CONTROLS, WINDOWS_1252_EXTRAS)
    return F.decode(binary.cast("binary"), name)


def encoded(text: Column, charset: str) -> Column:
    """Text as the bytes a tool writing ``charset`` saves: the inverse of :func:`decoded`.

    Parameters
    ----------
    text
        String Column. Every character must exist in ``charset`` (Spark raises an error on one
        that does not).
    charset
        Any spelling :func:`line_charset` knows.

    Returns
    -------
    Column
        Binary. ``"5 €"`` in windows-1252 gives ``b"5 \\x80"``; ``"‘ok’"`` gives
        ``b"\\x91ok\\x92"``. Null stays null.
    """
    name = line_charset(charset)
    if name is None:
        raise ValueError(f"unsupported charset {charset!r}: expected one of {', '.join(LINE_CHARSETS)}")
    if name == WINDOWS_1252:
        return F.encode(F.translate(text, WINDOWS_1252_EXTRAS, C1_CONTROLS), LATIN1)
    return F.encode(text, name)


def has_invalid_utf8(column: Column) -> Column:
    """True when the string's bytes are not valid UTF-8 (a feed written in another charset).

    Parameters
    ----------
    column
        String Column, as read from the raw bytes.

    Returns
    -------
    Column
        Boolean; false for null.
    """
    return F.coalesce(~F.is_valid_utf8(column), F.lit(False))


def falls_back(line: Column, charset: str, fallback_charset: Optional[str]) -> Column:
    """True for the lines :func:`decoded_line` decodes with the fallback charset.

    Parameters
    ----------
    line
        String Column holding a line's raw bytes.
    charset, fallback_charset
        The feed's charset and its fallback (none: never).

    Returns
    -------
    Column
        Boolean: the feed is UTF-8, has a fallback, and the line is not valid UTF-8. False for null.
    """
    if is_utf8(charset) and fallback_charset:
        return has_invalid_utf8(line)
    return F.lit(False)


def decoded_line(line: Column, charset: str, fallback_charset: Optional[str]) -> Column:
    """A raw line as text, in the feed's charset, or its fallback for a line not valid in UTF-8.

    Parameters
    ----------
    line
        String Column holding the line's bytes as read (Spark's text reader does not check them).
    charset
        The feed's charset, one of :data:`LINE_CHARSETS`. UTF-8 lines are kept as they are.
    fallback_charset
        For a UTF-8 feed only: the charset of lines that are not valid UTF-8 (a Latin-1 or
        windows-1252 byte written by another tool into the UTF-8 feed). None: such lines are kept
        as read.

    Returns
    -------
    Column
        String. In a UTF-8 feed with a windows-1252 fallback, the bytes of ``"Prépayé 5 €"``
        written in windows-1252 give ``"Prépayé 5 €"``; the same text in UTF-8 is unchanged.
    """
    if not is_utf8(charset):
        return decoded(line, charset)
    if fallback_charset:
        return F.when(falls_back(line, charset, fallback_charset), decoded(line, fallback_charset)).otherwise(line)
    return line


def decoded_header(raw: bytes, charset: str, fallback_charset: Optional[str]) -> Optional[str]:
    """A file's first line as text, as :func:`decoded_line` decodes it on the executors.

    Parameters
    ----------
    raw
        The line's bytes (driver side: one header per file).
    charset, fallback_charset
        The feed's charsets.

    Returns
    -------
    str or None
        The text, or None when the bytes are valid in neither charset (invalid UTF-8 in a UTF-8
        feed without a fallback).
    """
    for name in filter(None, (charset, fallback_charset)):
        canonical = line_charset(name)
        try:
            if canonical == WINDOWS_1252:
                return raw.decode("latin-1").translate(_WINDOWS_1252_FROM_LATIN1)
            if canonical is not None:
                return raw.decode(_PYTHON_CODECS[canonical])
        except UnicodeDecodeError:
            continue
    return None
