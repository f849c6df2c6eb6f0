# cdr-pipelines: every command a newcomer needs. Nothing is installed by hand: `make setup` (a
# dependency of everything else) creates .venv with the pinned packages and fetches Delta's jars.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SPARK_SUBMIT := $(VENV)/bin/spark-submit
CONF ?= conf/local.yaml
RUN_DATE ?= 2026-11-21
PYTEST_ARGS ?=
export PYTHONPATH := $(CURDIR)
# spark-submit finds its Spark (the venv's pyspark) through the venv's python.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYSPARK_PYTHON := $(CURDIR)/$(PY)
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' jobs/__init__.py)
# Driver JVM options and memory must be given to spark-submit itself: the driver JVM is running
# before conf is read (see docs/generator-model.md). In local mode the driver is the executor too.
SUBMIT_OPTS ?= --driver-memory 6g --driver-java-options -XX:-DontCompileHugeMethods
EGG = dist/cdr_pipelines-$(VERSION)-py3.11.egg
WHEEL = dist/cdr_pipelines-$(VERSION)-py3-none-any.whl

.PHONY: setup system-deps jars demo test lint package bench oozie bundle clean help
help:
	@echo "make demo     generate one day of operator data and run every pipeline stage on it (local)"
	@echo "make test     run the test suite (PYTEST_ARGS=\"-m cluster\": only the standalone-cluster tests)"
	@echo "make lint     flake8"
	@echo "make package  build the egg and the wheel into dist/"
	@echo "make bench    print the benchmarks' figures"
	@echo "make oozie    generate and validate the Oozie workflow, coordinator and job.properties (build/oozie)"
	@echo "make bundle   the deployable Oozie application and its tarball (build/bundle)"

# Java 17 and Maven (Spark, Delta's jars; javac compiles the Hadoop minicluster's launcher); Chromium
# renders the check's HTML report in its test; iproute2's `ip` sets up the cluster tests' network
# namespace.
system-deps:
	@command -v java >/dev/null && command -v javac >/dev/null && command -v mvn >/dev/null \
	  && command -v chromium >/dev/null \
	  && command -v ip >/dev/null || { \
	  echo "installing Java 17, Maven, Chromium and iproute2 (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven \
	    chromium fonts-dejavu-core iproute2 >/dev/null; }

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

.jars/jars.txt: $(VENV)/.installed
	$(PY) -m jobs.runtime.jars fetch --dest .jars

# Oozie's official XSDs, inside its client jar: the tests validate the generated XML against them.
OOZIE_JAR := .jars/oozie/oozie-client-5.2.1.jar
$(OOZIE_JAR):
	mvn -q dependency:copy -Dartifact=org.apache.oozie:oozie-client:5.2.1 -DoutputDirectory=.jars/oozie

# A Groovy parser for the Jenkinsfile's syntax test (Jenkins itself is not on Maven Central).
GROOVY_JAR := .jars/groovy/groovy-4.0.33.jar
$(GROOVY_JAR):
	mvn -q dependency:copy -Dartifact=org.apache.groovy:groovy:4.0.33 -DoutputDirectory=.jars/groovy

jars: .jars/jars.txt $(OOZIE_JAR) $(GROOVY_JAR)

setup: system-deps $(VENV)/.installed .jars/jars.txt $(OOZIE_JAR) $(GROOVY_JAR)

package: setup
	rm -rf build dist *.egg-info
	$(PY) setup.py -q bdist_egg >/dev/null 2>build.log || { cat build.log; exit 1; }
	$(PY) -m build --wheel --no-isolation --outdir dist . >/dev/null 2>>build.log || { cat build.log; exit 1; }
	rm -rf build *.egg-info build.log
	@ls -1 dist/

# The demo runs the jobs as production does: spark-submit with the egg, the checkout off the path.
# Each stage prints what it wrote and where; cleanse prints the quarantine counts per reason;
# check prints the outcome of every failing rule and where its HTML report is.
DEMO_STAGES := generate ingest cleanse check
demo: package
	@set -e; for stage in $(DEMO_STAGES); do \
	  echo "== $$stage"; \
	  env -u PYTHONPATH $(SPARK_SUBMIT) $(SUBMIT_OPTS) --py-files $(EGG) jobs/$$stage.py --conf $(CONF) --run-date $(RUN_DATE); \
	done

# The test files run in two processes, one per core (pytest-xdist): a file's tests stay in one
# process, which computes the file's fixtures once. They are handed out in collection order, so the
# longest, tests/cluster's (three tests, a third of the suite's time), starts first instead of last
# (xdist's default puts the files with the most tests first). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: setup
	$(PY) -m flake8

bench: package
	$(PY) -m bench

oozie: setup
	$(PY) -m oozie xml --conf conf/cluster.yaml --out build/oozie --validate $(OOZIE_JAR)

# The deployable Oozie application: build/bundle/cdr-pipelines-<version>/ and its tarball.
bundle: package
	$(PY) -m oozie bundle --conf conf/cluster.yaml --out build/bundle --egg $(EGG) --wheel $(WHEEL) \
	  --jars .jars/jars.txt --validate $(OOZIE_JAR)

clean:
	rm -rf build dist *.egg-info data spark-warehouse test-results
