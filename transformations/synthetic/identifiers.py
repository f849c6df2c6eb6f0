"""Subscriber identifiers as a mobile network numbers them, and as switches misprint them.

All functions return Columns. Identifiers derive from a subscriber number by bijections modulo a
power of ten, so distinct subscribers get distinct MSISDNs and IMSIs.
"""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

from transformations.synthetic.random import pick_column

# Multipliers coprime with 10: x -> (a*x + b) mod 10^k is a bijection.
_MSISDN_MULTIPLIER, _MSISDN_OFFSET = 9973, 12_345_678
_IMSI_MULTIPLIER, _IMSI_OFFSET = 7919, 1_234_567
_IMEI_MULTIPLIER = 104_729
_MAINLAND_SECOND_DIGITS = "01245678"   # of a mobile number 6x: not 639 and 69x (overseas), 63x skipped whole
MAX_SUBSCRIBERS = len(_MAINLAND_SECOND_DIGITS) * 10_000_000   # distinct national numbers
# Type Allocation Codes of a few common handsets (8 digits).
DEVICE_TACS = ("35332509", "35391110", "86891203", "35875611", "01326300", "35420108")


def national_number(subscriber: Column) -> Column:
    """National significant number (9 digits, mobile range 6xxxxxxxx) of a subscriber, in
    mainland France: not 639 nor 69x, the overseas departments' mobile ranges (+262, +590...)."""
    value = (subscriber * _MSISDN_MULTIPLIER + _MSISDN_OFFSET) % MAX_SUBSCRIBERS
    second = F.element_at(F.array(*[F.lit(d) for d in _MAINLAND_SECOND_DIGITS]), (value / 10_000_000).cast("int") + 1)
    return F.concat(F.lit("6"), second, F.lpad((value % 10_000_000).cast("string"), 7, "0"))


def e164(country_code: str, national: Column) -> Column:
    """``+<country><national>``, the normal form the curated zones keep."""
    return F.concat(F.lit("+" + country_code), national)


def imsi(mcc: str, mnc: str, subscriber: Column) -> Column:
    """15-digit IMSI: MCC, MNC, then a 10-digit MSIN."""
    msin = (subscriber * _IMSI_MULTIPLIER + _IMSI_OFFSET) % 10_000_000_000
    return F.concat(F.lit(mcc + mnc), F.lpad(msin.cast("string"), 15 - len(mcc + mnc), "0"))


def luhn_check_digit(body: Column, length: int) -> Column:
    """Luhn check digit of a ``length``-digit string Column (for IMEIs: 14 digits).

    Digits are doubled from the rightmost one leftwards, as for a number that will get the check
    digit appended.
    """
    total = None
    for position in range(length):
        digit = F.substring(body, position + 1, 1).cast("int")
        doubled = (length - position) % 2 == 1  # rightmost body digit is doubled
        term = F.when(digit * 2 > 9, digit * 2 - 9).otherwise(digit * 2) if doubled else digit
        total = term if total is None else total + term
    return ((F.lit(10) - total % 10) % 10).cast("string")


def imei(device_u: Column, subscriber: Column, tacs: Sequence[str] = DEVICE_TACS) -> Column:
    """15-digit IMEI: a TAC chosen by ``device_u``, a 6-digit serial, the Luhn check digit."""
    tac = pick_column(device_u, [(F.lit(t), 1.0) for t in tacs])
    serial = F.lpad(((subscriber * _IMEI_MULTIPLIER) % 1_000_000).cast("string"), 6, "0")
    body = F.concat(tac, serial)
    return F.concat(body, luhn_check_digit(body, 14))


def messy_msisdn(country_code: str, national: Column, shape: Column) -> Column:
    """The way a switch prints a number, by ``shape`` (0..6)::

        0 +33612345678        1 0033612345678      2 0612345678        3 33612345678
        4 06 12 34 56 78      5 +33 6 12 34 56 78  6 612345678 (trunk zero lost)
    """
    n = national
    spaced = F.concat_ws(" ", F.substring(n, 1, 1), F.substring(n, 2, 2), F.substring(n, 4, 2),
                         F.substring(n, 6, 2), F.substring(n, 8, 2))
    spaced_trunk = F.concat_ws(" ", F.concat(F.lit("0"), F.substring(n, 1, 1)), F.substring(n, 2, 2),
                               F.substring(n, 4, 2), F.substring(n, 6, 2), F.substring(n, 8, 2))
    cc = country_code
    return (F.when(shape == 0, F.concat(F.lit("+" + cc), n))
            .when(shape == 1, F.concat(F.lit("00" + cc), n))
            .when(shape == 2, F.concat(F.lit("0"), n))
            .when(shape == 3, F.concat(F.lit(cc), n))
            .when(shape == 4, spaced_trunk)
            .when(shape == 5, F.concat(F.lit("+" + cc + " "), spaced))
            .otherwise(n))


MSISDN_SHAPE_WEIGHTS = ((0, 0.30), (1, 0.15), (2, 0.25), (3, 0.10), (4, 0.10), (5, 0.05), (6, 0.05))
