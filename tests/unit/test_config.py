"""Configuration loading: merge (``extends``), ``--set`` overrides and strict validation.

Every error must name the key path (or the file and line), because it is the one line a person
or a scheduler sees when a job refuses to start.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from jobs.runtime.config import Config, ConfigError, load_config
from transformations.cleansing.rules import identifier_fields
from tests.conftest import CLUSTER_CONF, LOCAL_CONF, PROJECT_ROOT


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    """A scratch ``conf/`` directory holding a copy of the project's ``base.yaml`` and the
    ``feeds.yaml`` and ``quality.yaml`` it includes.

    Parameters
    ----------
    tmp_path
        pytest's per-test directory, which plays the project directory.

    Returns
    -------
    pathlib.Path
        ``tmp_path / "conf"``; write environment files into it with :func:`write_conf`.
    """
    directory = tmp_path / "conf"
    directory.mkdir()
    for name in ("base.yaml", "feeds.yaml", "quality.yaml"):
        shutil.copy(PROJECT_ROOT / "conf" / name, directory / name)
    return directory


def write_conf(directory: Path, name: str, text: str) -> str:
    """Write an environment file and return its path as a string.

    Parameters
    ----------
    directory
        The ``conf/`` directory.
    name
        File name, e.g. ``"test.yaml"``.
    text
        YAML content.

    Returns
    -------
    str
        The file's path, ready for :func:`load_config`.
    """
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


PATHS_SECTION = """
paths:
  raw: data/raw
  bronze: data/bronze
  silver: data/silver
  quarantine: data/quarantine
  gold: data/gold
  truth: data/truth
  run_log: data/run_log
  reports: data/reports
  quality: data/quality
"""
RUNTIME_SECTION = """
runtime:
  master: local[1]
  jars_dir: null
  spark: {}
"""


def local(*overrides: str) -> Config:
    """``conf/local.yaml`` with ``overrides`` applied."""
    return load_config(str(LOCAL_CONF), list(overrides))


def error_of(path: str, overrides=None) -> str:
    """The message of the :class:`ConfigError` that loading ``path`` must raise."""
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    return str(caught.value)


# ---------------------------------------------------------------------------------------------
# The project's own environment files
# ---------------------------------------------------------------------------------------------
def test_local_conf_validates():
    config = local()
    assert config.environment == "local"
    assert config.project_dir == str(PROJECT_ROOT)
    assert config.source_files == [str(LOCAL_CONF), str(PROJECT_ROOT / "conf" / "base.yaml"),
                                   str(PROJECT_ROOT / "conf" / "feeds.yaml"),
                                   str(PROJECT_ROOT / "conf" / "quality.yaml")]
    assert config.runtime.master == "local[*]"
    assert config.runtime.jars_dir == ".jars"
    assert config.logging.format == "text"
    # base.yaml's values come through the merge, local.yaml's win
    assert config.generate.scale.subscribers == 200000
    assert config.runtime.spark["spark.sql.shuffle.partitions"] == "8"
    assert isinstance(config.generate.radio.shadowing_sigma_db, float)


def test_cluster_conf_validates():
    config = load_config(str(CLUSTER_CONF))
    assert config.environment == "cluster"
    assert config.runtime.master == "yarn"
    assert config.runtime.jars_dir is None
    assert config.logging.format == "json"
    assert config.paths.silver == "hdfs:///data/cdr/silver"
    assert config.runtime.spark["spark.sql.shuffle.partitions"] == "2000"
    # merged from base.yaml: cluster.yaml only overrides part of generate.scale
    assert config.generate.scale.files_per_hour == 16
    assert config.generate.scale.call_centre_share == 0.02


def test_local_config_fixture_writes_every_zone_under_tmp(local_config, tmp_path):
    zones = vars(local_config.paths)
    assert zones == {zone: str(tmp_path / "data" / zone) for zone in zones}
    assert all(local_config.resolve(path) == path for path in zones.values())


def test_spark_settings_are_strings_whatever_yaml_made_of_them(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + """
runtime:
  master: local[1]
  jars_dir: null
  spark:
    spark.sql.shuffle.partitions: 4
    spark.sql.adaptive.enabled: true
