"""Shared fixtures: the project directory, a configuration writing into a temporary directory, and
one small SparkSession (Delta enabled) for the whole test session.

The SparkSession is built by the project's own factory (:func:`jobs.runtime.session.get_spark`) from
``conf/local.yaml``, so the tests run on exactly the settings a local job gets, shrunk to two cores
and tiny data: starting the JVM is the slowest part of the suite, and it happens once.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Union

import pytest

from jobs.runtime.config import Config, Paths, load_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCAL_CONF = PROJECT_ROOT / "conf" / "local.yaml"
CLUSTER_CONF = PROJECT_ROOT / "conf" / "cluster.yaml"

# The session JVM's options (:func:`spark`). It lives as long as its test process, and its time goes
# into building, analysing and optimising plans (Catalyst's own code), which C2 compiles well:
# cleanse of the end-to-end test's day took 42 s instead of 80 s once warm, and 101 s instead of
# 124 s as the JVM's first job. In CI the end-to-end pipeline tests took half the time they took
# with C1.
SESSION_JAVA_OPTIONS = "-XX:+UseSerialGC"

# Spark settings for tests: two cores, two partitions everywhere, no UI, small driver. Adaptive
# query execution is off: on a handful of rows its extra planning costs more than it saves. A JVM
# that runs one job (a test's spark-submit or job subprocess) stops at HotSpot's quick C1
# compiler: it starts faster (~9 s -> ~5 s), and does not spend the two shared cores compiling
# code it will not run long (the standalone cluster's chain took 40% longer with C2 in CI). The
# session's JVM keeps C2. PySpark does not record the Python call site of each Column function
# (five py4j round trips each, for error messages only): building cleanse's CDR plan takes ~4.5 s
# instead of ~6 s.
FAST_SPARK_SETTINGS: Dict[str, str] = {
    "spark.python.sql.dataFrameDebugging.enabled": "false",
    "spark.master": "local[2]",
    "spark.driver.memory": "2g",
    "spark.driver.extraJavaOptions": f"-XX:TieredStopAtLevel=1 {SESSION_JAVA_OPTIONS}",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
    "spark.rdd.compress": "false",
    "spark.shuffle.compress": "false",
    "spark.sql.session.timeZone": "UTC",
}


def redirected_paths(root: Union[Path, Mapping[str, str]]) -> List[str]:
    """``--set`` overrides moving every zone of ``paths`` under ``root``, or to given locations.

    Parameters
    ----------
    root
        Directory that receives one subdirectory per zone (``raw``, ``bronze``, ...), or each
        zone's location by name (e.g. a URI on HDFS).

    Returns
    -------
    list of str
        ``paths.<zone>=<root>/<zone>`` (or ``paths.<zone>=<root[zone]>``) for every field of
        :class:`jobs.runtime.config.Paths`, ready for ``load_config(path, overrides)`` or a job's
        ``--set``.
    """
    zones = [f.name for f in dataclasses.fields(Paths)]
    if isinstance(root, Mapping):
        return [f"paths.{zone}={root[zone]}" for zone in zones]
    return [f"paths.{zone}={Path(root) / zone}" for zone in zones]


def job_argv(root: Union[Path, Mapping[str, str]], run_date: dt.date, settings: Dict[str, object] = None,
             extra: Sequence[str] = (), conf: Path = LOCAL_CONF) -> List[str]:
    """A job's arguments on ``conf`` (the local one by default) with every zone under ``root``.

    Parameters
    ----------
    root
        Data directory, or each zone's location (see :func:`redirected_paths`).
    run_date
        The ``--run-date``.
    settings
        More ``--set`` overrides, key path to value.
    extra
        More ``--set`` overrides, already ``key=value``.
    conf
        The ``--conf`` file.

    Returns
    -------
    list of str
        ``--conf <conf> --run-date <date> --set ...``.
    """
    overrides = redirected_paths(root) + [f"{k}={v}" for k, v in (settings or {}).items()] + list(extra)
    return ["--conf", str(conf), "--run-date", run_date.isoformat()] + [
        part for item in overrides for part in ("--set", item)]


def properties_values(text: str) -> Dict[str, str]:
    """The values of a ``job.properties`` file's text, as written (``${...}`` unresolved)."""
    return dict(line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))


@contextlib.contextmanager
def pseudonym_key(key: str):
    """``$CDR_PSEUDONYM_KEY`` set to ``key`` inside the block, as it was after it (for module
    fixtures, which cannot use ``monkeypatch``)."""
    previous = os.environ.get("CDR_PSEUDONYM_KEY")
    os.environ["CDR_PSEUDONYM_KEY"] = key
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CDR_PSEUDONYM_KEY", None)
        else:
            os.environ["CDR_PSEUDONYM_KEY"] = previous


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The project directory (the parent of ``conf/``, ``jobs/`` and ``tests/``).

    Returns
    -------
    pathlib.Path
        Absolute path; tests use it instead of the working directory.
    """
    return PROJECT_ROOT


@pytest.fixture
def local_config(tmp_path: Path) -> Config:
    """``conf/local.yaml`` with every data path redirected into the test's temporary directory.

    Parameters
    ----------
    tmp_path
        pytest's per-test temporary directory; zones live in ``tmp_path / "data" / <zone>``.

    Returns
    -------
    Config
        The validated local configuration; ``runtime.jars_dir`` still points at the project's
        cached Delta jars.
    """
    return load_config(str(LOCAL_CONF), redirected_paths(tmp_path / "data"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One SparkSession with Delta Lake for the whole test session, built by the project's factory.

    Parameters
    ----------
    tmp_path_factory
        Provides the session's SQL warehouse directory (nothing is written into the project).

    Yields
    ------
    pyspark.sql.SparkSession
        ``local[2]`` with :data:`FAST_SPARK_SETTINGS` and :data:`SESSION_JAVA_OPTIONS`; stopped at
        the end of the session.
    """
    from jobs.runtime.session import get_spark

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no hostname lookup, no warning
    settings = {**FAST_SPARK_SETTINGS, "spark.driver.extraJavaOptions": SESSION_JAVA_OPTIONS,
                "spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse"))}
    session = get_spark(load_config(str(LOCAL_CONF)), "cdr-tests", extra=settings)
    yield session
    session.stop()


@contextlib.contextmanager
def exclusive(tmp_path_factory, name: str):
    """Held by one test process at a time (pytest-xdist's workers share the parent of their
    temporary directories), e.g. to build in the project directory."""
    with open(tmp_path_factory.getbasetemp().parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def packages(tmp_path_factory):
    """Build the egg and the wheel exactly as ``make package`` does, into a temporary dist/."""
    dist = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    # setup.py writes its egg-info (and the wheel's build, build/) into the project directory
    with exclusive(tmp_path_factory, "cdr-packages"):
        subprocess.run([sys.executable, "setup.py", "-q", "build", "--build-base", str(build), "bdist_egg",
                        "--dist-dir", str(dist)], cwd=PROJECT_ROOT, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), "."],
                       cwd=PROJECT_ROOT, check=True, capture_output=True)
        subprocess.run(["rm", "-rf", "cdr_pipelines.egg-info", "build"], cwd=PROJECT_ROOT, check=False)
    egg, = dist.glob("*.egg")
    wheel, = dist.glob("*.whl")
    return egg, wheel


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory) -> Path:
    """A cluster node's Python: this interpreter's version with the standard library only (a
    virtualenv without pip, without the system's or the project's packages)."""
    env = tmp_path_factory.mktemp("bare-python")
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", "--clear",
                    str(env)], check=True, capture_output=True)
    return env / "bin" / "python"
