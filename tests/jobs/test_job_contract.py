"""The job contract, end to end, as a scheduler sees it: a job script run in its own process.

A minimal job (``probe``) is written into a temporary directory and run with the project's
``run_job``. Bad arguments and bad configuration must exit 2 with one line on stderr before Spark
starts (these runs take well under a second). Then three runs start Spark each (about 10 s
apiece): one succeeds (JSON logging), one fails a critical data-quality rule (text logging), one
raises; each appends its record to its own run log, read back here as Delta through the session's
``spark`` fixture.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, NamedTuple

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from jobs import __version__
from tests.conftest import FAST_SPARK_SETTINGS, LOCAL_CONF, PROJECT_ROOT, redirected_paths

RUN_DATE = "2026-11-21"
JOB = "probe"

PROBE_SCRIPT = '''\
"""A minimal job under the contract; its outcome is chosen by the PROBE_OUTCOME variable."""
import os
import sys

from jobs.runtime.job import DataQualityError, JobResult, run_job

SPARK_EXTRA = {spark_extra!r}


def run(ctx):
    outcome = os.environ.get("PROBE_OUTCOME", "succeed")
    if outcome == "quality":
        raise DataQualityError("rule msisdn_not_null: 4 of 10 rows failed")
    if outcome == "fail":
        raise RuntimeError("boom")
    with ctx.step("count"):
        rows = ctx.spark.range(10).count()
    ctx.log.info("counted", extra={{"fields": {{"rows": rows}}}})
    return JobResult(rows_in=rows, rows_out=rows - 3, message="kept 7",
                     counts={{"dropped": 3, "seed": ctx.config.generate.seed, "day": ctx.run_date.day}})


if __name__ == "__main__":
    code = run_job("{job}", run, spark_extra=SPARK_EXTRA)
    if code == 2 and "pyspark" in sys.modules:
        print("contract broken: pyspark was imported before the arguments were checked", file=sys.stderr)
    sys.exit(code)
'''

# The subprocess's Spark: the test settings with a smaller driver (the test session's JVM is up too).
PROBE_SPARK = {**FAST_SPARK_SETTINGS, "spark.driver.memory": "1g"}


class Run(NamedTuple):
    """A finished probe run: exit code, captured streams, wall time, and its run log path."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    run_log: Path


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    """The probe job script, written once for the module.

    Parameters
    ----------
    tmp_path_factory
        Provides the directory holding ``probe.py``.

    Returns
    -------
    pathlib.Path
        Path of ``probe.py``; run it with :func:`start_probe`.
    """
    path = tmp_path_factory.mktemp("job") / f"{JOB}.py"
    path.write_text(PROBE_SCRIPT.format(spark_extra=PROBE_SPARK, job=JOB), encoding="utf-8")
    return path


def probe_env(outcome: str, workdir: Path) -> Dict[str, str]:
    """The environment of a probe process: the project importable, nothing inherited that changes
    the contract (log format, an outer spark-submit's gateway)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDR_LOG_FORMAT", "PYSPARK_GATEWAY_PORT")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PROBE_OUTCOME"] = outcome
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    env["SPARK_LOCAL_DIRS"] = str(workdir)
    return env


def start_probe(script: Path, workdir: Path, args: List[str], outcome: str = "succeed"):
    """Start the probe job in its own process, data paths redirected under ``workdir``.

    Parameters
    ----------
    script
        The probe job (fixture :func:`probe`).
    workdir
        Working directory of the process; zones are written to ``workdir / "data"``.
    args
        Job arguments (``--conf``, ``--run-date``, ``--set`` ...), given as is.
    outcome
        ``succeed``, ``quality`` (raises DataQualityError) or ``fail`` (raises RuntimeError).

    Returns
    -------
    callable
        Waits for the process and returns its :class:`Run`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(script), *args], cwd=workdir, env=probe_env(outcome, workdir),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(timeout: float = 240) -> Run:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            pytest.fail(f"probe job did not end within {timeout} s; stderr:\n{stderr}")
        return Run(process.returncode, stdout, stderr, time.monotonic() - started, workdir / "data" / "run_log")

    return wait