""")
    assert load_config(path).runtime.spark == {"spark.sql.shuffle.partitions": "4",
                                               "spark.sql.adaptive.enabled": "true"}


# ---------------------------------------------------------------------------------------------
# Unknown keys, wrong types, missing values
# ---------------------------------------------------------------------------------------------
def test_unknown_top_level_key_is_named(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION
                      + "\nloging:\n  format: json\n")
    message = error_of(path)
    assert message.startswith("loging: unknown key")
    assert "logging" in message  # the allowed keys are listed


def test_unknown_nested_key_is_named(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION
                      + "\ngenerate:\n  defects:\n    nul_token: 0.1\n")
    assert error_of(path).startswith("generate.defects.nul_token: unknown key")


def test_unknown_key_through_override_is_named():
    with pytest.raises(ConfigError, match=r"^generate\.scale\.subscriber: unknown key"):
        local("generate.scale.subscriber=10")
    with pytest.raises(ConfigError, match=r"^bogus: unknown key"):
        local("bogus.deeper=1")


@pytest.mark.parametrize("override, message", [
    ("generate.seed=abc", r"^generate\.seed: expected a whole number, got str 'abc'"),
    ("generate.seed=1.5", r"^generate\.seed: expected a whole number, got float 1\.5"),
    ("generate.scale.subscribers=true", r"^generate\.scale\.subscribers: expected a whole number, got bool"),
    ("generate.radio.shadowing_sigma_db=loud", r"^generate\.radio\.shadowing_sigma_db: expected a number"),
    ("generate.radio.tx_power_dbm=false", r"^generate\.radio\.tx_power_dbm: expected a number, got bool"),
    ("generate.time_zone=[UTC]", r"^generate\.time_zone: expected text, got a list"),
    ("paths=data", r"^paths: expected a section \(mapping\), got str 'data'"),
    ("runtime.spark.spark.jars=[a, b]", r"^runtime\.spark\.spark\.jars: expected a scalar value, got a list"),
])
def test_wrong_type_is_named(override, message):
    with pytest.raises(ConfigError, match=message):
        local(override)


def test_whole_number_is_accepted_as_a_float():
    value = local("generate.radio.shadowing_sigma_db=7").generate.radio.shadowing_sigma_db
    assert value == 7.0 and isinstance(value, float)


def test_missing_section_is_named(conf_dir):
    # extends base.yaml, which has no paths: the environment file must provide them
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + RUNTIME_SECTION)
    assert error_of(path) == "paths: missing value"


def test_missing_nested_value_is_named(conf_dir):
    without_gold = PATHS_SECTION.replace("  gold: data/gold\n", "")
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + without_gold + RUNTIME_SECTION)
    assert error_of(path) == "paths.gold: missing value"


def test_null_is_a_missing_value_unless_optional(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION)
    assert load_config(path).runtime.jars_dir is None  # Optional: null allowed
    with pytest.raises(ConfigError, match=r"^runtime\.master: missing value$"):
        load_config(path, ["runtime.master=null"])


# ---------------------------------------------------------------------------------------------
# --set overrides
# ---------------------------------------------------------------------------------------------
def test_override_int_float_and_text():
    config = local("generate.seed=7", "generate.radio.shadowing_sigma_db=4.5",
                   "generate.time_zone=UTC", "paths.raw=/tmp/elsewhere/raw")
    assert config.generate.seed == 7
    assert config.generate.radio.shadowing_sigma_db == 4.5
    assert config.generate.time_zone == "UTC"
    assert config.paths.raw == "/tmp/elsewhere/raw"
    # what was not overridden keeps its merged value
    assert config.paths.bronze == "data/local/bronze"


def test_override_quoted_text_stays_text():
    assert local('generate.mnc="02"').generate.mnc == "02"


def test_override_a_dotted_spark_key():
    config = local("runtime.spark.spark.driver.memory=2g", "runtime.spark.spark.executor.cores=4")
    assert config.runtime.spark["spark.driver.memory"] == "2g"
    assert config.runtime.spark["spark.executor.cores"] == "4"
    # the other Spark settings of local.yaml are kept, not replaced by the override
    assert config.runtime.spark["spark.sql.session.timeZone"] == "UTC"


def test_last_override_of_a_key_wins():
    assert local("generate.seed=1", "generate.seed=2").generate.seed == 2


@pytest.mark.parametrize("override, message", [
    ("generate.seed", r"^--set 'generate\.seed': expected key\.path=value$"),
    ("generate..seed=1", r"^--set 'generate\.\.seed=1': empty key segment$"),
    ("=1", r"^--set '=1': empty key segment$"),
    ("logging.format.style=x", r"^--set logging\.format\.style: logging\.format is not a section$"),
])
def test_bad_override_syntax(override, message):
    with pytest.raises(ConfigError, match=message):
        local(override)


# ---------------------------------------------------------------------------------------------
# Files: extends, YAML syntax
# ---------------------------------------------------------------------------------------------
def test_extends_cycle(conf_dir):
    first = write_conf(conf_dir, "a.yaml", "extends: b.yaml\n")
    write_conf(conf_dir, "b.yaml", "extends: a.yaml\n")
    assert error_of(first).startswith("extends: cycle through")
    self_path = write_conf(conf_dir, "self.yaml", "extends: self.yaml\n")
    assert error_of(self_path).startswith("extends: cycle through")


def test_include_cycle_is_a_cycle(conf_dir):
    write_conf(conf_dir, "loop.yaml", "include: [t.yaml]\n")
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\ninclude: [loop.yaml]\n")
    assert error_of(path).startswith("extends: cycle through")


def test_a_file_read_twice_is_named_not_called_a_cycle(conf_dir):
    # base.yaml already includes feeds.yaml: a second reading would merge it over base's own keys.
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\ninclude: [feeds.yaml]\n" + PATHS_SECTION
                      + RUNTIME_SECTION)
    message = error_of(path)
    assert message.startswith(str(Path(conf_dir) / "feeds.yaml") + " is read twice"), message
    assert "cycle" not in message


def test_extends_chain_merges_every_level(conf_dir):
    write_conf(conf_dir, "middle.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION
               + "\nlogging:\n  level: DEBUG\n")
    top = write_conf(conf_dir, "top.yaml", "extends: middle.yaml\nlogging:\n  format: json\n")
    config = load_config(top)
    assert (config.logging.format, config.logging.level) == ("json", "DEBUG")
    assert config.environment == "top"
    assert [Path(p).name for p in config.source_files] == ["top.yaml", "middle.yaml", "base.yaml", "feeds.yaml",
                                                           "quality.yaml"]


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "conf" / "nowhere.yaml"
    assert error_of(str(missing)) == f"config file not found: {missing}"


def test_missing_parent_is_named(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: basis.yaml\n")
    assert error_of(path) == f"config file not found: {conf_dir / 'basis.yaml'}"


def test_invalid_yaml_names_file_and_line(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\nlogging:\n  format: text\n level: INFO\n")
    message = error_of(path)
    assert message.startswith(f"{path} line 4: invalid YAML")


@pytest.mark.parametrize("value, kind", [("3", "int 3"), ("[a.yaml, b.yaml]", "a list")])
def test_extends_must_name_a_file(conf_dir, value, kind):
    path = write_conf(conf_dir, "t.yaml", f"extends: {value}\n")
    assert error_of(path) == f"{path}: extends: expected a file name, got {kind}"


def test_file_that_is_not_utf8_is_named(conf_dir):
    path = conf_dir / "t.yaml"
    path.write_bytes("extends: base.yaml\n# r\u00e9seau\n".encode("latin-1"))
    assert error_of(str(path)) == f"{path}: not UTF-8 text (invalid continuation byte at byte 22)"


def test_top_level_must_be_a_mapping(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "- a\n- b\n")
    assert error_of(path) == f"{path}: expected a mapping at the top level"


# ---------------------------------------------------------------------------------------------
# Value checks: rates and choices
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1.5", "-0.01"])
def test_rate_outside_unit_interval_is_rejected(value):
    with pytest.raises(ConfigError, match=r"^generate\.defects\.null_token: a rate must be within \[0, 1\]"):
        local(f"generate.defects.null_token={value}")


def test_rate_bounds_are_allowed():
    config = local("generate.defects.null_token=0", "generate.defects.truncated_last_line=1")
    assert (config.generate.defects.null_token, config.generate.defects.truncated_last_line) == (0.0, 1.0)


def test_a_feeds_defect_rates_adding_up_to_one_are_rejected_before_spark():
    # each rate is within [0, 1], but a row carries at most one defect
    with pytest.raises(ConfigError, match=r"^generate\.defects: the cdr defects' rates add up to 1\.10\d "
                                          r"\(malformed_date=0\.6, bad_msisdn=0\.5, "):
        local("generate.defects.malformed_date=0.6", "generate.defects.bad_msisdn=0.5")
    with pytest.raises(ConfigError, match=r"^generate\.scale\.areas must be a square number, got 5$"):
        local("generate.scale.areas=5")
    with pytest.raises(ConfigError, match=r"^generate\.scale\.files_per_hour: a probe duplicate comes from a second"):
        local("generate.scale.files_per_hour=1")
    with pytest.raises(ConfigError, match=r"^generate\.scale\.subscribers: at most 80,000,000 "):
        local("generate.scale.subscribers=80000001")
    single_probe = local("generate.scale.files_per_hour=1", "generate.defects.duplicate_probe=0")
    assert single_probe.generate.scale.files_per_hour == 1


@pytest.mark.parametrize("override, key", [
    ("logging.format=xml", "logging.format"),
    ("logging.format=JSON", "logging.format"),
    ("logging.level=verbose", "logging.level"),
    ("generate.compression=zip", "generate.compression"),
])
def test_choice_outside_allowed_values_is_rejected(override, key):
    with pytest.raises(ConfigError, match=rf"^{re.escape(key)}: expected one of \["):
        local(override)


def test_allowed_choices_are_accepted():
    config = local("logging.format=json", "logging.level=DEBUG", "generate.compression=none")
    assert (config.logging.format, config.logging.level, config.generate.compression) == ("json", "DEBUG", "none")


# ---------------------------------------------------------------------------------------------
# Config.resolve
# ---------------------------------------------------------------------------------------------
def test_resolve_relative_path_against_project_directory():
    config = local()
    assert config.resolve("data/local/raw") == str(PROJECT_ROOT / "data" / "local" / "raw")
    assert config.resolve("./data/../data/x") == str(PROJECT_ROOT / "data" / "x")


def test_resolve_project_directory_follows_the_conf_file(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION)
    config = load_config(path)
    assert config.resolve(config.paths.raw) == str(conf_dir.parent / "data" / "raw")


def test_resolve_is_beside_the_conf_link_when_conf_is_a_localised_archive(conf_dir, tmp_path):
    """YARN unpacks ``<archive>conf.zip#conf</archive>`` in its cache and links it into the
    container as ``./conf``; the action's ``<file>key#pseudonym.key</file>`` is beside that link."""
    write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION)
    container = tmp_path / "container"
    container.mkdir()
    (container / "conf").symlink_to(conf_dir, target_is_directory=True)
    config = load_config(str(container / "conf" / "t.yaml"))
    assert config.resolve("pseudonym.key") == str(container / "pseudonym.key")
    assert config.resolve(config.paths.raw) == str(container / "data" / "raw")


