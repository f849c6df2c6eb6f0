"""cdr-pipelines spark-submit jobs: one module per entry point, thin; runtime in ``jobs.runtime``."""

__version__ = "0.1.0"
