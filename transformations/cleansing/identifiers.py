"""Subscriber and network identifiers: MSISDN to E.164, IMSI, IMEI (Luhn check digit) and cell ids.

Every function here is a native Column expression (regular expressions, ``substring``,
``translate``): nothing is evaluated per row in Python and nothing raises under ANSI for bad text.
"""
from __future__ import annotations

from functools import reduce
from operator import add
from typing import Mapping, Optional, Sequence, Union

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.cleansing.reasons import computed_once, flag, flag_missing
from transformations.cleansing.text import BLANK, DEFAULT_NULL_TOKENS, null_if_token

ColumnOrName = Union[Column, str]

# Characters people write inside phone numbers, besides blanks (incl. NBSP).
_MSISDN_PUNCTUATION = r"[.\-()/]"
# "+44 (0)7911 123456", "+33-(0)6-...": the trunk zero some people write after the country code
# (blanks are gone when this is applied; other punctuation may still stand before it).
_TRUNK_NOTE = r"^(\+|00)([1-9][0-9]{0,2})[.\-/]*\(0\)"
# Patterns end with \z, the end of the text: Java's $ also matches before a final line terminator,
# and U+0085 (NEL) is one that no blank removal takes away.
E164 = r"^\+[1-9][0-9]{7,14}\z"
_PLAIN_NUMBER = r"^\+?[0-9]+\z"

IMSI = r"^[1-9][0-9]{13,14}\z"          # MCC (3, not 0xx) + MNC (2-3) + MSIN (9-10)
_IMEI = r"^[0-9]{15}\z"
_IMEISV = r"^[0-9]{16}\z"

_CELL_ID = r"^([0-9]{3})([-_:])([0-9]{2,3})\2([0-9]+)\2([0-9]+)\z"
CELL_ID_TYPE = "struct<mcc:string,mnc:string,lac:int,ci:bigint>"


def _col(column: ColumnOrName) -> Column:
    return F.col(column) if isinstance(column, str) else column


def _digits_setting(name: str, value: str, allow_empty: bool) -> str:
    if not (value.isdigit() and value.isascii()) and not (allow_empty and value == ""):
        raise ValueError(f"{name} must be a string of digits, not {value!r}")
    return value


def msisdn_to_e164(raw: ColumnOrName, country_code: str, national_length: int = 9, trunk_prefix: str = "0",
                   international_prefix: str = "00", overseas: Optional[Mapping[str, Sequence[str]]] = None) -> Column:
    """Normalise a phone number as written in the feeds to E.164 (``"+33612345678"``).

    Blanks (incl. NBSP) and ``. - ( ) /`` are removed first, and a ``(0)`` written right after an
    international country code (``"+44 (0)7911 123456"``, ``"+33-(0)6-12-34-56-78"``) is dropped.
    A home number written with a trunk prefix ``"0"`` after the country code (``"+33 06 12 34 56
    7"``) is not read: that is a trunk zero kept and a digit lost. The remaining text must be
    digits, optionally after one leading '+'. Shapes read, for ``country_code="33"`` and the
    national number ``612345678``:

    - international: ``"+33612345678"``, ``"+33 6 12 34 56 78"``, ``"0033612345678"``, and
      foreign numbers ``"+447911123456"``, ``"00447911123456"`` (kept as they are);
    - national with trunk prefix: ``"0612345678"``, ``"06 12 34 56 78"`` (trunk prefix followed by
      exactly ``national_length`` digits);
    - country code without '+': ``"33612345678"``, only when the text has exactly
      ``len(country_code) + national_length`` digits;
    - trunk zero lost: ``"612345678"``, exactly ``national_length`` digits not starting with the
      trunk prefix.

    Parameters
    ----------
    raw
        String Column (or column name).
    country_code
        The home country calling code, digits without '+' (``"33"``).
    national_length
        Digits of a home national number without trunk prefix (9 in France).
    trunk_prefix
        Digits dialled before a national number at home (``"0"``); ``""`` when there is none.
    international_prefix
        Digits dialled before a country code (``"00"``); ``""`` when there is none.
    overseas
        Country codes whose numbers are home national numbers too, each with the first digits of
        its national numbers: France's overseas departments (``{"262": ["262", "692", "693"],
        ...}``: ``"0692 12 34 56"`` and ``"+33692123456"`` are ``"+262692123456"``, as written
        from abroad). See :func:`to_overseas_code`.

    Returns
    -------
    Column
        String ``"+<country code><national number>"``, or null when the text has letters or other
        characters, is too short or too long, is a home number of the wrong length (``"06123456"``,
        ``"+336123456789"``), does not match ``^\\+[1-9][0-9]{7,14}$`` (``"00000000000"``), or is
        null.

    Raises
    ------
    ValueError
        When a prefix or the country code is not made of digits, or ``national_length < 1``.
    """
    e164 = _e164_of_clean_text(msisdn_clean_text(raw), country_code, national_length, trunk_prefix,
                               international_prefix)
    return to_overseas_code(e164, country_code, overseas) if overseas else e164


