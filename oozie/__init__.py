"""The Oozie application of the daily chain, generated from the stage registry (:mod:`oozie.registry`)
and from conf (the ``oozie`` section): workflow, coordinator and ``job.properties`` per environment,
for the current Oozie schemas or those older CDH clusters run. ``python -m oozie --help``.

Build-time tooling: not part of the egg or the wheel that the jobs run from.
"""
