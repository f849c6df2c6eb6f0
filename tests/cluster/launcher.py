"""Run the Spark actions of a generated ``workflow.xml`` as Oozie's Spark launcher would, on a
standalone master, from a built bundle.

What Oozie does, and what stands in for it here:

- the action's ``<spark-opts>``, ``<jar>`` and ``<arg>`` become the spark-submit command line,
  after the EL expressions are resolved from ``job.properties``-like values;
- Oozie puts the application's ``lib/*.jar`` on the classpath: here ``--jars``;
- ``<file>`` and ``<archive>`` are linked (archives unpacked) into the YARN container the driver
  runs in, from YARN's cache: standalone runs Python drivers in client mode only, so the driver runs
  in a directory laid out the same way, links to a cache included. The archives go to the executors
  too (``--archives``); the files do not: outside YARN, ``--files`` cannot rename (``#``), and the
  only file, the key, is read by the driver alone (on YARN, in cluster mode: ``--files``);
- ``<prepare><delete path>`` paths are deleted before the action runs (local paths only here);
- the workflow moves on along ``<ok to>`` while the actions succeed.

Nothing else of the project is on any path: the driver and executors import the package from the
bundle.
"""
from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from lxml import etree

from jobs.runtime.jars import spark_home

EL = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class SparkAction:
    """One ``<action>`` of the workflow holding a ``<spark>`` element, EL still unresolved."""

    name: str
    app_name: str
    jar: str
    opts: str
    args: List[str]
    files: List[str]
    archives: List[str]
    deletes: Sequence[str] = ()   # <prepare><delete path>


def spark_chain(workflow_xml: str) -> List[SparkAction]:
    """The Spark actions met from ``<start>`` following ``<ok to>``, in order."""
    root = etree.fromstring(workflow_xml.encode("utf-8"))
    actions = {a.get("name"): a for a in root.iter("{*}action")}
    chain, current = [], root.find("{*}start").get("to")
    while current in actions and actions[current].find("{*}spark") is not None:
        spark = actions[current].find("{*}spark")

        def texts(tag: str) -> List[str]:
            return [e.text for e in spark.findall(f"{{*}}{tag}")]

        chain.append(SparkAction(name=current, app_name=texts("name")[0], jar=texts("jar")[0],
                                 opts=(texts("spark-opts") or [""])[0], args=texts("arg"),
                                 files=texts("file"), archives=texts("archive"),
                                 deletes=[e.get("path") for e in spark.findall("{*}prepare/{*}delete")]))
        current = actions[current].find("{*}ok").get("to")
    return chain


def resolve(text: str, values: Dict[str, str]) -> str:
    """``text`` with every ``${name}`` replaced; an unknown name is an error, as in Oozie."""
    def value(match):
        if match.group(1) not in values:
            raise KeyError(f"EL variable {match.group(1)!r} unresolved in {text!r}")
        return values[match.group(1)]
    return EL.sub(value, text)


def local_path(uri: str) -> Path:
    for scheme in ("file://", "file:"):
        if uri.startswith(scheme):
            return Path(uri[len(scheme):])
    return Path(uri)


def unpack(archive: Path, into: Path) -> None:
    into.mkdir(parents=True)
    if archive.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="tar")
    else:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(into)


@dataclass
class Submitted:
    """What one action's spark-submit did."""

    action: str
    returncode: int
    output: str
    seconds: float
    returned_at: float      # time.time() when spark-submit returned
    leftovers: List[str]    # command lines of its processes still alive 10 s after it returned


