"""Cleansing of raw call records: typed, normalised, validated Column expressions and steps.

Conventions (every module of this package follows them):

- A *Column function* (``msisdn_to_e164(raw, "33")``) takes Columns and settings and returns a
  Column: the clean value, or null when the raw value cannot be cleansed. Never raises per row,
  never a Python UDF.
- A *step* (``cleanse_msisdn("calling_number", "calling_e164", country_code="33")``) is curried:
  called with its settings it returns a ``DataFrame -> DataFrame`` for ``df.transform``. It adds
  the clean column and, when a raw value was present but could not be cleansed, appends a reason
  code to the row's ``quarantine_reasons`` (``reasons.flag``). It never drops a row.
- ``reasons.split_valid_quarantined`` splits a DataFrame into valid rows and quarantined rows
  (with their reasons) at the end of a chain.
"""
