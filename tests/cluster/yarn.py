"""A real Hadoop cluster for the cluster tests: Hadoop's MiniDFSCluster and MiniYARNCluster (a
NameNode, a DataNode, a ResourceManager and a NodeManager in one JVM, ``miniyarn/MiniYarn.java``),
started and stopped by PID.

Its jars come from Maven Central (``miniyarn/pom.xml``) into ``.jars/miniyarn`` on first use. A
spark-submit pointed at the ``HADOOP_CONF_DIR`` it writes runs applications as on a Hadoop cluster:
HDFS is the default file system (``hdfs:///data`` is on it), ``--deploy-mode cluster`` puts the
driver in the ApplicationMaster's container, and YARN localises ``--files`` and ``--archives``
(``#`` names included, from HDFS or not) into every container.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from jobs.runtime.jars import spark_home
from tests.cluster.standalone import stop_group
from tests.conftest import PROJECT_ROOT

SOURCES = Path(__file__).resolve().parent / "miniyarn"
JARS = PROJECT_ROOT / ".jars" / "miniyarn"
# One NodeManager on a two-core machine: room for an ApplicationMaster and two 1 GB executors,
# no memory policing (a JVM's virtual size is no measure here), any disk fill level accepted.
SETTINGS = {
    "yarn.resourcemanager.scheduler.class":
        "org.apache.hadoop.yarn.server.resourcemanager.scheduler.fifo.FifoScheduler",
    "yarn.nodemanager.resource.memory-mb": "8192", "yarn.nodemanager.resource.cpu-vcores": "4",
    "yarn.minicluster.yarn.nodemanager.resource.memory-mb": "8192",     # else 4 GB: the AM and one executor
    "yarn.scheduler.minimum-allocation-mb": "256", "yarn.scheduler.maximum-allocation-mb": "4096",
    "yarn.nodemanager.vmem-check-enabled": "false", "yarn.nodemanager.pmem-check-enabled": "false",
    "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage": "99.9",
}


def fetch_jars() -> List[Path]:
    """The minicluster's jars, downloaded by Maven the first time."""
    if not (JARS / "done").exists():
        subprocess.run(["mvn", "-q", "-B", "-f", str(SOURCES / "pom.xml"), "dependency:copy-dependencies",
                        f"-DoutputDirectory={JARS}"], check=True, capture_output=True, timeout=900)
        (JARS / "done").touch()
    return sorted(JARS.glob("*.jar"))


