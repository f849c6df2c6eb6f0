"""Row-level rules: each row passes or fails, and the share that passes must reach ``min_ratio``.

The tests are those of cleanse (the same functions produce its quarantine reasons or its
pseudonyms): a range is :func:`~transformations.cleansing.numbers.out_of_range`, a Luhn failure is
:func:`~transformations.cleansing.identifiers.is_imei_luhn_failure`, a pseudonym's shape is
:func:`~transformations.cleansing.pseudonymise.is_pseudonym`.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping

from pyspark.sql import Column
from pyspark.sql import functions as F

from transformations.cleansing.identifiers import is_imei_luhn_failure
from transformations.cleansing.numbers import out_of_range
from transformations.cleansing.pseudonymise import is_pseudonym
from transformations.quality.base import FAILED, NO_DATA, PASSED, History, Rule, Verdict, fmt, in_table, ratio


class RowRule(Rule):
    """A test of each value of ``column``; nulls are left to :class:`Completeness`."""

    #: what is counted, for messages
    counted = "values"

    def problem(self) -> str:
        """What a failing value is, for messages: ``are outside [0, 86400]``."""
        raise NotImplementedError

    def fails(self, value: Column) -> Column:
        """True for a non-null value that fails."""
        raise NotImplementedError

    def failing_rows(self) -> Column:
        value = F.col(self.settings.column)
        return value.isNotNull() & F.coalesce(self.fails(value), F.lit(True))

    def checked(self) -> Column:
        return F.count(F.when(in_table(), F.col(self.settings.column)))

    def metrics(self) -> Dict[str, Column]:
        return {"checked": self.checked(), "failed": F.count(F.when(in_table() & self.failing_rows(), 1))}

    def judge(self, values: Mapping[str, Any], history: History) -> Verdict:
        minimum = 1.0 if self.settings.min_ratio is None else self.settings.min_ratio
        checked, failed = values["checked"], values["failed"]
        expected = f"share passing >= {fmt(minimum)}"
        if not checked:
            return Verdict(NO_DATA, None, expected, f"no {self.settings.column} value to check")
        # the passing count over the checked one, not 1 - the failing share: 1 - 7/100 is a hair
        # under 0.93, and 93 of 100 must meet min_ratio 0.93
        passing = ratio(checked - failed, checked)
        status = PASSED if passing >= minimum else FAILED
        message = (f"{fmt(failed)} of {fmt(checked)} {self.settings.column} {self.counted} "
                   f"({fmt(100 * ratio(failed, checked))}%) {self.problem()}")
        return Verdict(status, passing, expected, message, band=(minimum, None),
                       recorded={self.metric("ratio"): passing})


class Completeness(RowRule):
    """``column`` is not null in at least ``min_ratio`` of the rows."""

    counted = "rows"

    def problem(self) -> str:
        return "are missing"

    def failing_rows(self) -> Column:
        return F.col(self.settings.column).isNull()

    def checked(self) -> Column:
        return F.count(F.when(in_table(), 1))


class Range(RowRule):
    """Values of ``column`` within ``[minimum, maximum]`` (either side may be open)."""

    def problem(self) -> str:
        low, high = self.settings.minimum, self.settings.maximum
        return f"are outside [{'-inf' if low is None else fmt(low)}, {'+inf' if high is None else fmt(high)}]"

    def fails(self, value: Column) -> Column:
        return out_of_range(value, self.settings.minimum, self.settings.maximum)


class AllowedValues(RowRule):
    """Values of ``column`` (as text) among ``allowed``."""

    def problem(self) -> str:
        return f"are not one of {', '.join(self.settings.allowed)}"

    def fails(self, value: Column) -> Column:
        return ~value.cast("string").isin(list(self.settings.allowed))


class Pattern(RowRule):
    """Values of ``column`` (as text) matching the regular expression ``pattern`` (Java syntax;
    anchor it with ``^...$`` to match the whole value)."""

    def problem(self) -> str:
        return f"do not match {self.settings.pattern}"

    def fails(self, value: Column) -> Column:
        return ~value.cast("string").rlike(self.settings.pattern)


class Luhn(RowRule):
    """IMEIs of ``column``: 15 digits whose last is the Luhn check digit of the first 14 (the
    test behind cleanse's ``<field>_luhn`` reason). Other shapes are left to a pattern rule."""

    def problem(self) -> str:
        return "fail the Luhn check"

    def fails(self, value: Column) -> Column:
        return is_imei_luhn_failure(value.cast("string"))


class Pseudonymised(RowRule):
    """Values of ``column`` are pseudonyms as cleanse writes them (64 lowercase hexadecimal
    characters, :func:`~transformations.cleansing.pseudonymise.is_pseudonym`): a subscriber
    identifier in clear in a curated table fails (a data-protection incident: make it critical).
    Cheaper than the equivalent ``pattern`` rule, which converts each value to a Java string."""

    def problem(self) -> str:
        return "are not pseudonyms (64 lowercase hexadecimal characters)"

    def fails(self, value: Column) -> Column:
        return ~is_pseudonym(value)
