"""The daily chain of the built bundle on a real Spark standalone cluster (a master and two workers).

The workflow's Spark actions run as Oozie would run them (:mod:`tests.cluster.launcher`): from the
bundle's ``lib/``, with the nodes' Python holding nothing but the standard library, reading and
writing Delta. The oracle is the same chain run in local mode on the same raw day, which the
end-to-end tests check against the generator's truth: every table and count must be the same on
the cluster, whose chain takes its actions from both packagings' bundles and loses a worker in the
middle of ``cleanse``.
Every job's process group must be empty when spark-submit returns. The jobs write Spark event
logs, as a cluster with a History Server has them: nothing in them gives the pseudonym key back.

Standalone runs Python drivers in client mode only; Oozie runs the actions in YARN cluster mode. The
last test runs the chain on a real HDFS with ``conf/cluster.yaml`` and submits ``cleanse`` to a real
YARN (:mod:`tests.cluster.yarn`, on this machine's network) in cluster mode, from the shipped
environment deployed to HDFS, with the bundle's production ``job.properties``: the driver, the
archives and the key file are where YARN puts them, and every table is on HDFS.

The cluster has no network: its daemons and every spark-submit run in a network namespace with
only a loopback interface (:mod:`tests.cluster.isolated_network`), and spark-submit with an empty
home directory, so a job that needed anything from outside the bundle (a ``--packages`` download,
a cached jar, a pip install) would fail here; the first test shows that one does. Making the
namespace needs root; where it cannot be made the cluster runs on this machine's network and that
test is skipped, unless ``CDR_REQUIRE_ISOLATED_NETWORK=1`` (set by ``.ci/run``) makes it an error.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from base64 import b64encode
from dataclasses import fields, replace
from pathlib import Path
from typing import Dict

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import check, cleanse, generate, ingest
from jobs.runtime.config import Paths, load_config
from jobs.runtime.jars import delta_artifact
from jobs.runtime.job import run_job
from oozie.bundle import NAME, assemble
from tests.cluster.isolated_network import IsolatedNetwork, NamespaceUnavailable
from tests.cluster.launcher import Launcher, resolve, spark_chain
from tests.cluster.standalone import HOST, StandaloneCluster, free_port
from tests.cluster.yarn import MiniYarn
from tests.conftest import (FAST_SPARK_SETTINGS, PROJECT_ROOT, job_argv, properties_values, pseudonym_key,
                            redirected_paths)
from tests.identifiers import assert_no_leak, clear_identifiers, digit_runs
from transformations.cleansing.pseudonymise import hmac_pads

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

RUN_DATE = dt.date(2026, 11, 21)
KEY = "cluster-test-key-0123456789abcdef"
FEEDS = ("cdr", "radio", "cells", "weather")
RUN_COLUMNS = ("_ingest_run_id", "_ingest_time", "_cleanse_run_id")
# The check passes every rule at this scale (tests/jobs/test_check_e2e.py stages its failures on it).
SCALE = {
    "generate.scale.cdr_rows_per_day": 10000, "generate.scale.subscribers": 2000,
    "generate.scale.call_centres": 2, "generate.scale.sites": 60, "generate.scale.rail_lines": 1,
    "generate.scale.areas": 4, "generate.scale.partitions": 2, "generate.scale.files_per_hour": 2,
    "generate.radio.sampled_call_fraction": 1.0,
}
# The bundle as an operator would build it for this small cluster: a worker offers 1 core, 1.5 GB.
# Each driver and executor JVM runs one job, and stops at the quick C1 compiler as the tests' other
# one-job JVMs do (tests/conftest.py): with conf's flags (C2, huge methods compiled), the chain took
# 670 s instead of about 480 s in CI, where the other test process shares the two cores.
SPARK_OPTS = ("--driver-memory 1g --executor-memory 1g --executor-cores 1"
              " --conf spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1"
              " --conf spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1")
SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
# The tests' tiny-data settings, as spark-submit --conf (which wins over the environment's conf file).
TINY_DATA_CONF = {k: v for k, v in FAST_SPARK_SETTINGS.items() if k not in (
    "spark.master", "spark.driver.memory", "spark.driver.extraJavaOptions")}
JAR_LIST = PROJECT_ROOT / ".jars" / "jars.txt"


@pytest.fixture(scope="module")
def network():
    """The cluster's network: a namespace with only ``lo``, or ``None`` (this machine's network)
    where one cannot be made."""
    try:
        isolated = IsolatedNetwork().start()
    except NamespaceUnavailable as unavailable:
        if os.environ.get("CDR_REQUIRE_ISOLATED_NETWORK") == "1":
            pytest.fail(f"CDR_REQUIRE_ISOLATED_NETWORK=1 but no network namespace can be made: {unavailable}")
        yield None
        return
    try:
        yield isolated
    finally:
        isolated.stop()


@pytest.fixture(scope="module")
def cluster(network, tmp_path_factory):
    # the daemons start while the raw day and the reference are being made; run_chain waits for them
    started = StandaloneCluster(tmp_path_factory.mktemp("standalone"), network=network).start(wait=False)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def yarn(tmp_path_factory):
    """An HDFS (NameNode, DataNode) and a YARN (ResourceManager, NodeManager), on this machine's network."""
    started = MiniYarn(tmp_path_factory.mktemp("yarn")).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def raw_day(spark, tmp_path_factory) -> Path:
    """One generated day of raw exports (the generator runs in this process, in local mode)."""
    root = tmp_path_factory.mktemp("generated")
    assert run_job("generate", generate.run, job_argv(root, RUN_DATE, SCALE), spark_extra=FAST_SPARK_SETTINGS) == 0
    return root / "raw"


