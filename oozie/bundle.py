"""The deployable bundle: the Oozie application with everything its actions need, for a cluster
with no internet and no pip.

    <out>/cdr-pipelines-<version>/                 hdfs dfs -put this directory as oozie.environments.<env>.app_dir
        workflow.xml  coordinator.xml  job-<environment>.properties  README.md
        lib/  cdr_pipelines-<version>-py3.11.egg   (packaging egg: --py-files, on driver and executors)
              cdr_pipelines-<version>-dependencies.zip   (packaging egg: pure-Python PyYAML and delta-spark)
              cdr_pipelines-<version>-environment.tar.gz (packaging environment: a virtualenv with the
                                                          wheel and the dependencies installed)
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
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from email.parser import Parser
from importlib.metadata import distribution
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

from jobs import __version__
from jobs.runtime.config import load_config
from jobs.runtime.jars import spark_home
from oozie import app
from oozie.registry import DAILY_CHAIN
from oozie.schemas import Validator

NAME = f"cdr-pipelines-{__version__}"
PROJECT = Path(__file__).resolve().parents[1]
PROVIDED_BY_THE_CLUSTER = {"pyspark"}   # the cluster's Spark puts its own pyspark on every Python path
EXTENSION_MODULES = (".so", ".pyd")     # zipimport cannot load them


def shipped_requirements(wheel: Path) -> List[Tuple[str, str]]:
    """(name, version) of every requirement of the built ``wheel`` the cluster does not provide.

    The wheel's ``Requires-Dist`` are ``requirements.txt``'s pins as ``setup.py`` read them: the
    bundle ships what the package it ships declares.

    Raises
    ------
    ValueError
        When a requirement is not an exact pin (``name==version``).
    """
    with zipfile.ZipFile(wheel) as built:
        metadata, = [n for n in built.namelist() if n.endswith(".dist-info/METADATA")]
        requires = Parser().parsestr(built.read(metadata).decode("utf-8")).get_all("Requires-Dist") or []
    pins = []
    for requirement in requires:
        name, separator, version = requirement.partition("==")
        if not separator or not version.strip() or any(c in version for c in ";,<>=!~ "):
            raise ValueError(f"{Path(wheel).name} requires {requirement!r}: the bundle ships exact pins only")
        if name.strip().lower() not in PROVIDED_BY_THE_CLUSTER:
            pins.append((name.strip(), version.strip()))
    return pins


def installed_files(name: str, version: str) -> Iterator[Tuple[str, Path]]:
    """(path relative to site-packages, absolute path) of each file of an installed distribution.

    The files come from the build environment (``make setup`` installed the pins), so the bundle
    is built offline and holds exactly the pinned versions.

    Raises
    ------
    RuntimeError
        When the installed version is not the pinned one.
    """
    dist = distribution(name)
    if dist.version != version:
        raise RuntimeError(f"{name} {dist.version} is installed, requirements.txt pins {version}: run make setup")
    for file in dist.files or ():
        relative = str(file)
        if relative.startswith("..") or "__pycache__" in relative or relative.endswith(".pyc"):
            continue   # console scripts outside site-packages, and compiled caches
        yield relative, Path(dist.locate_file(file))


def dependencies_zip(path: Path, requirements: Sequence[Tuple[str, str]]) -> Path:
    """A ``--py-files`` zip of the pure-Python part of ``requirements`` (PyYAML then uses its
    Python loader instead of the C one, which a zip cannot hold)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, version in requirements:
            for relative, source in installed_files(name, version):
                if not relative.endswith(EXTENSION_MODULES):
                    archive.write(source, relative)
    return path


def environment_archive(path: Path, wheel: Path, requirements: Sequence[Tuple[str, str]]) -> Path:
    """A virtualenv with ``wheel`` and ``requirements`` installed, as a ``tar.gz`` whose root is the
    environment (``--archives <path>#environment``, then ``./environment/bin/python``).

    The environment is built offline: the wheel with ``pip --no-index``, the requirements copied
    from the build environment. Its ``bin/python`` links to the build machine's base interpreter,
    so the nodes need that Python at the same path (as with venv-pack).
    """
    with tempfile.TemporaryDirectory() as scratch:
        env = Path(scratch) / "environment"
        subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(env)],
                       check=True, capture_output=True)
        site = env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--no-deps",
               "--no-compile", "--target", str(site), str(wheel)]
        subprocess.run(pip, check=True, capture_output=True)
        for name, version in requirements:
            for relative, source in installed_files(name, version):
                (site / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, site / relative)
        with tarfile.open(path, "w:gz") as tar:
            for child in sorted(env.iterdir()):
                tar.add(child, arcname=child.name)
    return path


def pyspark_archives() -> List[Path]:
    """``pyspark.zip`` and ``py4j-*-src.zip`` of the installed pyspark."""
    lib = spark_home() / "python" / "lib"
    found = sorted(lib.glob("pyspark.zip")) + sorted(lib.glob("py4j-*-src.zip"))
    if len(found) != 2:
        raise FileNotFoundError(f"{lib}: expected pyspark.zip and py4j-*-src.zip")
    return found


def assemble(conf: str, out: Path, egg: Path, wheel: Path, jar_list: Path, oozie_jar: Optional[Path] = None,
             overrides: Sequence[str] = ()) -> Path:
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
    overrides
        ``key.path=value`` settings over ``conf`` (e.g. ``oozie.packaging=environment``).
    """
    config = load_config(conf, list(overrides))
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
    requirements = shipped_requirements(Path(wheel))
    dependencies_zip(lib / app.DEPENDENCIES, requirements)
    environment_archive(lib / app.ENVIRONMENT, Path(wheel), requirements)
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

Everything the actions need is in `lib/`: the package (the egg with a zip of its dependencies, and
the wheel installed in a virtualenv archive), the stages' scripts, Delta's jars, `pyspark.zip` and
`py4j-*-src.zip` (for sharelibs without them) and `conf.zip`. No job needs network access at run
time, and the nodes need no Python package installed. This bundle's actions use the
`{config.oozie.packaging}` packaging (`oozie.packaging` in conf).

## Run

    oozie job -oozie $OOZIE_URL -config job-{env}.properties -run        # starts the coordinator
    oozie job -oozie $OOZIE_URL -info <coordinator id>

Each day runs when the previous day's raw directory of every feed holds its `_SUCCESS` flag.

## Rerun a day

    oozie job -oozie $OOZIE_URL -rerun <coordinator id> -date 2026-11-22T02:00Z::2026-11-22T02:00Z -refresh

(the action of nominal time 2026-11-22 runs the day 2026-11-21). Every job replaces its run date's
partitions, so a rerun leaves no duplicates. One stage by hand, with the bundle's own files:

    spark-submit --master yarn --deploy-mode cluster --jars "$(ls lib/*.jar | paste -sd,)" \\
        --py-files lib/{app.EGG},lib/{app.DEPENDENCIES} \\
        --archives lib/conf.zip#conf lib/jobs/check.py --conf conf/cluster.yaml --run-date 2026-11-21

## Read the logs

    oozie job -oozie $OOZIE_URL -info <workflow id>     # which action failed, its error message
    yarn logs -applicationId <application id>           # the job's own log: one line per step, counts

Every run also appends a record (job, run date, status, exit code, counts, duration) to the run log
Delta table (`paths.run_log`); cleanse and check write JSON reports under `paths.reports`.
"""
