"""Typed, validated configuration: YAML files in ``conf/`` checked against the dataclasses below.

An environment file (``conf/local.yaml``, ``conf/cluster.yaml``) names the shared file it
``extends`` (``conf/base.yaml``) and overrides what differs. The merged document is validated
before Spark starts: an unknown key, a wrong type or a missing value raises :class:`ConfigError`
naming the key path, e.g. ``generate.defects.null_token``.
"""
from __future__ import annotations

import dataclasses
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml


class ConfigError(ValueError):
    """A configuration file, key or override is invalid. The message names the key."""


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paths:
    """Where each zone lives. Relative paths are resolved against the project directory
    (the parent of the ``conf/`` directory holding the environment file)."""

    raw: str
    bronze: str
    silver: str
    quarantine: str
    gold: str
    truth: str
    run_log: str
    reports: str
    quality: str                     # data-quality metrics and outcomes history (Delta)


@dataclass(frozen=True)
class Runtime:
    """Spark runtime. ``spark`` settings are applied only where spark-submit set nothing."""

    master: str
    spark: Dict[str, str]
    jars_dir: Optional[str]


@dataclass(frozen=True)
class Logging:
    format: str  # "text" or "json"
    level: str


@dataclass(frozen=True)
class Scale:
    """How much one day holds. The same code writes 10k rows or billions."""

    cdr_rows_per_day: int
    subscribers: int
    call_centres: int
    call_centre_share: float
    sites: int
    rail_lines: int
    areas: int
    partitions: int
    files_per_hour: int


@dataclass(frozen=True)
class Radio:
    """Signal level and drop models (see ``docs/generator-model.md``)."""

    sampled_call_fraction: float
    report_interval_s: int
    max_reports_per_call: int
    shadowing_sigma_db: float
    tx_power_dbm: float
    path_loss_exponent: float
    max_antenna_gain_dbi: float
    beamwidth_deg: float
    front_to_back_db: float
    train_penetration_loss_db: float
    congestion_loss_db: float
    rain_loss_db_per_mm_h: float
    drop_intercept: float
    drop_per_db_below_threshold: float
    drop_threshold_dbm: float
    drop_per_100_kmh: float
    drop_per_congestion: float


@dataclass(frozen=True)
class Defects:
    """Per-row rates of each injected defect (0 disables it)."""

    alternate_date_format: float
    malformed_date: float
    bad_msisdn: float
    duplicate_probe: float
    null_token: float
    out_of_range: float
    sentinel: float
    wrong_column_count: float
    windows_1252: float
    truncated_last_line: float
    orphan_cell_id: float


@dataclass(frozen=True)
class MissingFile:
    """One hourly file of one source that the generator does not write."""

    feed: str
    hour: int
    source: str                      # probe01, probe02, ...


@dataclass(frozen=True)
class Incidents:
    """Delivery incidents the generator stages (beyond per-row defects)."""

    missing_files: List[MissingFile] = field(default_factory=list)


@dataclass(frozen=True)
class Generate:
    seed: int
    country_code: str
    mcc: str
    mnc: str
    time_zone: str
    compression: str
    scale: Scale
    radio: Radio
    defects: Defects
    incidents: Incidents = field(default_factory=Incidents)


@dataclass(frozen=True)
class FieldRule:
    """How one column of a feed is read and cleansed (``conf/feeds.yaml``).

    ``type`` names the cleansing step (see ``transformations/cleansing/rules.py``): ``string``,
    ``enum``, ``int``, ``long``, ``double``, ``boolean``, ``timestamp``, ``msisdn``, ``imsi``,
    ``imei``, ``cell_id``.
    """

    source: str                      # the column's name in the file header
    type: str
    required: bool = False
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    sentinels: List[str] = field(default_factory=list)
    allowed: List[str] = field(default_factory=list)      # enum
    formats: List[str] = field(default_factory=list)      # timestamp; default: the feed's
    local_hour: Optional[str] = None                      # timestamp: also keep the local hour here
    max_days_before: Optional[int] = None                 # timestamp: local dates this far before the
    max_days_after: Optional[int] = None                  # raw directory's date, or after it, at most
    spare_check_digit: bool = False                       # imei: the 15th digit may be the spare 0 (TS 23.003)


