"""Data-quality checks of a run date: rules from conf, metrics history, reports, and the gate.

    spark-submit --py-files dist/cdr_pipelines-<version>-py3.11.egg \\
        jobs/check.py --conf conf/local.yaml --run-date 2026-11-21

For every dataset of ``quality.datasets`` (``conf/quality.yaml``), all aggregate metrics of its
rules come from one pass over its rows (its quarantine included when a rule needs it); each rule
then judges its figures against its thresholds and, for volume and drift, against the metrics
history. The metrics and outcomes are appended to the history (``<paths.quality>``, a rerun
replaces its date); the result goes to ``<paths.reports>/check/<date>.json`` and a self-contained
HTML report (``.html``: outcomes, history plots with their bands, masked samples of failing rows).

Exit 3 when a ``critical`` rule fails (or cannot be evaluated), so the workflow stops, leaving
``<date>.critical`` (the failed rules, one a line) beside the reports for the workflow's gate; 0
when only warnings fail (and no such flag).
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.runtime.config import QualityDataset
from jobs.runtime.job import DataQualityError, JobContext, JobResult, run_job
from jobs.runtime.quality_history import read_metrics, replace_run_date
from jobs.runtime.quality_report import render_html
from jobs.runtime.reports import delete_path, report_path, write_json_report, write_text
from jobs.runtime.tables import DATE_COLUMN
from transformations.cleansing.rules import RAW_PREFIX, identifier_fields
from transformations.cleansing.text import masked_digits
from transformations.quality.anomaly import band_history
from transformations.quality.base import ERROR, FAILED, ROWS, History, Rule, Verdict, in_table
from transformations.quality.catalogue import NEEDS_QUARANTINE
from transformations.quality.metrics import (aggregated_metrics, judged, missing_columns, numeric_metrics, prepared,
                                             scanned_rows)
from transformations.quality.rules import build_rules
from transformations.quality.volume import VolumeAnomaly


CRITICAL_FLAG = ".critical"   # <reports>/check/<date>.critical: the critical rules that failed, one a line


@dataclass
class Loaded:
    """A dataset's rows for the run date (None when its table does not exist) and what was read."""

    rows: Optional[DataFrame]
    quarantine: Optional[DataFrame]
    source: str
    problem: str = ""


@dataclass
class Checked:
    """One dataset's outcome: its figures, each rule's verdict, samples of failing rows."""

    name: str
    source: str
    values: Dict[str, Any] = field(default_factory=dict)
    verdicts: List[Tuple[Rule, Verdict]] = field(default_factory=list)
    samples: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    history: Dict[str, list] = field(default_factory=dict)


def table_path(ctx: JobContext, reference: str) -> str:
    """``silver.cdr`` -> the path of the cdr table of the silver zone."""
    zone, feed = reference.split(".", 1)
    return f"{ctx.config.resolve(getattr(ctx.config.paths, zone))}/{feed}"


def load_dataset(ctx: JobContext, dataset: QualityDataset) -> Loaded:
    """The dataset's rows of the run date (``latest``: of the latest date up to it)."""
    from delta.tables import DeltaTable

    spark, day = ctx.spark, ctx.run_date
    path = table_path(ctx, dataset.table)
    if not DeltaTable.isDeltaTable(spark, path):
        return Loaded(None, None, dataset.table, f"{dataset.table}: no Delta table at {path}")
    table = spark.read.format("delta").load(path)
    if dataset.partition == "latest":
        dates = table.where(F.col(DATE_COLUMN) <= F.lit(day)).agg(F.max(DATE_COLUMN)).first()[0]
        if dates is None:
            return Loaded(None, None, dataset.table, f"{dataset.table}: no date up to {day}")
        day = dates
    rows = table.where(F.col(DATE_COLUMN) == F.lit(day))
    source = f"{dataset.table} {day}"
    quarantine = None
    if dataset.quarantine is not None:
        qpath = table_path(ctx, dataset.quarantine)
        if DeltaTable.isDeltaTable(spark, qpath):
            quarantine = spark.read.format("delta").load(qpath).where(F.col(DATE_COLUMN) == F.lit(day))
            source += f" + {dataset.quarantine}"
    return Loaded(rows, quarantine, source)


HIDDEN = "(hidden)"   # what a sample shows of an identifier


