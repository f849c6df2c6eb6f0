"""make bundle: the deployable Oozie application holds everything its actions need."""
from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from lxml import etree

from jobs import __version__
from oozie.bundle import NAME, assemble
from oozie.registry import DAILY_CHAIN
from tests.conftest import CLUSTER_CONF, PROJECT_ROOT

from .test_oozie_app import JAR

JAR_LIST = PROJECT_ROOT / ".jars" / "jars.txt"


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
                f"{top}/conf/cluster.yaml"}
    expected |= {f"{top}/lib/jobs/{s.name}.py" for s in DAILY_CHAIN}
    expected |= {f"{top}/lib/{Path(line).name}" for line in JAR_LIST.read_text().split()}
    assert expected <= members, sorted(expected - members)
    assert any(m.startswith(f"{top}/lib/py4j-") and m.endswith("-src.zip") for m in members)
    assert not [m for m in members if m.endswith(".key") or "/data/" in m or ".venv" in m]


def test_every_path_the_workflow_names_is_in_the_bundle(packages, tmp_path):
    egg, wheel = packages
    assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR)
    root = tmp_path / NAME
    workflow = etree.parse(str(root / "workflow.xml"))
    named = [e.text for e in workflow.iter() if isinstance(e.tag, str) and e.text and "${wf:appPath()}/" in e.text]
    paths = {part.split("#")[0].replace("${wf:appPath()}/", "") for text in named for part in text.split()
             if "${wf:appPath()}/" in part}
    assert {f"lib/jobs/{s.name}.py" for s in DAILY_CHAIN} | {f"lib/{egg.name}", "lib/conf.zip"} <= paths
    assert all((root / p).is_file() for p in paths), [p for p in paths if not (root / p).is_file()]
    with zipfile.ZipFile(root / "lib" / "conf.zip") as archive:
        assert {"base.yaml", "cluster.yaml", "feeds.yaml", "quality.yaml"} <= set(archive.namelist())


def test_the_operator_readme_covers_deploy_run_rerun_and_logs(packages, tmp_path):
    egg, wheel = packages
    assemble(str(CLUSTER_CONF), tmp_path, egg, wheel, JAR_LIST, JAR)
    text = (tmp_path / NAME / "README.md").read_text()
    for needed in ("hdfs dfs -put", "oozie job", "-run", "-rerun", "yarn logs", "/apps/cdr-pipelines"):
        assert needed in text, needed