@pytest.mark.parametrize("path", [
    "/abs/data/raw", "hdfs:///data/cdr/raw", "hdfs://namenode:8020/data", "s3a://bucket/cdr", "file:/tmp/x",
    "file:///tmp/x",
])
def test_resolve_leaves_absolute_paths_and_uris_alone(path):
    assert local().resolve(path) == path


def test_override_of_a_text_key_keeps_digits_verbatim():
    # YAML would read 01 as the number 1 and 44 as an int: text keys take the text as typed.
    config = load_config(str(LOCAL_CONF), ["generate.mnc=01", "generate.country_code=44",
                                           "runtime.spark.spark.sql.shuffle.partitions=016"])
    assert (config.generate.mnc, config.generate.country_code) == ("01", "44")
    assert config.runtime.spark["spark.sql.shuffle.partitions"] == "016"


def test_override_null_clears_an_optional_key():
    assert load_config(str(LOCAL_CONF), ["runtime.jars_dir=null"]).runtime.jars_dir is None


@pytest.mark.parametrize("key", ["generate.scale.call_centre_share", "generate.radio.sampled_call_fraction"])
def test_shares_outside_unit_interval_are_rejected(key):
    with pytest.raises(ConfigError, match=rf"^{re.escape(key)}: a share must be within \[0, 1\], got 1.5"):
        load_config(str(LOCAL_CONF), [f"{key}=1.5"])


