"""Reports of a run (JSON, HTML) under ``paths.reports``, through Hadoop's file system API so the
same code writes to a local directory or HDFS."""
from __future__ import annotations

from jobs.runtime.job import JobContext


def report_path(ctx: JobContext, job: str, suffix: str) -> str:
    """``<paths.reports>/<job>/<run date><suffix>``."""
    return f"{ctx.config.resolve(ctx.config.paths.reports)}/{job}/{ctx.run_date.isoformat()}{suffix}"


def write_json_report(ctx: JobContext, job: str, text: str, suffix: str = ".json") -> str:
    """Write (replace) a run's report and return its path."""
    return write_text(ctx.spark, report_path(ctx, job, suffix), text)


def _file_system(spark, path: str):
    """(Hadoop file system, Hadoop path) of ``path``."""
    hpath = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(path)
    return hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hpath


def write_text(spark, path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path``, replacing it; parent directories are created."""
    fs, hpath = _file_system(spark, path)
    stream = fs.create(hpath, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    return path


def delete_path(spark, path: str) -> bool:
    """Delete the file at ``path`` if it exists; True when there was one."""
    fs, hpath = _file_system(spark, path)
    return bool(fs.delete(hpath, False))