@dataclass(frozen=True)
class Dedup:
    """The same event seen by two probes: equal ``keys``, times within ``tolerance_s``."""

    keys: List[str]
    time: str
    tolerance_s: float
    survivor: str                    # the smallest value of this column survives
    # A probe writes an event once: the other records of the survivor's source (``feeds.<feed>.
    # source_pattern``; a file it does not name, or every file without one, is a source of its own)
    # are events of their own (a burst of SMS to one contact, across an hour's two files too);
    # other sources' records repeat them.
    same_source_distinct: bool = False


@dataclass(frozen=True)
class Outcome:
    """Release cause code to outcome (completed, dropped, failed, busy, no answer)."""

    cause: str                       # the (typed) cause column
    target: str
    codes: Dict[str, List[int]]


@dataclass(frozen=True)
class Feed:
    """The layout of one vendor export: a new vendor needs an entry here, not code."""

    directory: str                   # under ``paths.raw``; files of a date in ``event_date=D/``
    delimiter: str
    encoding: str                    # e.g. UTF-8
    fallback_encoding: Optional[str]  # lines invalid in ``encoding`` are decoded with this one
    null_tokens: List[str]
    timestamp_formats: List[str]
    time_zone: str                   # of the local times printed in the files
    default_country: str             # E.164 country code for national numbers
    fields: Dict[str, FieldRule]
    decimal_separator: Optional[str] = None   # '.' or ','; None: either, guessed per value ("1,234" is 1.234)
    quote: Optional[str] = '"'       # quoted fields (RFC 4180) hold delimiters; None: quotes are text
    # country code -> first digits of its numbers dialled as home national numbers (overseas departments)
    overseas_prefixes: Dict[str, List[str]] = field(default_factory=dict)
    # where a file's source (probe, switch) is in its path: group 1 of this regular expression;
    # used by dedup and as the default of the feed's hourly_completeness rules
    source_pattern: Optional[str] = None
    dedup: Optional[Dedup] = None
    outcome: Optional[Outcome] = None


@dataclass(frozen=True)
class Ingest:
    file_suffixes: List[str]         # files read in a day's directory; any other is a bad file (rawfiles)
    max_corrupt_files: int           # unreadable files tolerated (each costs one retry of the read)


@dataclass(frozen=True)
class Pseudonymisation:
    """Where the HMAC key comes from. The key itself is never in conf."""

    key_env: str                     # environment variable holding the key
    key_file: Optional[str]          # or a file holding it (first line)
    create_missing_key_file: bool    # local only: create a random key file on first run
    allow_key_change: bool = False   # for the one run after a deliberate key rotation


@dataclass(frozen=True)
class Cleanse:
    pseudonymisation: Pseudonymisation