# --------------------------------------------------------------------------------------------
# Feed layouts (conf/feeds.yaml, included by base.yaml)
# --------------------------------------------------------------------------------------------
def test_feeds_come_from_the_included_file():
    config = local()
    assert list(config.feeds) == ["cdr", "radio", "cells", "weather"]
    cdr = config.feeds["cdr"]
    assert (cdr.delimiter, cdr.default_country, cdr.time_zone) == (";", "33", "Europe/Paris")
    duration = cdr.fields["duration_s"]
    assert (duration.type, duration.required, duration.minimum, duration.maximum, duration.sentinels) == (
        "long", True, 0.0, 86400.0, ["-999"])
    assert cdr.fields["imei"].required is False and cdr.fields["imei"].sentinels == []
    assert cdr.dedup.keys == ["calling_number", "called_number", "record_type"]
    assert cdr.outcome.codes["dropped"] == [41, 102]
    assert config.feeds["cells"].dedup is None


@pytest.mark.parametrize("override, message", [
    ("feeds.cdr.fields.imsi.type=ismi", "feeds.cdr.fields.imsi.type: expected one of"),
    ("feeds.cdr.fields.duration_s.minimum=many", "feeds.cdr.fields.duration_s.minimum: expected a number"),
    ("feeds.cdr.fields.duration_s.minimum=90000", "feeds.cdr.fields.duration_s: minimum 90000.0 is above maximum"),
    ("feeds.cdr.fields.imsi.colour=red", "feeds.cdr.fields.imsi.colour: unknown key"),
    ("feeds.cdr.delimiter=;;", "feeds.cdr.delimiter: expected one character"),
    ("feeds.cdr.quote=;", "feeds.cdr.quote: expected one character, not the delimiter"),
    ("feeds.cells.quote=''", "feeds.cells.quote: expected one character"),
    ("feeds.cdr.dedup.time=begin", "feeds.cdr.dedup: 'begin' is not one of the feed's fields"),
    ("feeds.cdr.outcome.codes.dropped=41", "feeds.cdr.outcome.codes.dropped: expected a list"),
    ("feeds.cdr.fields.imei.source=imsi", "feeds.cdr.fields: two fields read the same source column"),
    ("feeds.cdr.encoding=UTF-16", "feeds.cdr.encoding: expected one of UTF-8, ISO-8859-1, windows-1252 "
                                  "(a charset that writes line breaks as single ASCII bytes), got 'UTF-16'"),
    ("feeds.radio.fallback_encoding=EBCDIC", "feeds.radio.fallback_encoding: expected one of"),
    ("feeds.cells.encoding=windows-1252", "feeds.cells.fallback_encoding: only a UTF-8 feed has lines to decode"),
    ("feeds.cdr.fields.duration_s.max_days_after=1", "feeds.cdr.fields.duration_s.max_days_after: a number of days "
                                                     ">= 0, for a timestamp field only; got 1 on a long field"),
    ("feeds.cdr.fields.start_time.max_days_before=-1", "feeds.cdr.fields.start_time.max_days_before: a number of"),
    ("feeds.cdr.overseas_prefixes.590=[\"692\"]",
     "feeds.cdr.overseas_prefixes: prefix 692 of 590 overlaps prefix 692 of 262"),
    ("feeds.cdr.overseas_prefixes.33=[\"612\"]", "feeds.cdr.overseas_prefixes: 33 is the home country code"),
    ("feeds.cdr.time_zone=Europe/Pariss", "feeds.cdr.time_zone: unknown time zone 'Europe/Pariss'"),
    ("feeds.weather.decimal_separator=;", "feeds.weather.decimal_separator: expected '.' or ','"),
    ("feeds.cdr.source_pattern=source=[^/]+", "feeds.cdr.source_pattern: needs a group, e.g. source=([^/]+)"),
    ("feeds.radio.source_pattern=source=([^/]+", "feeds.radio.source_pattern: not a regular expression"),
    ("feeds.cdr.fields.imsi.spare_check_digit=true", "feeds.cdr.fields.imsi.spare_check_digit: for an imei field "
                                                     "only; this field is of type imsi"),
])
def test_bad_feed_layout_is_named(override, message):
    with pytest.raises(ConfigError) as error:
        local(override)
    assert str(error.value).startswith(message), str(error.value)


