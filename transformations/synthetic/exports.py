"""Raw exports as a mediation platform drops them: one delimited text line per record, in the
messy shapes switches and probes print, with the truth's defects applied.

Each ``*_lines`` step returns ``hour``, ``source``, ``line_rank`` (0 header, 1 record, 2 the
file's cut last record), ``sort_key`` and ``value`` (the line). Sorting by
(``hour``, ``source``, ``line_rank``, ``sort_key``) before writing puts the header first and
the records in time order, as a switch writes them.
"""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transformations.ingestion.charsets import WINDOWS_1252, encoded
from transformations.synthetic import identifiers as ids
from transformations.synthetic.random import pick, pick_column, uniform, with_uniforms

CDR_COLUMNS = ("record_id", "record_type", "start_time", "duration_s", "calling_number", "called_number", "imsi",
               "imei", "cell_id", "bytes_up", "bytes_down", "release_cause", "roaming", "tariff_plan")
CDR_DELIMITER = ";"
RADIO_COLUMNS = ("report_time_ms", "call_id", "cell_id", "signal_dbm", "quality_db", "timing_advance",
                 "latitude", "longitude", "speed_kmh")
RADIO_DELIMITER = "\t"
CELL_COLUMNS = ("cell_id", "site_id", "site_name", "latitude", "longitude", "azimuth_deg", "technology",
                "band_mhz", "antenna_type", "antenna_height_m", "area_id")
WEATHER_COLUMNS = ("observed_at", "area_id", "temperature_c", "rain_mm_h", "wind_kmh")
CSV_DELIMITER = ","
NULL_TOKENS = ("", "-", "NULL", "\\N")
TRUE_SPELLINGS = ("Y", "1", "true", "TRUE", "oui", "yes")
FALSE_SPELLINGS = ("N", "0", "false", "FALSE", "non", "no")
SENTINEL = "-999"


def source_name(source_no: Column) -> Column:
    """``probe01``, ``probe02``, ...: the switch or probe that wrote a file."""
    return F.concat(F.lit("probe"), F.lpad((source_no + 1).cast("string"), 2, "0"))


def hour_name(hour: Column) -> Column:
    return F.lpad(hour.cast("string"), 2, "0")


def orphan_cell_id(cell_id: Column) -> Column:
    """A well-formed cell id of the same area that no cell has: the cell identity times 10,000
    (``208-01-103-870`` -> ``208-01-103-8700000``), beyond every generated cell's identity
    while the network has fewer than 2,500 sites."""
    return F.concat(cell_id, F.lit("0000"))


def windows_1252(text: Column) -> Column:
    """The same text as a Windows tool saves it (windows-1252): bytes that are not valid UTF-8 in a
    UTF-8 feed (an accented letter, or the euro sign, curly quotes and ``œ`` of bytes 0x80-0x9F)."""
    return encoded(text, WINDOWS_1252).cast("string")


def null_token(u: Column) -> Column:
    return pick(u, [(t, 1.0) for t in NULL_TOKENS])


def _str(column: Column) -> Column:
    return F.coalesce(column.cast("string"), F.lit(""))


def _line(fields: Sequence[Column], delimiter: str) -> Column:
    return F.concat_ws(delimiter, *[_str(f) for f in fields])


def header_lines(spark: SparkSession, columns: Sequence[str], delimiter: str, hours: int, sources: int) -> DataFrame:
    """One header line per (hour, source) file."""
    slots = spark.range(hours * sources)
    return slots.select(
        hour_name((F.col("id") / sources).cast("int")).alias("hour"),
        source_name((F.col("id") % sources).cast("int")).alias("source"),
        F.lit(0).alias("line_rank"),
        F.lit("").alias("sort_key"),
        F.lit(delimiter.join(columns)).alias("value"),
    )


def _local_time_text(event_date: Column, hour: Column, second_of_hour: Column) -> Column:
    return F.format_string("%s %02d:%02d:%02d", F.date_format(event_date, "yyyy-MM-dd"), hour,
                           (second_of_hour / 60).cast("int"), second_of_hour % 60)


