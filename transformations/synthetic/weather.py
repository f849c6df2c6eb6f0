"""Hourly weather per area: rain spells (the signal model's rain attenuation), temperature, wind."""
from __future__ import annotations

import datetime as dt
import math

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transformations.synthetic.random import exponential, normal, uniform

RAINY_DAY_PROBABILITY = 0.35


def weather_from_ids(ids: DataFrame, settings, day: dt.date) -> DataFrame:
    """Hourly weather of every area for ``day`` from ``spark.range(areas * 24)``.

    Returns
    -------
    DataFrame
        ``area_id``, ``hour`` (local), ``rain_mm_h``, ``temperature_c``, ``wind_kmh``.
    """
    seed, ordinal = settings.seed, F.lit(day.toordinal())
    area = (F.col("id") / 24).cast("int")
    hour = (F.col("id") % 24).cast("int")
    rainy = uniform(seed, "wx:rainy", ordinal, area) < RAINY_DAY_PROBABILITY
    start = F.floor(uniform(seed, "wx:start", ordinal, area) * 24)
    length = F.lit(2) + F.floor(uniform(seed, "wx:len", ordinal, area) * 9)
    intensity = F.lit(0.5) + exponential(seed, "wx:int", ordinal, area) * 3.0
    in_spell = rainy & (hour >= start) & (hour < start + length)
    hourly = intensity * (F.lit(0.4) + 1.2 * uniform(seed, "wx:hourly", ordinal, area, hour))
    season = 11.0 + 8.0 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 110) / 365.0)
    diurnal = 4.0 * F.sin((hour - 9) * (math.pi / 12))
    return ids.select(
        area.alias("area_id"),
        hour.alias("hour"),
        F.round(F.when(in_spell, hourly).otherwise(0.0), 1).alias("rain_mm_h"),
        F.round(F.lit(season) + diurnal + normal(seed, "wx:temp", ordinal, area) * 2.0
                - F.when(in_spell, 2.0).otherwise(0.0), 1).alias("temperature_c"),
        F.round(F.lit(8.0) + exponential(seed, "wx:wind", ordinal, area, hour) * 10.0, 0).alias("wind_kmh"),
    )
