"""``python -m oozie --conf conf/cluster.yaml --out build/oozie [--validate JAR]``: write the daily
chain's workflow, coordinator and one ``job-<environment>.properties`` per environment."""
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
    parser = argparse.ArgumentParser(prog="python -m oozie", description=__doc__)
    parser.add_argument("--conf", required=True, help="environment file with the oozie section, e.g. conf/cluster.yaml")
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    parser.add_argument("--validate", type=Path, metavar="JAR", help="oozie-client jar whose XSDs validate the files")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE")
    args = parser.parse_args(argv)
    try:
        for path in build(args.conf, args.out, args.validate, args.overrides):
            print(path)
    except (ConfigError, SchemaError, FileNotFoundError) as error:
        print(f"python -m oozie: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