def start_time_text(u: Column, event_date: Column, hour: Column, second: Column, epoch_s: Column,
                    alternate: Column) -> Column:
    """The start time as the switch prints it: local ``yyyy-MM-dd HH:mm:ss``, or, for
    ``alternate`` rows (by draw ``u``), ``dd/MM/yyyy HH:mm:ss``, ``yyyyMMddHHmmss`` or epoch
    seconds (UTC)."""
    minute, sec = (second / 60).cast("int"), second % 60
    day, month, year = F.dayofmonth(event_date), F.month(event_date), F.year(event_date)
    formats = [
        (F.format_string("%02d/%02d/%04d %02d:%02d:%02d", day, month, year, hour, minute, sec), 0.4),
        (F.format_string("%04d%02d%02d%02d%02d%02d", year, month, day, hour, minute, sec), 0.3),
        (epoch_s.cast("string"), 0.3),
    ]
    return F.when(alternate, pick_column(u, formats)).otherwise(_local_time_text(event_date, hour, second))


def malformed_time_text(u: Column, event_date: Column) -> Column:
    """Dates no parser should accept: impossible fields, cut values, words."""
    return pick_column(u, [
        (F.concat(F.date_format(event_date, "yyyy-MM-dd"), F.lit(" 25:61:00")), 1.0),
        (F.concat(F.date_format(event_date, "dd"), F.lit("/13/"), F.date_format(event_date, "yyyy 10:00:00")), 1.0),
        (F.concat(F.date_format(event_date, "yyyy-MM-dd"), F.lit("T")), 1.0),
        (F.lit("N/A"), 1.0),
    ])


def spelled_flag(u: Column, flag: Column) -> Column:
    """A boolean as the feeds spell it (Y/N, 1/0, true/false, oui/non, yes/no)."""
    return F.when(flag, pick(u, [(t, 1.0) for t in TRUE_SPELLINGS])).otherwise(
        pick(u, [(t, 1.0) for t in FALSE_SPELLINGS]))


CDR_DRAWS = ("shape", "cshape", "intl", "badnum", "fmt", "badtime", "nullf", "token", "oor", "wcc", "spell", "dupshift")


