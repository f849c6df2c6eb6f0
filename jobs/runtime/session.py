"""The one SparkSession factory every job and test uses.

Precedence of settings, highest first:

1. what spark-submit set (``--master``, ``--deploy-mode``, ``--conf``, ``--jars``,
   ``spark-defaults.conf``): never overridden;
2. the environment's ``runtime.spark`` settings and ``runtime.master``;
3. nothing else: local mode (``local[*]``) is the embedded default.

Delta Lake is enabled through its session extension and catalog. Outside spark-submit the
cached jars (``runtime.jars_dir``) are passed by explicit path in ``spark.jars``; under
spark-submit the driver's classpath is fixed before Python starts, so Delta must come from
``--jars`` or ``spark-defaults.conf``, and a missing Delta is reported in one line.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Dict, Iterator, Optional

from pyspark import SparkConf
from pyspark.sql import SparkSession

from jobs.runtime.config import Config, ConfigError
from jobs.runtime.jars import DELTA_CATALOG, DELTA_EXTENSION, read_manifest

DELTA_SETTINGS = {
    "spark.sql.extensions": DELTA_EXTENSION,
    "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
}


class RuntimeSetupError(RuntimeError):
    """Spark cannot be set up as configured (e.g. Delta's jars are missing)."""


def launched_by_spark_submit() -> bool:
    """True when this Python process was started by spark-submit (its JVM already exists)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def planned_settings(config: Config, existing: Dict[str, str], under_submit: bool) -> Dict[str, str]:
    """The settings the factory adds on top of ``existing`` (what spark-submit already set).

    Parameters
    ----------
    config
        The environment's configuration.
    existing
        Settings already in force (spark-submit's), which are never overridden.
    under_submit
        Whether the JVM was started by spark-submit (jars can then no longer be added).

    Returns
    -------
    dict
        Only the keys missing from ``existing``.
    """
    wanted: Dict[str, str] = {"spark.master": config.runtime.master}
    wanted.update(config.runtime.spark)
    wanted.update(DELTA_SETTINGS)
    if not under_submit and config.runtime.jars_dir:
        try:
            jars = read_manifest(config.resolve(config.runtime.jars_dir))
        except FileNotFoundError as error:
            raise RuntimeSetupError(str(error)) from None
        wanted["spark.jars"] = ",".join(jars)
    return {key: value for key, value in wanted.items() if key not in existing}


def get_spark(config: Config, app_name: str, extra: Optional[Dict[str, str]] = None) -> SparkSession:
    """Create (or return the active) SparkSession for ``config``, Delta enabled.

    Parameters
    ----------
    config
        Validated configuration.
    app_name
        Spark application name, e.g. ``cdr-generate``.
    extra
        Settings that win over the environment's (used by the test fixture), still below
        spark-submit's.

    Returns
    -------
    SparkSession

    Raises
    ------
    RuntimeSetupError
        When Delta's jars are neither cached nor on spark-submit's classpath.
    """
    under_submit = launched_by_spark_submit()
    if under_submit:
        _require_delta_on_driver()  # also connects to spark-submit's JVM, so SparkConf sees its settings
    existing = dict(SparkConf().getAll()) if under_submit else {}
    settings = planned_settings(config, existing, under_submit)
    for key, value in (extra or {}).items():
        if key not in existing:
            settings[key] = value
    builder = SparkSession.builder
    if "spark.app.name" not in existing or existing["spark.app.name"].endswith(".py"):
        builder = builder.appName(app_name)  # spark-submit --name wins; its default (the script) does not
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


@contextmanager
def sql_settings(spark: SparkSession, settings: Dict[str, str]) -> Iterator[None]:
    """Run the block with these SQL settings, then restore each to what it was (or unset it).

    Settings are read when a query is planned, so they apply to the queries planned inside the
    block (including a ``persist`` there: its plan is fixed when it is cached).

    Parameters
    ----------
    spark
        The session.
    settings
        SQL settings (``spark.sql.*``) and their values for the block.
    """
    previous = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _require_delta_on_driver() -> None:
    from pyspark import SparkContext

    SparkContext._ensure_initialized()
    jvm = SparkContext._jvm
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    try:
        jvm.java.lang.Class.forName(DELTA_EXTENSION, False, loader)
    except Exception:  # py4j wraps ClassNotFoundException
        raise RuntimeSetupError(
            "Delta Lake is not on spark-submit's classpath: pass --jars $(python -m jobs.runtime.jars path) "
            "or run `make jars`, which writes the local spark-defaults.conf") from None


__all__ = ["get_spark", "planned_settings", "launched_by_spark_submit", "RuntimeSetupError", "ConfigError"]
