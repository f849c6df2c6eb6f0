"""Delta Lake's JVM jars: resolved from Maven Central once, cached in the project, passed by path.

``python -m jobs.runtime.jars fetch`` resolves ``io.delta:delta-spark_<spark major.minor>_2.13``
at the installed delta-spark version, with its runtime dependencies, through Maven. Artifacts
that pyspark already ships (Scala, Hadoop client, Parquet, Jackson, ...) are left out so that the
cluster's own Spark classes are the only ones on the classpath. The result is a flat directory of
jars plus ``jars.txt`` (one absolute path a line): after this step a job needs no network, and the
same directory can be copied to an air-gapped cluster (the bundle's ``lib/``).

The step also writes ``spark-defaults.conf`` into the local Spark installation's ``conf/`` (the
pip-installed pyspark in the project's virtual environment), so that a bare
``spark-submit jobs/<job>.py`` on this machine finds Delta, exactly as a cluster's
``spark-defaults.conf`` would provide it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import List

SCALA_BINARY = "2.13"
DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
MANIFEST = "jars.txt"

# Artifacts whose classes pyspark ships under another artifact name.
PROVIDED_UNDER_OTHER_NAMES = {
    "commons-logging",  # pyspark ships jcl-over-slf4j (same packages)
    "shims",            # RoaringBitmap's shims are inside RoaringBitmap 1.x, which pyspark ships
}

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>cdr-pipelines</groupId><artifactId>delta-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.delta</groupId><artifactId>{artifact}</artifactId><version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


def delta_artifact() -> str:
    """Maven coordinates of the Delta jar matching the installed pyspark and delta-spark.

    Returns
    -------
    str
        ``groupId:artifactId:version``, e.g. ``io.delta:delta-spark_4.2_2.13:4.4.0``.
    """
    spark_minor = ".".join(metadata.version("pyspark").split(".")[:2])
    return f"io.delta:delta-spark_{spark_minor}_{SCALA_BINARY}:{metadata.version('delta-spark')}"


def spark_home() -> Path:
    """The pip-installed Spark (the ``pyspark`` package directory)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def read_manifest(jars_dir: str) -> List[str]:
    """Absolute paths of the cached jars, in a stable order.

    Raises
    ------
    FileNotFoundError
        When the jars were never fetched into ``jars_dir``.
    """
    manifest = Path(jars_dir) / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(
            f"Delta jars not found in {jars_dir} (run `make jars` or "
            f"`python -m jobs.runtime.jars fetch --dest {jars_dir}`)")
    paths = [line.strip() for line in manifest.read_text().splitlines() if line.strip()]
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"Delta jar listed in {manifest} is missing: {missing[0]}")
    return paths


def fetch(dest: str, quiet: bool = True) -> List[str]:
    """Resolve Delta's jars with Maven into ``dest`` (idempotent: a complete cache is kept).

    Parameters
    ----------
    dest
        Cache directory, e.g. ``.jars``.
    quiet
        Pass ``-q`` to Maven.

    Returns
    -------
    list of str
        Absolute paths of the jars, as written to ``dest/jars.txt``.
    """
    dest_path = Path(dest).resolve()
    group, artifact, version = delta_artifact().split(":")
    stamp = dest_path / "artifact.txt"
    if stamp.is_file() and stamp.read_text().strip() == delta_artifact():
        try:
            return read_manifest(str(dest_path))
        except FileNotFoundError:
            pass
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed once to fetch Delta's jars; install it (apt-get install maven)")
    shipped = {_artifact_id(j.name) for j in (spark_home() / "jars").glob("*.jar")}
    with tempfile.TemporaryDirectory() as work:
        Path(work, "pom.xml").write_text(_POM.format(artifact=artifact, version=version))
        command = ["mvn", "-B", "-Dstyle.color=never", "dependency:copy-dependencies", "-DincludeScope=runtime",
                   f"-DoutputDirectory={work}/jars"] + (["-q"] if quiet else [])
        subprocess.run(command, cwd=work, check=True)
        resolved = sorted(Path(work, "jars").glob("*.jar"))
        if dest_path.exists():
            shutil.rmtree(dest_path)
        dest_path.mkdir(parents=True)
        kept = []
        for jar in resolved:
            name = _artifact_id(jar.name)
            if name in shipped or name in PROVIDED_UNDER_OTHER_NAMES:
                continue
            shutil.copy2(jar, dest_path / jar.name)
            kept.append(str(dest_path / jar.name))
    (dest_path / MANIFEST).write_text("\n".join(kept) + "\n")
    stamp.write_text(delta_artifact() + "\n")
    return kept


def install_spark_defaults(jar_paths: List[str]) -> Path:
    """Write the local Spark installation's ``conf/spark-defaults.conf`` enabling Delta.

    Only this project's virtual environment is touched (its pip-installed pyspark).
    """
    conf_dir = spark_home() / "conf"
    conf_dir.mkdir(exist_ok=True)
    target = conf_dir / "spark-defaults.conf"
    target.write_text(
        "# Written by `python -m jobs.runtime.jars fetch` (cdr-pipelines): Delta Lake for spark-submit.\n"
        f"spark.jars {','.join(jar_paths)}\n"
        f"spark.sql.extensions {DELTA_EXTENSION}\n"
        f"spark.sql.catalog.spark_catalog {DELTA_CATALOG}\n")
    return target


def _artifact_id(jar_name: str) -> str:
    """``delta-storage-4.4.0.jar`` -> ``delta-storage``; ``jackson-core-2.21.2.jar`` -> ``jackson-core``."""
    stem = jar_name[:-4]
    parts = stem.split("-")
    for i in range(1, len(parts)):
        if parts[i][:1].isdigit():
            return "-".join(parts[:i])
    return stem


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.runtime.jars", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["fetch", "path"], help="fetch the jars, or print their paths")
    parser.add_argument("--dest", default=os.environ.get("CDR_JARS_DIR", ".jars"))
    parser.add_argument("--no-spark-defaults", action="store_true",
                        help="do not write the local Spark installation's spark-defaults.conf")
    args = parser.parse_args(argv)
    if args.action == "path":
        print(",".join(read_manifest(args.dest)))
        return 0
    jars = fetch(args.dest)
    print(f"{len(jars)} jars for {delta_artifact()} in {Path(args.dest).resolve()}")
    if not args.no_spark_defaults:
        print(f"spark-submit defaults: {install_spark_defaults(jars)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