def data_root(raw: Path, into: Path) -> Path:
    """A fresh data directory holding a copy of the raw day (each run writes its own zones)."""
    shutil.copytree(raw, into / "raw")
    return into


def run_in_process(name: str, argv: list) -> None:
    """Run a job in this process, in local mode on the tests' session, as the reference does."""
    body, extra = {"ingest": (ingest.run, {}), "check": (check.run, {}),
                   "cleanse": (cleanse.run, {"preflight": cleanse.load_pseudonym_key})}[name]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = run_job(name, body, argv, spark_extra=FAST_SPARK_SETTINGS, **extra)
    assert code == 0, f"{name}: {out.getvalue()[-3000:]}"


@pytest.fixture(scope="module")
def reference(spark, raw_day, tmp_path_factory) -> Path:
    """The chain in local mode, in this process: the oracle of the cluster runs."""
    root = data_root(raw_day, tmp_path_factory.mktemp("reference"))
    with pseudonym_key(KEY):
        for name in ("ingest", "cleanse", "check"):
            run_in_process(name, job_argv(root, RUN_DATE))
    return root


@pytest.fixture(scope="module")
def bundles(packages, tmp_path_factory):
    """The bundle built with each packaging, as ``make bundle`` builds it."""
    egg, wheel = packages
    built = {}
    for packaging in ("egg", "environment"):
        out = tmp_path_factory.mktemp(f"bundle-{packaging}")
        assemble(str(PROJECT_ROOT / "conf" / "cluster.yaml"), out, egg, wheel, JAR_LIST,
                 overrides=[f"oozie.packaging={packaging}", f"oozie.spark_opts={SPARK_OPTS}"])
        built[packaging] = out / NAME
    return built


def launcher(app_dir: Path, root: Path, cluster: StandaloneCluster, python: Path, ui_port: int) -> Launcher:
    """The actions' launcher for the standalone ``cluster``."""
    key = root / "secure" / "pseudonym.key"
    key.parent.mkdir(exist_ok=True)
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    properties = {"nameNode": "file://", "queueName": "default", "runDate": RUN_DATE.isoformat(),
                  "jobConf": "conf/local.yaml", "reportsDir": str(root / "reports"),
                  "pseudonymKeyFile": str(key)}
    # The jobs' data zones under root (on a cluster: conf/cluster.yaml's HDFS paths).
    extra = [part for item in redirected_paths(root) for part in ("--set", item)]
    # The driver's UI stays on: the kill test watches it.
    tiny = {k: v for k, v in TINY_DATA_CONF.items() if k != "spark.ui.enabled"}
    events = root / "event-logs"     # what a History Server would read (uncompressed, to be scanned)
    events.mkdir(exist_ok=True)
    event_logs = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
                  "spark.eventLog.compress": "false"}
    submit_conf = {**tiny, **event_logs, "spark.ui.port": str(ui_port)}
    return Launcher(app_dir, properties, cluster.url, python, extra_args=extra, submit_conf=submit_conf,
                    in_network=cluster.in_network)


