"""Deterministic randomness as Column expressions: the same seed and key give the same draw on
any cluster, any partitioning, any rerun.

Draws hash the seed, a salt naming the draw and the row's key columns with ``xxhash64``; no
``rand()`` (whose stream depends on partitioning) and no Python.
"""
from __future__ import annotations

import math
from typing import Sequence, Tuple, Union

from pyspark.sql import Column
from pyspark.sql import functions as F

_MANTISSA = (1 << 53) - 1
Scalar = Union[str, int, float, bool, None]


def uniform(seed: int, salt: str, *keys: Column) -> Column:
    """A uniform draw in ``[0, 1)`` keyed by ``seed``, ``salt`` and ``keys``.

    Parameters
    ----------
    seed
        Generator seed.
    salt
        Names the draw, so two draws on the same key are independent.
    *keys
        Columns identifying the row (e.g. the record id).

    Returns
    -------
    Column
        Double in ``[0, 1)``.
    """
    hashed = F.xxhash64(F.lit(seed), F.lit(salt), *keys)
    return hashed.bitwiseAND(F.lit(_MANTISSA)) / float(1 << 53)


def normal(seed: int, salt: str, *keys: Column) -> Column:
    """A standard normal draw (Box-Muller on two keyed uniforms)."""
    u1 = F.lit(1.0) - uniform(seed, salt + ":n1", *keys)  # (0, 1]: log is finite
    u2 = uniform(seed, salt + ":n2", *keys)
    return F.sqrt(F.lit(-2.0) * F.log(u1)) * F.cos(F.lit(2.0 * math.pi) * u2)


def exponential(seed: int, salt: str, *keys: Column) -> Column:
    """An exponential draw of mean 1."""
    return -F.log(F.lit(1.0) - uniform(seed, salt, *keys))


def uniform_int(seed: int, salt: str, upper: Union[int, Column], *keys: Column) -> Column:
    """A whole number in ``[0, upper)``."""
    bound = upper if isinstance(upper, Column) else F.lit(upper)
    return F.floor(uniform(seed, salt, *keys) * bound).cast("long")


def pick(u: Column, choices: Sequence[Tuple[Scalar, float]]) -> Column:
    """Map a uniform draw to one of ``choices`` with the given weights (a CASE WHEN chain).

    Parameters
    ----------
    u
        Uniform draw in ``[0, 1)``.
    choices
        ``(value, weight)`` pairs; weights need not sum to one.
    """
    total = float(sum(weight for _, weight in choices))
    expression, cumulative = None, 0.0
    for value, weight in choices[:-1]:
        cumulative += weight / total
        expression = (F.when(u < cumulative, F.lit(value)) if expression is None
                      else expression.when(u < cumulative, F.lit(value)))
    last = F.lit(choices[-1][0])
    return last if expression is None else expression.otherwise(last)


def pick_column(u: Column, choices: Sequence[Tuple[Column, float]]) -> Column:
    """Like :func:`pick`, choosing among Column expressions."""
    total = float(sum(weight for _, weight in choices))
    expression, cumulative = None, 0.0
    for value, weight in choices[:-1]:
        cumulative += weight / total
        expression = F.when(u < cumulative, value) if expression is None else expression.when(u < cumulative, value)
    return choices[-1][0] if expression is None else expression.otherwise(choices[-1][0])


def with_uniforms(seed: int, names, *keys: Column, prefix: str = "u_"):
    """Curried step adding one uniform draw column per name (``u_<name>``), keyed by ``keys``.

    Materialising draws as columns keeps generated code small: a draw used in several branches
    of a CASE WHEN is hashed once per row instead of once per branch.
    """
    def step(df):
        return df.withColumns({f"{prefix}{name}": uniform(seed, name, *keys) for name in names})
    return step
