"""The synthetic radio network: sites on a square region, rail lines with their own sites, and
the cell reference (position, azimuth, technology, band, antenna type, height, load).

Cells are numbered by a dense ``cell_index`` that calls can compute arithmetically (no join
needed to choose a cell): rail sites come first, two sectors each facing along the track, then
macro sites with three sectors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.synthetic.random import normal, pick, uniform

SITE_SPACING_KM = 3.0          # mean macro inter-site distance, sets the region's size
RAIL_SITE_SPACING_KM = 2.0     # along-track distance between rail sites
CITY_SHARE = 0.4               # share of macro sites in the central city
ORIGIN_LAT, ORIGIN_LON = 48.5, 2.0
KM_PER_DEG_LAT = 111.0
# (technology, band MHz, sector radius km, weight) of macro sites.
MACRO_LAYERS = (("2G", 900, 4.5, 0.10), ("3G", 2100, 2.2, 0.15), ("4G", 800, 5.0, 0.20),
                ("4G", 1800, 2.5, 0.35), ("5G", 3500, 1.2, 0.20))
SITE_NAMES = ("Hôtel de Ville", "Gare", "Les Écoles", "Château d'Eau", "Zone Industrielle",
              "Centre Commercial", "Lycée Pasteur", "Église", "Stade", "Hôpital", "Forêt", "Aérodrome", "Cœur de Ville")


@dataclass(frozen=True)
class NetworkLayout:
    """Sizes derived from the configured scale (pure arithmetic, shared by every generator step)."""

    sites: int
    rail_lines: int
    areas: int

    @property
    def region_km(self) -> float:
        return SITE_SPACING_KM * math.sqrt(self.sites)

    @property
    def rail_sites_per_line(self) -> int:
        return max(1, int(self.region_km // RAIL_SITE_SPACING_KM))

    @property
    def rail_sites(self) -> int:
        return self.rail_lines * self.rail_sites_per_line

    @property
    def rail_cells(self) -> int:
        return 2 * self.rail_sites

    @property
    def cells(self) -> int:
        return self.rail_cells + 3 * (self.sites - self.rail_sites)

    @property
    def area_grid(self) -> int:
        return int(round(math.sqrt(self.areas)))

    def validate(self) -> "NetworkLayout":
        """Raise ``ValueError`` for a layout that cannot be built."""
        if self.area_grid ** 2 != self.areas:
            raise ValueError(f"generate.scale.areas must be a square number, got {self.areas}")
        if self.rail_lines and self.rail_sites > self.sites // 2:
            raise ValueError(f"generate.scale.rail_lines: {self.rail_lines} lines need {self.rail_sites} "
                             f"rail sites, more than half of generate.scale.sites={self.sites}")
        return self

    @classmethod
    def from_scale(cls, scale) -> "NetworkLayout":
        return cls(sites=scale.sites, rail_lines=scale.rail_lines, areas=scale.areas).validate()


def rail_bearing_deg(layout: NetworkLayout, line: Column) -> Column:
    """Compass bearing of rail line ``line``: lines fan out through the region's centre."""
    return F.lit(20.0) + line * (180.0 / max(layout.rail_lines, 1))


def rail_position(layout: NetworkLayout, line: Column, along_km: Column, lateral_km: Column):
    """(x, y) in km of a point ``along_km`` down rail line ``line``, ``lateral_km`` to its right."""
    theta = F.radians(rail_bearing_deg(layout, line))
    half = layout.region_km / 2.0
    x = F.lit(half) + (along_km - half) * F.sin(theta) + lateral_km * F.cos(theta)
    y = F.lit(half) + (along_km - half) * F.cos(theta) - lateral_km * F.sin(theta)
    return x, y


def area_id(layout: NetworkLayout, x_km: Column, y_km: Column) -> Column:
    """Weather area (a square grid over the region) containing a point."""
    grid = layout.area_grid
    step = layout.region_km / grid

    def clamp(v):
        return F.least(F.greatest(F.floor(v / step), F.lit(0)), F.lit(grid - 1)).cast("int")

    return clamp(y_km) * grid + clamp(x_km)


def latitude(y_km: Column) -> Column:
    return F.round(F.lit(ORIGIN_LAT) + y_km / KM_PER_DEG_LAT, 6)


def longitude(x_km: Column) -> Column:
    return F.round(F.lit(ORIGIN_LON) + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(ORIGIN_LAT))), 6)


