"""The generated Oozie application: valid against Oozie's official XSDs for both schema targets,
built from the registry, and the same validator rejects broken files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from jobs.runtime.config import ConfigError, load_config
from oozie import app
from oozie.__main__ import build
from oozie.registry import DAILY_CHAIN, Stage
from oozie.schemas import SchemaError, Validator
from tests.conftest import CLUSTER_CONF, PROJECT_ROOT, properties_values

JAR = PROJECT_ROOT / ".jars" / "oozie" / "oozie-client-5.2.1.jar"
TARGETS = ("current", "cdh")


@pytest.fixture(scope="module")
def validators():
    if not JAR.is_file():
        pytest.fail(f"{JAR} is missing: `make jars` fetches it from Maven Central")
    return {target: Validator(JAR, target) for target in TARGETS}


def config(target: str, *overrides: str):
    return load_config(str(CLUSTER_CONF), [f"oozie.schemas={target}", *overrides])


def actions(workflow_text: str):
    root = etree.fromstring(workflow_text.encode())
    return [(a.get("name"), etree.QName(a[0]).namespace) for a in root.iter("{*}action")]


@pytest.mark.parametrize("packaging", ("egg", "environment"))
@pytest.mark.parametrize("target", TARGETS)
def test_generated_files_validate(validators, target, packaging):
    conf = config(target, f"oozie.packaging={packaging}")
    validators[target].check("workflow", app.workflow(conf), "workflow.xml")
    validators[target].check("coordinator", app.coordinator(conf), "coordinator.xml")


@pytest.mark.parametrize("target, workflow, spark, cluster", [
    ("current", "uri:oozie:workflow:1.0", "uri:oozie:spark-action:1.0", "resource-manager"),
    ("cdh", "uri:oozie:workflow:0.5", "uri:oozie:spark-action:0.2", "job-tracker"),
])
def test_each_target_uses_its_schema_versions(target, workflow, spark, cluster):
    text = app.workflow(config(target))
    root = etree.fromstring(text.encode())
    assert etree.QName(root).namespace == workflow
    sparks = root.findall(f".//{{{spark}}}spark")
    assert len(sparks) == len(DAILY_CHAIN)
    assert all(s.find(f"{{{spark}}}{cluster}") is not None for s in sparks)


def test_the_workflow_runs_the_registered_stages_in_order_and_gates_on_quality():
    text = app.workflow(config("current"))
    names = [name for name, ns in actions(text) if ns.startswith("uri:oozie:spark-action")]
    assert names == [s.name for s in DAILY_CHAIN] == ["ingest", "cleanse", "check"]
    root = etree.fromstring(text.encode())
    transitions = {a.get("name"): (a.find("{*}ok").get("to"), a.find("{*}error").get("to"))
                   for a in root.iter("{*}action")}
    assert transitions["ingest"] == ("cleanse", "failure-alert")
    assert transitions["cleanse"] == ("check", "failure-alert")
    assert transitions["check"] == ("end", "check-gate")
    gate = root.find("{*}decision[@name='check-gate']")
    case = gate.find("{*}switch/{*}case")
    flag = "${reportsDir}/check/${runDate}.critical"
    assert case.get("to") == "quality-alert" and case.text == f"${{fs:exists('{flag}')}}"
    # a flag an earlier run of the day left is deleted before check starts, by check's action alone
    assert [(a.get("name"), [d.get("path") for d in a.iter("{*}delete")]) for a in root.iter("{*}action")
            if a.find("{*}spark/{*}prepare") is not None] == [("check", [flag])]
    assert gate.find("{*}switch/{*}default").get("to") == "failure-alert"
    # only cleanse gets the key file, and no key is in the file itself
    assert [a.get("name") for a in root.iter("{*}action") if "pseudonymKeyFile" in etree.tostring(a).decode()] == [
        "cleanse"]


def test_the_test_launcher_deletes_what_the_actions_prepare_deletes(tmp_path):
    from tests.cluster.launcher import Launcher, spark_chain
    chain = {a.name: a for a in spark_chain(app.workflow(config("current")))}
    reports = tmp_path / "reports"
    stale, other_day = reports / "check" / "2026-11-21.critical", reports / "check" / "2026-11-20.critical"
    stale.parent.mkdir(parents=True)
    stale.write_text("cdr.cdr_volume\n")
    other_day.write_text("cdr.cdr_volume\n")
    launcher = Launcher(tmp_path, {"reportsDir": str(reports), "runDate": "2026-11-21"}, "local", Path("python"))
    launcher.prepare(chain["cleanse"])
    assert stale.exists()
    launcher.prepare(chain["check"])
    assert not stale.exists() and other_day.exists()
    launcher.prepare(chain["check"])   # nothing to delete: no error, as in Oozie


def spark_elements(text: str, tag: str):
    root = etree.fromstring(text.encode())
    return [[e.text for e in spark.iter(f"{{*}}{tag}")] for spark in root.iter("{uri:oozie:spark-action:1.0}spark")]


def test_the_egg_packaging_ships_the_egg_and_its_dependencies_on_the_python_path():
    text = app.workflow(config("current", "oozie.packaging=egg"))
    lib = "${wf:appPath()}/lib"
    for opts, in spark_elements(text, "spark-opts"):
        assert f"--py-files {lib}/{app.EGG},{lib}/{app.DEPENDENCIES}" in opts
        assert "spark.pyspark.python" not in opts
    assert all(archives == [f"{lib}/conf.zip#conf"] for archives in spark_elements(text, "archive"))


def test_the_environment_packaging_runs_the_shipped_virtualenv():
    text = app.workflow(config("current", "oozie.packaging=environment"))
    lib = "${wf:appPath()}/lib"
    for opts, in spark_elements(text, "spark-opts"):
        assert "--conf spark.pyspark.python=./environment/bin/python" in opts
        assert "--py-files" not in opts
    assert all(archives == [f"{lib}/conf.zip#conf", f"{lib}/{app.ENVIRONMENT}#environment"]
               for archives in spark_elements(text, "archive"))


def test_an_unknown_packaging_is_refused():
    with pytest.raises(ConfigError, match="oozie.packaging"):
        config("current", "oozie.packaging=conda")


def test_a_new_stage_is_one_registration():
    stages = DAILY_CHAIN + (Stage("features", "subscriber indicators"),)
    text = app.workflow(config("current"), stages)
    names = [name for name, ns in actions(text) if ns.startswith("uri:oozie:spark-action")]
    assert names == ["ingest", "cleanse", "check", "features"]
    root = etree.fromstring(text.encode())
    check = root.find("{*}action[@name='check']")
    assert check.find("{*}ok").get("to") == "features"


def test_the_coordinator_waits_for_every_feed_and_carries_the_sla():
    conf = config("current")
    root = etree.fromstring(app.coordinator(conf).encode())
    datasets = root.findall("{*}datasets/{*}dataset")
    assert [d.get("name") for d in datasets] == [f"raw-{f}" for f in conf.oozie.coordinator.feeds]
    assert all(d.find("{*}done-flag").text == "_SUCCESS" for d in datasets)
    # the first run (nominal 2026-11-01T02:00Z) reads current(-1): that instance must exist, or
    # Oozie resolves it to nothing and the run starts without waiting for the done flags
    assert conf.oozie.coordinator.start == "2026-11-01T02:00Z"
    assert {d.get("initial-instance") for d in datasets} == {"2026-10-31T02:00Z"}
    controls = root.find("{*}controls")
    assert (controls.find("{*}timeout").text, controls.find("{*}concurrency").text) == ("720", "1")
    sla = root.find("{*}action/{uri:oozie:sla:0.2}info")
    assert sla.find("{uri:oozie:sla:0.2}alert-contact").text == "dataops@example.com"


def test_job_properties_per_environment():
    conf = config("cdh")
    text = app.job_properties(conf, "production")
    values = properties_values(text)
    assert values["jobTracker"] == "yarnrm:8032" and "resourceManager" not in values
    assert values["oozie.coord.application.path"] == "${appPath}/coordinator.xml"
    assert values["rawRoot"] == "hdfs:///data/cdr/raw"
    assert app.job_properties(config("current"), "staging").count("queueName=default") == 1


# --------------------------------------------------------------------------------------------
# The validator rejects what Oozie would
# --------------------------------------------------------------------------------------------
def test_elements_out_of_order_are_rejected(validators):
    text = app.workflow(config("current"))
    broken = re.sub(r'(<ok to="cleanse"/>)(\s*)(<error to="failure-alert"/>)', r"\3\2\1", text, count=1)
    assert broken != text
    problems = validators["current"].errors("workflow", broken)
    assert problems and any("error" in p for p in problems), problems
    with pytest.raises(SchemaError, match="workflow.xml does not validate"):
        validators["current"].check("workflow", broken, "workflow.xml")


def test_a_spark_action_is_checked_against_its_own_schema(validators):
    # workflow 1.0 admits other namespaces through a strict xs:any: the Spark schema decides
    text = app.workflow(config("current"))
    broken = text.replace("<master>yarn</master>\n      <mode>cluster</mode>",
                          "<mode>cluster</mode>\n      <master>yarn</master>", 1)
    assert broken != text
    assert validators["current"].errors("workflow", broken)
    unknown = text.replace("<mode>cluster</mode>", "<deploy-mode>cluster</deploy-mode>", 1)
    assert validators["current"].errors("workflow", unknown)


def test_a_file_of_one_target_does_not_pass_as_the_other(validators):
    assert validators["cdh"].errors("workflow", app.workflow(config("current")))
    assert validators["current"].errors("workflow", app.workflow(config("cdh")))


def test_the_command_writes_validated_files(tmp_path):
    written = build(str(CLUSTER_CONF), tmp_path, JAR)
    assert sorted(p.name for p in written) == ["coordinator.xml", "job-production.properties",
                                               "job-staging.properties", "workflow.xml"]
    assert all(Path(p).read_text().strip() for p in written)
