"""A spark-submit entry point for the packaging tests: proves where executors import the project
from. It follows the job contract and prints one ``PROBE {json}`` line:

- ``driver``: the file ``transformations`` was imported from in the driver;
- ``executors``: (file, pid) as seen by the Python workers, one per partition.
"""
import json
import os
import sys

from jobs.runtime.job import JobResult, run_job


def where_imported(_):
    import jobs.runtime.config  # noqa: F401 - the job runtime too, not just one package
    import transformations.synthetic.identifiers as identifiers

    yield identifiers.__file__, os.getpid()


def probe(ctx):
    rows = ctx.spark.sparkContext.parallelize(range(4), 4).mapPartitions(where_imported).collect()
    import transformations

    print("PROBE " + json.dumps({"driver": transformations.__file__, "driver_pid": os.getpid(),
                                 "master": ctx.spark.sparkContext.master,
                                 "executors": rows}), flush=True)
    return JobResult(rows_in=4, rows_out=len(rows))


if __name__ == "__main__":
    sys.exit(run_job("executor-probe", probe))
