"""Clear subscriber identifiers in outputs: the generator's truth is the oracle, and the scan finds
an identifier however a switch printed it (``+33612345678``, ``0033...``, ``06 12 34 56 78``)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Set

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

# Blanks between digits are dropped before the digit runs are read: "06 12 34 56 78" is one run.
# (Not dots: "48.8566123" is a latitude, and joined it would look like a 9-digit number.)
SPACED_DIGITS = "(?<=[0-9])[ \u00a0\u202f]+(?=[0-9])"
DIGIT_RUN = "[0-9]{9,}"


def clear_identifiers(spark, truth_cdr: Path) -> Set[str]:
    """Every subscriber identifier of the generator's CDR truth table, as digit strings: E.164
    without '+', national significant numbers, IMSI, IMEI."""
    values = set()
    truth = spark.read.format("delta").load(str(truth_cdr))
    for r in truth.select("calling_e164", "calling_national", "called_e164", "imsi", "imei").collect():
        values |= {v.lstrip("+") for v in r if v}
    return values | {v[-9:] for v in values if len(v) == 11 and v.startswith("33")}   # national numbers called


def digit_runs(text: str) -> List[str]:
    """The runs of 9 or more digits of ``text``, blanks between digits dropped."""
    return re.findall(DIGIT_RUN, re.sub(SPACED_DIGITS, "", text))


def table_digit_runs(df: DataFrame) -> List[str]:
    """The distinct digit runs of every column of ``df`` (computed by Spark; only the runs come back)."""
    as_text = F.regexp_replace(F.concat_ws("|", *[F.col(c).cast("string") for c in df.columns]), SPACED_DIGITS, "")
    runs = df.select(F.explode(F.regexp_extract_all(as_text, F.lit(f"({DIGIT_RUN})"), 1)).alias("run"))
    return [r.run for r in runs.distinct().collect()]


def leaks(runs: Iterable[str], identifiers: Set[str]) -> List[str]:
    """The runs that are an identifier, whole or behind trunk or international zeros
    (``0612345678``, ``0033612345678``). A run must be the identifier, not merely hold it: long
    numbers of logs (epoch milliseconds, byte counts) hold any 9 digits now and then."""
    return [run for run in runs if run in identifiers or run.lstrip("0") in identifiers]


def assert_no_leak(texts: Dict[str, List[str]], identifiers: Set[str]) -> None:
    """``texts`` maps where to the digit runs found there; none may be an identifier (see :func:`leaks`)."""
    assert len(identifiers) > 1000 and texts
    found = {where: leaks(runs, identifiers)[:3] for where, runs in texts.items()}
    assert not any(found.values()), {where: f for where, f in found.items() if f}
