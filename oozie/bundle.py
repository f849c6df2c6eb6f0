"""The deployable bundle: the Oozie application with everything its actions need, for a cluster
with no internet and no pip.

    <out>/cdr-pipelines-<version>/                 hdfs dfs -put this directory as oozie.environments.<env>.app_dir
        workflow.xml  coordinator.xml  job-<environment>.properties  README.md
        lib/  cdr_pipelines-<version>-py3.11.egg   (--py-files: the package, on driver and executors)
              cdr_pipelines-<version>-py3-none-any.whl
              jobs/<stage>.py                      (the registered stages' entry points)
              *.jar                                (Delta Lake's jars: Oozie puts lib/*.jar on the classpath)
              pyspark.zip  py4j-*-src.zip          (CDH-era sharelibs often lack them)
              conf.zip                             (conf/, unpacked as ./conf in every container)
        conf/                                      (the same files, to read)
    <out>/cdr-pipelines-<version>-oozie.tar.gz
"""
from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import List, Optional

from jobs import __version__
from jobs.runtime.config import load_config
from oozie import app
from oozie.registry import DAILY_CHAIN
from oozie.schemas import Validator

NAME = f"cdr-pipelines-{__version__}"
PROJECT = Path(__file__).resolve().parents[1]


def pyspark_archives() -> List[Path]:
    """``pyspark.zip`` and ``py4j-*-src.zip`` of the installed pyspark."""
    import pyspark
    lib = Path(pyspark.__file__).parent / "python" / "lib"
    found = sorted(lib.glob("pyspark.zip")) + sorted(lib.glob("py4j-*-src.zip"))
    if len(found) != 2:
        raise FileNotFoundError(f"{lib}: expected pyspark.zip and py4j-*-src.zip")
    return found


def assemble(conf: str, out: Path, egg: Path, wheel: Path, jar_list: Path, oozie_jar: Optional[Path] = None) -> Path:
    """Build the bundle directory and its tarball under ``out``; return the tarball's path.

    Parameters
    ----------
    conf
        The environment file with the ``oozie`` section (``conf/cluster.yaml``).
    out
        Where the directory and the tarball go (replaced).
    egg, wheel
        ``make package``'s outputs.
    jar_list
        ``.jars/jars.txt``: Delta's jars, one path a line (``make jars``).
    oozie_jar
        The oozie-client jar; when given, the XML is validated against its XSDs first.
    """
    config = load_config(conf)
    workflow, coordinator = app.workflow(config), app.coordinator(config)
    if oozie_jar is not None:
        validator = Validator(oozie_jar, config.oozie.schemas)
        validator.check("workflow", workflow, "workflow.xml")
        validator.check("coordinator", coordinator, "coordinator.xml")
    root = out / NAME
    if root.exists():
        shutil.rmtree(root)
    lib = root / "lib"
    (lib / "jobs").mkdir(parents=True)
    (root / "workflow.xml").write_text(workflow, encoding="utf-8")
    (root / "coordinator.xml").write_text(coordinator, encoding="utf-8")
    for env in config.oozie.environments:
        (root / f"job-{env}.properties").write_text(app.job_properties(config, env), encoding="utf-8")
    (root / "README.md").write_text(operator_readme(config), encoding="utf-8")
    for package in (egg, wheel):
        shutil.copy2(package, lib / Path(package).name)
    for stage in DAILY_CHAIN:
        shutil.copy2(PROJECT / "jobs" / f"{stage.name}.py", lib / "jobs" / f"{stage.name}.py")
    jars = [Path(line.strip()) for line in Path(jar_list).read_text().splitlines() if line.strip()]
    for jar in jars:
        shutil.copy2(jar, lib / jar.name)
    for archive in pyspark_archives():
        shutil.copy2(archive, lib / archive.name)
    shutil.copytree(PROJECT / "conf", root / "conf")
    with zipfile.ZipFile(lib / app.CONF_ARCHIVE, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((PROJECT / "conf").glob("*.yaml")):
            archive.write(path, path.name)
    tarball = out / f"{NAME}-oozie.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(root, arcname=NAME)
    return tarball


def operator_readme(config) -> str:
    """The operator's page shipped in the bundle: deploy, run, rerun a day, read the logs."""
    envs = list(config.oozie.environments) or ["<environment>"]
    env = envs[0]
    first = config.oozie.environments.get(env)
    app_dir, key_file = (first.app_dir, first.pseudonym_key_file) if first else ("<app_dir>", "<key file>")
    stages = "\n".join(f"- `{s.name}`: {s.description}" for s in DAILY_CHAIN)
    return f"""# {NAME}: the daily chain on Oozie

Stages, in order:
{stages}

A critical data-quality failure in `check` stops the day and sends the data-quality e-mail (the report
is `<reports>/check/<date>.html`); any other failure sends the failure e-mail. Environments in this
bundle: {", ".join(envs)} (`job-<environment>.properties`).

## Deploy (once per version)

    hdfs dfs -mkdir -p {app_dir}
    hdfs dfs -put -f {NAME}/* {app_dir}/
    # the HMAC key, readable by the job's user only (never in this bundle, never in conf):
    hdfs dfs -put pseudonym.key {key_file}
    hdfs dfs -chmod 400 {key_file}

Everything the actions need is in `lib/`: the package (egg and wheel), the stages' scripts, Delta's
jars, `pyspark.zip` and `py4j-*-src.zip` (for sharelibs without them) and `conf.zip`. No job needs
network access at run time.

## Run

    oozie job -oozie $OOZIE_URL -config job-{env}.properties -run        # starts the coordinator
    oozie job -oozie $OOZIE_URL -info <coordinator id>

Each day runs when the previous day's raw directory of every feed holds its `_SUCCESS` flag.

## Rerun a day

    oozie job -oozie $OOZIE_URL -rerun <coordinator id> -date 2026-11-22T02:00Z::2026-11-22T02:00Z -refresh

(the action of nominal time 2026-11-22 runs the day 2026-11-21). Every job replaces its run date's
partitions, so a rerun leaves no duplicates. One stage by hand, with the bundle's own files:

    spark-submit --master yarn --deploy-mode cluster --py-files lib/cdr_pipelines-{__version__}-py3.11.egg \\
        --archives lib/conf.zip#conf lib/jobs/check.py --conf conf/cluster.yaml --run-date 2026-11-21

## Read the logs

    oozie job -oozie $OOZIE_URL -info <workflow id>     # which action failed, its error message
    yarn logs -applicationId <application id>           # the job's own log: one line per step, counts

Every run also appends a record (job, run date, status, exit code, counts, duration) to the run log
Delta table (`paths.run_log`); cleanse and check write JSON reports under `paths.reports`.
"""
