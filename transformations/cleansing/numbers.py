"""Numbers and booleans written as text: separators, decimal comma, sentinels, ranges, and the steps
typing a raw column and flagging why a value was rejected."""
from __future__ import annotations

import sys
from functools import reduce
from operator import or_
from typing import Optional, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import computed_once, flag, flag_missing
from transformations.cleansing.text import BLANK, DEFAULT_NULL_TOKENS, ends_between, null_if_token, trimmed

TRUE_SPELLINGS = ("y", "yes", "1", "true", "t", "oui", "o", "vrai")
FALSE_SPELLINGS = ("n", "no", "0", "false", "f", "non", "faux")

# Blanks and ASCII control characters at the ends (Spark's casts drop those too: "-999\x00" is
# -999 whichever parser reads it), and thousands separators: a blank (NBSP, narrow NBSP...) or an
# apostrophe (1'234) between a digit and a group of exactly three digits. Anywhere else ("2'30",
# "12 5") they stay, and the text does not parse: a separator that groups nothing is not silently dropped.
_END = r"[\s\p{Z}\uFEFF\x00-\x1f\x7f]"
_GROUPING = rf"^{_END}+|{_END}+$|(?<=\d)(?:{BLANK}|['\u2019])(?=\d{{3}}(?!\d))"
# Shapes of the text once they are gone, tried in this order.
_PLAIN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"       # 12, 12.5, -.5, 1.234 (one '.'), 1e3
_DECIMAL_COMMA = r"^[+-]?\d*,\d+([eE][+-]?\d+)?$"          # 12,5 and 1,234 (European: 1.234), 1,5E-03
# (an exponent only after a decimal part: "1.500E3" is no reading, not 1500E3)
_DOT_GROUPS = r"^[+-]?\d{1,3}(\.\d{3})+(,\d+([eE][+-]?\d+)?)?$"     # 1.234.567, 1.234,5, 1.234,5E3
_COMMA_GROUPS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+([eE][+-]?\d+)?)?$"   # 1,234,567, 1,234.5
_INTEGER = r"^[+-]?\d+$"
_INTEGER_OR_EXPONENT = r"^[+-]?\d+([eE][+-]?\d+)?$"       # _PLAIN without a '.' (decimal comma declared)


DECIMAL_SEPARATORS = (".", ",")


def check_decimal_separator(decimal_separator: Optional[str]) -> None:
    """Refuse a decimal separator other than those of :data:`DECIMAL_SEPARATORS` or ``None``.

    Parameters
    ----------
    decimal_separator
        ``'.'``, ``','`` or ``None`` (either, guessed per value).

    Raises
    ------
    ValueError
        For any other value.
    """
    if decimal_separator is not None and decimal_separator not in DECIMAL_SEPARATORS:
        raise ValueError(f"decimal_separator must be '.', ',' or None (either), not {decimal_separator!r}")


def normalised_number_text(column: Column, decimal_separator: Optional[str] = None) -> Column:
    """Rewrite a number written by people into the text Spark casts (``1234.5``).

    Blanks (incl. NBSP U+00A0, narrow NBSP U+202F) and apostrophes between a digit and a group of
    three digits are thousands separators and removed (``"1 234"``, ``"1'234'567"``); elsewhere
    they stay and the text fails to parse (``"2'30"``, ``"12 5"``). Blanks and ASCII control
    characters at the ends go (``"-999\\x00"`` is -999, as Spark's cast reads it). An exponent
    may follow a decimal comma (``"1,5E-03"``). A leading '+' or '-' is kept. Then, with ``decimal_separator``:

    - None (either, guessed per value): one '.' is the decimal point (``"1.234"`` is 1.234); one
      ',' and no '.' is a decimal comma (``"12,5"`` is 12.5, ``"1,234"`` is 1.234: European
      reading); '.' groups of three digits, optionally followed by a decimal comma, are thousands
      (``"1.234.567"``, ``"1.234,5"``); ',' groups of three, optionally followed by a decimal
      point, likewise (``"1,234,567"``, ``"1,234.5"``);
    - ``"."``: ',' only separates thousands (``"1,234"`` is 1234, ``"12,5"`` fails);
    - ``","``: '.' only separates thousands (``"1.234"`` is 1234, ``"12.5"`` fails).

    Any other text (``"1.2,5"``, ``"1,2,3"``, ``"12abc"``) gives null.

    Parameters
    ----------
    column
        String Column.
    decimal_separator
        The feed's decimal separator, when it declares one: a feed whose ``"1,234"`` means a
        thousand and more must, as the guess reads it as 1.234.

    Returns
    -------
    Column
        String Column; null for null and for a text with no reading.
    """
    check_decimal_separator(decimal_separator)
    text = F.regexp_replace(column, _GROUPING, "")
    point, comma = decimal_separator in (None, "."), decimal_separator in (None, ",")
    readings = [(_PLAIN if point else _INTEGER_OR_EXPONENT, text)]
    if comma:
        readings += [(_DECIMAL_COMMA, F.translate(text, ",", ".")),
                     (_DOT_GROUPS, F.translate(text, ",.", "."))]   # ',' -> '.', '.' dropped
    if point:
        readings += [(_COMMA_GROUPS, F.translate(text, ",", ""))]
    (pattern, reading), *others = readings
    result = F.when(text.rlike(pattern), reading)
    for pattern, reading in others:
        result = result.when(text.rlike(pattern), reading)
    return result