def cells_from_site_ids(site_ids: DataFrame, settings) -> DataFrame:
    """Build the cell reference from a DataFrame of site ids (``spark.range(sites)``).

    Parameters
    ----------
    site_ids
        One row per site, column ``id`` in ``[0, sites)``.
    settings
        The ``generate`` configuration section.

    Returns
    -------
    DataFrame
        One row per cell: ``cell_index``, ``cell_id`` (MCC-MNC-LAC-CI), ``site_id``, ``sector``,
        ``site_name``, ``x_km``, ``y_km``, ``latitude``, ``longitude``, ``azimuth_deg``,
        ``technology``, ``band_mhz``, ``antenna_type``, ``beamwidth_deg``, ``antenna_height_m``,
        ``radius_km``, ``is_rail``, ``rail_line``, ``area_id``, ``load_factor``.
    """
    seed, layout = settings.seed, NetworkLayout.from_scale(settings.scale)
    site = F.col("id")
    is_rail = site < layout.rail_sites
    line = F.floor(site / layout.rail_sites_per_line).cast("int")
    along = (site % layout.rail_sites_per_line + 0.5) * RAIL_SITE_SPACING_KM
    rail_x, rail_y = rail_position(layout, line, along, F.lit(0.0))
    region = layout.region_km
    in_city = uniform(seed, "site:city", site) < CITY_SHARE
    city_x = F.lit(region / 2) + normal(seed, "site:cx", site) * (region / 8)
    city_y = F.lit(region / 2) + normal(seed, "site:cy", site) * (region / 8)
    spread_x = uniform(seed, "site:x", site) * region
    spread_y = uniform(seed, "site:y", site) * region

    def within_region(v):
        return F.least(F.greatest(v, F.lit(0.0)), F.lit(region))

    layer = pick(uniform(seed, "site:layer", site), [(i, w) for i, (_, _, _, w) in enumerate(MACRO_LAYERS)])

    def by_layer(values):
        expression = None
        for i, value in enumerate(values):
            expression = (F.when(layer == i, F.lit(value)) if expression is None
                          else expression.when(layer == i, F.lit(value)))
        return expression

    sites = site_ids.select(
        site.alias("site_id"),
        is_rail.alias("is_rail"),
        F.when(is_rail, line).alias("rail_line"),
        F.when(is_rail, rail_x).otherwise(within_region(F.when(in_city, city_x).otherwise(spread_x))).alias("x_km"),
        F.when(is_rail, rail_y).otherwise(within_region(F.when(in_city, city_y).otherwise(spread_y))).alias("y_km"),
        F.when(is_rail, F.lit("4G")).otherwise(by_layer([m[0] for m in MACRO_LAYERS])).alias("technology"),
        F.when(is_rail, F.lit(800)).otherwise(by_layer([m[1] for m in MACRO_LAYERS])).alias("band_mhz"),
        F.when(is_rail, F.lit(RAIL_SITE_SPACING_KM / 2)).otherwise(
            by_layer([m[2] for m in MACRO_LAYERS])).cast("double").alias("radius_km"),
        F.when(is_rail, F.lit("panel-33")).otherwise(F.lit("panel-65")).alias("antenna_type"),
        F.when(is_rail, F.lit(settings.radio.beamwidth_deg / 2)).otherwise(
            F.lit(settings.radio.beamwidth_deg)).alias("beamwidth_deg"),
        F.round(F.when(is_rail, F.lit(25.0) + uniform(seed, "site:h", site) * 10.0)
                .otherwise(F.lit(20.0) + uniform(seed, "site:h", site) * 25.0), 1).alias("antenna_height_m"),
        F.when(is_rail, rail_bearing_deg(layout, line)).otherwise(
            uniform(seed, "site:rot", site) * 120.0).alias("first_azimuth"),
        F.concat(pick(uniform(seed, "site:name", site), [(n, 1.0) for n in SITE_NAMES]),
                 F.lit(" "), site.cast("string")).alias("site_name"),
    )
    sectors = sites.withColumn("sector", F.explode(F.sequence(F.lit(0), F.when(F.col("is_rail"), 1).otherwise(2))))
    step = F.when(F.col("is_rail"), 180.0).otherwise(120.0)
    lac = F.lit(100) + F.floor(F.col("site_id") / 64)
    ci = F.col("site_id") * 4 + F.col("sector") + 1
    return sectors.select(
        F.when(F.col("is_rail"), F.col("site_id") * 2 + F.col("sector"))
        .otherwise(F.lit(layout.rail_cells) + (F.col("site_id") - layout.rail_sites) * 3 + F.col("sector"))
        .cast("long").alias("cell_index"),
        F.concat_ws("-", F.lit(settings.mcc), F.lit(settings.mnc), lac.cast("string"), ci.cast("string"))
        .alias("cell_id"),
        "site_id", "sector", "site_name", "x_km", "y_km",
        latitude(F.col("y_km")).alias("latitude"), longitude(F.col("x_km")).alias("longitude"),
        F.round(F.pmod(F.col("first_azimuth") + F.col("sector") * step, F.lit(360.0)), 1).alias("azimuth_deg"),
        "technology", "band_mhz", "antenna_type", "beamwidth_deg", "antenna_height_m", "radius_km",
        "is_rail", "rail_line",
        area_id(layout, F.col("x_km"), F.col("y_km")).alias("area_id"),
        F.round(F.lit(0.2) + uniform(seed, "cell:load", F.col("site_id"), F.col("sector")) * 0.9, 3)
        .alias("load_factor"),
    )
