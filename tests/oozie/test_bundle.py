"""make bundle: the deployable Oozie application holds everything its actions need."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from jobs import __version__
from oozie import app
from oozie.bundle import NAME, assemble, shipped_requirements
from oozie.registry import DAILY_CHAIN
from tests.conftest import CLUSTER_CONF, PROJECT_ROOT

from .test_oozie_app import JAR

JAR_LIST = PROJECT_ROOT / ".jars" / "jars.txt"


def wheel_requiring(folder: Path, *requirements: str) -> Path:
    wheel = folder / "demo-1.0-py3-none-any.whl"
    metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requirements)
    with zipfile.ZipFile(wheel, "w") as built:
        built.writestr("demo-1.0.dist-info/METADATA", metadata)
    return wheel


def test_the_bundle_ships_the_wheels_pins_but_the_clusters_pyspark(packages, tmp_path):
    _, wheel = packages
    pins = [line for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert sorted(f"{n}=={v}" for n, v in shipped_requirements(wheel)) == sorted(
        p for p in pins if not p.startswith("pyspark=="))
    assert shipped_requirements(wheel_requiring(tmp_path, "PySpark==4.2.0", "PyYAML==6.0.3")) == [("PyYAML", "6.0.3")]
    with pytest.raises(ValueError, match="'PyYAML>=6': the bundle ships exact pins only"):
        shipped_requirements(wheel_requiring(tmp_path, "PyYAML>=6"))


def test_the_bundle_holds_the_application_and_every_dependency(packages, tmp_path):
    egg, wheel = packages
    tarball = assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR)
    assert tarball.name == f"cdr-pipelines-{__version__}-oozie.tar.gz"
    with tarfile.open(tarball) as tar:
        members = {m.name for m in tar.getmembers() if m.isfile()}
    top = NAME
    expected = {f"{top}/workflow.xml", f"{top}/coordinator.xml", f"{top}/README.md",
                f"{top}/job-production.properties", f"{top}/job-staging.properties",
                f"{top}/lib/{egg.name}", f"{top}/lib/{wheel.name}", f"{top}/lib/conf.zip", f"{top}/lib/pyspark.zip",
                f"{top}/lib/{app.DEPENDENCIES}", f"{top}/lib/{app.ENVIRONMENT}",
                f"{top}/conf/cluster.yaml"}
    expected |= {f"{top}/lib/jobs/{s.name}.py" for s in DAILY_CHAIN}
    expected |= {f"{top}/lib/{Path(line).name}" for line in JAR_LIST.read_text().split()}
    assert expected <= members, sorted(expected - members)
    assert any(m.startswith(f"{top}/lib/py4j-") and m.endswith("-src.zip") for m in members)
    assert not [m for m in members if m.endswith(".key") or "/data/" in m or ".venv" in m]


@pytest.mark.parametrize("packaging, package_files", [
    ("egg", {f"lib/{app.EGG}", f"lib/{app.DEPENDENCIES}"}), ("environment", {f"lib/{app.ENVIRONMENT}"})])
def test_every_path_the_workflow_names_is_in_the_bundle(packages, tmp_path, packaging, package_files):
    egg, wheel = packages
    assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR, [f"oozie.packaging={packaging}"])
    root = tmp_path / NAME
    workflow = etree.parse(str(root / "workflow.xml"))
    named = [e.text for e in workflow.iter() if isinstance(e.tag, str) and e.text and "${wf:appPath()}/" in e.text]
    parts = [part for text in named for word in text.split() for part in word.split(",")]
    paths = {part.split("#")[0].replace("${wf:appPath()}/", "") for part in parts if "${wf:appPath()}/" in part}
    assert paths == {f"lib/jobs/{s.name}.py" for s in DAILY_CHAIN} | {"lib/conf.zip"} | package_files
    assert all((root / p).is_file() for p in paths), [p for p in paths if not (root / p).is_file()]
    with zipfile.ZipFile(root / "lib" / "conf.zip") as archive:
        assert {"base.yaml", "cluster.yaml", "feeds.yaml", "quality.yaml"} <= set(archive.namelist())


def test_the_operator_readme_covers_deploy_run_rerun_and_logs(packages, tmp_path):
    egg, wheel = packages
    assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR)
    text = (tmp_path / NAME / "README.md").read_text()
    for needed in ("hdfs dfs -put", "oozie job", "-run", "-rerun", "yarn logs", "/apps/cdr-pipelines"):
        assert needed in text, needed


def python_sees(python: Path, path: list, code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` with nothing but ``path`` and the standard library on ``python``'s path."""
    return subprocess.run([str(python), "-I", "-c", f"import sys; sys.path[:0] = {[str(p) for p in path]!r}\n{code}"],
                          cwd=cwd, capture_output=True, text=True)


IMPORTS = "import yaml, delta.tables, jobs.check, transformations.quality; print(jobs.check.__file__)"


def test_a_bare_python_runs_the_jobs_from_the_egg_and_the_dependencies_zip(packages, tmp_path, bare_python):
    egg, wheel = packages
    assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR)
    lib = tmp_path / NAME / "lib"
    spark = [lib / "pyspark.zip", *lib.glob("py4j-*-src.zip")]
    without = python_sees(bare_python, [lib / egg.name, *spark], IMPORTS, tmp_path)
    assert "No module named 'yaml'" in without.stderr   # the control: the node has nothing installed
    shipped = python_sees(bare_python, [lib / egg.name, lib / app.DEPENDENCIES, *spark], IMPORTS, tmp_path)
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout.strip().startswith(str(lib / egg.name))


def test_the_environment_archive_runs_the_jobs_from_the_installed_wheel(packages, tmp_path):
    egg, wheel = packages
    assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR, ["oozie.packaging=environment"])
    lib = tmp_path / NAME / "lib"
    unpacked = tmp_path / "container" / "environment"
    unpacked.mkdir(parents=True)
    with tarfile.open(lib / app.ENVIRONMENT) as tar:
        tar.extractall(unpacked, filter="tar")
    spark = [lib / "pyspark.zip", *lib.glob("py4j-*-src.zip")]
    site = unpacked / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    # the environment's own site-packages is on its path; -I keeps the user's and PYTHONPATH out
    shipped = subprocess.run([str(unpacked / "bin" / "python"), "-I", "-c",
                              f"import sys; sys.path[:0] = {[str(p) for p in spark]!r}\n{IMPORTS}"],
                             cwd=tmp_path / "container", capture_output=True, text=True)
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout.strip() == str(site / "jobs" / "check.py")
    assert "./environment/bin/python" in (tmp_path / NAME / "workflow.xml").read_text()
