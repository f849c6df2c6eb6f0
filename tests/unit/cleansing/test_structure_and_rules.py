"""Row structure (bad file, wrong field count) and the conf-driven rules of a whole feed."""
import dataclasses
import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import Row
from pyspark.sql import functions as F

from jobs.runtime.config import load_config
from tests.conftest import LOCAL_CONF
from transformations.cleansing.reasons import REASONS, with_reasons
from transformations.cleansing.rules import RULES, cleanse_feed, identifier_fields
from transformations.cleansing.structure import flag_structure, keep_structural_reason_only

FEEDS = load_config(str(LOCAL_CONF)).feeds


def test_flag_structure_names_bad_files_blank_lines_and_wrong_field_counts(spark):
    df = spark.createDataFrame([(1, "a;b;c", 3, 3, None), (2, "a;b", 2, 3, None), (3, "a;b;c;d", 4, 3, None),
                                (4, "\x00\x01", 1, 3, "binary garbage"), (5, "", 1, 3, None),
                                (6, " \t\r", 1, 3, None), (7, "", 1, 3, "binary garbage"), (8, " ", 1, 1, None)],
                               "id int, _line string, _field_count int, _expected_field_count int, "
                               "_file_problem string")
    actual = df.transform(flag_structure()).select("id", REASONS)
    expected = spark.createDataFrame([(1, []), (2, ["wrong_field_count"]), (3, ["wrong_field_count"]),
                                      (4, ["bad_file"]), (5, ["blank_line"]), (6, ["blank_line"]), (7, ["bad_file"]),
                                      (8, ["blank_line"])], f"id int, {REASONS} array<string>")
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_a_line_with_an_odd_number_of_quotes_is_flagged_as_an_unbalanced_quote(spark):
    """A quoted field holding a line break arrives as two lines, each with an open quote; either
    may still have the header's field count, and its fields are shifted."""
    df = spark.createDataFrame([(1, '1;"a;b;c', 4, 4), (2, 'd";Paris;12;x', 4, 4), (3, '1;"a;b";c', 3, 3),
                                (4, 'O"Brien;x', 2, 2), (5, '"a ""b""";x', 2, 2), (6, '1;"open', 3, 2),
                                (7, 'a;b', 2, 2)],
                               "id int, _line string, _field_count int, _expected_field_count int")
    df = df.withColumn("_file_problem", F.lit(None).cast("string"))
    actual = df.transform(flag_structure(quote='"')).select("id", REASONS)
    expected = spark.createDataFrame([(1, ["unbalanced_quote"]), (2, ["unbalanced_quote"]), (3, []),
                                      (4, ["unbalanced_quote"]), (5, []),
                                      (6, ["wrong_field_count", "unbalanced_quote"]), (7, [])],
                                     f"id int, {REASONS} array<string>")
    assert_df_equality(actual, expected, ignore_nullable=True)
    unquoted = df.transform(flag_structure(quote=None)).where(F.size(REASONS) > 0).select("id").collect()
    assert unquoted == [Row(id=6)]              # a feed without quoting: quotes are text


def test_a_structural_reason_replaces_the_field_reasons_it_causes(spark):
    df = spark.createDataFrame([(1, ["wrong_field_count", "imsi_missing"]), (2, ["imsi_missing", "imei_luhn"]),
                                (3, [])], f"id int, {REASONS} array<string>")
    actual = keep_structural_reason_only(df)
    expected = spark.createDataFrame([(1, ["wrong_field_count"]), (2, ["imsi_missing", "imei_luhn"]), (3, [])],
                                     f"id int, {REASONS} array<string>")
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_every_field_type_in_conf_has_a_rule():
    used = {rule.type for feed in FEEDS.values() for rule in feed.fields.values()}
    assert used <= set(RULES)
    assert identifier_fields(FEEDS["cdr"]) == ["calling_number", "called_number", "imsi", "imei"]
    assert identifier_fields(FEEDS["weather"]) == []


def test_an_imei_fields_spare_check_digit_setting_reaches_its_rule(spark):
    imei = FEEDS["cdr"].fields["imei"]
    df = spark.createDataFrame([("490154203237510",)], "raw_imei string")
    for spare, expected in ((False, (None, ["imei_luhn"])), (True, ("490154203237518", []))):
        step = RULES["imei"](FEEDS["cdr"], "imei", dataclasses.replace(imei, spare_check_digit=spare))
        row = with_reasons(df).transform(step).first()
        assert (row.imei, row[REASONS]) == expected


def test_a_feeds_decimal_separator_reaches_its_number_rules(spark):
    weather = FEEDS["weather"]
    df = spark.createDataFrame([("1,5",), ("1.5",)], "raw_rain_mm_h string")
    for separator, expected in ((None, [1.5, 1.5]), (",", [1.5, None]), (".", [None, 1.5])):
        step = RULES["double"](dataclasses.replace(weather, decimal_separator=separator), "rain_mm_h",
                               weather.fields["rain_mm_h"])
        assert [r.rain_mm_h for r in with_reasons(df).transform(step).collect()] == expected, separator


def bronze_weather(spark, rows, day=dt.date(2026, 11, 21)):
    schema = ("observed_at string, area_id string, temperature_c string, rain_mm_h string, wind_kmh string, "
              "_line string, _field_count int, _expected_field_count int, _file_problem string, event_date date")
    return spark.createDataFrame([r + (None,) * (5 - len(r)) + (",".join(r), len(r), 5, None, day) for r in rows],
                                 schema)


def test_cleanse_feed_types_every_field_and_keeps_the_raw_text(spark):
    rows = [("2026-11-21 08:00", "3", "12,5", "0", "15"),      # winter: Paris is UTC+1
            ("2026-07-01 08:00", "3", "-999", "0.2", "-"),     # summer: UTC+2; sentinel temperature; in a
            # directory of 21 November, so months away from it (conf: at most 7 days before)
            ("2026-11-21 25:00", "x", "1", "", "1")]
    actual = bronze_weather(spark, rows).transform(cleanse_feed(FEEDS["weather"]))
    assert set(actual.columns) >= {"raw_observed_at", "raw_temperature_c", "observed_at", "local_hour"}
    expected = spark.createDataFrame([
        ("2026-11-21 07:00:00", 8, 3, 12.5, 0.0, 15.0, []),
        ("2026-07-01 06:00:00", 8, 3, None, 0.2, None, ["observed_at_out_of_range", "temperature_c_sentinel"]),
        (None, None, None, 1.0, None, 1.0, ["observed_at_unparseable", "area_id_not_a_number", "rain_mm_h_missing"]),
    ], f"observed_at string, local_hour int, area_id int, temperature_c double, rain_mm_h double, wind_kmh double, "
       f"{REASONS} array<string>").withColumn("observed_at", F.to_timestamp("observed_at"))
    assert_df_equality(actual.select(*expected.columns), expected, ignore_nullable=True, ignore_row_order=True)


def test_cleanse_feed_keeps_only_the_structural_reason_of_a_short_line(spark):
    short = bronze_weather(spark, [("2026-11-21 08:00", "3", "-999", "0")])   # a field short: wind is null
    rows = short.transform(cleanse_feed(FEEDS["weather"])).select(REASONS).collect()
    assert [r[REASONS] for r in rows] == [["wrong_field_count"]]
