"""The job contract, in one place, so Oozie, Jenkins and people call every job the same way::

    spark-submit [spark options] --py-files dist/<package>.egg jobs/<job>.py \\
        --conf conf/<env>.yaml --run-date YYYY-MM-DD [--set key.path=value ...]

Exit codes: 0 success; 2 bad arguments or config (one line, before Spark starts); 3 a critical
data-quality rule failed; 1 anything else. Every run that got a SparkSession appends one record
to the run log table.

A job module defines ``run(ctx: JobContext) -> JobResult`` and ends with
``sys.exit(run_job("name", run))``.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from jobs import __version__
from jobs.runtime.config import Config, ConfigError, load_config
from jobs.runtime.logs import setup_logging

if TYPE_CHECKING:  # imported lazily at run time: argument errors must not pay for pyspark
    import logging

    from pyspark.sql import SparkSession

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_QUALITY = 0, 1, 2, 3


class DataQualityError(RuntimeError):
    """A critical data-quality rule failed: the job exits 3 so the workflow stops."""


class UsageError(ValueError):
    """Bad command-line arguments."""


@dataclass
class JobArgs:
    conf: str
    run_date: dt.date
    overrides: List[str]


@dataclass
class JobContext:
    """What a job body receives: validated config, run identity, Spark and a logger."""

    name: str
    config: Config
    run_date: dt.date
    run_id: str
    spark: "SparkSession"
    log: "logging.Logger"
    timings: Dict[str, float] = field(default_factory=dict)
    prepared: Any = None  # what the job's preflight returned (e.g. a key read before Spark)

    @contextlib.contextmanager
    def step(self, name: str):
        """Time a step of the job: logged, and kept in ``timings`` (seconds) for the report."""
        started = time.time()
        self.spark.sparkContext.setJobGroup(name, f"{self.name}: {name}")
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.time() - started
            self.log.info(f"step {name}", extra={"fields": {"seconds": round(time.time() - started, 1)}})


@dataclass
class JobResult:
    """What a job body returns: row counts in and out plus named counts (per feed, per reason)."""

    rows_in: int = 0
    rows_out: int = 0
    counts: Dict[str, int] = field(default_factory=dict)
    message: str = ""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + message and exits 2; we want one line
        raise UsageError(message)


def parse_args(name: str, argv: Optional[List[str]] = None) -> JobArgs:
    """Parse the job contract's arguments.

    Raises
    ------
    UsageError
        On a missing or malformed argument; ``--run-date`` must be a real date, YYYY-MM-DD.
    """
    parser = _OneLineParser(prog=f"jobs/{name}.py", description=f"cdr-pipelines {name} job")
    parser.add_argument("--conf", required=True, help="environment file, e.g. conf/local.yaml")
    parser.add_argument("--run-date", required=True, help="the nominal date, YYYY-MM-DD")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a configuration value (repeatable)")
    args = parser.parse_args(argv)
    return JobArgs(conf=args.conf, run_date=parse_run_date(args.run_date), overrides=args.overrides)


def parse_run_date(text: str) -> dt.date:
    """``2026-11-21`` -> ``date(2026, 11, 21)``; anything else raises :class:`UsageError`."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(f"--run-date: expected a date as YYYY-MM-DD, got {text!r}") from None


def run_job(name: str, body: Callable[[JobContext], JobResult], argv: Optional[List[str]] = None,
            spark_extra: Optional[Dict[str, str]] = None,
            preflight: Optional[Callable[[Config], Any]] = None) -> int:
    """Run a job body under the contract and return its exit code.

    Parameters
    ----------
    name
        Job name (``generate``, ``ingest``, ...), used in logs and the run log.
    body
        ``run(ctx) -> JobResult``; raises :class:`DataQualityError` for a critical rule failure.
    argv
        Arguments (default ``sys.argv[1:]``).
    spark_extra
        Extra Spark settings (tests), below spark-submit's.
    preflight
        Checks needing only the config (a key, a file), run before Spark starts; raising
        :class:`ConfigError` exits 2 with its one line. Its result is ``ctx.prepared``. A
        :class:`ConfigError` the body raises (found in the tables: a key that is not the one of
        their pseudonyms) exits 2 too, logged in one line.
    """
    started = time.time()
    try:
        args = parse_args(name, argv)
        config = load_config(args.conf, args.overrides)
        prepared = preflight(config) if preflight else None
    except (UsageError, ConfigError) as error:
        print(f"jobs/{name}.py: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

    run_id = f"{name}-{args.run_date:%Y%m%d}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    log = setup_logging(config.logging.format, config.logging.level, job=name, run_id=run_id,
                        run_date=args.run_date.isoformat())
    # Deferred: keeps argument and config errors free of pyspark's import time and JVM start.
    from jobs.runtime.runlog import append_run_record
    from jobs.runtime.session import RuntimeSetupError, get_spark

    from pyspark import SparkContext

    owns_session = SparkContext._active_spark_context is None  # a caller's session is left running
    try:
        spark = get_spark(config, f"cdr-{name}", spark_extra)
    except RuntimeSetupError as error:
        print(f"jobs/{name}.py: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

    log.info("start", extra={"fields": {"conf": args.conf, "environment": config.environment,
                                        "overrides": ",".join(args.overrides) or "-",
                                        "master": spark.sparkContext.master, "version": __version__}})
    ctx = JobContext(name=name, config=config, run_date=args.run_date, run_id=run_id, spark=spark, log=log,
                     prepared=prepared)
    result, status, code = JobResult(), "succeeded", EXIT_OK
    try:
        result = body(ctx)
    except DataQualityError as error:
        status, code, result.message = "quality_failed", EXIT_QUALITY, str(error)
        log.error(f"critical data-quality failure: {error}")
    except ConfigError as error:    # found by the body (a key that is not the table's): one line
        status, code, result.message = "failed", EXIT_BAD_INPUT, str(error)
        log.error(f"configuration error: {error}")
    except Exception as error:  # noqa: BLE001 - the contract maps everything else to 1
        status, code, result.message = "failed", EXIT_FAILED, f"{type(error).__name__}: {error}"[:2000]
        log.exception("job failed")
    duration = time.time() - started
    try:
        append_run_record(spark, config.resolve(config.paths.run_log), job=name, run_id=run_id,
                          run_date=args.run_date, status=status, exit_code=code, started_at=started,
                          duration_s=duration, result=result, environment=config.environment,
                          version=__version__)
    except Exception:  # noqa: BLE001 - a run-log failure must not hide the job's own outcome
        log.exception("could not append to the run log")
        code = code or EXIT_FAILED
    log.info("end", extra={"fields": {"status": status, "exit_code": code, "rows_in": result.rows_in,
                                      "rows_out": result.rows_out, "duration_s": round(duration, 1)}})
    if owns_session:
        spark.stop()
    return code