def check_overseas(country_code: str, overseas: Mapping[str, Sequence[str]]) -> None:
    """Raise ValueError unless ``overseas`` suits :func:`to_overseas_code` (plain Python, no Spark):
    codes and prefixes of digits, the home code not among the codes, prefixes of national
    significant numbers (no trunk 0), and no number that two codes' prefixes could both claim."""
    _digits_setting("country_code", country_code, allow_empty=False)
    owners: dict = {}
    for code, prefixes in overseas.items():
        _digits_setting("an overseas country code", code, allow_empty=False)
        if code == country_code:
            raise ValueError(f"{code} is the home country code, not an overseas one")
        for prefix in prefixes:
            _digits_setting(f"a prefix of {code}", prefix, allow_empty=False)
            if prefix.startswith("0"):
                raise ValueError(f"prefix {prefix} of {code}: write it without the trunk 0 ({prefix[1:]})")
            for other, owner in owners.items():
                if owner != code and (prefix.startswith(other) or other.startswith(prefix)):
                    raise ValueError(f"prefix {prefix} of {code} overlaps prefix {other} of {owner}")
            owners[prefix] = code


def to_overseas_code(e164: ColumnOrName, country_code: str, overseas: Mapping[str, Sequence[str]]) -> Column:
    """A home E.164 number whose national number starts with an overseas prefix, under that
    overseas country code; any other number as it is.

    Parameters
    ----------
    e164
        String Column of E.164 numbers (``"+33692123456"``), as :func:`msisdn_to_e164` gives.
    country_code
        The home country calling code (``"33"``).
    overseas
        Country code -> first digits of its national numbers (``{"262": ["262", "692", "693"]}``).

    Returns
    -------
    Column
        String: ``"+262692123456"`` for ``"+33692123456"``; null for null.

    Raises
    ------
    ValueError
        When a code or a prefix is not made of digits, or a prefix is given to two codes.
    """
    check_overseas(country_code, overseas)
    number = _col(e164)
    home = "+" + country_code
    national = F.substring(number, len(home) + 1, 1_000)
    code_of = {prefix: code for code, prefixes in overseas.items() for prefix in prefixes}
    # One set lookup of the national number's first digits per prefix length, not a startswith
    # per prefix (thirteen for France, on every number): no prefix starts another, so at most one
    # length matches.
    result = number
    for length in sorted({len(prefix) for prefix in code_of}):
        head = F.substring(number, len(home) + 1, length)
        codes = {prefix: code for prefix, code in code_of.items() if len(prefix) == length}
        lookup = F.create_map(*[F.lit(x) for prefix, code in sorted(codes.items()) for x in (prefix, "+" + code)])
        result = F.when(number.startswith(home) & head.isin(sorted(codes)),
                        F.concat(F.element_at(lookup, head), national)).otherwise(result)
    return result


