"""Charsets of the raw exports: windows-1252 without Spark's legacy charsets, Latin-1 and
windows-1252 bytes repaired in a UTF-8 feed, and the driver's header decoding agreeing with the
executors' line decoding."""
from __future__ import annotations

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from transformations.ingestion.charsets import (LINE_CHARSETS, decoded, decoded_header, decoded_line, encoded,
                                                falls_back, has_invalid_utf8, line_charset)

# Bytes as a Windows tool writes them, and what a reader of that tool's export sees.
WINDOWS_TEXTS = [
    (b"Forfait 5 \x80", "Forfait 5 €"),
    (b"\x93Pro\x94 \x96 \x8cuvre \x85", "“Pro” – Œuvre …"),
    (b"Pr\xe9pay\xe9 l\x92offre", "Prépayé l’offre"),
    (b"\x9f\x9c\x8a\x99", "ŸœŠ™"),
    (b"\x81\x8d\x8f\x90\x9d", "\x81\x8d\x8f\x90\x9d"),   # undefined in windows-1252: kept, as WHATWG does
    (b"plain ascii", "plain ascii"),
]


def raw_lines(spark, rows):
    """A string column holding raw bytes, as Spark's text reader gives a line (no check, no repair)."""
    return (spark.createDataFrame(rows, "raw binary, expected string")
            .withColumn("raw", F.col("raw").cast("string")))


def test_windows_1252_is_decoded_without_sparks_legacy_charsets(spark):
    assert spark.conf.get("spark.sql.legacy.javaCharsets") == "false"
    df = spark.createDataFrame([(bytearray(raw), text) for raw, text in WINDOWS_TEXTS] + [(None, None)],
                               "raw binary, expected string")
    assert_column_equality(df.withColumn("actual", decoded(F.col("raw"), "windows-1252")), "actual", "expected")


def test_text_is_encoded_in_windows_1252_as_a_windows_tool_saves_it(spark):
    """The generator's windows_1252 defect writes lines with this; the undefined bytes are left out
    (a text holding their control characters is not windows-1252 text)."""
    df = spark.createDataFrame([(text, bytearray(raw)) for raw, text in WINDOWS_TEXTS[:-2] + WINDOWS_TEXTS[-1:]]
                               + [(None, None)], "text string, expected binary")
    assert_column_equality(df.withColumn("actual", encoded(F.col("text"), "cp1252")), "actual", "expected")
    utf8 = df.select(encoded(F.col("text"), "utf8").alias("b")).first().b
    assert bytes(utf8) == "Forfait 5 €".encode("utf-8")


def test_latin1_reads_0x80_to_0x9f_as_control_characters(spark):
    df = spark.createDataFrame([(bytearray(b"5 \x80 caf\xe9"), "5 \x80 café")], "raw binary, expected string")
    assert_column_equality(df.withColumn("actual", decoded(F.col("raw"), "latin1")), "actual", "expected")


def test_a_utf8_feed_repairs_each_line_with_its_fallback_and_keeps_valid_utf8(spark):
    df = raw_lines(spark, [
        (bytearray("Prépayé 5 €".encode("utf-8")), "Prépayé 5 €"),    # valid UTF-8: as it is
        (bytearray(b"Pr\xe9pay\xe9 5 \x80"), "Prépayé 5 €"),           # the same text from a Windows tool
        (bytearray(b"S\xe9rie Limit\xe9e"), "Série Limitée"),         # Latin-1 letters: the same bytes
        (bytearray(b"plain ascii"), "plain ascii"),
        (None, None),
    ])
    actual = df.withColumn("actual", decoded_line(F.col("raw"), "UTF-8", "windows-1252"))
    assert_column_equality(actual, "actual", "expected")
    latin1 = df.withColumn("actual", decoded_line(F.col("raw"), "UTF-8", "ISO-8859-1")).collect()
    assert [r.actual for r in latin1] == ["Prépayé 5 €", "Prépayé 5 \x80", "Série Limitée", "plain ascii", None]
    assert df.first().raw == "Prépayé 5 €" and df.collect()[1].raw != "Prépayé 5 €"   # broken before repair


def test_without_a_fallback_a_utf8_line_is_kept_as_read_and_not_called_repaired(spark):
    df = raw_lines(spark, [(bytearray(b"Pr\xe9pay\xe9"), None)])
    row = df.select(decoded_line(F.col("raw"), "UTF-8", None).alias("text"),
                    falls_back(F.col("raw"), "UTF-8", None).alias("repaired"),
                    falls_back(F.col("raw"), "UTF-8", "windows-1252").alias("with_fallback")).first()
    assert row.text != "Prépayé"
    assert (row.repaired, row.with_fallback) == (False, True)


def test_a_windows_1252_feed_decodes_every_line_and_repairs_none(spark):
    df = raw_lines(spark, [(bytearray(raw), text) for raw, text in WINDOWS_TEXTS])
    actual = df.withColumn("actual", decoded_line(F.col("raw"), "cp1252", None))
    assert_column_equality(actual, "actual", "expected")
    assert actual.where(falls_back(F.col("raw"), "cp1252", None)).count() == 0


def test_has_invalid_utf8_is_false_for_valid_text_and_null(spark):
    df = raw_lines(spark, [(bytearray(b"Illimit\xe9"), None), (bytearray("Illimité".encode()), None),
                           (bytearray(b""), None), (None, None)])
    assert [r.invalid for r in df.select(has_invalid_utf8(F.col("raw")).alias("invalid")).collect()] == [
        True, False, False, False]


def test_the_drivers_header_decoding_agrees_with_the_executors_on_every_byte(spark):
    every_byte = bytes(b for b in range(256) if b not in (0x0A, 0x0D))
    executors = (spark.createDataFrame([(bytearray(every_byte),)], "raw binary")
                 .select(*[decoded(F.col("raw"), charset).alias(charset.replace("-", "_"))
                           for charset in ("windows-1252", "ISO-8859-1")]).first())
    assert decoded_header(every_byte, "windows-1252", None) == executors.windows_1252
    assert decoded_header(every_byte, "ISO-8859-1", None) == executors.ISO_8859_1
    assert len(executors.windows_1252) == len(every_byte)   # one character per byte: nothing lost


@pytest.mark.parametrize("raw, charset, fallback, expected", [
    ("température".encode("utf-8"), "UTF-8", "windows-1252", "température"),
    (b"temp\xe9rature \x80", "UTF-8", "windows-1252", "température €"),
    (b"temp\xe9rature", "UTF-8", None, None),             # invalid UTF-8, no fallback: not text
    (b"temp\xe9rature \x80", "US-ASCII", "cp1252", "température €"),    # ASCII is read as UTF-8
    (b"temp\xe9rature", "latin-1", None, "température"),
])
def test_header_decoding(raw, charset, fallback, expected):
    assert decoded_header(raw, charset, fallback) == expected


def test_charset_names_are_canonical_in_any_spelling(spark):
    assert [line_charset(n) for n in ("utf8", "UTF_8", "ascii", "Latin-1", "ISO8859-1", "CP1252", "Windows-1252")] == [
        "UTF-8", "UTF-8", "UTF-8", "ISO-8859-1", "ISO-8859-1", "windows-1252", "windows-1252"]
    assert line_charset("UTF-16") is None and line_charset("EBCDIC") is None
    assert LINE_CHARSETS == ("UTF-8", "ISO-8859-1", "windows-1252")
    with pytest.raises(ValueError, match="unsupported charset 'UTF-16'"):
        decoded(F.col("raw"), "UTF-16")
