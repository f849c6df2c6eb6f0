"""Data-quality checks on 10M silver-shaped CDRs (``BENCH_CHECK_ROWS``): 30 rules, side by side with
the hand-written floor and with cuallee.

The table (a silver CDR table's columns and types, with a few percent of failing values) is
written to Delta first (not timed). Then, in one Spark session, ``BENCH_CHECK_ROUNDS`` (3) rounds
of, in turn:

- **floor**: the same metrics written by hand: one ``agg`` of the 29 rule counts, plus the key
  count of the uniqueness rule (the plan the framework builds, without the framework: the same
  per-row tests, ``is_pseudonym`` for the four identifiers);
- **framework**: the 30 rules declared as in ``conf/quality.yaml``, their metrics computed and
  judged by ``transformations.quality`` (what ``jobs/check.py`` runs per dataset);
- **cuallee** (PyPI): the same 30 rules as a cuallee ``Check`` (``is_complete``,
  ``is_between``, ``is_contained_in``, ``has_pattern``, ``is_unique``), validated and collected;
  a pseudonym's shape is ``satisfies`` with the framework's own test in SQL: like for like;
- for context, cuallee as its users would write the shape: ``has_pattern`` with
  ``^[0-9a-f]{64}$``; and the naive hand-written version: ``count(DISTINCT record_id)`` inside
  the one agg, that regular expression for the pseudonyms.

Each round runs the ways in another order (the first of a round pays for the garbage of the last
one's). Each figure is the median of its rounds. The framework's and the naive version's failing
counts are checked against the floor's before anything is printed: they compute the same thing.
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from typing import Dict, List, Tuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.runtime.config import QualityRule
from jobs.runtime.job import JobResult, run_job
from transformations.cleansing.pseudonymise import is_pseudonym
from transformations.quality.base import History
from transformations.quality.metrics import aggregated_metrics, judged, scanned_rows
from transformations.quality.rules import build_rules

CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conf", "local.yaml")
RUN_DATE = dt.date(2026, 11, 23)
HEX64 = "^[0-9a-f]{64}$"
TYPES = ["VOICE", "SMS", "DATA"]
OUTCOMES = ["completed", "dropped", "failed", "busy", "no_answer"]
PLANS = ["Prépayé", "Forfait Découverte", "Forfait Illimité", "Série Limitée", "Entreprise Sérénité"]
CAUSES = ["16", "31", "17", "18", "19", "34", "38", "47", "41", "102"]

# The 30 rules: (name, settings), as conf/quality.yaml declares them. Every one has a cuallee equivalent.
# A pseudonym's shape in SQL (is_pseudonym), for cuallee's ``satisfies``.
PSEUDONYM_SQL = "octet_length(`{c}`) = 64 AND unhex(`{c}`) IS NOT NULL AND lower(`{c}`) = `{c}`"
RULES: List[Tuple[str, dict]] = (
    [(f"{c}_complete", {"type": "completeness", "column": c})
     for c in ("record_id", "record_type", "start_time", "duration_s", "calling_number", "imsi", "cell_id",
               "release_cause", "tariff_plan")]
    + [("called_number_complete", {"type": "completeness", "column": "called_number", "min_ratio": 0.5})]
    + [(f"{c}_in_range", {"type": "range", "column": c, "minimum": lo, "maximum": hi})
       for c, lo, hi in (("duration_s", 0, 86400), ("bytes_up", 0, 10**12), ("bytes_down", 0, 10**12),
                         ("release_cause", 1, 127), ("local_hour", 0, 23), ("cell_id_lac", 0, 65535),
                         ("cell_id_ci", 0, 268435455))]
    + [(f"{c}_known", {"type": "allowed_values", "column": c, "allowed": values})
       for c, values in (("record_type", TYPES), ("outcome", OUTCOMES), ("tariff_plan", PLANS),
                         ("roaming", ["true", "false"]), ("release_cause", CAUSES), ("cell_id_mcc", ["208"]))]
    + [(f"{c}_shape", {"type": "pattern", "column": c, "pattern": p})
       for c, p in (("cell_id", "^[0-9]{3}-[0-9]{2,3}-[0-9]+-[0-9]+$"), ("record_id", "^r[0-9]+$"))]
    + [(f"{c}_pseudonymised", {"type": "pseudonymised", "column": c})
       for c in ("calling_number", "called_number", "imsi", "imei")]
    + [("record_id_unique", {"type": "uniqueness", "columns": ["record_id"]})]
)
assert len(RULES) == 30


def silver_like(spark, rows: int, partitions: int) -> DataFrame:
    """``rows`` CDRs with silver's columns; about 0.001-2% of values fail one rule or another (a
    calling number in clear, an upper-case IMSI pseudonym among them)."""
    i = F.col("id")

    def draw(salt: int, modulo: int) -> Column:
        return F.pmod(F.xxhash64(i, F.lit(salt)), F.lit(modulo))

    def pseudonym(salt: int, subscribers: int) -> Column:
        return F.sha2(F.concat(F.lit(f"s{salt}-"), draw(salt, subscribers).cast("string")), 256)

    record_type = F.element_at(F.array(*[F.lit(t) for t in TYPES]), (draw(1, 3) + 1).cast("int"))
    start = F.timestamp_seconds(F.unix_seconds(F.lit(dt.datetime(2026, 11, 23))) + draw(2, 86_400))
    lac, ci = draw(3, 400) + 100, draw(4, 1600) + 1
    df = spark.range(rows, numPartitions=partitions).select(
        F.when(draw(5, 100_000) == 0, F.concat(F.lit("r"), i, F.lit("x"))).otherwise(F.concat(F.lit("r"), i))
        .alias("record_id"),
        record_type.alias("record_type"),
        start.alias("start_time"),
        F.hour(start).alias("local_hour"),
        F.when(draw(6, 1000) == 0, F.lit(-5)).when(draw(6, 1000) == 1, F.lit(None))
        .otherwise(draw(7, 4000)).alias("duration_s"),
        F.when(draw(19, 100_000) == 0, F.concat(F.lit("+3361"), draw(20, 10**7).cast("string")))
        .otherwise(pseudonym(8, 200_000)).alias("calling_number"),
        F.when(record_type == "DATA", F.lit(None)).otherwise(pseudonym(9, 200_000)).alias("called_number"),
        F.when(draw(21, 100_000) == 0, F.upper(pseudonym(8, 200_000))).otherwise(pseudonym(8, 200_000))
        .alias("imsi"),
        F.when(draw(10, 20) == 0, F.lit(None)).otherwise(pseudonym(11, 150_000)).alias("imei"),
        F.concat_ws("-", F.lit("208"), F.lit("01"), lac.cast("string"), ci.cast("string")).alias("cell_id"),
        F.lit("208").alias("cell_id_mcc"), F.lit("01").alias("cell_id_mnc"),
        lac.cast("int").alias("cell_id_lac"), ci.alias("cell_id_ci"),
        F.when(record_type == "DATA", draw(12, 50_000_000)).alias("bytes_up"),
        F.when(record_type == "DATA", draw(13, 500_000_000)).alias("bytes_down"),
        F.element_at(F.array(*[F.lit(int(c)) for c in CAUSES + ["200"]]), (draw(14, 11) + 1).cast("int"))
        .alias("release_cause"),
        (draw(15, 50) == 0).alias("roaming"),
        F.element_at(F.array(*[F.lit(p) for p in PLANS]), (draw(16, 5) + 1).cast("int")).alias("tariff_plan"),
        F.element_at(F.array(*[F.lit(o) for o in OUTCOMES]), (draw(17, 5) + 1).cast("int")).alias("outcome"),
        F.concat(F.lit("file:/data/raw/cdr/event_date=2026-11-23/hour="), F.lpad(F.hour(start).cast("string"), 2, "0"),
                 F.lit("/source=probe0"), (draw(18, 2) + 1).cast("string"), F.lit("/part-00000.txt.gz"))
        .alias("_source_file"),
        F.lit(RUN_DATE).alias("event_date"),
    )
    return df


# --------------------------------------------------------------------------------------------
# The three ways
# --------------------------------------------------------------------------------------------
def floor_counts(df: DataFrame, naive: bool = False) -> Dict[str, int]:
    """The rules' failing counts written by hand: one agg, plus the key count of the unique rule.
    ``naive``: the key count as a ``count(DISTINCT)`` in the agg, pseudonyms by regular expression."""
    metrics = [F.count(F.lit(1)).alias("rows")]
    for name, s in RULES:
        c = F.col(s.get("column", "record_id"))
        if s["type"] == "completeness":
            metrics.append(F.count(F.when(c.isNull(), 1)).alias(name))
        elif s["type"] == "range":
            metrics.append(F.count(F.when((c < s["minimum"]) | (c > s["maximum"]), 1)).alias(name))
        elif s["type"] == "allowed_values":
            metrics.append(F.count(F.when(~c.cast("string").isin(s["allowed"]), 1)).alias(name))
        elif s["type"] == "pattern":
            metrics.append(F.count(F.when(~c.cast("string").rlike(s["pattern"]), 1)).alias(name))
        elif s["type"] == "pseudonymised":
            shaped = c.rlike(HEX64) if naive else is_pseudonym(c)
            metrics.append(F.count(F.when(~shaped, 1)).alias(name))
    if naive:
        row = df.agg(*metrics, F.count_distinct("record_id").alias("distinct")).first().asDict()
    else:
        keys = df.groupBy("record_id").count().agg(F.count(F.lit(1)).alias("distinct"))
        row = df.agg(*metrics).crossJoin(keys).first().asDict()
    row["record_id_unique"] = row["rows"] - row.pop("distinct")
    return row


def framework_counts(df: DataFrame) -> Dict[str, int]:
    """The 30 rules through ``transformations.quality``: one query, then each rule's verdict."""
    rules = build_rules("cdr", {name: QualityRule(**s) for name, s in RULES}, RUN_DATE)
    values = scanned_rows(df).transform(aggregated_metrics(rules, {})).first().asDict()
    counts = {"rows": values["rows"]}
    for rule, verdict in judged(rules, values, History()):
        kind = rule.settings.type
        counts[rule.name] = (values[rule.metric("keyed")] - values[rule.metric("distinct")] if kind == "uniqueness"
                             else values[rule.metric("failed")])
        assert verdict.status in ("passed", "failed"), (rule.name, verdict)
    return counts


