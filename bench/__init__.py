"""Benchmarks: ``make bench`` (``python -m bench``) prints one table of figures.

Each capability registers one module in ``bench.__main__.BENCHMARKS``. Every benchmark measures
its subject side by side, in the same run and session, with a reference doing comparable bare
Spark work, and reports the ratio: these machines are noisy, ratios less so.
"""