def contract_args(workdir: Path, *extra: str, run_date: str = RUN_DATE) -> List[str]:
    """``--conf conf/local.yaml --run-date <run_date>`` plus every data path under ``workdir``."""
    args = ["--conf", str(LOCAL_CONF), "--run-date", run_date]
    for override in redirected_paths(workdir / "data"):
        args += ["--set", override]
    return args + list(extra)


# ---------------------------------------------------------------------------------------------
# Exit 2: one line, before Spark starts
# ---------------------------------------------------------------------------------------------
def _bad_input_cases(tmp: Path):
    local = ["--conf", str(LOCAL_CONF)]
    return {
        "impossible date": (local + ["--run-date", "2026-02-30"],
                            "--run-date: expected a date as YYYY-MM-DD, got '2026-02-30'"),
        "slashed date": (local + ["--run-date", "2026/11/21"],
                         "--run-date: expected a date as YYYY-MM-DD, got '2026/11/21'"),
        "short date": (local + ["--run-date", "2026-11-1"],
                       "--run-date: expected a date as YYYY-MM-DD, got '2026-11-1'"),
        "missing date": (local, "the following arguments are required: --run-date"),
        "missing conf argument": (["--run-date", RUN_DATE], "the following arguments are required: --conf"),
        "unknown argument": (local + ["--run-date", RUN_DATE, "--dry"], "unrecognized arguments: --dry"),
        "unknown key": (local + ["--run-date", RUN_DATE, "--set", "generate.scale.subscriber=5"],
                        "generate.scale.subscriber: unknown key"),
        "missing conf file": (["--conf", str(tmp / "conf" / "nowhere.yaml"), "--run-date", RUN_DATE],
                              f"config file not found: {tmp / 'conf' / 'nowhere.yaml'}"),
        "wrong type": (local + ["--run-date", RUN_DATE, "--set", "generate.seed=abc"],
                       "generate.seed: expected a whole number, got str 'abc'"),
        "bad override": (local + ["--run-date", RUN_DATE, "--set", "generate.seed"],
                         "--set 'generate.seed': expected key.path=value"),
        "bad choice": (local + ["--run-date", RUN_DATE, "--set", "logging.format=xml"],
                       "logging.format: expected one of ['json', 'text'], got 'xml'"),
    }


@pytest.mark.parametrize("case", list(_bad_input_cases(Path("/x"))))
def test_bad_input_exits_2_with_one_line_before_spark(probe, tmp_path, case):
    args, problem = _bad_input_cases(tmp_path)[case]
    # every data path points into tmp_path, so a run that went too far would leave a run log there
    redirect = [arg for override in redirected_paths(tmp_path / "data") for arg in ("--set", override)]
    run = start_probe(probe, tmp_path, args + redirect)(timeout=60)

    assert run.code == 2, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"jobs/{JOB}.py: error: {problem}"), lines[0]
    assert run.stdout == ""
    assert run.seconds < 10, "argument and config errors must not wait for a JVM"
    assert not (tmp_path / "data").exists()


# ---------------------------------------------------------------------------------------------
# Runs that start Spark: three processes, one after the other
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark_runs(probe, tmp_path_factory) -> Dict[str, Run]:
    """The three Spark runs of the probe job, one after the other (each starts its own JVM).

    Run concurrently they take longer on two cores than in sequence, so they are not.

    Parameters
    ----------
    probe
        The probe job script.
    tmp_path_factory
        Provides each run's working directory.

    Returns
    -------
    dict
        ``succeed`` (JSON logging, ``generate.seed=42``), ``quality`` and ``fail`` (text logging)
        mapped to their :class:`Run`.
    """
    root = tmp_path_factory.mktemp("runs")
    extra = {"succeed": ["--set", "logging.format=json", "--set", "generate.seed=42"],
             "quality": [], "fail": []}
    return {outcome: start_probe(probe, root / outcome, contract_args(root / outcome, *args), outcome)()
            for outcome, args in extra.items()}


