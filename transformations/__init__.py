"""Pure ``DataFrame -> DataFrame`` steps and Column functions for call records.

Nothing in this package reads, writes, triggers an action or creates a SparkSession.
"""
