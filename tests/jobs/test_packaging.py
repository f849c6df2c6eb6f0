"""The built egg and wheel run under spark-submit, in the driver and on the executors.

Spark puts only ``.zip``, ``.egg`` and ``.jar`` files from ``--py-files`` on the executors' Python
path; these tests prove the project's code is imported from the package, by Python worker
processes (not only by the driver), with nothing of the project on PYTHONPATH and a working
directory outside the checkout.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LOCAL_CONF, PROJECT_ROOT, redirected_paths

pytestmark = pytest.mark.slow
VENV_BIN = Path(sys.executable).parent


def spark_submit(args, cwd: Path, extra_env=None):
    """Run the virtual environment's spark-submit with no project path anywhere in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_GATEWAY_PORT")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env.update(extra_env or {})
    return subprocess.run([str(VENV_BIN / "spark-submit"), "--master", "local[2]",
                           "--driver-java-options", "-XX:TieredStopAtLevel=1", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def contract_args(data: Path, *overrides):
    args = ["--conf", str(LOCAL_CONF), "--run-date", "2026-11-21"]
    for item in redirected_paths(data) + list(overrides):
        args += ["--set", item]
    return args


def probe_result(completed) -> dict:
    assert completed.returncode == 0, completed.stderr[-3000:]
    line, = [line for line in completed.stdout.splitlines() if line.startswith("PROBE ")]
    return json.loads(line[len("PROBE "):])


def test_the_egg_is_what_the_driver_and_executors_import(packages, tmp_path):
    # cleanse runs from the egg on the standalone cluster in tests/cluster, and `make demo` runs the
    # whole chain with it; here, the Python workers of the executors are shown to import it.
    egg, _ = packages
    data = tmp_path / "data"
    probed = probe_result(spark_submit(["--py-files", str(egg),
                                        str(PROJECT_ROOT / "tests" / "jobs" / "executor_probe.py"),
                                        *contract_args(data)], cwd=tmp_path))
    assert egg.name in probed["driver"]
    assert probed["master"] == "local[2]"  # spark-submit's --master wins over conf's local[*]
    assert len(probed["executors"]) == 4
    for path, pid in probed["executors"]:
        assert egg.name in path, path  # imported from the shipped egg...
        assert pid != probed["driver_pid"]  # ...by a Python worker process, not the driver


def test_wheel_installed_on_the_nodes_is_what_the_driver_and_executors_import(packages, tmp_path):
    # Jobs run from an installed wheel in tests/cluster (the bundle's environment packaging); here,
    # the wheel installed into the nodes' own site directory.
    _, wheel = packages
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    probed = probe_result(spark_submit(["--conf", f"spark.executorEnv.PYTHONPATH={site}",
                                        str(PROJECT_ROOT / "tests" / "jobs" / "executor_probe.py"),
                                        *contract_args(tmp_path / "data")], cwd=tmp_path,
                                       extra_env={"PYTHONPATH": str(site)}))
    assert probed["driver"].startswith(str(site))
    assert len(probed["executors"]) == 4
    for path, pid in probed["executors"]:
        assert path.startswith(str(site)), path
        assert pid != probed["driver_pid"]


def test_without_the_package_the_job_cannot_import(tmp_path):
    # The control experiment: the checkout itself is not on any path these tests use.
    completed = spark_submit([str(PROJECT_ROOT / "tests" / "jobs" / "executor_probe.py"),
                              *contract_args(tmp_path / "data")], cwd=tmp_path)
    assert completed.returncode != 0
    # spark-submit merges the Python process's stderr into its own stdout.
    assert "No module named 'jobs'" in completed.stdout + completed.stderr