RECORD_SCHEMA = T.StructType([
    T.StructField("job", T.StringType()),
    T.StructField("run_date", T.DateType()),
    T.StructField("status", T.StringType()),
    T.StructField("exit_code", T.IntegerType()),
    T.StructField("rows_in", T.LongType()),
    T.StructField("rows_out", T.LongType()),
    T.StructField("counts", T.MapType(T.StringType(), T.LongType())),
    T.StructField("message", T.StringType()),
    T.StructField("environment", T.StringType()),
    T.StructField("version", T.StringType()),
])


def read_run_log(spark, run: Run):
    """The run log a probe run wrote: the checked columns, and the full single record."""
    table = spark.read.format("delta").load(str(run.run_log))
    records = table.collect()
    assert len(records) == 1, records
    return table.select(*RECORD_SCHEMA.fieldNames()), records[0]


def expected_record(spark, status, code, rows_in, rows_out, counts, message):
    return spark.createDataFrame([(JOB, dt.date.fromisoformat(RUN_DATE), status, code, rows_in, rows_out,
                                   counts, message, "local", __version__)], RECORD_SCHEMA)


def json_log_records(stderr: str) -> List[dict]:
    """Our logger's records from a JSON-logging run's stderr (Spark's own lines are not JSON)."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_successful_run_exits_0_and_logs_json(spark, spark_runs):
    run = spark_runs["succeed"]
    assert run.code == 0, run.stderr
    actual, record = read_run_log(spark, run)
    expected = expected_record(spark, "succeeded", 0, 10, 7, {"dropped": 3, "seed": 42, "day": 21}, "kept 7")
    assert_df_equality(actual, expected, ignore_nullable=True)
    assert record.run_id.startswith(f"{JOB}-20261121-")
    assert record.duration_s > 0

    records = json_log_records(run.stderr)
    assert [r["message"] for r in records] == ["start", "step count", "counted", "end"]
    for entry in records:
        assert entry["logger"] == "cdr"
        assert (entry["job"], entry["run_id"], entry["run_date"]) == (JOB, record.run_id, RUN_DATE)
    start, end = records[0], records[-1]
    assert start["master"] == "local[2]" and start["environment"] == "local" and start["version"] == __version__
    assert (end["status"], end["exit_code"], end["rows_in"], end["rows_out"]) == ("succeeded", 0, 10, 7)
    # nothing of ours went out as text
    assert f"[{JOB} {RUN_DATE}]" not in run.stderr


@pytest.mark.slow
def test_quality_failure_exits_3(spark, spark_runs):
    run = spark_runs["quality"]
    assert run.code == 3, run.stderr
    actual, _ = read_run_log(spark, run)
    message = "rule msisdn_not_null: 4 of 10 rows failed"
    assert_df_equality(actual, expected_record(spark, "quality_failed", 3, 0, 0, {}, message),
                       ignore_nullable=True)
    assert f"ERROR [{JOB} {RUN_DATE}] critical data-quality failure: {message}" in run.stderr
    assert "Traceback" not in run.stderr  # an expected outcome, not a crash
    assert "end status=quality_failed exit_code=3" in run.stderr


@pytest.mark.slow
def test_unexpected_error_exits_1(spark, spark_runs):
    run = spark_runs["fail"]
    assert run.code == 1, run.stderr
    actual, _ = read_run_log(spark, run)
    assert_df_equality(actual, expected_record(spark, "failed", 1, 0, 0, {}, "RuntimeError: boom"),
                       ignore_nullable=True)
    assert f"ERROR [{JOB} {RUN_DATE}] job failed" in run.stderr
    assert "RuntimeError: boom" in run.stderr  # the traceback is logged for whoever investigates
    assert "end status=failed exit_code=1" in run.stderr
