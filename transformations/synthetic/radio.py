"""Measurement reports of ongoing voice calls: every ``report_interval_s`` the serving cell, the
signal level and quality, the timing advance, the position and speed of the mobile.

A configured share of connected voice calls is traced. Mobiles move during the call: trains
along their line, handed over from rail cell to rail cell (reports stop where the track ends),
other mobiles along a heading while staying on their serving cell. The observed signal is the
expected signal plus Gaussian shadowing of the configured sigma (``radio_model``).
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transformations.synthetic import radio_model as rm
from transformations.synthetic.calendar import hourly_weight
from transformations.synthetic.network import (RAIL_SITE_SPACING_KM, NetworkLayout, area_id, latitude,
                                               longitude, rail_position)
from transformations.synthetic.random import normal, uniform


def measurement_reports(calls: DataFrame, cells: DataFrame, weather: DataFrame, settings) -> DataFrame:
    """Explode traced voice calls into measurement reports with their truth.

    Parameters
    ----------
    calls
        The calls' truth (``calls.calls_from_ids`` output).
    cells, weather
        The cell reference and the hourly weather (broadcast).
    settings
        The ``generate`` configuration section.

    Returns
    -------
    DataFrame
        One row per report: ``call_id``, ``report_no``, ``report_epoch_ms``, ``cell_id``, position,
        ``speed_kmh``, ``expected_signal_dbm`` (truth), ``signal_dbm`` (observed), ``quality_db``,
        ``timing_advance``, ``load``, ``rain_mm_h`` and the call's ``source_no``.
    """
    s, radio = settings, settings.radio
    layout = NetworkLayout.from_scale(s.scale)
    seed = s.seed
    call_id = F.col("record_id")
    traced = calls.where((F.col("record_type") == "VOICE") & (F.col("duration_s") > 0)
                         & (uniform(seed, "trace", call_id) < radio.sampled_call_fraction))
    reports_per_call = F.least(F.floor(F.col("duration_s") / radio.report_interval_s) + 1,
                               F.lit(radio.max_reports_per_call)).cast("int")
    exploded = traced.select(
        call_id.alias("call_id"), "event_date", "start_time_utc", "local_hour", "second_of_hour", "on_train",
        "train_line", "train_along_km", "train_direction", "x_km", "y_km", "speed_kmh", "heading_rad",
        "cell_index", "source_no",
        F.explode(F.sequence(F.lit(0), reports_per_call - 1)).alias("report_no"),
    )
    offset_s = F.col("report_no") * radio.report_interval_s + uniform(seed, "mr:jit", F.col("call_id"),
                                                                      F.col("report_no")) * 2.0
    moved_km = F.col("speed_kmh") * offset_s / 3600.0
    along = F.col("train_along_km") + F.col("train_direction") * moved_km
    track_km = layout.rail_sites_per_line * RAIL_SITE_SPACING_KM
    site_k = F.least(F.greatest(F.floor(along / RAIL_SITE_SPACING_KM), F.lit(0)),
                     F.lit(layout.rail_sites_per_line - 1))
    rail_cell = (F.col("train_line") * layout.rail_sites_per_line + site_k) * 2 + F.when(
        along >= (site_k + 0.5) * RAIL_SITE_SPACING_KM, 0).otherwise(1)
    lateral_km = (uniform(seed, "train:lateral", F.col("call_id")) - 0.5) * 0.06
    rail_x, rail_y = rail_position(layout, F.col("train_line"), along, lateral_km)
    second_of_day = F.col("local_hour") * 3600 + F.col("second_of_hour") + offset_s
    moving = exploded.select(
        "call_id", "report_no", "event_date", "on_train", "speed_kmh", "source_no",
        (F.unix_millis(F.col("start_time_utc")) + F.round(offset_s * 1000).cast("long")).alias("report_epoch_ms"),
        F.least(F.floor(second_of_day / 3600), F.lit(23)).cast("int").alias("local_hour"),
        F.when(F.col("on_train"), rail_cell).otherwise(F.col("cell_index")).cast("long").alias("cell_index"),
        F.when(F.col("on_train"), rail_x).otherwise(F.col("x_km") + moved_km * F.sin("heading_rad")).alias("x_km"),
        F.when(F.col("on_train"), rail_y).otherwise(F.col("y_km") + moved_km * F.cos("heading_rad")).alias("y_km"),
        F.when(F.col("on_train"), (along >= 0) & (along <= track_km)).otherwise(F.lit(True)).alias("on_track"),
    ).where("on_track").drop("on_track")
    serving = cells.select("cell_index", "cell_id", F.col("x_km").alias("site_x_km"),
                           F.col("y_km").alias("site_y_km"), "azimuth_deg", "beamwidth_deg", "band_mhz",
                           "load_factor")
    joined = (moving.join(F.broadcast(serving), "cell_index")
              .withColumn("area_id", area_id(layout, F.col("x_km"), F.col("y_km")))
              .join(F.broadcast(weather.select("area_id", F.col("hour").alias("local_hour"), "rain_mm_h")),
                    ["area_id", "local_hour"]))
    dx = F.col("x_km") - F.col("site_x_km")
    dy = F.col("y_km") - F.col("site_y_km")
    geometry = joined.select(
        "*",
        rm.distance_km(dx, dy).alias("distance_km"),
        rm.angle_off_azimuth_deg(rm.bearing_deg(dx, dy), F.col("azimuth_deg")).alias("off_azimuth_deg"),
        F.round(F.least(F.col("load_factor") * hourly_weight(F.col("local_hour")), F.lit(1.0)), 4).alias("load"),
    )
    expected = rm.expected_signal_dbm(radio, F.col("distance_km"), F.col("off_azimuth_deg"), F.col("beamwidth_deg"),
                                      F.col("band_mhz").cast("double"), F.col("rain_mm_h"), F.col("on_train"),
                                      F.col("load"))
    with_expected = geometry.withColumn("expected_signal_dbm", expected)
    shadowing = normal(seed, "shadowing", F.col("call_id"), F.col("report_no"))
    return with_expected.select(
        "call_id", "report_no", "event_date", "report_epoch_ms", "local_hour", "cell_id", "cell_index",
        "x_km", "y_km", latitude(F.col("y_km")).alias("latitude"), longitude(F.col("x_km")).alias("longitude"),
        "speed_kmh", "on_train", "load", "rain_mm_h", "distance_km", "off_azimuth_deg", "expected_signal_dbm",
        rm.observed_signal_dbm(F.col("expected_signal_dbm"), shadowing, radio.shadowing_sigma_db).alias("signal_dbm"),
        rm.signal_quality_db(F.col("expected_signal_dbm"), F.col("load"),
                             normal(seed, "quality", F.col("call_id"), F.col("report_no"))).alias("quality_db"),
        rm.timing_advance(F.col("distance_km")).alias("timing_advance"),
        "source_no",
    )
