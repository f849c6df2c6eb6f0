"""The daily chain's Oozie application, built from :data:`oozie.registry.DAILY_CHAIN` and conf.

- ``workflow.xml``: a Spark action per stage, in order; any failure sends the failure alert and
  kills the run; a critical data-quality failure (the gate stage exits 3 and leaves its
  ``<date>.critical`` flag) sends the data-quality alert and stops the day instead.
- ``coordinator.xml``: one run a day, when the previous day's raw directory of every feed holds
  its done flag; timeout, concurrency, throttle and SLA from conf.
- ``job.properties`` per environment: name node, resource manager, queue, paths.

Two schema targets (``oozie.schemas``): ``current`` (workflow 1.0, spark-action 1.0) and ``cdh``
(workflow 0.5, spark-action 0.2, as older CDH clusters run).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Sequence

from jobs import __version__
from oozie.registry import DAILY_CHAIN, Stage
from oozie.xml import Node, document, node

if TYPE_CHECKING:
    from jobs.runtime.config import Config, OozieEnvironment

EMAIL, COORDINATOR, SLA = "0.2", "0.5", "0.2"
EGG = f"cdr_pipelines-{__version__}-py3.11.egg"
DEPENDENCIES = f"cdr_pipelines-{__version__}-dependencies.zip"   # pure-Python PyYAML and delta-spark
ENVIRONMENT = f"cdr_pipelines-{__version__}-environment.tar.gz"  # a virtualenv with the wheel installed
ENVIRONMENT_LINK = "environment"
OOZIE_TIME = "%Y-%m-%dT%H:%MZ"   # Oozie's UTC datetime (coordinator start, end, initial-instance)
KEY_LINK = "pseudonym.key"   # the key file's name in the action's working directory
CONF_ARCHIVE = "conf.zip"    # conf/ of the bundle, unpacked as ./conf in every container


@dataclass(frozen=True)
class Schemas:
    """The schema versions of one target and what differs between them."""

    workflow: str
    spark: str
    cluster_element: str      # where the action runs: resource-manager (1.0) or job-tracker (0.5)
    cluster_property: str     # the job.properties name of its address


SCHEMAS: Dict[str, Schemas] = {
    "current": Schemas(workflow="1.0", spark="1.0", cluster_element="resource-manager",
                       cluster_property="resourceManager"),
    "cdh": Schemas(workflow="0.5", spark="0.2", cluster_element="job-tracker", cluster_property="jobTracker"),
}


def namespaces(schemas: Schemas) -> Dict[str, str]:
    """Namespace of each kind of file and action for a target."""
    return {"workflow": f"uri:oozie:workflow:{schemas.workflow}", "spark": f"uri:oozie:spark-action:{schemas.spark}",
            "email": f"uri:oozie:email-action:{EMAIL}", "coordinator": f"uri:oozie:coordinator:{COORDINATOR}",
            "sla": f"uri:oozie:sla:{SLA}"}


def _property(name: str, value: str) -> Node:
    return node("property", node("name", text=name), node("value", text=value))


def critical_flag(stage: Stage) -> str:
    """The flag a quality-gate stage leaves on a critical failure (``jobs/check.py``), in EL."""
    return f"${{reportsDir}}/{stage.name}/${{runDate}}.critical"


def spark_action(stage: Stage, following: str, error: str, config: "Config", schemas: Schemas) -> Node:
    """The Spark action running one stage's job under the job contract.

    A quality gate's action deletes its stage's critical flag before it starts (``<prepare>``):
    a flag left by an earlier run of the day must not turn this run's crash, however early (no
    Spark session yet, a lost YARN application master), into a data-quality stop.
    """
    ns = namespaces(schemas)
    lib = "${wf:appPath()}/lib"
    opts = " ".join(config.oozie.spark_opts.split()) + " --queue ${queueName}"
    archives = [f"{lib}/{CONF_ARCHIVE}#conf"]
    if config.oozie.packaging == "egg":
        opts += f" --py-files {lib}/{EGG},{lib}/{DEPENDENCIES}"
    else:   # the driver (in its YARN container) and the executors run the shipped environment's Python
        opts += f" --conf spark.pyspark.python=./{ENVIRONMENT_LINK}/bin/python"
        archives.append(f"{lib}/{ENVIRONMENT}#{ENVIRONMENT_LINK}")
    files = [node("file", text=f"${{nameNode}}${{pseudonymKeyFile}}#{KEY_LINK}")] if stage.needs_pseudonym_key else []
    args = ["--conf", "${jobConf}", "--run-date", "${runDate}"]
    if stage.needs_pseudonym_key:
        args += ["--set", f"cleanse.pseudonymisation.key_file={KEY_LINK}"]
    spark = node(
        "spark",
        node(schemas.cluster_element, text=f"${{{schemas.cluster_property}}}"),
        node("name-node", text="${nameNode}"),
        node("prepare", node("delete", path=critical_flag(stage))) if stage.quality_gate else None,
        node("configuration", _property("oozie.launcher.mapred.job.queue.name", "${queueName}")),
        node("master", text="yarn"),
        node("mode", text="cluster"),
        node("name", text=f"cdr-{stage.name}-${{runDate}}"),
        node("jar", text=f"{lib}/jobs/{stage.name}.py"),
        node("spark-opts", text=opts),
        *[node("arg", text=a) for a in args],
        *files,
        *[node("archive", text=a) for a in archives],
        xmlns=ns["spark"])
    return node("action", spark, node("ok", to=following), node("error", to=error), name=stage.name)


def email_action(name: str, subject: str, body: str, following: str, config: "Config", schemas: Schemas) -> Node:
    email = node("email", node("to", text=",".join(config.oozie.alert_emails)), node("subject", text=subject),
                 node("body", text=body), xmlns=namespaces(schemas)["email"])
    # An alert that cannot be sent must not hide the failure it reports: both ways lead on.
    return node("action", email, node("ok", to=following), node("error", to=following), name=name)


def workflow(config: "Config", stages: Sequence[Stage] = DAILY_CHAIN) -> str:
    """``workflow.xml`` of the chain for ``oozie.schemas``."""
    schemas = SCHEMAS[config.oozie.schemas]
    ns = namespaces(schemas)
    names = [s.name for s in stages]
    nodes: List[Node] = []
    for i, stage in enumerate(stages):
        following = names[i + 1] if i + 1 < len(names) else "end"
        error = f"{stage.name}-gate" if stage.quality_gate else "failure-alert"
        nodes.append(spark_action(stage, following, error, config, schemas))
        if stage.quality_gate:
            switch = node("switch", node("case", text=f"${{fs:exists('{critical_flag(stage)}')}}", to="quality-alert"),
                          node("default", to="failure-alert"))
            nodes.append(node("decision", switch, name=f"{stage.name}-gate"))
    report = "${reportsDir}/check/${runDate}.html"
    nodes += [
        email_action("quality-alert", f"[{config.oozie.app_name}] ${{runDate}}: critical data-quality failure",
                     f"The checks of ${{runDate}} failed a critical rule; the day's later stages did not run.\n"
                     f"Report: {report}\nWorkflow: ${{wf:id()}}", "quality-stop", config, schemas),
        node("kill", node("message", text=f"critical data-quality failure on ${{runDate}}: see {report}"),
             name="quality-stop"),
        email_action("failure-alert", f"[{config.oozie.app_name}] ${{runDate}}: ${{wf:lastErrorNode()}} failed",
                     "${wf:lastErrorNode()} failed: ${wf:errorMessage(wf:lastErrorNode())}\n"
                     "Workflow: ${wf:id()}", "failed", config, schemas),
        node("kill", node("message", text="${wf:lastErrorNode()} failed: ${wf:errorMessage(wf:lastErrorNode())}"),
             name="failed"),
    ]
    parameters = node("parameters", *[node("property", node("name", text=n)) for n in
                                      ("runDate", "jobConf", "reportsDir", "queueName", "pseudonymKeyFile")])
    root = node("workflow-app", parameters, node("start", to=names[0]), *nodes, node("end", name="end"),
                xmlns=ns["workflow"], name=config.oozie.app_name)
    return document(root)


def first_input_instance(start: str) -> str:
    """The raw datasets' initial instance: the day the coordinator's first run reads.

    A run reads ``${coord:current(-1)}``, the day before its nominal time. Oozie resolves an
    instance earlier than its dataset's initial instance to an empty string: with the initial
    instance at ``start``, the first run would have no input and start at its nominal time without
    waiting for the day's done flags. So the initial instance is ``start`` minus one day.

    Parameters
    ----------
    start
        ``oozie.coordinator.start``, Oozie's UTC form ``2026-11-01T02:00Z``.

    Returns
    -------
    str
        One day earlier, in the same form: ``2026-10-31T02:00Z``.
    """
    try:
        first = dt.datetime.strptime(start, OOZIE_TIME)
    except ValueError:
        raise ValueError(f"oozie.coordinator.start: expected a UTC time like 2026-11-01T02:00Z, "
                         f"got {start!r}") from None
    return (first - dt.timedelta(days=1)).strftime(OOZIE_TIME)


def coordinator(config: "Config") -> str:
    """``coordinator.xml``: a day's run when the day before is complete in every feed's raw directory."""
    ns = namespaces(SCHEMAS[config.oozie.schemas])
    c, sla = config.oozie.coordinator, config.oozie.sla
    daily = "${coord:days(1)}"
    template = "${rawRoot}/{feed}/event_date=${YEAR}-${MONTH}-${DAY}"
    datasets = [node("dataset", node("uri-template", text=template.replace("{feed}", feed)),
                     node("done-flag", text=c.done_flag), name=f"raw-{feed}", frequency=daily,
                     initial_instance=first_input_instance(c.start), timezone=c.time_zone) for feed in c.feeds]
    inputs = [node("data-in", node("instance", text="${coord:current(-1)}"), name=feed, dataset=f"raw-{feed}")
              for feed in c.feeds]
    run_date = "${coord:formatTime(coord:dateOffset(coord:nominalTime(), -1, 'DAY'), 'yyyy-MM-dd')}"
    action = node(
        "action",
        node("workflow", node("app-path", text="${appPath}"),
             node("configuration", _property("runDate", run_date))),
        node("sla:info",
             node("sla:nominal-time", text="${coord:nominalTime()}"),
             node("sla:should-end", text=f"${{{sla.should_end_minutes} * MINUTES}}"),
             node("sla:max-duration", text=f"${{{sla.max_duration_minutes} * MINUTES}}"),
             node("sla:alert-events", text=",".join(sla.alert_events)),
             node("sla:alert-contact", text=",".join(sla.alert_contacts))))
    root = node("coordinator-app",
                node("controls", node("timeout", text=c.timeout_minutes), node("concurrency", text=c.concurrency),
                     node("execution", text="FIFO"), node("throttle", text=c.throttle)),
                node("datasets", *datasets), node("input-events", *inputs), action,
                xmlns=ns["coordinator"], xmlns_sla=ns["sla"], name=config.oozie.app_name, frequency=daily,
                start="${start}", end="${end}", timezone=c.time_zone)
    return document(root)


def job_properties(config: "Config", environment: str) -> str:
    """``job.properties`` of one environment of ``oozie.environments``."""
    env: "OozieEnvironment" = config.oozie.environments[environment]
    schemas = SCHEMAS[config.oozie.schemas]
    lines = [f"# {config.oozie.app_name}, environment {environment} (generated by python -m oozie: do not edit)",
             f"nameNode={env.name_node}",
             f"{schemas.cluster_property}={env.resource_manager}",
             f"queueName={env.queue}",
             f"appPath=${{nameNode}}{env.app_dir}",
             "oozie.coord.application.path=${appPath}/coordinator.xml",
             "oozie.use.system.libpath=true",
             f"start={config.oozie.coordinator.start}",
             f"end={config.oozie.coordinator.end}",
             f"rawRoot={config.resolve(config.paths.raw)}",
             f"reportsDir={config.resolve(config.paths.reports)}",
             f"jobConf={env.conf}",
             f"pseudonymKeyFile={env.pseudonym_key_file}"]
    return "\n".join(lines) + "\n"