def masked_columns(ctx: JobContext, dataset: QualityDataset, columns: List[str]) -> Dict[str, Column]:
    """How samples show the columns that may identify a subscriber, by column name.

    Identifiers (in silver, keyed pseudonyms), conf's ``masked`` columns and the columns of
    ``pseudonymised`` rules (whose failing rows hold a value in clear) show :data:`HIDDEN` only:
    any part of a pseudonym, even its letters alone, singles a subscriber out among the rows of
    the table. Other raw values and the raw line show their shape, digits masked.
    """
    feed = ctx.config.feeds[dataset.table.split(".", 1)[1]]
    identifiers = (set(identifier_fields(feed)) | set(dataset.masked)
                   | {rule.column for rule in dataset.rules.values() if rule.type == "pseudonymised"})
    shown = {}
    for c in columns:
        if c in identifiers or (c.startswith(RAW_PREFIX) and c[len(RAW_PREFIX):] in identifiers):
            shown[c] = F.when(F.col(c).isNotNull(), F.lit(HIDDEN)).alias(c)
        elif c.startswith(RAW_PREFIX) or c == "_line":
            shown[c] = masked_digits(F.col(c).cast("string")).alias(c)
    return shown


def check_dataset(ctx: JobContext, name: str, dataset: QualityDataset, loaded: Dict[str, Loaded],
                  history: History) -> Checked:
    """Evaluate one dataset's rules: one pass for the metrics, then a small sample per failing
    row-level rule."""
    data = loaded[name]
    rules = build_rules(name, dataset.rules, ctx.run_date)
    checked = Checked(name=name, source=data.source)
    if data.rows is None:
        checked.verdicts = [(r, Verdict(ERROR, None, "", data.problem)) for r in rules]
        return checked
    columns = data.rows.columns
    errors = unrunnable(rules, dataset, data, loaded)
    runnable = [r for r in rules if r.name not in errors]
    references = {n: d.rows for n, d in loaded.items() if d.rows is not None}
    needs_quarantine = any(r.settings.type in NEEDS_QUARANTINE for r in runnable)
    scanned = scanned_rows(data.rows, data.quarantine if needs_quarantine else None)
    with ctx.step(f"{name}: metrics"):
        checked.values = scanned.transform(aggregated_metrics(runnable, references)).first().asDict()
    verdicts = dict((rule.name, verdict) for rule, verdict in judged(runnable, checked.values, history))
    checked.verdicts = [(r, verdicts.get(r.name) or Verdict(ERROR, None, "", errors[r.name])) for r in rules]

    if ctx.config.quality.sample_rows:
        with ctx.step(f"{name}: samples"):
            checked.samples = failing_samples(ctx, dataset, checked.verdicts, scanned, references, columns)
    checked.history = {rule.name: plotted_history(rule, history, checked.values, verdict)
                       for rule, verdict in checked.verdicts}
    return checked


def unrunnable(rules: List[Rule], dataset: QualityDataset, data: Loaded, loaded: Dict[str, Loaded]) -> Dict[str, str]:
    """Why each rule that cannot run on this data cannot (a missing column, quarantine or reference)."""
    errors: Dict[str, str] = {}
    for rule in rules:
        missing = missing_columns(rule, data.rows.columns)
        if missing:
            errors[rule.name] = f"{', '.join(missing)} not in {dataset.table}"
        if rule.settings.type in NEEDS_QUARANTINE and data.quarantine is None:
            errors[rule.name] = f"no quarantine table {dataset.quarantine}"
        reference = rule.settings.reference
        if reference is not None:
            ref = loaded[reference]
            if ref.rows is None:
                errors[rule.name] = f"reference unavailable: {ref.problem}"
            elif rule.settings.reference_column not in ref.rows.columns:
                errors[rule.name] = f"{rule.settings.reference_column} not in {ref.source}"
    return errors


def failing_samples(ctx: JobContext, dataset: QualityDataset, verdicts: List[Tuple[Rule, Verdict]],
                    scanned: DataFrame, references: Dict[str, DataFrame], columns: List[str]) -> Dict[str, list]:
    """Up to ``quality.sample_rows`` failing rows of each failed row-level rule, the rule's columns
    first, identifiers and raw values masked (one small job per such rule)."""
    masked = masked_columns(ctx, dataset, columns)
    samples = {}
    for rule, verdict in verdicts:
        failing = rule.failing_rows() if verdict.status == FAILED else None
        if failing is None:
            continue
        ordered = rule.columns() + [c for c in columns if c not in rule.columns()]
        shown = [masked.get(c, F.col(c)) for c in ordered]
        rows = scanned.transform(prepared([rule], references)).where(in_table() & failing)
        samples[rule.name] = [_plain(r.asDict()) for r in rows.select(*shown).limit(ctx.config.quality.sample_rows)
                              .collect()]
    return samples


def plotted_history(rule: Rule, history: History, values: Dict[str, Any], verdict: Verdict) -> list:
    """The rule's tracked metric by date, with its band: earlier days from the history, then today."""
    metric = ROWS if rule.tracked == ROWS else rule.metric(rule.tracked)
    today = (rule.scope.run_date, verdict.observed)
    if isinstance(rule, VolumeAnomaly):
        points = band_history(history.of(ROWS) + [today], **rule.settings_of_band())
        return [[d.isoformat(), v, None if b is None else [b.low, b.high]] for d, v, b in points]
    band = list(verdict.band) if verdict.band else None
    return [[d.isoformat(), v, band] for d, v in history.of(metric) + [today] if v is not None]


