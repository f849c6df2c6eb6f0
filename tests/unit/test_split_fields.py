"""Lines split into fields, quoted fields (RFC 4180) read: on the executors and in the driver's
header check alike."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from transformations.ingestion.bronze import split_fields, split_line

# (line, delimiter, fields)
CASES = [
    ("a;b;c", ";", ["a", "b", "c"]),
    ("a;;c;", ";", ["a", "", "c", ""]),                      # empty fields, a trailing one too
    ("", ";", [""]),
    (";a", ";", ["", "a"]),
    ('"Gare de Lyon; Paris";12', ";", ["Gare de Lyon; Paris", "12"]),
    ('1,"Gare de Lyon, Paris",48.84', ",", ["1", "Gare de Lyon, Paris", "48.84"]),
    ('"say ""hi""";x', ";", ['say "hi"', "x"]),             # a doubled quote is a quote
    ('"";x;""', ";", ["", "x", ""]),                         # quoted empty fields
    ('"record_id";"record_type"', ";", ["record_id", "record_type"]),
    ('a; "b;c" ;d', ";", ["a", "b;c", "d"]),                 # spaces around quotes dropped
    (' a ; b ', ";", [" a ", " b "]),                        # spaces of an unquoted field kept
    ('"a\tb"\tc', "\t", ["a\tb", "c"]),
    (';"Gare de Lyon; Paris";12', ";", ["", "Gare de Lyon; Paris", "12"]),   # a first empty field
    (';;"a;b"', ";", ["", "", "a;b"]),
    ('"a b" c "d"', " ", ["a b", "c", "d"]),                  # a space delimiter: no spaces trimmed
    ('"a b"  c', " ", ["a b", "", "c"]),
    ('"a""";x', ";", ['a"', "x"]),                           # a doubled quote before the closing one
    ('"""";x', ";", ['"', "x"]),
    # a field not quoted as a whole is its text up to the next delimiter, quotes included
    ('O"Brien;x', ";", ['O"Brien', "x"]),
    ('"open;x', ";", ['"open', "x"]),
    ('"a"b;c', ";", ['"a"b', "c"]),
    ('"a;b', ";", ['"a', "b"]),
    ('"Gare du Nord";O"Brien', ";", ["Gare du Nord", 'O"Brien']),  # the quoted field is still read
    ('"a" "b";c', ";", ['"a" "b"', "c"]),
    ('"a"";x', ";", ['"a""', "x"]),                          # its closing quote is doubled: no end
    ('";x', ";", ['"', "x"]),
    ('"' + "a" * 60 + ";x", ";", ['"' + "a" * 60, "x"]),   # an open quote on a long field: no backtracking
    ('"' + "a" * 60 + '"b;x', ";", ['"' + "a" * 60 + '"b', "x"]),
]


@pytest.mark.parametrize("line, delimiter, fields", CASES)
def test_split_line_reads_quoted_fields(line, delimiter, fields):
    assert split_line(line, delimiter) == fields


def test_the_executors_split_as_the_driver_does(spark):
    df = spark.createDataFrame([(line, d) for line, d, _ in CASES], "line string, d string")
    got = []
    for delimiter in sorted({d for _, d, _ in CASES}):
        rows = df.where(F.col("d") == delimiter).select("line", split_fields(F.col("line"), delimiter).alias("f"))
        got += [(r.line, delimiter, r.f) for r in rows.collect()]
    assert sorted(got) == sorted((line, d, fields) for line, d, fields in CASES)


def test_without_a_quote_character_quotes_are_text(spark):
    line = '"a;b";c'
    assert split_line(line, ";", quote=None) == ['"a', 'b"', "c"]
    df = spark.createDataFrame([(line,)], "line string")
    assert df.select(split_fields(F.col("line"), ";", quote=None)).first()[0] == ['"a', 'b"', "c"]


def test_a_long_quoted_field_and_a_long_line_are_read_on_the_executors(spark):
    # Java's regular expressions recurse on each repeat of a backtracking group: a quoted field of
    # a few thousand characters overflowed the executor's stack.
    long_field = "x;" * 50_000 + '""' * 5_000
    many_fields = ";".join(f'"{i};"' for i in range(10_000))
    lines = [f'a;"{long_field}";b', many_fields]
    df = spark.createDataFrame([(line,) for line in lines], "line string")
    got = [r.f for r in df.select(split_fields(F.col("line"), ";").alias("f")).collect()]
    expected = [["a", long_field.replace('""', '"'), "b"], [f"{i};" for i in range(10_000)]]
    assert got == expected
    assert [split_line(line, ";") for line in lines] == expected