def cdr_lines(truth: DataFrame, settings) -> DataFrame:
    """Render call records (and their second-probe duplicates) as ``;``-delimited lines.

    Parameters
    ----------
    truth
        The calls' truth with defects (``defects.with_cdr_defects``).
    settings
        The ``generate`` configuration section.
    """
    seed, cc, files = settings.seed, settings.country_code, settings.scale.files_per_hour
    drawn = truth.transform(with_uniforms(seed, CDR_DRAWS, F.col("record_id")))
    shift = F.lit(1) + F.floor(F.col("u_dupshift") * 2).cast("int")
    shifted_second = F.least(F.col("second_of_hour") + shift, F.lit(3599))
    replaced = ("record_id", "second_of_hour", "start_time_utc", "source_no", "defect")
    duplicates = drawn.where("duplicated").select(
        *[c for c in drawn.columns if c not in replaced],
        F.concat(F.col("record_id"), F.lit("-2")).alias("record_id"),
        shifted_second.alias("second_of_hour"),
        (F.col("start_time_utc") + F.make_interval(secs=shifted_second - F.col("second_of_hour")))
        .alias("start_time_utc"),
        F.pmod(F.col("source_no") + 1, F.lit(files)).alias("source_no"),
        F.lit(None).cast("string").alias("defect"),
        F.lit(True).alias("is_duplicate"),
    )
    rows = drawn.withColumn("is_duplicate", F.lit(False)).unionByName(duplicates)
    key, defect = F.col("record_id"), F.col("defect")
    choices = rows.withColumns({
        "shape": pick(F.col("u_shape"), list(ids.MSISDN_SHAPE_WEIGHTS)),
        "called_shape": pick(F.col("u_cshape"), list(ids.MSISDN_SHAPE_WEIGHTS)),
        "null_field": pick(F.col("u_nullf"), [("start_time", 1.0), ("calling_number", 1.0), ("imsi", 1.0),
                                              ("cell_id", 1.0)]),
        "token": null_token(F.col("u_token")),
    })
    called_domestic = F.col("called_e164").startswith("+" + cc)
    printed = choices.withColumns({
        "calling": ids.messy_msisdn(cc, F.col("calling_national"), F.col("shape")),
        "called": (F.when(F.col("called_e164").isNull(), F.lit(""))
                   .when(called_domestic, ids.messy_msisdn(cc, F.substring(F.col("called_e164"), len(cc) + 2, 20),
                                                           F.col("called_shape")))
                   .when(F.col("u_intl") < 0.5, F.col("called_e164"))
                   .otherwise(F.concat(F.lit("00"), F.substring(F.col("called_e164"), 2, 20)))),
        "start": start_time_text(F.col("u_fmt"), F.col("event_date"), F.col("local_hour"),
                                 F.col("second_of_hour"), F.unix_seconds(F.col("start_time_utc")),
                                 F.col("alternate_date_format")),
    })
    bad_calling = pick_column(F.col("u_badnum"), [
        (F.substring(F.col("calling"), 1, 5), 1.0),
        (F.concat(F.substring(F.col("calling_national"), 1, 3), F.lit("AB"),
                  F.substring(F.col("calling_national"), 6, 9)), 1.0),
        (F.lit("00000000000"), 1.0),
    ])
    voice_or_sms = F.col("record_type") != "DATA"

    def nullable(name: str, value: Column) -> Column:
        return F.when((defect == "null_token") & (F.col("null_field") == name), F.col("token")).otherwise(value)

    fields = {
        "record_id": key,
        "record_type": F.col("record_type"),
        "start_time": nullable("start_time", F.when(defect == "malformed_date",
                                                    malformed_time_text(F.col("u_badtime"), F.col("event_date")))
                               .otherwise(F.col("start"))),
        "duration_s": (F.when((defect == "out_of_range") & voice_or_sms,
                              pick(F.col("u_oor"), [("-5", 1.0), ("999999", 1.0)]))
                       .when((defect == "sentinel") & voice_or_sms, F.lit(SENTINEL))
                       .otherwise(F.col("duration_s").cast("string"))),
        "calling_number": nullable("calling_number",
                                   F.when(defect == "bad_msisdn", bad_calling).otherwise(F.col("calling"))),
        "called_number": F.col("called"),
        "imsi": nullable("imsi", F.col("imsi")),
        "imei": F.col("imei"),
        "cell_id": nullable("cell_id", F.when(defect == "orphan_cell_id", orphan_cell_id(F.col("cell_id")))
                            .otherwise(F.col("cell_id"))),
        "bytes_up": F.when((defect == "out_of_range") & ~voice_or_sms, F.lit("-2048"))
        .otherwise(F.col("bytes_up").cast("string")),
        "bytes_down": F.when((defect == "sentinel") & ~voice_or_sms, F.lit(SENTINEL))
        .otherwise(F.col("bytes_down").cast("string")),
        "release_cause": F.col("release_cause").cast("string"),
        "roaming": spelled_flag(F.col("u_spell"), F.col("roaming")),
        "tariff_plan": F.when(defect == "windows_1252", windows_1252(F.col("tariff_plan")))
        .otherwise(F.col("tariff_plan")),
    }
    assert tuple(fields) == CDR_COLUMNS
    columns = printed.select("local_hour", "source_no", "is_tail", "second_of_hour", "record_id", "defect", "u_wcc",
                             *[_str(value).alias("f_" + name) for name, value in fields.items()])
    values = [F.col("f_" + name) for name in CDR_COLUMNS]
    lined = columns.withColumns({"full_line": F.concat_ws(CDR_DELIMITER, *values),
                                 "short_line": F.concat_ws(CDR_DELIMITER, *values[:-1])})
    full = F.col("full_line")
    line = (F.when((defect == "wrong_column_count") & (F.col("u_wcc") < 0.5),
                   F.concat(full, F.lit(CDR_DELIMITER + "X")))
            .when(defect == "wrong_column_count", F.col("short_line"))
            .when(defect == "truncated_last_line", F.substring(full, 1, (F.length(full) / 2).cast("int")))
            .otherwise(full))
    return lined.select(
        hour_name(F.col("local_hour")).alias("hour"),
        source_name(F.col("source_no")).alias("source"),
        F.when(F.col("is_tail"), 2).otherwise(1).alias("line_rank"),
        F.concat(F.lpad(F.col("second_of_hour").cast("string"), 4, "0"), key).alias("sort_key"),
        line.alias("value"),
    )