def msisdn_clean_text(raw: ColumnOrName) -> Column:
    """A phone number as written, without blanks, ``. - ( ) /`` and a ``(0)`` trunk note after an
    international country code: the text :func:`msisdn_to_e164` reads.

    A text already made of digits (one leading '+' allowed), the usual case, is returned as it is
    after one pattern test; only the others go through the three replacements.

    Parameters
    ----------
    raw
        String Column (or column name).

    Returns
    -------
    Column
        String; null for null.
    """
    text = _col(raw)
    cleaned = F.regexp_replace(F.regexp_replace(text, BLANK + "+", ""), _TRUNK_NOTE, "$1$2")
    cleaned = F.regexp_replace(cleaned, _MSISDN_PUNCTUATION + "+", "")
    return F.when(text.rlike(_PLAIN_NUMBER), text).otherwise(cleaned)


def _e164_of_clean_text(text: Column, country_code: str, national_length: int, trunk_prefix: str,
                        international_prefix: str) -> Column:
    cc = _digits_setting("country_code", country_code, allow_empty=False)
    trunk = _digits_setting("trunk_prefix", trunk_prefix, allow_empty=True)
    intl = _digits_setting("international_prefix", international_prefix, allow_empty=True)
    if national_length < 1:
        raise ValueError(f"national_length must be positive, not {national_length}")
    plain = text.rlike(_PLAIN_NUMBER)
    digits = F.when(text.startswith("+"), F.substring(text, 2, 1_000)).otherwise(text)
    length = F.length(digits)

    # Each branch yields the international digits (country code + national number), no '+'.
    international = F.when(text.startswith("+"), digits)
    if intl:
        international = international.when(digits.startswith(intl), F.substring(digits, len(intl) + 1, 1_000))
    candidate = international
    if trunk:
        candidate = candidate.when(digits.startswith(trunk) & (length == len(trunk) + national_length),
                                   F.concat(F.lit(cc), F.substring(digits, len(trunk) + 1, 1_000)))
    candidate = candidate.when(digits.startswith(cc) & (length == len(cc) + national_length), digits)
    lost_trunk = length == national_length
    if trunk:
        lost_trunk = lost_trunk & ~digits.startswith(trunk)
    candidate = candidate.when(lost_trunk, F.concat(F.lit(cc), digits))

    home_length_ok = ~candidate.startswith(cc) | (F.length(candidate) == len(cc) + national_length)
    if trunk == "0":
        # "+33 06 12 34 56 7": the trunk zero kept after the home code, a digit lost at the end. Where
        # the trunk prefix is 0, no national number starts with it (elsewhere one may: Russia's
        # trunk 8 and its 812 numbers).
        home_length_ok = home_length_ok & ~candidate.startswith(cc + trunk)
    # With plain digits, candidate is digits too: E.164 is then its length and no leading zero.
    e164_shaped = F.length(candidate).between(8, 15) & ~candidate.startswith("0")
    return F.when(plain & e164_shaped & home_length_ok, F.concat(F.lit("+"), candidate))


