"""The Jenkinsfile parses as Groovy, runs only commands this checkout has, and its test stages
together run every test exactly once.

Jenkins itself cannot run here (it is not on Maven Central); Groovy's own parser, from Maven
Central, checks the syntax, and these tests check what the stages call.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

JENKINSFILE = PROJECT_ROOT / "Jenkinsfile"
GROOVY_JAR = PROJECT_ROOT / ".jars" / "groovy" / "groovy-4.0.33.jar"
PARSE = """
def unit = new org.codehaus.groovy.control.CompilationUnit()
unit.addSource(new File(args[0]))
unit.compile(org.codehaus.groovy.control.Phases.CONVERSION)
"""


def groovy_parse(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    if not GROOVY_JAR.is_file():
        pytest.fail(f"{GROOVY_JAR} is missing: `make jars` fetches it from Maven Central")
    script = tmp_path / "parse.groovy"
    script.write_text(PARSE)
    return subprocess.run([shutil.which("java") or "java", "-cp", str(GROOVY_JAR), "groovy.ui.GroovyMain", str(script),
                           str(path)], capture_output=True, text=True, timeout=120)


def test_the_jenkinsfile_is_valid_groovy_and_a_broken_one_is_not(tmp_path):
    parsed = groovy_parse(JENKINSFILE, tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    broken = tmp_path / "Jenkinsfile"
    broken.write_text(JENKINSFILE.read_text().replace("stages {", "stages {{", 1))
    rejected = groovy_parse(broken, tmp_path)
    assert rejected.returncode != 0 and "Unexpected input" in rejected.stderr


def stage_commands() -> dict:
    """Stage name -> the shell commands of its ``sh`` steps."""
    text = JENKINSFILE.read_text()
    stages = {}
    for match in re.finditer(r"stage\('([^']+)'\)\s*\{(.*?)\n        \}", text, re.S):
        steps = re.findall(r"sh\s+(?:'''(.*?)'''|'([^']*)')", match.group(2), re.S)
        stages[match.group(1)] = [" ".join((a or b).replace("\\\n", " ").split()) for a, b in steps]
    return stages


def test_the_stages_lint_test_package_integrate_and_bundle_in_order():
    assert list(stage_commands()) == ["Setup", "Lint", "Unit tests", "Package", "Integration tests",
                                      "Cluster integration", "Bundle"]
    text = JENKINSFILE.read_text()
    assert "junit testResults: 'test-results/junit-*.xml'" in text
    assert "recordCoverage" in text and "--cov-report=xml:test-results/coverage.xml" in text
    assert "archiveArtifacts artifacts: 'build/bundle/*-oozie.tar.gz" in text


def test_every_make_target_the_stages_call_exists():
    targets = set(re.findall(r"^([a-z][\w-]*):", (PROJECT_ROOT / "Makefile").read_text(), re.M))
    called = {re.match(r"make (\S+)", c).group(1) for cs in stage_commands().values() for c in cs}
    assert called == {"setup", "lint", "test", "package", "bundle"}
    assert called <= targets, called - targets


def collected(marker_expression: str = None) -> set:
    args = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    args += ["-m", marker_expression] if marker_expression else []
    run = subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return {line for line in run.stdout.splitlines() if "::" in line}


@pytest.mark.slow
def test_the_test_stages_together_run_every_test_once():
    selections = [re.search(r"-m '([^']+)'|-m (\S+)", c) for cs in stage_commands().values() for c in cs]
    expressions = [m.group(1) or m.group(2) for m in selections if m]
    assert expressions == ["not slow and not cluster", "slow and not cluster", "cluster"]
    parts = [collected(e) for e in expressions]
    everything = collected()
    assert all(parts) and sum(len(p) for p in parts) == len(everything)
    assert set().union(*parts) == everything