def run_chain(app_dirs: Dict[str, Path], root: Path, cluster: StandaloneCluster, python: Path,
              during=None) -> dict:
    """Submit the workflow's actions in order, each from its bundle in ``app_dirs`` (action name ->
    application directory); ``during`` maps an action to a watcher of its process."""
    chains = {app_dir: spark_chain((app_dir / "workflow.xml").read_text()) for app_dir in set(app_dirs.values())}
    order, = {tuple(action.name for action in chain) for chain in chains.values()}   # one workflow, built twice
    assert sorted(order) == sorted(app_dirs), (order, list(app_dirs))
    cluster.wait_for_workers(cluster.workers)
    ui_port = free_port()
    submitters = {app_dir: launcher(app_dir, root, cluster, python, ui_port) for app_dir in chains}
    results = {}
    for name in order:
        app_dir = app_dirs[name]
        action, = [a for a in chains[app_dir] if a.name == name]
        watcher = (during or {}).get(name)
        results[name] = submitters[app_dir].submit(
            action, root / "containers", SPARK_SUBMIT,
            while_running=(lambda process: watcher(process, ui_port)) if watcher else None)
        assert results[name].returncode == 0, f"{name}:\n{results[name].output[-4000:]}"
    return results


def zones_under(root: Path) -> Dict[str, str]:
    """Each zone's location in the data directory ``root``."""
    return {f.name: str(root / f.name) for f in fields(Paths)}


def counts(spark, zones: Dict[str, str]) -> dict:
    """Rows per zone and feed, and quarantined rows per feed and reason."""
    found = {}
    for zone in ("bronze", "silver", "quarantine"):
        for feed in FEEDS:
            df = spark.read.format("delta").load(f"{zones[zone]}/{feed}")
            found[(zone, feed)] = df.count()
            if zone == "quarantine":
                for row in df.select(F.explode("reasons").alias("reason")).groupBy("reason").count().collect():
                    found[(zone, feed, row["reason"])] = row["count"]
    return found


def curated(spark, table: str):
    """A bronze, silver or quarantine table without the run's own ids, its source files relative to
    raw."""
    df = spark.read.format("delta").load(table)
    return (df.drop(*[c for c in RUN_COLUMNS if c in df.columns])
            .withColumn("_source_file", F.regexp_replace("_source_file", "^.*/raw/", "raw/")))


def check_report(spark, zones: Dict[str, str], kind: str = "json") -> str:
    """The check's report (``json`` or ``html``) among the zones ``zones``, wherever they are."""
    return spark.read.text(f"{zones['reports']}/check/{RUN_DATE}.{kind}", wholetext=True).first()[0]


def check_outcome(report: str) -> dict:
    """Each rule's status and observed value (floats rounded: the sums' order differs on a cluster)."""
    document = json.loads(report)
    assert document["status"] == "passed" and not document["critical_failures"]
    return {f"{name}.{rule['name']}": (rule["status"], round(rule["observed"], 9) if isinstance(
        rule["observed"], float) else rule["observed"]) for name, dataset in document["datasets"].items()
        for rule in dataset["rules"]}