def cleanse_msisdn(raw: str, target: str, country_code: str, national_length: int = 9, required: bool = True,
                   tokens: Sequence[str] = DEFAULT_NULL_TOKENS, trunk_prefix: str = "0",
                   international_prefix: str = "00", overseas: Optional[Mapping[str, Sequence[str]]] = None):
    """Curried step: ``target`` = the E.164 form of the raw phone number column ``raw``.

    Reasons: ``<target>_missing`` (null or token, only when ``required``), ``<target>_invalid``
    (a value is present but :func:`msisdn_to_e164` cannot read it).

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the E.164 string column to add (may be the same).
    country_code, national_length, trunk_prefix, international_prefix, overseas
        See :func:`msisdn_to_e164`.
    required
        Whether a missing value quarantines the row.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    names = [f"__{target}_{part}" for part in ("text", "e164")]
    present, e164 = (F.col(name) for name in names)

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(present, target, required))
        return (df.transform(flag(present.isNotNull() & e164.isNull(), f"{target}_invalid"))
                .withColumn(target, e164))   # last: target may be raw
    clean, home = f"__{target}_clean", f"__{target}_home"
    e164_of_clean = _e164_of_clean_text(F.col(clean), country_code, national_length, trunk_prefix,
                                        international_prefix)
    stages = [{names[0]: null_if_token(F.col(raw), tokens)}, {clean: msisdn_clean_text(present)}]
    if overseas:
        stages += [{home: e164_of_clean}, {names[1]: to_overseas_code(F.col(home), country_code, overseas)}]
    else:
        stages += [{names[1]: e164_of_clean}]
    return computed_once(stages, step)


def is_valid_imsi(column: ColumnOrName) -> Column:
    """True for an IMSI: 14 or 15 digits, the 3-digit MCC not starting with 0.

    14 digits is a 2-digit MNC with a 9-digit MSIN; 15 digits a 2-digit MNC with a 10-digit MSIN
    or a 3-digit MNC with a 9-digit MSIN (the MNC length is not visible in the digits).

    Parameters
    ----------
    column
        String Column (or column name); nothing is trimmed or removed.

    Returns
    -------
    Column
        Boolean; false for null.
    """
    return F.coalesce(_col(column).rlike(IMSI), F.lit(False))


def luhn_check_digit(body: ColumnOrName, length: int = 14) -> Column:
    """The Luhn check digit of a text of ``length`` digits (the 14-digit body of an IMEI).

    Every second digit from the right of the body, starting with its rightmost digit, is doubled
    and replaced by its digit sum; the check digit brings the total to a multiple of 10.

    Parameters
    ----------
    body
        String Column (or column name) whose first ``length`` characters are digits (check with a
        regular expression first: a sign or blanks there give a meaningless digit).
    length
        Number of body digits, at most 18.

    Returns
    -------
    Column
        Int 0-9; null for a null or shorter text, or letters among the first ``length`` characters.
    """
    if not 1 <= length <= 18:
        raise ValueError(f"length must be 1 to 18 digits (a long), not {length}")
    text = _col(body)
    number = F.substring(text, 1, length).try_cast("bigint")
    return F.when(F.length(text) >= length, _luhn_check_digit_of_number(number, length))


def _luhn_check_digit_of_number(number: Column, length: int) -> Column:
    # Digits by integer arithmetic on the number: no substring, no character decoding per digit.
    # (n % 10^(k+1) - n % 10^k) is an exact multiple of 10^k below 10^18, so the division is exact.
    terms = []
    for k in range(length):                      # k = 0: the rightmost body digit, doubled
        digit = ((number % 10 ** (k + 1) - number % 10 ** k) / 10 ** k).cast("int")
        # the digit sum of 2d is 2d, or 2d - 9 from d = 5 on (10 -> 1, ..., 18 -> 9)
        terms.append(digit * 2 - (digit >= 5).cast("int") * 9 if k % 2 == 0 else digit)
    total = reduce(add, terms)
    return (10 - total % 10) % 10


def _imei_check_digit(text: Column) -> Column:
    number = text.try_cast("bigint")             # 15 digits: the 14-digit body and the check digit
    return _luhn_check_digit_of_number(((number - number % 10) / 10).cast("bigint"), 14)


def _imei_luhn_ok(text: Column) -> Column:
    return _imei_check_digit(text) == (text.try_cast("bigint") % 10).cast("int")


def is_valid_imei(column: ColumnOrName) -> Column:
    """True for an IMEI (15 digits whose last digit is the Luhn check digit of the first 14) or an
    IMEISV (16 digits: the 14-digit body and a 2-digit software version, no check digit).

    Parameters
    ----------
    column
        String Column (or column name); nothing is trimmed or removed.

    Returns
    -------
    Column
        Boolean; false for null. ``"490154203237518"`` is valid, ``"490154203237519"`` is not.
    """
    text = _col(column)
    return F.coalesce((text.rlike(_IMEI) & _imei_luhn_ok(text)) | text.rlike(_IMEISV), F.lit(False))


def is_imei_luhn_failure(column: ColumnOrName) -> Column:
    """True for 15 digits whose check digit is wrong (a mistyped or corrupted IMEI).

    Returns
    -------
    Column
        Boolean; false for null and for any other shape.
    """
    text = _col(column)
    return F.coalesce(text.rlike(_IMEI) & ~_imei_luhn_ok(text), F.lit(False))


def cleanse_imsi(raw: str, target: str, required: bool = False, tokens: Sequence[str] = DEFAULT_NULL_TOKENS):
    """Curried step: ``target`` = the trimmed IMSI of ``raw`` when :func:`is_valid_imsi`, else null.

    Reasons: ``<target>_missing`` (null or token, only when ``required``), ``<target>_invalid``.

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the string column to add (may be the same).
    required
        Whether a missing value quarantines the row.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    names = [f"__{target}_{part}" for part in ("text", "valid")]
    present, valid = (F.col(name) for name in names)

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(present, target, required))
        return (df.transform(flag(present.isNotNull() & ~valid, f"{target}_invalid"))
                .withColumn(target, F.when(valid, present)))
    return computed_once([{names[0]: null_if_token(F.col(raw), tokens)}, {names[1]: is_valid_imsi(present)}], step)