def cuallee_run(df: DataFrame, shape_by_regex: bool = False) -> int:
    """The same rules as a cuallee Check; returns the number of rules it evaluated. A pseudonym's
    shape is the framework's test (``satisfies``), or with ``shape_by_regex`` ``has_pattern``."""
    from cuallee import Check, CheckLevel

    check = Check(CheckLevel.WARNING, "cdr")
    for name, s in RULES:
        column = s.get("column")
        if s["type"] == "completeness":
            check.is_complete(column, pct=s.get("min_ratio", 1.0))
        elif s["type"] == "range":
            check.is_between(column, (s["minimum"], s["maximum"]))
        elif s["type"] == "allowed_values":
            values = tuple(s["allowed"])
            if column == "roaming":
                values = (True, False)
            elif column == "release_cause":
                values = tuple(int(v) for v in values)
            check.is_contained_in(column, values)
        elif s["type"] == "pattern":
            check.has_pattern(column, s["pattern"])
        elif s["type"] == "pseudonymised" and shape_by_regex:
            check.has_pattern(column, HEX64)
        elif s["type"] == "pseudonymised":
            check.satisfies(column, PSEUDONYM_SQL.format(c=column))
        elif s["type"] == "uniqueness":
            check.is_unique(s["columns"][0])
    return len(check.validate(df).collect())