def assert_same_results(spark, reference: Dict[str, str], run: Dict[str, str]) -> None:
    """The run's tables, row for row, and the check's outcome, rule for rule, are the reference's
    (which is not empty, and conserves every row)."""
    expected = counts(spark, reference)
    assert counts(spark, run) == expected
    assert all(expected[("silver", f)] + expected[("quarantine", f)] == expected[("bronze", f)] for f in FEEDS)
    assert expected[("silver", "cdr")] > 8000 and expected[("quarantine", "cdr")] > 0
    for zone in ("bronze", "silver", "quarantine"):
        for feed in FEEDS:
            assert_df_equality(curated(spark, f"{run[zone]}/{feed}"), curated(spark, f"{reference[zone]}/{feed}"),
                               ignore_row_order=True, ignore_column_order=True)
    outcome = check_outcome(check_report(spark, reference))
    assert outcome and check_outcome(check_report(spark, run)) == outcome


def assert_key_not_in_event_logs(root: Path) -> None:
    """The jobs' event logs hold their plans, and nothing that gives the pseudonym key back: the key,
    or its HMAC pads (key XOR constant), as text, hex or base64."""
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in (root / "event-logs").rglob("*") if path.is_file()}
    assert any("SparkListenerSQLExecutionStart" in text and "sha2(" in text for text in logs.values()), list(logs)
    forms = {KEY}
    for secret in (KEY.encode(), *hmac_pads(KEY.encode())):
        forms |= {secret.hex()[:16], b64encode(secret).decode()[:12]}
    found = {name: [f for f in forms if f.lower() in text.lower()] for name, text in logs.items()}
    assert not any(found.values()), found


def assert_no_clear_identifier_in_logs(spark, raw: Path, results: dict, cluster: StandaloneCluster,
                                       root: Path) -> None:
    """No subscriber identifier in what the jobs printed and logged, the JVMs' logs included: the
    drivers' output, the executors' and daemons' logs, the event logs."""
    texts = {f"{name} driver": digit_runs(submitted.output) for name, submitted in results.items()}
    for folder in (cluster.root, root / "event-logs"):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix not in (".jar", ".egg", ".whl", ".zip", ".gz", ".py"):
                texts[str(path)] = digit_runs(path.read_text(encoding="utf-8", errors="replace"))
    assert any("/stderr" in where for where in texts), "no executor log found"
    assert_no_leak(texts, clear_identifiers(spark, raw.parent / "truth" / "cdr"))


def assert_exited_cleanly(results: dict) -> None:
    """spark-submit returned soon after the job logged its end (nothing kept the driver alive: no
    py4j callback server, no non-daemon thread), and left no process of its own behind."""
    for name, submitted in results.items():
        end_lines = [line for line in submitted.output.splitlines() if f"[{name} " in line and "] end status=" in line]
        assert end_lines, f"{name} logged no end line"
        logged_end = dt.datetime.strptime(end_lines[-1][:19], "%Y-%m-%d %H:%M:%S").timestamp()
        assert submitted.returned_at - logged_end < 30, f"{name}: spark-submit returned late"
        assert not submitted.leftovers, f"{name}'s processes outlived spark-submit: {submitted.leftovers}"


def test_the_cluster_has_no_network_a_job_needing_a_download_fails(network, cluster, bundles, tmp_path):
    if network is None:
        pytest.skip("no network namespace can be made here (needs root): the cluster runs with the network")
    assert network.call(lambda: socket.if_nameindex()) == [(1, "lo")]
    daemons = [cluster.master, *cluster.worker_processes.values()]
    assert {os.readlink(f"/proc/{d.pid}/ns/net") for d in daemons} == {os.readlink(network.path)}
    assert os.readlink(network.path) != os.readlink("/proc/self/ns/net")
    with pytest.raises(OSError):   # no route anywhere: unreachable, or no DNS
        network.call(lambda: socket.create_connection(("repo1.maven.org", 443), timeout=10).close())
    # The chain's first action, asking spark-submit for Delta from Maven Central as well
    cluster.wait_for_workers(cluster.workers)
    ingest_action = spark_chain((bundles["egg"] / "workflow.xml").read_text())[0]
    downloading = replace(ingest_action, opts=f"{ingest_action.opts} --packages {delta_artifact()}")
    submitted = launcher(bundles["egg"], tmp_path, cluster, sys.executable, free_port()).submit(
        downloading, tmp_path / "containers", SPARK_SUBMIT)
    assert submitted.returncode != 0
    group, artifact, _ = delta_artifact().split(":")
    assert f"unresolved dependency: {group}#{artifact}" in submitted.output, submitted.output[-3000:]


