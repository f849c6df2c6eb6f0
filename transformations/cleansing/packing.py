"""Columns riding packed: the columns a run of steps does not read, carried as one struct.

Without whole-stage code generation (cleansing runs without it, see ``jobs/cleanse.py``), every
projection, window and sort copies each column of each row on its own. A struct column is copied as
one block of bytes: the columns a chain of operators only carries cost one copy each time instead
of one per column.
"""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def named(name: str) -> Column:
    """The column called ``name``, whatever characters it holds (``F.col("a.b")`` is field b of a).

    Parameters
    ----------
    name
        The column's name.

    Returns
    -------
    Column
    """
    return F.col("`" + name.replace("`", "``") + "`")


def pack_columns(columns: Sequence[str], into: str):
    """Curried step replacing ``columns`` by one struct column ``into`` (their names and values).

    Parameters
    ----------
    columns
        Columns of the input to pack; the others stay as they are, in their order, before ``into``.
    into
        Name of the struct column; none of the input's columns.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        The identity when ``columns`` is empty. :func:`unpack_columns` puts them back.
    """
    columns = list(columns)

    def step(df: DataFrame) -> DataFrame:
        if not columns:
            return df
        if into in df.columns:
            raise ValueError(f"pack_columns: the input already has a column {into!r}")
        kept = [named(c) for c in df.columns if c not in columns]
        return df.select(*kept, F.struct(*[named(c) for c in columns]).alias(into))
    return step


def unpack_columns(into: str, order: Sequence[str]):
    """Curried step replacing the struct column ``into`` by its fields, as top-level columns.

    Parameters
    ----------
    into
        The struct column written by :func:`pack_columns`; without it, the step is the identity.
    order
        The columns' order to give back (the input's columns before packing): the fields of
        ``into`` and the other columns in this order, then the columns it does not name (added
        since), in their order. Names in ``order`` that are in neither are left out.

    Returns
    -------
    Callable[[DataFrame], DataFrame]

    Raises
    ------
    ValueError
        When a field of ``into`` is also a top-level column (one would hide the other).
    """
    order = list(order)

    def step(df: DataFrame) -> DataFrame:
        if into not in df.columns:
            return df
        fields = set(df.schema[into].dataType.fieldNames())
        present = set(df.columns)
        if fields & present:
            raise ValueError(f"unpack_columns: {sorted(fields & present)} both packed in {into!r} and top-level")
        known = [F.col(into).getField(c).alias(c) if c in fields else named(c)
                 for c in order if c in fields or (c in present and c != into)]
        added = [named(c) for c in df.columns if c not in order and c != into]
        return df.select(*known, *added)
    return step
