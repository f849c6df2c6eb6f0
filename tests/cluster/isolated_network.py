"""A network namespace holding nothing but a loopback interface: a machine with no network.

Processes started with :meth:`IsolatedNetwork.command` (the cluster's daemons, spark-submit) see
only ``lo``: no route, no DNS, no proxy, so anything that reaches for Maven Central, PyPI or any
other host fails at once. The test process itself stays outside and talks to them through
:meth:`IsolatedNetwork.call`, which runs a function in a thread that has entered the namespace.

Making a namespace needs ``CAP_SYS_ADMIN`` (root) and the ``unshare``, ``nsenter`` (util-linux)
and ``ip`` (iproute2) commands.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
from typing import Callable, List, Optional, TypeVar

from tests.cluster.standalone import stop_group

CLONE_NEWNET = 0x40000000
REQUIRED_COMMANDS = ("unshare", "nsenter", "ip")
T = TypeVar("T")


class NamespaceUnavailable(RuntimeError):
    """This machine cannot make a network namespace here (no privilege, or a command is missing)."""


class IsolatedNetwork:
    """A network namespace with only ``lo`` up, held open by a sleeping process until :meth:`stop`."""

    def __init__(self) -> None:
        self.holder: Optional[subprocess.Popen] = None

    def start(self) -> "IsolatedNetwork":
        """Make the namespace and bring its loopback up.

        Raises
        ------
        NamespaceUnavailable
            When a command is missing or the namespace cannot be made (e.g. not root).
        """
        missing = [c for c in REQUIRED_COMMANDS if shutil.which(c) is None]
        if missing:
            raise NamespaceUnavailable(f"missing commands: {', '.join(missing)}")
        self.holder = subprocess.Popen(
            ["unshare", "--net", "--", "sh", "-c", "ip link set lo up && echo ready && exec sleep infinity"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        if self.holder.stdout.readline().strip() != b"ready":
            self.holder.wait(10)
            reason = self.holder.stderr.read().decode(errors="replace").strip()
            self.holder = None
            raise NamespaceUnavailable(f"unshare --net failed: {reason}")
        return self

    @property
    def path(self) -> str:
        """The namespace's handle (``/proc/<holder>/ns/net``)."""
        if self.holder is None:
            raise RuntimeError("the namespace is not started")
        return f"/proc/{self.holder.pid}/ns/net"

    def command(self, argv: List[str]) -> List[str]:
        """``argv`` run inside the namespace (``nsenter`` execs it: the PID is the program's own)."""
        return ["nsenter", f"--net={self.path}", "--", *argv]

    def call(self, function: Callable[[], T]) -> T:
        """``function()`` run in a thread that entered the namespace (the thread ends with it).

        Raises whatever ``function`` raised, or ``OSError`` when the namespace cannot be entered.
        """
        outcome: dict = {}

        def enter_and_run() -> None:
            try:
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    if libc().setns(fd, CLONE_NEWNET) != 0:
                        error = ctypes.get_errno()
                        raise OSError(error, f"setns({self.path}): {os.strerror(error)}")
                finally:
                    os.close(fd)
                outcome["value"] = function()
            except BaseException as raised:   # handed over to the calling thread
                outcome["error"] = raised

        thread = threading.Thread(target=enter_and_run, name="in-isolated-network")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def stop(self) -> None:
        """End the holder; the namespace goes when its last process does."""
        if self.holder is not None:
            stop_group(self.holder)
            self.holder.stdout.close()
            self.holder.stderr.close()
            self.holder = None


def libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)
