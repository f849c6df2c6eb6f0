"""The SparkSession factory's settings plan: spark-submit's settings always win, local mode is the
embedded default, Delta is always enabled and its jars are passed by path outside spark-submit."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest

from jobs.runtime.config import Config, load_config
from jobs.runtime.jars import DELTA_CATALOG, DELTA_EXTENSION
from jobs.runtime.session import RuntimeSetupError, launched_by_spark_submit, planned_settings
from tests.conftest import CLUSTER_CONF, LOCAL_CONF

DELTA = {"spark.sql.extensions": DELTA_EXTENSION, "spark.sql.catalog.spark_catalog": DELTA_CATALOG}


def fake_jars(directory: Path, names: List[str]) -> List[str]:
    """A jars cache as ``jobs.runtime.jars fetch`` leaves it: empty jar files plus ``jars.txt``.

    Parameters
    ----------
    directory
        Where to create the cache.
    names
        Jar file names.

    Returns
    -------
    list of str
        The absolute jar paths, in manifest order.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        (directory / name).write_bytes(b"")
        paths.append(str(directory / name))
    (directory / "jars.txt").write_text("\n".join(paths) + "\n")
    return paths


def local_with_jars(jars_dir: Path, *overrides: str) -> Config:
    """``conf/local.yaml`` whose ``runtime.jars_dir`` is ``jars_dir``."""
    return load_config(str(LOCAL_CONF), [f"runtime.jars_dir={jars_dir}", *overrides])


def test_nothing_set_gives_local_mode_delta_and_jars(tmp_path):
    jars = fake_jars(tmp_path / "jars", ["delta-spark_4.2_2.13-4.4.0.jar", "delta-storage-4.4.0.jar"])
    config = local_with_jars(tmp_path / "jars")
    planned = planned_settings(config, existing={}, under_submit=False)
    assert planned == {"spark.master": "local[*]", **config.runtime.spark, **DELTA, "spark.jars": ",".join(jars)}


def test_spark_submit_settings_are_never_overridden(tmp_path):
    fake_jars(tmp_path / "jars", ["delta-spark.jar"])
    config = local_with_jars(tmp_path / "jars")
    existing = {"spark.master": "yarn", "spark.jars": "/opt/lib/delta.jar",
                "spark.sql.shuffle.partitions": "400", "spark.sql.extensions": "my.Extension"}
    for under_submit in (True, False):
        planned = planned_settings(config, existing, under_submit=under_submit)
        assert not set(planned) & set(existing), planned
        # everything else is still planned
        assert planned["spark.sql.catalog.spark_catalog"] == DELTA_CATALOG
        assert planned["spark.driver.memory"] == config.runtime.spark["spark.driver.memory"]


def test_environment_master_is_used_when_spark_submit_gave_none():
    config = load_config(str(CLUSTER_CONF))
    planned = planned_settings(config, existing={"spark.app.name": "x"}, under_submit=True)
    assert planned["spark.master"] == "yarn"
    assert planned["spark.sql.shuffle.partitions"] == "2000"


def test_jars_are_not_added_under_spark_submit(tmp_path):
    fake_jars(tmp_path / "jars", ["delta-spark.jar"])
    planned = planned_settings(local_with_jars(tmp_path / "jars"), existing={}, under_submit=True)
    assert "spark.jars" not in planned
    assert planned["spark.sql.extensions"] == DELTA_EXTENSION


def test_under_spark_submit_the_jars_cache_is_not_even_read(tmp_path):
    config = local_with_jars(tmp_path / "never-fetched")
    assert "spark.jars" not in planned_settings(config, existing={}, under_submit=True)


def test_no_jars_dir_adds_no_jars():
    config = load_config(str(CLUSTER_CONF))
    assert config.runtime.jars_dir is None
    assert "spark.jars" not in planned_settings(config, existing={}, under_submit=False)


def test_relative_jars_dir_is_resolved_against_the_project(tmp_path, project_root):
    # a copy of the project's conf/ in another project directory, with its own jars cache
    shutil.copytree(project_root / "conf", tmp_path / "conf")
    jars = fake_jars(tmp_path / ".jars", ["delta-spark.jar"])
    config = load_config(str(tmp_path / "conf" / "local.yaml"))
    assert config.runtime.jars_dir == ".jars"
    assert planned_settings(config, existing={}, under_submit=False)["spark.jars"] == jars[0]


def test_missing_manifest_raises_runtime_setup_error(tmp_path):
    empty = tmp_path / "empty-jars"
    empty.mkdir()
    with pytest.raises(RuntimeSetupError, match=r"Delta jars not found in .*empty-jars.*make jars"):
        planned_settings(local_with_jars(empty), existing={}, under_submit=False)


def test_manifest_naming_a_missing_jar_raises_runtime_setup_error(tmp_path):
    jars = fake_jars(tmp_path / "jars", ["a.jar", "b.jar"])
    Path(jars[1]).unlink()
    with pytest.raises(RuntimeSetupError, match=r"is missing: .*b\.jar$"):
        planned_settings(local_with_jars(tmp_path / "jars"), existing={}, under_submit=False)


def test_spark_submit_is_detected_by_its_gateway(monkeypatch):
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    assert launched_by_spark_submit() is False
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "40000")
    assert launched_by_spark_submit() is True