@pytest.mark.parametrize("overrides", [
    ["feeds.cdr.encoding=utf8", "feeds.cdr.fallback_encoding=Latin-1"],
    ["feeds.cdr.encoding=CP1252", "feeds.cdr.fallback_encoding=null"],
    ["feeds.cdr.encoding=us_ascii", "feeds.cdr.fallback_encoding=cp1252"],     # ASCII is UTF-8
])
def test_charsets_are_accepted_in_their_usual_spellings(overrides):
    assert local(*overrides).feeds["cdr"].encoding == overrides[0].split("=")[1]


def test_quoting_is_rfc_4180_unless_a_feed_turns_it_off():
    assert local().feeds["cells"].quote == '"'
    assert local("feeds.cells.quote=null").feeds["cells"].quote is None
    assert local("feeds.cells.quote=\"'\"").feeds["cells"].quote == "'"


def test_a_feed_without_its_type_is_named(conf_dir):
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\n" + PATHS_SECTION + RUNTIME_SECTION
                      + "feeds:\n  cdr:\n    fields:\n      imsi_2: {source: imsi_2}\n")
    with pytest.raises(ConfigError, match=r"^feeds.cdr.fields.imsi_2.type: missing value$"):
        load_config(path)


def test_include_is_merged_under_the_including_file(conf_dir):
    write_conf(conf_dir, "extra.yaml", "logging:\n  level: DEBUG\n  format: json\n")
    path = write_conf(conf_dir, "t.yaml", "extends: base.yaml\ninclude: [extra.yaml]\n" + PATHS_SECTION
                      + RUNTIME_SECTION + "logging:\n  format: text\n")
    config = load_config(path)
    assert (config.logging.level, config.logging.format) == ("DEBUG", "text")  # the includer wins