@dataclass(frozen=True)
class QualityRule:
    """One data-quality rule of a dataset (``conf/quality.yaml``); its name is its key there.

    ``type`` names the rule's class in ``transformations/quality/rules.py`` (``RULES``); which of
    the settings below each type needs or accepts is in ``transformations/quality/catalogue.py``.
    A ``critical`` failure stops the pipeline (exit 3); a ``warning`` is reported.
    """

    type: str
    severity: str = "warning"
    description: str = ""
    column: Optional[str] = None
    columns: List[str] = field(default_factory=list)
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    allowed: List[str] = field(default_factory=list)
    pattern: Optional[str] = None
    reference: Optional[str] = None           # another dataset of quality.datasets
    reference_column: Optional[str] = None
    reason: Optional[str] = None              # a quarantine reason code
    hour_column: Optional[str] = None
    hour_pattern: Optional[str] = None        # regular expression; group 1 is the hour named in hour_column's text
    source_column: Optional[str] = None
    source_pattern: Optional[str] = None      # regular expression; group 1 is the source's name
    time_zone: Optional[str] = None           # of the local day (freshness, late arrival, DST); default: the feed's
    min_ratio: Optional[float] = None
    max_ratio: Optional[float] = None
    max_duplicates: Optional[int] = None
    max_lag_hours: Optional[float] = None
    lateness_hours: Optional[float] = None
    max_missing: Optional[int] = None
    trailing_days: Optional[int] = None
    max_deviation: Optional[float] = None
    min_relative_band: Optional[float] = None
    min_rows: Optional[int] = None
    bins: List[float] = field(default_factory=list)
    categories: List[str] = field(default_factory=list)
    reference_days: Optional[int] = None
    max_psi: Optional[float] = None


@dataclass(frozen=True)
class QualityDataset:
    """A table the check job evaluates, and its rules.

    ``table`` and ``quarantine`` are ``<zone>.<feed>`` (``silver.cdr``): the zone's path under
    ``paths`` and the feed's directory. ``partition`` is ``run_date`` (the run date's rows) or
    ``latest`` (the latest date up to the run date: reference lists that arrive now and then).
    """

    table: str
    rules: Dict[str, QualityRule]
    quarantine: Optional[str] = None          # scanned in the same pass, for duplicate and quarantine rates
    partition: str = "run_date"
    masked: List[str] = field(default_factory=list)   # columns masked in the report's samples


@dataclass(frozen=True)
class Quality:
    history_days: int                         # metrics history read for anomaly bands and drift references
    sample_rows: int                          # failing rows shown per row-level rule (identifiers masked)
    datasets: Dict[str, QualityDataset]


@dataclass(frozen=True)
class OozieCoordinator:
    """When the daily chain runs: from ``start`` to ``end``, once a day, as soon as the raw
    directories of ``feeds`` for the day hold their ``done_flag``."""

    start: str                       # first nominal time, e.g. 2026-11-01T02:00Z
    end: str
    time_zone: str
    timeout_minutes: int             # how long a day waits for its done flags
    concurrency: int                 # days running at once
    throttle: int                    # days waiting at once
    done_flag: str
    feeds: List[str]


@dataclass(frozen=True)
class OozieSla:
    """Service levels of a day's run, after its nominal time; misses alert the contacts."""

    should_end_minutes: int
    max_duration_minutes: int
    alert_events: List[str]
    alert_contacts: List[str]


@dataclass(frozen=True)
class OozieEnvironment:
    """Where one environment's Oozie application runs (its ``job.properties``)."""

    name_node: str
    resource_manager: str
    queue: str
    app_dir: str                     # HDFS directory the bundle is put to
    conf: str                        # the environment file the jobs run with, e.g. conf/cluster.yaml
    pseudonym_key_file: str          # HDFS file holding the HMAC key, readable by the job's user only


@dataclass(frozen=True)
class Oozie:
    """The daily chain's Oozie application (``python -m oozie``)."""

    schemas: str                     # current: workflow 1.0 + spark-action 1.0; cdh: workflow 0.5 + spark-action 0.2
    packaging: str                   # egg: --py-files egg + dependencies zip; environment: packed virtualenv
    app_name: str
    coordinator: OozieCoordinator
    sla: OozieSla
    alert_emails: List[str]          # failure and data-quality alerts
    spark_opts: str                  # spark-submit options of every Spark action
    environments: Dict[str, OozieEnvironment] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """The whole, merged and validated configuration of one environment."""

    environment: str
    project_dir: str
    paths: Paths
    runtime: Runtime
    logging: Logging
    generate: Generate
    feeds: Dict[str, Feed]
    ingest: Ingest
    cleanse: Cleanse
    quality: Quality
    oozie: Oozie
    source_files: List[str] = field(default_factory=list)

    def resolve(self, path: str) -> str:
        """Absolute form of a local path; URIs (``hdfs://``, ``s3a://``, ``file:``) unchanged."""
        if "://" in path or path.startswith("file:") or os.path.isabs(path):
            return path
        return str(Path(self.project_dir, path).resolve())


