"""Free-text and categorical fields: tokens to null, required values, allowed sets."""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import computed_once, flag, flag_missing
from transformations.cleansing.text import DEFAULT_NULL_TOKENS, null_if_token


def cleanse_string(raw: str, target: str, required: bool = False, tokens: Sequence[str] = DEFAULT_NULL_TOKENS):
    """Curried step: ``target`` = the trimmed text of ``raw``, null for a null token.

    Reasons: ``<target>_missing`` when ``required`` and the value is null or a token.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    text = f"__{target}_text"

    def step(df: DataFrame) -> DataFrame:
        return df.withColumn(target, F.col(text)).transform(flag_missing(F.col(target), target, required))
    return computed_once([{text: null_if_token(F.col(raw), tokens)}], step)


def cleanse_enum(raw: str, target: str, allowed: Sequence[str], required: bool = False,
                 tokens: Sequence[str] = DEFAULT_NULL_TOKENS):
    """Curried step: ``target`` = the value of ``raw`` when it is one of ``allowed`` (compared
    case-insensitively, written as in ``allowed``), else null.

    Reasons: ``<target>_missing`` (required, null or token), ``<target>_invalid`` (a value
    outside ``allowed``).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    canonical = F.create_map(*[x for value in allowed for x in (F.lit(value.upper()), F.lit(value))])

    names = [f"__{target}_{part}" for part in ("text", "canonical")]
    present, value = (F.col(name) for name in names)

    def step(df: DataFrame) -> DataFrame:
        out = df.withColumn(target, value)
        out = out.transform(flag(present.isNotNull() & value.isNull(), f"{target}_invalid"))
        return out.transform(flag_missing(present, target, required))
    return computed_once([{names[0]: null_if_token(F.col(raw), tokens)},
                          {names[1]: F.try_element_at(canonical, F.upper(present))}], step)