def test_quality_rules_come_from_the_included_file():
    quality = local().quality
    assert {"cdr", "radio", "cells", "weather"} <= set(quality.datasets)
    cdr = quality.datasets["cdr"]
    assert (cdr.table, cdr.quarantine, cdr.partition) == ("silver.cdr", "quarantine.cdr", "run_date")
    assert cdr.rules["record_id_unique"].columns == ["record_id"]
    assert cdr.rules["record_id_unique"].severity == "critical"
    assert quality.datasets["cells"].partition == "latest"


def test_every_identifier_of_a_checked_feed_has_a_critical_pseudonymised_rule():
    """A subscriber identifier in clear in silver must stop the workflow: an identifier field added
    to a feed needs its rule in conf/quality.yaml."""
    config = local()
    checked = 0
    for name, dataset in config.quality.datasets.items():
        feed = config.feeds[dataset.table.split(".", 1)[1]]
        covered = {rule.column for rule in dataset.rules.values()
                   if rule.type == "pseudonymised" and rule.severity == "critical"
                   and (rule.min_ratio is None or rule.min_ratio >= 1)}
        missing = set(identifier_fields(feed)) - covered
        assert not missing, f"{name}: no critical pseudonymised rule for {sorted(missing)}"
        checked += len(identifier_fields(feed))
    assert checked == 4      # the CDR feed's calling and called numbers, IMSI, IMEI


def test_local_day_rules_read_their_feeds_time_zone_unless_they_set_one():
    config = local("feeds.cdr.time_zone=America/Cayenne",
                   "quality.datasets.radio.rules.radio_fresh.time_zone=Asia/Tokyo")
    cdr, radio = config.quality.datasets["cdr"].rules, config.quality.datasets["radio"].rules
    assert {cdr[name].time_zone for name in ("cdr_fresh", "cdr_late", "cdr_files_every_hour")} == {"America/Cayenne"}
    assert radio["radio_fresh"].time_zone == "Asia/Tokyo"
    assert radio["radio_files_every_hour"].time_zone == config.feeds["radio"].time_zone == "Europe/Paris"
    assert cdr["record_id_unique"].time_zone is None   # a rule with no local day gets none