# Keys the merge step owns, not part of the schema.
_META_KEYS = {"extends", "include"}
# Sections that are free mappings (Spark settings), whose keys contain dots.
_MAP_SECTIONS = ("runtime.spark",)
_FRACTIONS = ("generate.scale.call_centre_share", "generate.radio.sampled_call_fraction")
_CHOICES = {
    "logging.format": {"text", "json"},
    "logging.level": {"DEBUG", "INFO", "WARNING", "ERROR"},
    "generate.compression": {"gzip", "bzip2", "none"},
    "oozie.schemas": {"current", "cdh"},
    "oozie.packaging": {"egg", "environment"},
}


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def load_config(path: str, overrides: Optional[List[str]] = None) -> Config:
    """Read, merge (``extends``), override (``--set a.b=c``) and validate a configuration.

    Parameters
    ----------
    path
        An environment file, e.g. ``conf/local.yaml``.
    overrides
        ``key.path=value`` strings; the value is parsed as a YAML scalar (``3``, ``0.5``, ``true``).

    Returns
    -------
    Config
        The validated configuration.

    Raises
    ------
    ConfigError
        On a missing file, bad YAML, an unknown key, a wrong type or a missing value.
    """
    document, sources = _read_with_parents(Path(path))
    for item in overrides or []:
        _apply_override(document, item)
    env_name = Path(path).stem
    # The directory holding conf/, as reached, symlinks not followed: YARN localises the conf
    # archive as a link (./conf -> its cache), and a relative key_file is beside ./conf, not there.
    project_dir = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    built = _build(Config, {**document, "environment": env_name, "project_dir": project_dir,
                            "source_files": sources}, "")
    for key, allowed in _CHOICES.items():
        value = _lookup(built, key)
        if value not in allowed:
            raise ConfigError(f"{key}: expected one of {sorted(allowed)}, got {value!r}")
    _check_rates(built.generate.defects, "generate.defects")
    _check_generator(built.generate)
    for i, missing in enumerate(built.generate.incidents.missing_files):
        key = f"generate.incidents.missing_files[{i}]"
        if missing.feed not in ("cdr", "radio") or not 0 <= missing.hour <= 23:
            raise ConfigError(f"{key}: expected an hourly feed (cdr, radio) and an hour 0-23, got "
                              f"{missing.feed} hour {missing.hour}")
    _check_feeds(built.feeds)
    _check_quality(built)
    built = _with_feed_defaults(built)
    for key in _FRACTIONS:
        value = _lookup(built, key)
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{key}: a share must be within [0, 1], got {value}")
    return built


def _read_with_parents(path: Path, seen: Optional[List[str]] = None,
                       chain: Sequence[str] = ()) -> (dict, List[str]):
    """The document of ``path`` merged over its includes and parent, and every file read (in order).

    ``seen`` holds the files read so far, ``chain`` the ones whose reading led here: a file on the
    chain is a cycle; a file read elsewhere before (two files include the same one) is refused too,
    since merging it twice would let its values override what was set between the two readings.
    """
    seen = list(seen or [])
    resolved = str(path.resolve())
    if resolved in chain:
        raise ConfigError(f"extends: cycle through {path}")
    if resolved in seen:
        raise ConfigError(f"{path} is read twice (included or extended by two files); "
                          "read it in one place only")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    seen.append(resolved)
    chain = (*chain, resolved)
    includes = document.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise ConfigError(f"{path}: include: expected a file name or a list of them, got {_kind(includes)}")
    for name in includes:
        included, seen = _read_with_parents(path.parent / str(name), seen, chain)
        document = _deep_merge(included, document)
    parent_name = document.pop("extends", None)
    if parent_name is None:
        return document, seen
    if not isinstance(parent_name, str):
        raise ConfigError(f"{path}: extends: expected a file name, got {_kind(parent_name)}")
    parent, seen = _read_with_parents(path.parent / parent_name, seen, chain)
    return _deep_merge(parent, document), seen


