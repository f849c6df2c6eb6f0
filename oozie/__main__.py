"""The Oozie application of the daily chain.

    python -m oozie xml --conf conf/cluster.yaml --out build/oozie [--validate JAR] [--set KEY=VALUE ...]
    python -m oozie bundle --conf conf/cluster.yaml --out build/bundle --egg E --wheel W --jars .jars/jars.txt \\
        [--validate JAR] [--set KEY=VALUE ...]

``xml`` writes the workflow, the coordinator and one ``job-<environment>.properties`` per
environment; ``bundle`` builds the deployable directory and tarball (:mod:`oozie.bundle`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobs.runtime.config import ConfigError, load_config
from oozie import app
from oozie.schemas import SchemaError, Validator


def build(conf: str, out: Path, jar: Path = None, overrides=()) -> list:
    """Write the files into ``out`` (validated first when ``jar`` is given); return their paths."""
    config = load_config(conf, list(overrides))
    files = {"workflow.xml": app.workflow(config), "coordinator.xml": app.coordinator(config)}
    files.update({f"job-{env}.properties": app.job_properties(config, env) for env in config.oozie.environments})
    if jar is not None:
        validator = Validator(jar, config.oozie.schemas)
        for name, kind in (("workflow.xml", "workflow"), ("coordinator.xml", "coordinator")):
            validator.check(kind, files[name], name)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oozie", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("xml", "bundle"):
        command = commands.add_parser(name)
        command.add_argument("--conf", required=True, help="environment file with the oozie section")
        command.add_argument("--out", required=True, type=Path, help="directory to write into")
        command.add_argument("--validate", type=Path, metavar="JAR", help="oozie-client jar: validate against its XSDs")
        command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                             help="override a conf setting, e.g. oozie.packaging=environment")
        if name == "bundle":
            command.add_argument("--egg", required=True, type=Path)
            command.add_argument("--wheel", required=True, type=Path)
            command.add_argument("--jars", required=True, type=Path, help="the jar list of make jars (.jars/jars.txt)")
    args = parser.parse_args(argv)
    try:
        if args.command == "xml":
            for path in build(args.conf, args.out, args.validate, args.overrides):
                print(path)
        else:
            from oozie.bundle import assemble
            print(assemble(args.conf, args.out, args.egg, args.wheel, args.jars, args.validate, args.overrides))
    except (ConfigError, SchemaError, FileNotFoundError) as error:
        print(f"python -m oozie: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