def cleanse_imei(raw: str, target: str, required: bool = False, tokens: Sequence[str] = DEFAULT_NULL_TOKENS,
                 spare_check_digit: bool = False):
    """Curried step: ``target`` = the trimmed IMEI/IMEISV of ``raw`` when :func:`is_valid_imei`
    (or, with ``spare_check_digit``, the IMEI with its check digit in place of a spare 0), else null.

    Reasons: ``<target>_missing`` (null or token, only when ``required``), ``<target>_luhn``
    (15 digits, wrong check digit: counted apart), ``<target>_invalid`` (any other bad value). At
    most one reason per row.

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the string column to add (may be the same).
    required
        Whether a missing value quarantines the row.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.
    spare_check_digit
        Whether the 15th digit may be the spare digit 0 that a handset sends in place of the check
        digit (3GPP TS 23.003; MAP-encoded IMEIs in switch records end so). Such an IMEI is valid
        and stored with its Luhn check digit, as the same handset written with it: its pseudonym
        joins. A 15th digit other than 0 must still be the check digit.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    names = [f"__{target}_{part}" for part in ("text", "imei", "imeisv", "luhn_ok", "check", "spare")]
    present, imei, imeisv, luhn_ok, check, spare = (F.col(name) for name in names)
    # Each pattern and the check digit computed once (is_valid_imei and is_imei_luhn_failure would
    # each compute them): the same definitions, in stages.
    stages = [{names[0]: null_if_token(F.col(raw), tokens)},
              {names[1]: F.coalesce(present.rlike(_IMEI), F.lit(False)),
               names[2]: F.coalesce(present.rlike(_IMEISV), F.lit(False))}]
    if spare_check_digit:
        written = F.substring(present, 15, 1)
        stages += [{names[4]: F.when(imei, _imei_check_digit(present).cast("string"))},
                   {names[3]: F.coalesce(check == written, F.lit(False)),
                    names[5]: F.coalesce((check != written) & (written == "0"), F.lit(False))}]
    else:
        stages += [{names[3]: F.coalesce(imei & _imei_luhn_ok(present), F.lit(False))}]
        spare = F.lit(False)
    valid, luhn = imeisv | (imei & luhn_ok) | spare, imei & ~luhn_ok & ~spare

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(present, target, required))
        value = F.when(valid, present)
        if spare_check_digit:
            value = F.when(spare, F.concat(F.substring(present, 1, 14), check)).otherwise(value)
        return (df.transform(flag(luhn, f"{target}_luhn"))
                .transform(flag(present.isNotNull() & ~valid & ~luhn, f"{target}_invalid"))
                .withColumn(target, value))
    return computed_once(stages, step)


def split_cell_id(column: ColumnOrName) -> Column:
    """Split a cell global id ``"MCC-MNC-LAC-CI"`` (``"208-01-106-417"``) into its parts.

    The separator is '-', '_' or ':', the same one three times (``"208_01_106_417"``,
    ``"208:01:106:417"``; ``"208-01_106-417"`` is malformed).

    Parameters
    ----------
    column
        String Column (or column name); nothing is trimmed.

    Returns
    -------
    Column
        ``struct<mcc:string, mnc:string, lac:int, ci:bigint>`` (MCC and MNC keep their leading
        zeros: ``"01"`` and ``"001"`` are different networks), or null when the text does not have
        four digit-only parts, the MCC is not 3 digits, the MNC not 2-3 digits, or LAC/CI do not
        fit an int/bigint.
    """
    return _cell_id_of_parts(_cell_id_texts(_col(column)))


def _cell_id_texts(text: Column) -> Column:
    # One pattern test, then a split on the separator (the 4th character once the pattern holds):
    # a one-character split is a plain search, not a regular expression.
    return F.when(text.rlike(_CELL_ID), F.split(text, F.substring(text, 4, 1)))


def _cell_id_of_parts(texts: Column) -> Column:
    lac, ci = texts[2].try_cast("int"), texts[3].try_cast("bigint")
    parts = F.struct(texts[0].alias("mcc"), texts[1].alias("mnc"), lac.alias("lac"), ci.alias("ci"))
    return F.when(lac.isNotNull() & ci.isNotNull(), parts).cast(CELL_ID_TYPE)


def cleanse_cell_id(raw: str, target: str, required: bool = True, tokens: Sequence[str] = DEFAULT_NULL_TOKENS):
    """Curried step: the cell id of ``raw`` normalised to ``target`` = ``"MCC-MNC-LAC-CI"`` (separator
    '-', LAC and CI without leading zeros: ``"208_01_0106_00417"`` gives ``"208-01-106-417"``), and
    its parts ``<target>_mcc``, ``<target>_mnc`` (strings), ``<target>_lac`` (int),
    ``<target>_ci`` (bigint); all null when the value is missing or malformed.

    Reasons: ``<target>_missing`` (null or token, only when ``required``), ``<target>_invalid``
    (present, but :func:`split_cell_id` cannot read it).

    Parameters
    ----------
    raw, target
        Names of the raw string column and of the normalised string column to add (may be the same).
    required
        Whether a missing value quarantines the row.
    tokens
        See :func:`~transformations.cleansing.text.null_if_token`.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row.
    """
    names = [f"__{target}_{part}" for part in ("text", "parts")]
    present, parts = (F.col(name) for name in names)

    def step(df: DataFrame) -> DataFrame:
        df = df.transform(flag_missing(present, target, required))
        df = df.transform(flag(present.isNotNull() & parts.isNull(), f"{target}_invalid"))
        return df.withColumns({
            target: F.when(parts.isNotNull(), F.concat_ws("-", parts.mcc, parts.mnc, parts.lac.cast("string"),
                                                          parts.ci.cast("string"))),
            f"{target}_mcc": parts.mcc,
            f"{target}_mnc": parts.mnc,
            f"{target}_lac": parts.lac,
            f"{target}_ci": parts.ci,
        })
    texts = f"__{target}_texts"
    return computed_once([{names[0]: null_if_token(F.col(raw), tokens)},
                          {texts: _cell_id_texts(present)},
                          {names[1]: _cell_id_of_parts(F.col(texts))}], step)