class Launcher:
    """Submit a bundle's workflow actions to ``master``.

    Parameters
    ----------
    app_dir
        The bundle's application directory (``${wf:appPath()}``).
    properties
        The values of the workflow's EL variables (``runDate``, ``jobConf``, ``nameNode``...).
    master
        E.g. ``spark://127.0.0.1:7077``.
    python
        The nodes' default Python (``PYSPARK_PYTHON``); an action may choose another by conf.
    submit_conf
        More ``--conf`` settings for every submission (ports, test sizes).
    extra_args
        Appended to every job's arguments (e.g. ``--set paths...``).
    in_network
        Wraps each spark-submit command line to run it in the cluster's network (default: as is).
    deploy_mode
        ``client`` (the driver runs in a directory laid out as the action's container, see
        :meth:`container`) or ``cluster`` (on YARN: the driver runs in the ApplicationMaster's
        container, with the action's ``<file>`` elements as ``--files``).
    environment
        More environment variables for spark-submit (e.g. ``HADOOP_CONF_DIR``).
    app_uri
        What ``${wf:appPath()}`` is: where the bundle was deployed (default: ``app_dir`` itself;
        on a Hadoop cluster, its HDFS copy). The jars of ``lib/`` are taken from there too. Only
        in cluster mode may it be remote: in client mode, the launcher lays the driver's files
        out from it itself.

    Notes
    -----
    spark-submit runs with an empty home directory (``HOME`` and the JVM's ``user.home``), as on a
    fresh node: no Ivy or Maven cache can stand in for a download the job would need.
    """

    def __init__(self, app_dir: Path, properties: Dict[str, str], master: str, python: Path,
                 submit_conf: Dict[str, str] = None, extra_args: Sequence[str] = (),
                 in_network: Callable[[List[str]], List[str]] = list, deploy_mode: str = "client",
                 environment: Dict[str, str] = None, app_uri: Optional[str] = None):
        self.app_dir, self.master, self.python = Path(app_dir), master, Path(python)
        self.app_uri = app_uri or str(self.app_dir)
        if deploy_mode != "cluster" and "://" in self.app_uri and not self.app_uri.startswith("file:"):
            raise ValueError(f"a remote app_uri needs cluster mode (YARN localises its files): {self.app_uri}")
        self.values = {**properties, "wf:appPath()": self.app_uri}
        self.submit_conf, self.extra_args = dict(submit_conf or {}), list(extra_args)
        self.in_network, self.deploy_mode = in_network, deploy_mode
        self.environment = dict(environment or {})

    def prepare(self, action: SparkAction) -> None:
        """Delete the action's ``<prepare>`` paths, as Oozie does before it launches the action:
        recursively, and a path that does not exist is no error."""
        for uri in action.deletes:
            path = resolve(uri, self.values)
            if "://" in path and not path.startswith("file:"):
                raise ValueError(f"{action.name}: the launcher deletes local paths only, not {path}")
            target = local_path(path)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def container(self, action: SparkAction, into: Path) -> Path:
        """The driver's working directory, as YARN lays out the container: files and unpacked
        archives are in a cache beside it, linked into it by their ``#`` name. In cluster mode, the
        directory spark-submit runs in, empty: the driver runs in a container YARN lays out."""
        into.mkdir(parents=True)
        if self.deploy_mode == "cluster":
            return into
        cache = into.parent / f"{into.name}-filecache"
        for uri in action.files:
            source, _, link = resolve(uri, self.values).partition("#")
            cached = cache / "files" / Path(source).name
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(local_path(source), cached)
            (into / (link or Path(source).name)).symlink_to(cached)
        for uri in action.archives:
            source, _, link = resolve(uri, self.values).partition("#")
            cached = cache / "archives" / Path(source).name
            unpack(local_path(source), cached)
            (into / (link or Path(source).name)).symlink_to(cached, target_is_directory=True)
        return into

    def command(self, action: SparkAction) -> List[str]:
        """The spark-submit arguments of ``action``."""
        jars = sorted(f"{self.app_uri}/lib/{p.name}" for p in (self.app_dir / "lib").glob("*.jar"))
        archives = [resolve(uri, self.values) for uri in action.archives]
        argv = ["--master", self.master, "--deploy-mode", self.deploy_mode,
                "--name", resolve(action.app_name, self.values), "--jars", ",".join(jars)]
        argv += shlex.split(resolve(action.opts, self.values))
        argv += ["--archives", ",".join(archives)] if archives else []
        if self.deploy_mode == "cluster" and action.files:   # YARN localises them, renamed by their '#'
            argv += ["--files", ",".join(resolve(uri, self.values) for uri in action.files)]
        for key, value in self.submit_conf.items():
            argv += ["--conf", f"{key}={value}"]
        return argv + [resolve(action.jar, self.values)] + [resolve(a, self.values) for a in action.args] + \
            self.extra_args

    def submit(self, action: SparkAction, workdir: Path, spark_submit: Path, timeout_s: float = 600,
               while_running: Optional[Callable[[subprocess.Popen], None]] = None) -> Submitted:
        """Run ``action`` to its end; ``while_running(process)`` is called once it has started."""
        self.prepare(action)
        container = self.container(action, workdir / action.name)
        home = workdir / f"{action.name}-home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in (
            "PYTHONPATH", "PYSPARK_GATEWAY_PORT", "PYSPARK_DRIVER_PYTHON", "CDR_PSEUDONYM_KEY", "SPARK_SUBMIT_OPTS")}
        # As on a cluster node, SPARK_HOME names the installation: the nodes' Python has no pyspark to find it by.
        env.update(PYSPARK_PYTHON=str(self.python), SPARK_LOCAL_IP="127.0.0.1", SPARK_HOME=str(spark_home()),
                   HOME=str(home), SPARK_SUBMIT_OPTS=f"-Duser.home={home}", **self.environment)
        command = self.in_network([str(spark_submit)] + self.command(action))
        log_path = workdir / f"{action.name}.log"
        started = time.monotonic()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=container, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                if while_running is not None:
                    while_running(process)
                returncode = process.wait(timeout_s)
            except BaseException:   # a timeout, or the watcher failed: nothing of the job may outlive the test
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise
        seconds, returned_at = time.monotonic() - started, time.time()
        leftovers = group_members(process.pid, grace_s=10.0)
        if leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        return Submitted(action.name, returncode, log_path.read_text(errors="replace"), seconds, returned_at,
                         leftovers)


def group_members(pgid: int, grace_s: float) -> List[str]:
    """Command lines of the live processes of group ``pgid``, once ``grace_s`` has passed without
    the group emptying."""
    deadline = time.monotonic() + grace_s
    while True:
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:300])
            except (OSError, IndexError, ValueError):
                continue
        if not members or time.monotonic() > deadline:
            return members
        time.sleep(0.5)