@dataclass
class MiniYarn:
    """A running MiniDFSCluster and MiniYARNCluster whose logs, local and log directories are under ``root``."""

    root: Path
    process: Optional[subprocess.Popen] = None

    @property
    def conf_dir(self) -> Path:
        """The ``HADOOP_CONF_DIR`` of its clients (a complete ``core-site.xml`` and ``yarn-site.xml``)."""
        return self.root / "hadoop-conf"

    def start(self) -> "MiniYarn":
        """Compile the launcher and start the cluster, without waiting for it (:meth:`wait`)."""
        classpath = os.pathsep.join(map(str, fetch_jars()))
        classes = self.root / "classes"
        subprocess.run(["javac", "-cp", classpath, "-d", str(classes), str(SOURCES / "MiniYarn.java")],
                       check=True, capture_output=True)
        self.conf_dir.mkdir(parents=True)
        with open(self.root / "miniyarn.log", "wb") as log:
            self.process = subprocess.Popen(
                ["java", "-Xmx1g", "-cp", f"{classes}{os.pathsep}{classpath}", "MiniYarn",
                 str(self.conf_dir / "yarn-site.xml"), *[f"{k}={v}" for k, v in SETTINGS.items()]],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def hdfs(self) -> str:
        """Its HDFS, the clients' default file system: ``hdfs://localhost:<port>`` (once
        :meth:`wait` has returned)."""
        settings = ElementTree.parse(self.conf_dir / "core-site.xml").getroot().iter("property")
        found = next((p.findtext("value") for p in settings if p.findtext("name") == "fs.defaultFS"), None)
        if not (found or "").startswith("hdfs://"):
            raise RuntimeError(f"no HDFS in {self.conf_dir / 'core-site.xml'}: fs.defaultFS={found}")
        return found

    def uri(self, path: str) -> str:
        """A location on this HDFS as a URI naming its name node.

        Parameters
        ----------
        path
            ``/data`` or ``hdfs:///data`` (the default file system's), or an ``hdfs://`` URI
            naming a host, returned as it is.

        Returns
        -------
        str
            ``hdfs://localhost:<port>/data``, usable by clients without this cluster's
            configuration (the tests' own Spark session).

        Raises
        ------
        ValueError
            For anything else (a relative path, another file system).
        """
        if path.startswith("hdfs:///"):
            return self.hdfs + path[len("hdfs://"):]
        if path.startswith("/"):
            return self.hdfs + path
        if path.startswith("hdfs://"):
            return path
        raise ValueError(f"not a location on HDFS: {path}")

    def put(self, spark, local: Path, path: str) -> str:
        """Copy a local file or directory to this HDFS, through the Hadoop client of ``spark``.

        Parameters
        ----------
        spark
            A SparkSession (its JVM's Hadoop client does the copy).
        local
            The file or directory to copy.
        path
            Where on HDFS (see :meth:`uri`); its parent directories are made.

        Returns
        -------
        str
            The copy's URI.

        Raises
        ------
        FileExistsError
            When ``path`` exists already.
        """
        hadoop = spark.sparkContext._jvm.org.apache.hadoop.fs
        target = hadoop.Path(self.uri(path))
        fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if fs.exists(target):
            raise FileExistsError(target.toString())
        fs.mkdirs(target.getParent())
        fs.copyFromLocalFile(False, False, hadoop.Path(Path(local).resolve().as_uri()), target)
        return target.toString()

    def wait(self, timeout_s: float = 180.0) -> None:
        """Return once the cluster has written its client configuration."""
        deadline = time.monotonic() + timeout_s
        while not (self.conf_dir / "yarn-site.xml").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the HDFS and YARN minicluster did not start:\n{self.log()[-3000:]}")
            time.sleep(0.5)

    def log(self) -> str:
        return (self.root / "miniyarn.log").read_text(errors="replace")

    def container_logs(self) -> Dict[str, str]:
        """Every container's ``stdout`` and ``stderr``, by path.

        The NodeManager deletes a finished application's working directories (also named
        ``container_*``) while this walks the tree: ``os.walk`` skips a directory that vanished,
        where ``Path.rglob`` raises.
        """
        logs = {}
        for folder, _, files in os.walk(self.root):
            if Path(folder).name.startswith("container_"):
                for name in (f for f in files if f.startswith("std")):
                    with contextlib.suppress(FileNotFoundError):
                        logs[os.path.join(folder, name)] = Path(folder, name).read_text(errors="replace")
        return logs

    def client_environment(self) -> Dict[str, str]:
        """What spark-submit needs to reach this cluster."""
        return {"HADOOP_CONF_DIR": str(self.conf_dir)}

    def submit_conf(self, python: Path) -> Dict[str, str]:
        """Spark settings of a node of this cluster: Spark is installed on it (its jars are not
        uploaded with each application) and ``python`` is its default Python."""
        return {"spark.yarn.jars": f"local:{spark_home()}/jars/*",
                "spark.yarn.appMasterEnv.PYSPARK_PYTHON": str(python),
                "spark.executorEnv.PYSPARK_PYTHON": str(python)}

    def stop(self) -> None:
        """Stop the cluster's process group, then any container left (YARN starts each container
        in a session of its own, under this cluster's local directories)."""
        if self.process is not None:
            stop_group(self.process)
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(self.root).encode() in cmdline.read_bytes():
                    os.kill(int(cmdline.parent.name), signal.SIGKILL)
            except (OSError, ValueError):
                continue