def _integral(column: Column, type_name: str, decimal_separator: Optional[str]) -> Column:
    # Fast path: plain digits (optional sign) cast directly, without regular expressions; only the
    # other texts (separators, decimal comma...) are normalised first. A failed integer cast costs
    # an exception inside Spark (~20x a successful one), so texts with a '.' skip it.
    text = normalised_number_text(column, decimal_separator)
    return F.coalesce(F.when(~column.contains("."), column.try_cast(type_name)),
                      F.when(text.rlike(_INTEGER), text.try_cast(type_name)))


def to_long(column: Column, decimal_separator: Optional[str] = None) -> Column:
    """Parse an integer written as text into a long.

    Parameters
    ----------
    column
        String Column (apply :func:`~transformations.cleansing.text.null_if_token` first).
    decimal_separator
        See :func:`normalised_number_text`.

    Returns
    -------
    Column
        Long, or null when unparseable: ``"12abc"``, ``"1.5"`` (never truncated), ``"1e3"``,
        beyond the long range.
    """
    return _integral(column, "bigint", decimal_separator)


def to_int(column: Column, decimal_separator: Optional[str] = None) -> Column:
    """Parse an integer written as text into an int; like :func:`to_long` with the int range.

    Parameters
    ----------
    column
        String Column.
    decimal_separator
        See :func:`normalised_number_text`.

    Returns
    -------
    Column
        Int, or null when unparseable or beyond the int range.
    """
    return _integral(column, "int", decimal_separator)


def to_double(column: Column, decimal_separator: Optional[str] = None) -> Column:
    """Parse a decimal number written as text (see :func:`normalised_number_text`) into a double.

    Parameters
    ----------
    column
        String Column.
    decimal_separator
        See :func:`normalised_number_text`.

    Returns
    -------
    Column
        Double, or null when unparseable: ``"12abc"``, ``"NaN"``, ``"Infinity"``, ``"12d"`` (a
        Java literal suffix), or beyond the double range (``"1e400"``).
    """
    text = normalised_number_text(column, decimal_separator)
    # Fast path: a text ending in an ASCII digit, without hexadecimal, is cast directly (the cast
    # takes what _PLAIN takes, plus "12d", "NaN", "0x1p3"..., all excluded by that test); with a
    # decimal comma, not a text with a '.' (a thousands separator there).
    castable = ends_between(column, "0", "9") & ~column.contains("x") & ~column.contains("X")
    if decimal_separator == ",":
        castable = castable & ~column.contains(".")
    # Every reading of normalised_number_text has _PLAIN's shape: its text casts as it is.
    value = F.coalesce(F.when(castable, column.try_cast("double")), text.try_cast("double"))
    return F.when(F.abs(value) <= F.lit(sys.float_info.max), value)


def to_boolean(column: Column, true_spellings: Sequence[str] = TRUE_SPELLINGS,
               false_spellings: Sequence[str] = FALSE_SPELLINGS) -> Column:
    """Parse a yes/no written as text, in English or French, case-insensitively and trimmed.

    Parameters
    ----------
    column
        String Column.
    true_spellings, false_spellings
        The texts meaning true and false (lower case compared with the lower-cased value).

    Returns
    -------
    Column
        Boolean, or null for null and unknown spellings (``"maybe"``).

    Raises
    ------
    ValueError
        When a spelling means both true and false.
    """
    trues = {s.lower() for s in true_spellings}
    falses = {s.lower() for s in false_spellings}
    if trues & falses:
        raise ValueError(f"spellings both true and false: {sorted(trues & falses)}")
    value = F.lower(trimmed(column))
    return F.when(value.isin(sorted(trues)), True).when(value.isin(sorted(falses)), False)