def _deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _apply_override(document: dict, item: str) -> None:
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected key.path=value")
    key, raw_value = item.split("=", 1)
    parts = key.strip().split(".")
    for section in _MAP_SECTIONS:  # keys inside a free mapping may contain dots themselves
        depth = section.count(".") + 1
        if parts[:depth] == section.split(".") and len(parts) > depth:
            parts = parts[:depth] + [".".join(parts[depth:])]
    if not all(parts):
        raise ConfigError(f"--set {item!r}: empty key segment")
    value = _Override(raw_value)
    node = document
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}: {'.'.join(parts[:depth + 1])} is not a section")
        node = child
    node[parts[-1]] = value


class _Override(str):
    """A ``--set`` value, kept as typed text until the schema says what it should be: text keys
    take it verbatim (``--set generate.mnc=01`` stays ``"01"``), others parse it as YAML."""

    def parsed(self):
        try:
            return yaml.safe_load(self) if self.strip() else ""
        except yaml.YAMLError:
            return str(self)

    def as_text(self):
        """For a text key: quoted text unquoted, numbers and booleans verbatim, others parsed."""
        value = self.parsed()
        return str(self) if isinstance(value, (bool, int, float)) else value


def _build(cls, data: Any, prefix: str):
    """Build dataclass ``cls`` from ``data`` strictly, naming the key path in every error."""
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'top level'}: expected a section (mapping), got {_kind(data)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names - _META_KEYS)
    if unknown:
        raise ConfigError(f"{_join(prefix, unknown[0])}: unknown key (allowed: {', '.join(sorted(names))})")
    data = {k: (None if isinstance(v, _Override) and v.parsed() is None else v) for k, v in data.items()}
    values = {}
    for f in dataclasses.fields(cls):
        key = _join(prefix, f.name)
        if f.name not in data or data[f.name] is None and not _is_optional(hints[f.name]):
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            if has_default and f.name not in data:
                continue
            raise ConfigError(f"{key}: missing value")
        values[f.name] = _coerce(hints[f.name], data[f.name], key)
    return cls(**values)