def busy_executors(cluster: StandaloneCluster, ui_port: int) -> dict:
    """Executor id -> active tasks of the running application, from the driver's REST API."""
    base = f"http://{HOST}:{ui_port}/api/v1/applications"
    try:
        app, = cluster.get_json(base)
        return {e["id"]: e["activeTasks"] for e in cluster.get_json(f"{base}/{app['id']}/executors")}
    except (OSError, ValueError):
        return {}   # the driver's UI is not up yet


def kill_a_busy_worker(cluster: StandaloneCluster, killed: dict):
    """A watcher of ``cleanse``: kills worker 0 as soon as one of its executors runs a task, and
    records those executors in ``killed``."""
    def watch(process: subprocess.Popen, ui_port: int) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, "cleanse ended before any executor of worker 0 ran a task"
            running = busy_executors(cluster, ui_port)
            victims = [e for e in cluster.executor_ids(0) if running.get(e, 0) > 0]
            if victims:
                cluster.kill_worker(0)
                killed.update(executors=victims, still_running=process.poll() is None)
                return
            time.sleep(0.2)
        pytest.fail("no executor of worker 0 ran a task of cleanse within 300 s")
    return watch


# The bundle each action of the standalone chain is taken from. Each chain costs minutes of the CI's
# budget, so one chain runs both packagings: the egg's ``cleanse``, whose worker is killed, and the
# shipped environment's ``ingest`` and ``check`` (its ``cleanse`` runs on YARN, in the last test).
PACKAGING = {"ingest": "environment", "cleanse": "egg", "check": "environment"}


def test_the_chain_runs_from_both_packagings_on_a_bare_python_and_survives_a_dead_worker(
        spark, cluster, bundles, raw_day, reference, bare_python, tmp_path):
    """The workflow's actions from the egg's bundle and the environment's, on nodes whose Python
    has only the standard library, with a worker killed in the middle of ``cleanse``: the driver
    runs the lost tasks again on the other worker, and every result is the reference's."""
    # the nodes' Python has neither the package nor its dependencies: both come from the bundle
    for module in ("jobs", "yaml", "delta"):
        assert subprocess.run([str(bare_python), "-I", "-c", f"import {module}"], cwd=tmp_path,
                              capture_output=True).returncode != 0
    root = data_root(raw_day, tmp_path)
    killed = {}
    try:
        results = run_chain({action: bundles[packaging] for action, packaging in PACKAGING.items()}, root,
                            cluster, bare_python, during={"cleanse": kill_a_busy_worker(cluster, killed)})
    finally:
        cluster.start_worker(0)
        cluster.wait_for_workers(2)
    assert list(results) == ["ingest", "cleanse", "check"]
    assert killed["still_running"] and killed["executors"]
    # the driver saw the executor go, and ran its tasks again elsewhere
    assert f"Lost executor {killed['executors'][0]}" in results["cleanse"].output
    assert_exited_cleanly(results)
    assert_same_results(spark, zones_under(reference), zones_under(root))
    assert_key_not_in_event_logs(root)
    assert_no_clear_identifier_in_logs(spark, raw_day, results, cluster, root)


def parse_properties(text: str, **overrides: str) -> Dict[str, str]:
    """A ``job.properties``' values, some replaced first, every ``${name}`` resolved (nested ones too)."""
    values = properties_values(text)
    values.update(overrides)
    while True:
        resolved = {name: resolve(value, values) for name, value in values.items()}
        if resolved == values:
            return values
        values = resolved


def json_end_records(logs: Dict[str, str], job: str) -> list:
    """The JSON ``end`` records of ``job`` in the containers' logs (``logging.format: json``)."""
    records = []
    for line in (line for text in logs.values() for line in text.splitlines() if line.startswith("{")):
        with contextlib.suppress(ValueError):
            records.append(json.loads(line))
    return [r for r in records if r.get("job") == job and r.get("message") == "end"]