def is_sentinel(column: Column, sentinels: Sequence[str], decimal_separator: Optional[str] = None) -> Column:
    """True when the raw text is a sentinel meaning "no measurement" (e.g. ``-999``).

    Parameters
    ----------
    column
        String Column, the raw text.
    sentinels
        Sentinel texts (numbers are accepted too). A value is a sentinel when its trimmed text
        equals one, or when it parses (:func:`to_double`) to the same number (``"-999.0"``,
        ``"-999,0"`` for ``"-999"``).
    decimal_separator
        The value's, if declared (see :func:`normalised_number_text`); the sentinels are read
        either way.

    Returns
    -------
    Column
        Boolean; false for null.
    """
    texts = [str(s) for s in sentinels]
    if not texts:
        return F.lit(False)
    same_text = trimmed(column).isin(texts)
    same_number = to_double(column, decimal_separator).isin([to_double(F.lit(t)) for t in texts])
    return F.coalesce(same_text | same_number, F.lit(False))


def out_of_range(value: Column, minimum: Optional[float] = None, maximum: Optional[float] = None) -> Column:
    """True when a numeric value lies outside ``[minimum, maximum]`` (both bounds inclusive).

    Parameters
    ----------
    value
        Numeric Column.
    minimum, maximum
        The bounds; None leaves that side open.

    Returns
    -------
    Column
        Boolean; false for null.
    """
    checks = []
    if minimum is not None:
        checks.append(value < F.lit(minimum))
    if maximum is not None:
        checks.append(value > F.lit(maximum))
    if not checks:
        return F.lit(False)
    return F.coalesce(reduce(or_, checks), F.lit(False))


_PARSERS = {"long": to_long, "int": to_int, "double": to_double}


def cleanse_number(raw: str, target: str, kind: str = "long", minimum: Optional[float] = None,
                   maximum: Optional[float] = None, sentinels: Sequence[str] = (),
                   tokens: Sequence[str] = DEFAULT_NULL_TOKENS, required: bool = False,
                   decimal_separator: Optional[str] = None):
    """Curried step typing the raw text column ``raw`` into the number column ``target``.

    ``target`` is null for a null/token, a sentinel, an unparseable text or a value out of range.
    At most one reason per row: ``{target}_missing`` (null or token, only when ``required``),
    ``{target}_sentinel``, ``{target}_not_a_number``, ``{target}_out_of_range``.

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the typed column to add (may be the same).
    kind
        ``"long"``, ``"int"`` or ``"double"``.
    minimum, maximum
        Inclusive bounds (see :func:`out_of_range`).
    sentinels
        See :func:`is_sentinel`.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.
    required
        Whether a missing value quarantines the row.
    decimal_separator
        The feed's, if it declares one (see :func:`normalised_number_text`).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.

    Raises
    ------
    ValueError
        For an unknown ``kind`` or ``decimal_separator``.
    """
    if kind not in _PARSERS:
        raise ValueError(f"kind must be one of {sorted(_PARSERS)}, not {kind!r}")
    names = [f"__{target}_{part}" for part in ("text", "sentinel", "parsed")]
    text, sentinel, parsed = (F.col(name) for name in names)
    outside = out_of_range(parsed, minimum, maximum)
    checked = text.isNotNull() & ~sentinel

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(text, target, required))
        return (df.transform(flag(sentinel, f"{target}_sentinel"))
                .transform(flag(checked & parsed.isNull(), f"{target}_not_a_number"))
                .transform(flag(checked & outside, f"{target}_out_of_range"))
                .withColumn(target, F.when(~sentinel & ~outside, parsed)))   # last: target may be raw
    return computed_once([{names[0]: null_if_token(F.col(raw), tokens)},
                          {names[1]: is_sentinel(text, sentinels, decimal_separator),
                           names[2]: _PARSERS[kind](text, decimal_separator)}], step)


def cleanse_boolean(raw: str, target: str, required: bool = False,
                    tokens: Sequence[str] = DEFAULT_NULL_TOKENS):
    """Curried step typing the raw text column ``raw`` into the boolean column ``target``.

    Reasons: ``{target}_missing`` (null or token, only when ``required``) and
    ``{target}_not_a_boolean`` (present but not a known spelling, see :func:`to_boolean`).

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the boolean column to add (may be the same).
    required
        Whether a missing value quarantines the row.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    names = [f"__{target}_{part}" for part in ("text", "parsed")]
    text, parsed = (F.col(name) for name in names)

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(text, target, required))
        return (df.transform(flag(text.isNotNull() & parsed.isNull(), f"{target}_not_a_boolean"))
                .withColumn(target, parsed))
    return computed_once([{names[0]: null_if_token(F.col(raw), tokens)}, {names[1]: to_boolean(text)}], step)