def _coerce(hint, value, key):
    if isinstance(value, _Override):
        value = value.as_text() if hint in (str, Optional[str]) else value.parsed()
    origin = typing.get_origin(hint)
    if _is_optional(hint):
        if value is None:
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    if origin in (dict, Dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {_kind(value)}")
        item_hint = typing.get_args(hint)[1]
        if item_hint is str:
            return {str(k): _scalar_str(v.as_text() if isinstance(v, _Override) else v, f"{key}.{k}")
                    for k, v in value.items()}
        return {str(k): _coerce(item_hint, v, f"{key}.{k}") for k, v in value.items()}
    if origin in (list, List):
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {_kind(value)}")
        return [_coerce(typing.get_args(hint)[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected a whole number, got {_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {_kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected text, got {_kind(value)}")
        return value
    raise ConfigError(f"{key}: unsupported type {hint}")  # pragma: no cover - schema bug


def _scalar_str(value, key) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise ConfigError(f"{key}: expected a scalar value, got {_kind(value)}")
    return str(value).lower() if isinstance(value, bool) else str(value)


FIELD_TYPES = ("string", "enum", "int", "long", "double", "boolean", "timestamp", "msisdn", "imsi", "imei",
               "cell_id")


def _check_feeds(feeds: Dict[str, Feed]) -> None:
    """Cross-field checks of the feed layouts: known rule types and charsets, references to declared fields."""
    from transformations.cleansing.identifiers import check_overseas                      # no session needed
    from transformations.cleansing.numbers import DECIMAL_SEPARATORS, check_decimal_separator
    from transformations.ingestion.charsets import LINE_CHARSETS, is_utf8, line_charset
    for name, feed in feeds.items():
        prefix = f"feeds.{name}"
        for key, charset in (("encoding", feed.encoding), ("fallback_encoding", feed.fallback_encoding)):
            if charset is not None and line_charset(charset) is None:
                raise ConfigError(f"{prefix}.{key}: expected one of {', '.join(LINE_CHARSETS)} (a charset that "
                                  f"writes line breaks as single ASCII bytes), got {charset!r}")
        if feed.fallback_encoding is not None and not is_utf8(feed.encoding):
            raise ConfigError(f"{prefix}.fallback_encoding: only a UTF-8 feed has lines to decode another way; "
                              f"every line is decoded as {feed.encoding}")
        _check_time_zone(feed.time_zone, f"{prefix}.time_zone")
        try:
            check_decimal_separator(feed.decimal_separator)
        except ValueError:
            raise ConfigError(f"{prefix}.decimal_separator: expected {' or '.join(map(repr, DECIMAL_SEPARATORS))} "
                              f"(or no key: either), got {feed.decimal_separator!r}") from None
        try:
            check_overseas(feed.default_country, feed.overseas_prefixes)
        except ValueError as error:
            raise ConfigError(f"{prefix}.overseas_prefixes: {error}") from None
        if len(feed.delimiter) != 1:
            raise ConfigError(f"{prefix}.delimiter: expected one character, got {feed.delimiter!r}")
        if feed.quote is not None and (len(feed.quote) != 1 or feed.quote == feed.delimiter
                                       or feed.quote.isalnum() or feed.quote.isspace()):
            raise ConfigError(f"{prefix}.quote: expected one character, not the delimiter, a letter, a digit or "
                              f"a blank (or ~: no quoting), got {feed.quote!r}")
        if not feed.fields:
            raise ConfigError(f"{prefix}.fields: a feed needs at least one field")
        sources = [rule.source for rule in feed.fields.values()]
        if len(set(sources)) != len(sources):
            raise ConfigError(f"{prefix}.fields: two fields read the same source column")
        for field_name, rule in feed.fields.items():
            key = f"{prefix}.fields.{field_name}"
            if rule.type not in FIELD_TYPES:
                raise ConfigError(f"{key}.type: expected one of {', '.join(FIELD_TYPES)}, got {rule.type!r}")
            if rule.type == "enum" and not rule.allowed:
                raise ConfigError(f"{key}.allowed: an enum needs its allowed values")
            if rule.type == "timestamp" and not (rule.formats or feed.timestamp_formats):
                raise ConfigError(f"{key}.formats: no timestamp formats here nor in {prefix}.timestamp_formats")
            for bound in ("max_days_before", "max_days_after"):
                value = getattr(rule, bound)
                if value is not None and (rule.type != "timestamp" or value < 0):
                    raise ConfigError(f"{key}.{bound}: a number of days >= 0, for a timestamp field only; got "
                                      f"{value} on a {rule.type} field")
            if rule.spare_check_digit and rule.type != "imei":
                raise ConfigError(f"{key}.spare_check_digit: for an imei field only; this field is of type {rule.type}")
            if rule.minimum is not None and rule.maximum is not None and rule.minimum > rule.maximum:
                raise ConfigError(f"{key}: minimum {rule.minimum} is above maximum {rule.maximum}")
        _check_pattern(feed.source_pattern, 1, f"{prefix}.source_pattern")
        if feed.dedup is not None:
            for ref in [*feed.dedup.keys, feed.dedup.time, feed.dedup.survivor]:
                if ref not in feed.fields:
                    raise ConfigError(f"{prefix}.dedup: {ref!r} is not one of the feed's fields")
        if feed.outcome is not None and feed.outcome.cause not in feed.fields:
            raise ConfigError(f"{prefix}.outcome.cause: {feed.outcome.cause!r} is not one of the feed's fields")


def _check_quality(config: "Config") -> None:
    """Cross-field checks of the quality rules: known types and severities, each type's settings,
    tables and references that exist."""
    from transformations.quality.catalogue import RULE_SETTINGS, SEVERITIES  # plain data, no Spark

    quality, common = config.quality, {"type", "severity", "description"}
    if quality.history_days < 1 or quality.sample_rows < 0:
        raise ConfigError("quality: history_days must be >= 1 and sample_rows >= 0")
    zones = {f.name for f in dataclasses.fields(Paths)}
    for name, dataset in quality.datasets.items():
        prefix = f"quality.datasets.{name}"
        for key in ("table", "quarantine"):
            ref = getattr(dataset, key)
            if ref is None:
                continue
            zone, _, feed = ref.partition(".")
            if zone not in zones or feed not in config.feeds:
                raise ConfigError(f"{prefix}.{key}: expected <zone>.<feed> with a zone of paths and a feed of "
                                  f"feeds ({', '.join(config.feeds)}), got {ref!r}")
        if dataset.partition not in ("run_date", "latest"):
            raise ConfigError(f"{prefix}.partition: expected run_date or latest, got {dataset.partition!r}")
        for rule_name, rule in dataset.rules.items():
            key = f"{prefix}.rules.{rule_name}"
            if rule.type not in RULE_SETTINGS:
                raise ConfigError(f"{key}.type: expected one of {', '.join(RULE_SETTINGS)}, got {rule.type!r}")
            if rule.severity not in SEVERITIES:
                raise ConfigError(f"{key}.severity: expected one of {', '.join(SEVERITIES)}, got {rule.severity!r}")
            required, optional = RULE_SETTINGS[rule.type]
            given = {f.name for f in dataclasses.fields(rule)
                     if f.name not in common and getattr(rule, f.name) not in (None, [])}
            missing = [s for s in required if s not in given]
            if missing:
                raise ConfigError(f"{key}.{missing[0]}: missing value (a {rule.type} rule needs "
                                  f"{', '.join(required)})")
            extra = sorted(given - set(required) - set(optional))
            if extra:
                raise ConfigError(f"{key}.{extra[0]}: not a setting of a {rule.type} rule (allowed: "
                                  f"{', '.join(required + optional)})")
            if rule.reference is not None and rule.reference not in quality.datasets:
                raise ConfigError(f"{key}.reference: {rule.reference!r} is not one of quality.datasets")
            if rule.type in ("duplicate_rate", "quarantine_rate") and dataset.quarantine is None:
                raise ConfigError(f"{key}: a {rule.type} rule needs {prefix}.quarantine")
            if rule.type == "drift" and bool(rule.bins) == bool(rule.categories):
                raise ConfigError(f"{key}: a drift rule needs either bins (numeric) or categories, not both")
            if rule.bins and list(rule.bins) != sorted(set(rule.bins)):
                raise ConfigError(f"{key}.bins: expected increasing bin edges, got {rule.bins}")
            for setting, groups in (("pattern", 0), ("source_pattern", 1), ("hour_pattern", 1)):
                _check_pattern(getattr(rule, setting), groups, f"{key}.{setting}")
            if rule.time_zone is not None:
                _check_time_zone(rule.time_zone, f"{key}.time_zone")


def _with_feed_defaults(config: "Config") -> "Config":
    """``config`` with each quality rule given what it leaves unset and its dataset's feed declares
    (the dataset's table names its feed):

    - a rule that reads a local day (freshness, late arrival, hourly completeness) without
      ``time_zone``: ``feeds.<feed>.time_zone``, the zone of the days the feed's raw directories hold;
    - an hourly completeness rule whose source is the file (``_source_file``) without
      ``source_pattern``: ``feeds.<feed>.source_pattern``, where a file's path names its source.
    """
    from transformations.ingestion.bronze import SOURCE_FILE      # a column name, no Spark
    from transformations.quality.catalogue import RULE_SETTINGS  # plain data, no Spark

    local_day = {kind for kind, (required, optional) in RULE_SETTINGS.items() if "time_zone" in required + optional}

    def completed(rule: QualityRule, feed: Feed) -> QualityRule:
        if rule.type in local_day and rule.time_zone is None:
            rule = dataclasses.replace(rule, time_zone=feed.time_zone)
        from_file = rule.type == "hourly_completeness" and rule.source_column == SOURCE_FILE
        if from_file and rule.source_pattern is None:
            rule = dataclasses.replace(rule, source_pattern=feed.source_pattern)
        return rule

    datasets = {}
    for name, dataset in config.quality.datasets.items():
        feed = config.feeds[dataset.table.partition(".")[2]]
        rules = {rule_name: completed(rule, feed) for rule_name, rule in dataset.rules.items()}
        datasets[name] = dataclasses.replace(dataset, rules=rules)
    return dataclasses.replace(config, quality=dataclasses.replace(config.quality, datasets=datasets))


def _check_pattern(pattern: Optional[str], groups: int, key: str) -> None:
    """A regular expression Spark can use (Java syntax; checked with Python's, which agrees on
    the common subset), with at least ``groups`` groups."""
    if pattern is None:
        return
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"{key}: not a regular expression ({error})") from None
    if compiled.groups < groups:
        raise ConfigError(f"{key}: needs a group, e.g. source=([^/]+), got {pattern!r}")


def _check_time_zone(name: str, key: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: unknown time zone {name!r}") from None


def _check_generator(settings: Generate) -> None:
    """What the generator would only find out once Spark runs and part of its truth is written:
    a feed's defect rates adding up to 1 or more (a row carries at most one), more subscribers than
    numbers, probe duplicates without a second probe, a network it cannot lay out."""
    from transformations.synthetic import defects     # no session needed
    from transformations.synthetic.identifiers import MAX_SUBSCRIBERS
    from transformations.synthetic.network import NetworkLayout
    for feed, kinds in (("cdr", defects.CDR_DEFECTS), ("radio", defects.RADIO_DEFECTS),
                        ("weather", defects.WEATHER_DEFECTS), ("cells", defects.CELL_DEFECTS)):
        rates = {kind: getattr(settings.defects, kind) for kind in kinds}
        if sum(rates.values()) >= 1.0:
            listed = ", ".join(f"{kind}={rate:g}" for kind, rate in rates.items() if rate)
            raise ConfigError(f"generate.defects: the {feed} defects' rates add up to {sum(rates.values()):.3f} "
                              f"({listed}); a row carries at most one defect, so they must stay below 1")
    if settings.scale.subscribers > MAX_SUBSCRIBERS:
        raise ConfigError(f"generate.scale.subscribers: at most {MAX_SUBSCRIBERS:,} (distinct mainland mobile "
                          f"numbers), got {settings.scale.subscribers:,}")
    if settings.defects.duplicate_probe > 0 and settings.scale.files_per_hour < 2:
        raise ConfigError("generate.scale.files_per_hour: a probe duplicate comes from a second probe; "
                          f"{settings.scale.files_per_hour} probe cannot write one (set defects.duplicate_probe=0)")
    try:
        NetworkLayout.from_scale(settings.scale)
    except ValueError as error:
        raise ConfigError(str(error)) from None   # it names its key


def _check_rates(section, prefix):
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{prefix}.{f.name}: a rate must be within [0, 1], got {value}")


def _is_optional(hint) -> bool:
    return typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)


def _lookup(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else str(name)


def _kind(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