def _plain(row: Dict[str, Any]) -> Dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in row.items()}


def run(ctx: JobContext) -> JobResult:
    quality = ctx.config.quality
    root = ctx.config.resolve(ctx.config.paths.quality)
    # The workflow's gate tells a critical data-quality stop from a crash by this flag: an earlier
    # run's goes first, so that this run crashing is reported as a crash, not as that run's stop.
    # (The workflow's action deletes it too before the job starts, for a crash before this line.)
    flag = report_path(ctx, "check", CRITICAL_FLAG)
    delete_path(ctx.spark, flag)
    with ctx.step("history"):
        history = read_metrics(ctx.spark, root, ctx.run_date, quality.history_days)
    loaded = {name: load_dataset(ctx, dataset) for name, dataset in quality.datasets.items()}
    results = [check_dataset(ctx, name, dataset, loaded, History(history.get(name, {})))
               for name, dataset in quality.datasets.items()]
    with ctx.step("record"):
        replace_run_date(ctx.spark, root, ctx.run_date, metrics_rows(ctx, results), outcome_rows(ctx, results))
    document = result_document(ctx, results)
    json_path = write_json_report(ctx, "check", json.dumps(document, indent=2, default=str))
    html_path = write_text(ctx.spark, report_path(ctx, "check", ".html"), render_html(document))
    if document["critical_failures"]:
        write_text(ctx.spark, flag, "\n".join(document["critical_failures"]) + "\n")
    print_summary(ctx, document, json_path, html_path)
    counts = {f"{c.name}.rows": int(c.values.get(ROWS, 0)) for c in results}
    counts.update({f"{c.name}.failed": sum(v.failing for _, v in c.verdicts) for c in results})
    critical = document["critical_failures"]
    if critical:
        raise DataQualityError(f"{len(critical)} critical rule(s) failed: {', '.join(critical)}; report {html_path}")
    return JobResult(rows_in=sum(counts[f"{c.name}.rows"] for c in results), counts=counts,
                     message=f"{len(document['warnings'])} warning(s); report {html_path}")


def metrics_rows(ctx: JobContext, results: List[Checked]) -> List[tuple]:
    rows = []
    for c in results:
        figures = numeric_metrics(c.values)
        for _, verdict in c.verdicts:
            figures.update(verdict.recorded)
        rows += [(ctx.run_date, c.name, metric, value, ctx.run_id) for metric, value in sorted(figures.items())]
    return rows


def outcome_rows(ctx: JobContext, results: List[Checked]) -> List[tuple]:
    return [(ctx.run_date, c.name, rule.name, rule.settings.type, rule.severity, verdict.status,
             verdict.observed, verdict.expected, verdict.message, ctx.run_id)
            for c in results for rule, verdict in c.verdicts]


def result_document(ctx: JobContext, results: List[Checked]) -> Dict[str, Any]:
    """The JSON result: every rule's outcome, history and samples, and the gate's decision."""
    critical, warnings = [], []
    datasets = {}
    for c in results:
        rules = []
        for rule, verdict in c.verdicts:
            if verdict.failing:
                (critical if rule.severity == "critical" else warnings).append(f"{c.name}.{rule.name}")
            rules.append({"name": rule.name, "type": rule.settings.type, "severity": rule.severity,
                          "description": rule.settings.description, "status": verdict.status,
                          "observed": verdict.observed, "expected": verdict.expected, "message": verdict.message,
                          "band": verdict.band, "details": verdict.details, "history": c.history.get(rule.name, []),
                          "samples": c.samples.get(rule.name, [])})
        datasets[c.name] = {"source": c.source, "rows": c.values.get(ROWS), "read": c.values.get("read"),
                            "rules": rules}
    return {"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(),
            "status": "failed" if critical else "passed", "critical_failures": critical, "warnings": warnings,
            "datasets": datasets}


def print_summary(ctx: JobContext, document: Dict[str, Any], json_path: str, html_path: str) -> None:
    print(f"checked {ctx.run_date}: {document['status']}")
    for name, dataset in document["datasets"].items():
        rules = dataset["rules"]
        failing = [r for r in rules if r["status"] in (FAILED, ERROR)]
        print(f"  {name:<8} {dataset['source']}: {len(rules) - len(failing)} of {len(rules)} rules pass")
        for r in failing:
            print(f"           {r['severity'].upper():<8} {r['name']}: {r['message']}")
    print(f"  report   {html_path}\n  result   {json_path}")


if __name__ == "__main__":
    sys.exit(run_job("check", run))