def timed(function, *args) -> Tuple[float, object]:
    started = time.time()
    result = function(*args)
    return time.time() - started, result


def run(work: str):
    """Returns rows of (label, value, unit)."""
    rows = int(os.environ.get("BENCH_CHECK_ROWS", "10000000"))
    rounds = int(os.environ.get("BENCH_CHECK_ROUNDS", "3"))
    ways = {
        "floor": floor_counts,
        "framework": framework_counts,
        "cuallee": cuallee_run,
        "cuallee_regex": lambda df: cuallee_run(df, True),
        "naive": lambda df: floor_counts(df, True),
    }
    figures: Dict[str, List[float]] = {way: [] for way in ways}
    facts = {}

    def body(ctx):
        spark = ctx.spark
        path = os.path.join(work, "silver_cdr")
        silver_like(spark, rows, max(8, rows // 500_000)).write.format("delta").mode("overwrite").save(path)
        df = spark.read.format("delta").load(path)
        facts["rows"] = df.count()
        facts["cores"] = spark.sparkContext.defaultParallelism
        # not timed: on every value, cuallee's SQL shape test is the framework's (else not like for
        # like); a null is false in SQL and null in is_pseudonym, and neither tool counts it a pass
        shapes = [r["column"] for _, r in RULES if r["type"] == "pseudonymised"]
        differ = df.agg(*[F.count(F.when(F.col(c).isNotNull()
                                         & (F.expr(PSEUDONYM_SQL.format(c=c)) != is_pseudonym(c)), 1))
                          for c in shapes]).first()
        if any(differ):
            raise SystemExit(f"cuallee's shape test and is_pseudonym disagree on {dict(zip(shapes, differ))} values")
        order = list(ways)
        for round_ in range(rounds):
            results = {}
            for way in order[round_ % len(order):] + order[:round_ % len(order)]:
                seconds, results[way] = timed(ways[way], df)
                figures[way].append(seconds)
            floor = results["floor"]
            for way in ("framework", "naive"):
                if results[way] != floor:
                    raise SystemExit(f"{way} and floor disagree: {results[way]} vs {floor}")
            for way in ("cuallee", "cuallee_regex"):
                if results[way] != len(RULES):
                    raise SystemExit(f"{way} evaluated {results[way]} rules, not {len(RULES)}")
        facts["failing"] = sum(1 for k, v in floor.items() if k != "rows" and v)
        return JobResult()

    argv = ["--conf", CONF, "--run-date", RUN_DATE.isoformat()]
    for zone in ("run_log", "reports", "quality"):
        argv += ["--set", f"paths.{zone}={work}/{zone}"]
    code = run_job("bench-check", body, argv)
    if code != 0:
        raise SystemExit(f"check benchmark failed with exit code {code}")
    median = {k: statistics.median(v) for k, v in figures.items()}
    n = facts["rows"]
    return [
        ("check: rows (silver-shaped CDRs, Delta)", n, "rows"),
        ("check: rules (of which failing on this data)", len(RULES), f"rules ({facts['failing']} failing)"),
        ("check: hand-written floor (one agg + key count)", round(median["floor"], 1), "s"),
        ("check: framework (transformations.quality)", round(median["framework"], 1), "s"),
        ("check: cuallee 0.15.4 (pseudonym shape: the framework's test, satisfies)", round(median["cuallee"], 1), "s"),
        ("check: cuallee 0.15.4 (pseudonym shape: has_pattern regex)", round(median["cuallee_regex"], 1), "s"),
        ("check: naive hand-written (count distinct in the agg, pseudonyms by regex)", round(median["naive"], 1), "s"),
        ("ratio framework / floor (target <= 1.3)", round(median["framework"] / median["floor"], 2), "x"),
        ("ratio cuallee / framework (target >= 2)", round(median["cuallee"] / median["framework"], 2), "x"),
        ("ratio cuallee / floor: the most any framework reaches at the floor's cost",
         round(median["cuallee"] / median["floor"], 2), "x"),
        ("ratio cuallee with has_pattern / framework", round(median["cuallee_regex"] / median["framework"], 2), "x"),
        ("ratio naive hand-written / framework", round(median["naive"] / median["framework"], 2), "x"),
        ("check: framework throughput per core", round(n / median["framework"] / facts["cores"]), "rows/s/core"),
        (f"check: rounds (medians of {rounds})", rounds, "rounds"),
    ]
