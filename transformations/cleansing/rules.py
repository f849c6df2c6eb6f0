"""The cleansing rule of each field ``type`` in ``conf/feeds.yaml``: one entry of :data:`RULES`
per type, each a call to a named step of this package.

Bronze fields arrive as text under their curated names; :func:`cleanse_feed` renames them
``raw_<name>`` (kept for the quarantine) and adds the typed ``<name>`` column of each field,
flagging the reasons of every failing value.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List

from pyspark.sql import DataFrame

from transformations.cleansing.identifiers import cleanse_cell_id, cleanse_imei, cleanse_imsi, cleanse_msisdn
from transformations.cleansing.numbers import cleanse_boolean, cleanse_number
from transformations.cleansing.outcomes import derive_outcome
from transformations.cleansing.reasons import in_shared_stages, with_reasons
from transformations.cleansing.strings import cleanse_enum, cleanse_string
from transformations.cleansing.structure import flag_structure, keep_structural_reason_only
from transformations.cleansing.timestamps import cleanse_timestamp

if TYPE_CHECKING:  # the layout's shape; transformations do not depend on the jobs package
    from jobs.runtime.config import Feed, FieldRule

Step = Callable[[DataFrame], DataFrame]
RAW_PREFIX = "raw_"
DAY_COLUMN = "event_date"   # bronze's partition: the date of the raw directory a line came from
IDENTIFIER_TYPES = ("msisdn", "imsi", "imei")


def raw(name: str) -> str:
    """The bronze text of field ``name`` during cleansing."""
    return RAW_PREFIX + name


def _number(kind: str):
    def rule(feed: "Feed", name: str, r: "FieldRule") -> Step:
        return cleanse_number(raw(name), name, kind=kind, minimum=r.minimum, maximum=r.maximum,
                              sentinels=tuple(r.sentinels), tokens=tuple(feed.null_tokens), required=r.required,
                              decimal_separator=feed.decimal_separator)
    return rule


RULES: Dict[str, Callable[["Feed", str, "FieldRule"], Step]] = {
    "string": lambda feed, name, r: cleanse_string(raw(name), name, required=r.required,
                                                   tokens=tuple(feed.null_tokens)),
    "enum": lambda feed, name, r: cleanse_enum(raw(name), name, tuple(r.allowed), required=r.required,
                                               tokens=tuple(feed.null_tokens)),
    "int": _number("int"),
    "long": _number("long"),
    "double": _number("double"),
    "boolean": lambda feed, name, r: cleanse_boolean(raw(name), name, required=r.required,
                                                     tokens=tuple(feed.null_tokens)),
    "timestamp": lambda feed, name, r: cleanse_timestamp(raw(name), name, tuple(r.formats or feed.timestamp_formats),
                                                         feed.time_zone, required=r.required,
                                                         tokens=tuple(feed.null_tokens),
                                                         local_hour_column=r.local_hour, day_column=DAY_COLUMN,
                                                         max_days_before=r.max_days_before,
                                                         max_days_after=r.max_days_after),
    "msisdn": lambda feed, name, r: cleanse_msisdn(raw(name), name, feed.default_country, required=r.required,
                                                   tokens=tuple(feed.null_tokens),
                                                   overseas=feed.overseas_prefixes),
    "imsi": lambda feed, name, r: cleanse_imsi(raw(name), name, required=r.required, tokens=tuple(feed.null_tokens)),
    "imei": lambda feed, name, r: cleanse_imei(raw(name), name, required=r.required, tokens=tuple(feed.null_tokens),
                                               spare_check_digit=r.spare_check_digit),
    "cell_id": lambda feed, name, r: cleanse_cell_id(raw(name), name, required=r.required,
                                                     tokens=tuple(feed.null_tokens)),
}


def identifier_fields(feed: "Feed") -> List[str]:
    """The feed's subscriber identifiers (MSISDN, IMSI, IMEI): personal data, pseudonymised."""
    return [name for name, r in feed.fields.items() if r.type in IDENTIFIER_TYPES]


def cleanse_feed(feed: "Feed") -> Step:
    """Curried step: bronze rows of a feed to typed rows with ``raw_<field>`` and reasons.

    Structural problems first (``bad_file``, ``blank_line``, ``wrong_field_count``,
    ``unbalanced_quote``: such a row keeps only those reasons), then every field's rule in conf
    order (their intermediate columns computed together, see
    :func:`~transformations.cleansing.reasons.in_shared_stages`), then the outcome of the release
    cause.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
    """
    def step(bronze: DataFrame) -> DataFrame:
        df = with_reasons(bronze.withColumnsRenamed({name: raw(name) for name in feed.fields}))
        df = df.transform(flag_structure(quote=feed.quote))
        df = df.transform(in_shared_stages([RULES[r.type](feed, name, r) for name, r in feed.fields.items()]))
        if feed.outcome is not None:
            outcome = feed.outcome
            df = df.transform(derive_outcome(outcome.cause, outcome.target,
                                             {k: tuple(v) for k, v in outcome.codes.items()}))
        return df.transform(keep_structural_reason_only)
    return step