def test_the_chain_runs_on_hdfs_and_cleanse_on_yarn_with_the_production_properties_and_conf(
        spark, yarn, bundles, raw_day, reference, bare_python, tmp_path):
    """The chain on a Hadoop cluster's HDFS, with ``conf/cluster.yaml``.

    ``cleanse`` runs as Oozie runs the action (``<master>yarn</master><mode>cluster</mode>``) with
    the bundle's ``job-production.properties``, its name node replaced by this HDFS: the bundle is
    deployed to its ``appPath``, the key to its ``pseudonymKeyFile``. (Where the job is submitted,
    resource manager and queue, comes from ``HADOOP_CONF_DIR``; the tiny-data settings are passed
    as ``--conf`` over the conf's ``runtime.spark``.) The driver runs in the ApplicationMaster's
    container, where the node's Python is bare: it imports the job only if the action's
    ``spark.pyspark.python`` reaches the ApplicationMaster, and reads conf and the key only if YARN
    localised the action's archives and file under their '#' names (conf/cluster.yaml never creates
    a key, and the launcher passes no key in the environment). ``ingest`` and ``check`` run in this
    process (local mode) on the same HDFS, the conf's ``hdfs:///`` paths qualified with its name
    node: raw files are listed and read, and reports written, through Hadoop's HDFS client. Every
    table and the check's outcome must be the local run's; no container log holds the key."""
    app_dir = bundles["environment"]
    cleanse_action, = [a for a in spark_chain((app_dir / "workflow.xml").read_text()) if a.name == "cleanse"]
    assert cleanse_action.files and "spark.pyspark.python=./environment/" in cleanse_action.opts
    yarn.wait()
    properties = parse_properties((app_dir / "job-production.properties").read_text(), nameNode=yarn.hdfs,
                                  runDate=RUN_DATE.isoformat())
    conf = PROJECT_ROOT / properties["jobConf"]
    config = load_config(str(conf))
    yarn.put(spark, app_dir, properties["appPath"])
    key = tmp_path / "pseudonym.key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    yarn.put(spark, key, properties["pseudonymKeyFile"])
    zones = {f.name: yarn.uri(getattr(config.paths, f.name)) for f in fields(Paths)}
    assert all(uri.startswith(yarn.hdfs + "/") for uri in zones.values())
    yarn.put(spark, raw_day, zones["raw"])
    in_process = job_argv(zones, RUN_DATE, conf=conf)

    run_in_process("ingest", in_process)
    on_yarn = Launcher(app_dir, properties, "yarn", bare_python, deploy_mode="cluster", app_uri=properties["appPath"],
                       submit_conf={**TINY_DATA_CONF, **yarn.submit_conf(bare_python)},
                       environment=yarn.client_environment())
    submitted = on_yarn.submit(cleanse_action, tmp_path / "client", SPARK_SUBMIT)
    assert submitted.returncode == 0, submitted.output[-4000:]
    assert "state: FINISHED" in submitted.output and "final status: SUCCEEDED" in submitted.output
    assert not submitted.leftovers, f"spark-submit's processes outlived it: {submitted.leftovers}"
    container_logs = yarn.container_logs()
    ended = json_end_records(container_logs, "cleanse")
    assert [(e["run_date"], e["status"]) for e in ended] == [(RUN_DATE.isoformat(), "succeeded")], ended
    assert not [path for path, text in container_logs.items() if KEY in text]
    run_in_process("check", in_process)

    runs = spark.read.format("delta").load(zones["run_log"]).select("job", "status", "environment").collect()
    assert sorted(map(tuple, runs)) == [(job, "succeeded", "cluster") for job in ("check", "cleanse", "ingest")]
    sources = spark.read.format("delta").load(f"{zones['bronze']}/cdr").select("_source_file").distinct().collect()
    assert sources and all(row[0].startswith(zones["raw"] + "/") for row in sources), sources[:3]
    assert_same_results(spark, zones_under(reference), zones)
    assert "<svg" in check_report(spark, zones, "html")