def radio_lines(truth: DataFrame, settings) -> DataFrame:
    """Render measurement reports as tab-separated lines (time in epoch milliseconds)."""
    seed = settings.seed
    key = F.concat_ws("#", F.col("call_id"), F.col("report_no").cast("string"))
    defect = F.col("defect")
    u_field = uniform(seed, "mr:nullf", key)
    token = null_token(uniform(seed, "mr:token", key))
    signal = (F.when(defect == "sentinel", F.lit(SENTINEL))
              .when(defect == "out_of_range", pick(uniform(seed, "mr:oor", key), [("20", 1.0), ("-200", 1.0)]))
              .when((defect == "null_token") & (u_field < 0.5), token)
              .otherwise(F.col("signal_dbm").cast("string")))
    fields = [
        F.when(defect == "malformed_date", pick(uniform(seed, "mr:badt", key), [("NaN", 1.0), ("17x", 1.0)]))
        .otherwise(F.col("report_epoch_ms").cast("string")),
        F.col("call_id"),
        F.when((defect == "null_token") & (u_field >= 0.5), token).otherwise(F.col("cell_id")),
        signal,
        F.col("quality_db"), F.col("timing_advance"), F.col("latitude"), F.col("longitude"), F.col("speed_kmh"),
    ]
    line = _line(fields, RADIO_DELIMITER)
    line = F.when(defect == "wrong_column_count", _line(fields[:-2], RADIO_DELIMITER)).otherwise(line)
    return truth.select(
        hour_name(F.col("local_hour")).alias("hour"),
        source_name(F.col("source_no")).alias("source"),
        F.lit(1).alias("line_rank"),
        F.lpad(F.col("report_epoch_ms").cast("string"), 16, "0").alias("sort_key"),
        line.alias("value"),
    )


def cell_lines(truth: DataFrame, settings) -> DataFrame:
    """Render the cell reference as comma-separated lines (one daily file)."""
    seed = settings.seed
    key = F.col("cell_id")
    defect = F.col("defect")
    fields = [
        key, F.col("site_id"),
        F.when(defect == "windows_1252", windows_1252(F.col("site_name"))).otherwise(F.col("site_name")),
        F.col("latitude"), F.col("longitude"),
        F.when(defect == "null_token", null_token(uniform(seed, "cell:token", key))).otherwise(
            F.col("azimuth_deg").cast("string")),
        F.col("technology"), F.col("band_mhz"), F.col("antenna_type"), F.col("antenna_height_m"), F.col("area_id"),
    ]
    return truth.select(F.lit("00").alias("hour"), F.lit("reference").alias("source"), F.lit(1).alias("line_rank"),
                        F.lpad(F.col("cell_index").cast("string"), 12, "0").alias("sort_key"),
                        _line(fields, CSV_DELIMITER).alias("value"))


def weather_lines(truth: DataFrame, settings) -> DataFrame:
    """Render hourly weather as comma-separated lines (one daily file, local times)."""
    seed = settings.seed
    key = F.concat_ws("#", F.col("area_id").cast("string"), F.col("hour").cast("string"))
    defect = F.col("defect")
    fields = [
        F.format_string("%s %02d:00", F.date_format(F.col("event_date"), "yyyy-MM-dd"), F.col("hour")),
        F.col("area_id"),
        F.when(defect == "sentinel", F.lit(SENTINEL)).otherwise(F.col("temperature_c").cast("string")),
        F.when(defect == "null_token", null_token(uniform(seed, "wx:token", key))).otherwise(
            F.col("rain_mm_h").cast("string")),
        F.col("wind_kmh"),
    ]
    return truth.select(F.lit("00").alias("hour"), F.lit("weather").alias("source"), F.lit(1).alias("line_rank"),
                        F.format_string("%06d%02d", F.col("area_id"), F.col("hour")).alias("sort_key"),
                        _line(fields, CSV_DELIMITER).alias("value"))