def test_hourly_completeness_of_files_reads_the_feeds_source_pattern_unless_it_sets_one():
    config = local("feeds.cdr.source_pattern=switch_([A-Z0-9]+)_",
                   "quality.datasets.radio.rules.radio_files_every_hour.source_pattern=probe=([^/]+)")
    cdr, radio = config.quality.datasets["cdr"].rules, config.quality.datasets["radio"].rules
    assert cdr["cdr_files_every_hour"].source_pattern == "switch_([A-Z0-9]+)_"
    assert radio["radio_files_every_hour"].source_pattern == "probe=([^/]+)"
    assert config.feeds["radio"].source_pattern == "source=([^/]+)"
    assert cdr["record_id_unique"].source_pattern is None   # not an hourly completeness rule


@pytest.mark.parametrize("override, message", [
    ("quality.datasets.cdr.rules.cdr_fresh.type=fresh", "quality.datasets.cdr.rules.cdr_fresh.type: expected one of"),
    ("quality.datasets.cdr.rules.cdr_fresh.severity=fatal",
     "quality.datasets.cdr.rules.cdr_fresh.severity: expected one of critical, warning"),
    ("quality.datasets.cdr.rules.cdr_fresh.column=null",
     "quality.datasets.cdr.rules.cdr_fresh.column: missing value (a freshness rule needs column)"),
    ("quality.datasets.cdr.rules.cdr_fresh.pattern=x",
     "quality.datasets.cdr.rules.cdr_fresh.pattern: not a setting of a freshness rule"),
    ("quality.datasets.cdr.rules.cdr_fresh.colour=red", "quality.datasets.cdr.rules.cdr_fresh.colour: unknown key"),
    ("quality.datasets.cdr.rules.cell_in_cell_list.reference=towers",
     "quality.datasets.cdr.rules.cell_in_cell_list.reference: 'towers' is not one of quality.datasets"),
    ("quality.datasets.cdr.table=gold_zone.cdr", "quality.datasets.cdr.table: expected <zone>.<feed>"),
    ("quality.datasets.cdr.table=silver.calls", "quality.datasets.cdr.table: expected <zone>.<feed>"),
    ("quality.datasets.cdr.partition=yesterday", "quality.datasets.cdr.partition: expected run_date or latest"),
    ("quality.datasets.cdr.quarantine=null",
     "quality.datasets.cdr.rules.probe_duplicate_rate: a duplicate_rate rule needs quality.datasets.cdr.quarantine"),
    ("quality.datasets.cdr.rules.duration_drift.categories=[a]",
     "quality.datasets.cdr.rules.duration_drift: a drift rule needs either bins"),
    ("quality.datasets.cdr.rules.duration_drift.bins=[10, 1]",
     "quality.datasets.cdr.rules.duration_drift.bins: expected increasing bin edges"),
    ("quality.history_days=0", "quality: history_days must be >= 1"),
    ("quality.datasets.cdr.rules.cell_id_shape.pattern=^[0-9", "quality.datasets.cdr.rules.cell_id_shape.pattern: "
     "not a regular expression"),
    ("quality.datasets.cdr.rules.cdr_files_every_hour.source_pattern=source=",
     "quality.datasets.cdr.rules.cdr_files_every_hour.source_pattern: needs a group"),
    ("quality.datasets.cdr.rules.cdr_files_every_hour.time_zone=Europe/Pariss",
     "quality.datasets.cdr.rules.cdr_files_every_hour.time_zone: unknown time zone"),
])
def test_bad_quality_rules_are_named(override, message):
    with pytest.raises(ConfigError) as error:
        local(override)
    assert str(error.value).startswith(message), str(error.value)


def test_every_rule_type_has_its_class_and_settings_the_config_knows():
    import dataclasses

    from jobs.runtime.config import QualityRule
    from transformations.quality.catalogue import RULE_SETTINGS
    from transformations.quality.rules import RULES
    assert set(RULES) == set(RULE_SETTINGS)
    known = {f.name for f in dataclasses.fields(QualityRule)}
    for kind, (required, optional) in RULE_SETTINGS.items():
        assert set(required) | set(optional) <= known, kind
