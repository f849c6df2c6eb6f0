"""A real Spark standalone cluster on 127.0.0.1: one master and N workers, each its own JVM.

The pip wheel of pyspark ships ``spark-class`` but none of the ``sbin/start-*.sh`` scripts, so the
daemons are started as the scripts would start them (``spark-class org.apache.spark.deploy...``),
each in its own process group: stopping a worker's group stops the executors it launched too,
which is also how a lost machine looks to the driver.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

if TYPE_CHECKING:
    from tests.cluster.isolated_network import IsolatedNetwork

SPARK_CLASS = Path(sys.executable).parent / "spark-class"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def stop_group(process: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM the process group of ``process`` (its daemon and every child), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):   # the group has already gone
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):   # the group has already gone
        os.killpg(process.pid, signal.SIGKILL)   # children that outlived their daemon
    process.wait()


@dataclass
class StandaloneCluster:
    """A master and its workers; ``start()`` returns once every worker has registered.

    Parameters
    ----------
    root
        Directory for the daemons' logs and the workers' work directories.
    workers
        How many workers.
    cores, memory
        What each worker offers (``--cores``, ``--memory``).
    network
        Where the daemons run: an :class:`~tests.cluster.isolated_network.IsolatedNetwork`, or
        ``None`` for this machine's own network.
    """

    root: Path
    workers: int = 2
    cores: int = 1
    memory: str = "1536m"
    network: Optional["IsolatedNetwork"] = None
    master_port: int = field(default_factory=free_port)
    master_ui_port: int = field(default_factory=free_port)
    master: Optional[subprocess.Popen] = None
    worker_processes: Dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The master URL for ``spark-submit --master``."""
        return f"spark://{HOST}:{self.master_port}"

    def environment(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYSPARK_GATEWAY_PORT")}
        env.update(SPARK_LOCAL_IP=HOST, SPARK_DAEMON_MEMORY="384m", SPARK_NO_DAEMONIZE="1")
        env["PATH"] = f"{SPARK_CLASS.parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    def _daemon(self, name: str, args: List[str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "wb")
        try:
            return subprocess.Popen(self.in_network([str(SPARK_CLASS), *args]), stdout=log, stderr=subprocess.STDOUT,
                                    env=self.environment(), cwd=self.root, start_new_session=True)
        finally:
            log.close()

    def in_network(self, argv: List[str]) -> List[str]:
        """``argv`` run in the cluster's network."""
        return self.network.command(argv) if self.network else argv

    def get_json(self, url: str):
        """The JSON document at ``url``, fetched from inside the cluster's network."""
        return self.network.call(lambda: get_json(url)) if self.network else get_json(url)

    def start(self, timeout_s: float = 120.0, wait: bool = True) -> "StandaloneCluster":
        """Start the master and the workers; unless ``wait`` is false, return once every worker has
        registered (:meth:`wait_for_workers`). On any failure, stop whatever did start."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self.master = self._daemon("master", [MASTER_CLASS, "--host", HOST, "--port", str(self.master_port),
                                                  "--webui-port", str(self.master_ui_port)])
            for index in range(self.workers):
                self.start_worker(index)
            if wait:
                self.wait_for_workers(self.workers, timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def start_worker(self, index: int) -> None:
        """Start worker ``index`` (again, after :meth:`kill_worker`)."""
        work = self.root / f"worker-{index}"
        work.mkdir(exist_ok=True)
        self.worker_processes[index] = self._daemon(
            f"worker-{index}", [WORKER_CLASS, "--host", HOST, "--cores", str(self.cores), "--memory", self.memory,
                                "--work-dir", str(work), "--webui-port", str(free_port()), self.url])

    def state(self) -> dict:
        """The master's JSON view: workers, their state, the running applications."""
        return self.get_json(f"http://{HOST}:{self.master_ui_port}/json/")

    def alive_workers(self) -> List[dict]:
        try:
            return [w for w in self.state()["workers"] if w["state"] == "ALIVE"]
        except (OSError, ValueError):
            return []   # the master's UI is not up yet, or not answering JSON yet

    def wait_for_workers(self, count: int, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.alive_workers()) < count:
            daemons = [("master", self.master)] + [(f"worker-{i}", p) for i, p in self.worker_processes.items()]
            for name, process in daemons:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}: {self.log(name)[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.alive_workers())} of {count} workers registered in {timeout_s} s:\n"
                                   f"{self.log('master')[-3000:]}")
            time.sleep(0.5)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def executor_ids(self, index: int) -> List[str]:
        """Ids of the executors worker ``index`` is running now (its children's ``--executor-id``)."""
        ids = []
        for pid in descendants(self.worker_processes[index].pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--executor-id" in argv:
                ids.append(argv[argv.index(b"--executor-id") + 1].decode())
        return ids

    def kill_worker(self, index: int) -> None:
        """SIGKILL worker ``index`` and everything it started, as if its machine were lost."""
        process = self.worker_processes[index]
        with contextlib.suppress(ProcessLookupError):   # the group has already gone
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        """Stop the workers, then the master, by PID (process group)."""
        for process in self.worker_processes.values():
            stop_group(process)
        if self.master is not None:
            stop_group(self.master)


def descendants(pid: int) -> List[int]:
    """Every process below ``pid``, from ``/proc``."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
