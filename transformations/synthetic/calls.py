"""Call detail records with their ground truth: who calls whom, when, where, and how it ends.

One row of ``spark.range`` becomes one record. Subscriber activity is heavy-tailed (a power law
over subscriber ranks, plus a few call centres placing a fixed share of all calls), follows the
daily and weekly cycles, happens mostly at home and work cells, and reaches a small contact
network. Position, speed, cell load and rain give the expected signal at the call's start, which
gives the true drop probability (``radio_model``).
"""
from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transformations.synthetic import identifiers as ids
from transformations.synthetic import radio_model as rm
from transformations.synthetic.calendar import HOURLY_WEIGHTS, hourly_weight, is_working_day
from transformations.synthetic.network import RAIL_SITE_SPACING_KM, NetworkLayout, area_id, rail_position
from transformations.synthetic.random import normal, pick, uniform, uniform_int, with_uniforms

ACTIVITY_EXPONENT = 2.5          # subscriber rank = N * u^2.5: a heavy tail of very active lines
CONTACTS_PER_SUBSCRIBER = 5
TRAIN_SHARE = 0.05               # records made on board a train
# Two names hold characters windows-1252 writes in its bytes 0x80-0x9F (the generator's windows_1252 defect)
TARIFF_PLANS = ("Forfait Illimité", "Prépayé", "Forfait Découverte", "Entreprise Sérénité", "Série Limitée",
                "Pass Europe 5 €", "L’Essentiel")
# Release causes (ITU-T Q.850 numbering, as this synthetic vendor uses them) by outcome.
RELEASE_CAUSES = {
    "completed": (16, 31),
    "busy": (17,),
    "no_answer": (18, 19),
    "failed": (34, 38, 47),
    "dropped": (41, 102),
}
FOREIGN_PREFIXES = ("44", "49", "34", "39", "32", "1")
# The per-record uniform draws, each materialised once as column ``u_<name>``.
DRAWS = ('at_home', 'at_work', 'callee', 'callee_cc', 'cause', 'cc', 'cut', 'drop', 'heading', 'hour', 'mobility',
         'pos_a', 'pos_r', 'ratio', 'roaming', 'setup', 'speed', 'sub', 'train', 'train_along', 'train_dir',
         'train_lateral', 'train_speed', 'type')


def calls_from_ids(row_ids: DataFrame, cells: DataFrame, weather: DataFrame, settings, day: dt.date,
                   regular_rows: int) -> DataFrame:
    """Generate the day's call records with their truth from ``spark.range``.

    Parameters
    ----------
    row_ids
        ``spark.range(regular_rows + 24 * files_per_hour)``: ids below ``regular_rows`` are the
        day's records; the others are one candidate per file to be written last and cut
        (``truncated_last_line``), kept at the configured rate.
    cells
        The cell reference (``network.cells_from_site_ids``), small enough to broadcast.
    weather
        Hourly weather per area (``weather.weather_from_ids``), small enough to broadcast.
    settings
        The ``generate`` configuration section.
    day
        The run date.
    regular_rows
        Number of regular records.

    Returns
    -------
    DataFrame
        One row per call with clean values and truth (see ``docs/generator-model.md``).
    """
    s, layout = settings, NetworkLayout.from_scale(settings.scale)
    seed, scale, files = s.seed, s.scale, s.scale.files_per_hour
    key = F.col("id")
    day_key = F.lit(day.toordinal())

    def u(name: str) -> Column:
        """A draw materialised once per row by ``with_uniforms`` (see ``DRAWS``)."""
        return F.col("u_" + name)

    is_tail = key >= regular_rows
    tail_slot = key - regular_rows
    with_subscriber = row_ids.select(key.alias("id")).transform(
        with_uniforms(seed, DRAWS, day_key, key)).select(
        "*",
        is_tail.alias("is_tail"),
        (u("cc") < scale.call_centre_share).alias("is_call_centre"),
    ).withColumn(
        "subscriber_id",
        F.when(F.col("is_call_centre"), uniform_int(seed, "cc:id", scale.call_centres, day_key, key))
        .otherwise(F.lit(scale.call_centres) + F.floor(
            F.lit(scale.subscribers - scale.call_centres) * F.pow(u("sub"), ACTIVITY_EXPONENT))).cast("long"),
    )
    hour_choice = pick(u("hour"), list(enumerate(HOURLY_WEIGHTS)))
    timed = with_subscriber.select(
        "*",
        F.when(F.col("is_call_centre"), F.lit("VOICE"))
        .otherwise(pick(u("type"), [("VOICE", 0.45), ("SMS", 0.30), ("DATA", 0.25)])).alias("record_type"),
        F.when(is_tail, (tail_slot / files).cast("int")).otherwise(hour_choice).cast("int").alias("local_hour"),
        F.when(is_tail, F.lit(3599)).otherwise(uniform_int(seed, "second", 3600, day_key, key))
        .cast("int").alias("second_of_hour"),
        # a subscriber's calls pass one probe (its switch), so a burst of SMS is in one probe's file
        F.when(is_tail, tail_slot % files)
        .otherwise(F.pmod(F.xxhash64(F.lit(seed), F.lit("probe"), F.col("subscriber_id")), F.lit(files)))
        .cast("int").alias("source_no"),
        (~F.col("is_call_centre") & (u("train") < TRAIN_SHARE) & F.lit(layout.rail_lines > 0)).alias("on_train"),
    )
    placed = _place(timed, settings, layout, day, u)
    serving = cells.drop("area_id").withColumnsRenamed(
        {"x_km": "site_x_km", "y_km": "site_y_km", "sector": "cell_sector"})
    located = (placed.join(F.broadcast(serving), "cell_index")
               .transform(lambda df: _position(df, settings, u)))
    weathered = located.withColumn("area_id", area_id(layout, F.col("x_km"), F.col("y_km"))).join(
        F.broadcast(weather.select("area_id", F.col("hour").alias("local_hour"), "rain_mm_h")),
        ["area_id", "local_hour"])
    physical = weathered.transform(lambda df: _physics(df, settings))
    ended = physical.transform(lambda df: _outcome(df, seed, u))
    kept = ended.where(~is_tail | (uniform(seed, "trunc", day_key, F.col("local_hour"), F.col("source_no"))
                                   < s.defects.truncated_last_line))
    return kept.transform(lambda df: _identities(df, settings, day, u))


def _place(df: DataFrame, s, layout: NetworkLayout, day: dt.date, u) -> DataFrame:
    """Choose the serving cell: rail geometry on trains, else home, work or elsewhere."""
    seed = s.seed
    sub = F.col("subscriber_id")
    macro_cells = layout.cells - layout.rail_cells
    line = uniform_int(seed, "train:line", max(layout.rail_lines, 1), F.lit(day.toordinal()), F.col("id"))
    track_km = layout.rail_sites_per_line * RAIL_SITE_SPACING_KM
    along = u("train_along") * track_km
    site_k = F.least(F.floor(along / RAIL_SITE_SPACING_KM), F.lit(layout.rail_sites_per_line - 1))
    sector = F.when(along >= (site_k + 0.5) * RAIL_SITE_SPACING_KM, 0).otherwise(1)
    rail_cell = (line * layout.rail_sites_per_line + site_k) * 2 + sector
    home = F.lit(layout.rail_cells) + F.pmod(F.xxhash64(F.lit(seed), F.lit("home"), sub), F.lit(macro_cells))
    work = F.lit(layout.rail_cells) + F.pmod(F.xxhash64(F.lit(seed), F.lit("work"), sub), F.lit(macro_cells))
    anywhere = F.lit(layout.rail_cells) + uniform_int(seed, "cell:any", macro_cells, F.lit(day.toordinal()),
                                                      F.col("id"))
    office_hours = F.lit(is_working_day(day)) & (F.col("local_hour") >= 9) & (F.col("local_hour") < 18)
    at_work = office_hours & (u("at_work") < 0.65)
    at_home = ~at_work & (u("at_home") < 0.7)
    place = (F.when(F.col("on_train"), F.lit("train")).when(at_work, F.lit("work"))
             .when(at_home, F.lit("home")).otherwise(F.lit("elsewhere")))
    return df.select(
        "*",
        place.alias("place"),
        F.when(F.col("on_train"), rail_cell).when(at_work, work).when(at_home, home).otherwise(anywhere)
        .cast("long").alias("cell_index"),
        F.when(F.col("on_train"), line).cast("int").alias("train_line"),
        F.when(F.col("on_train"), along).alias("train_along_km"),
        F.when(F.col("on_train"), F.when(u("train_dir") < 0.5, 1).otherwise(-1)).alias("train_direction"),
        F.when(F.col("on_train"), F.lit(80.0) + u("train_speed") * 220.0)
        .otherwise(pick(u("mobility"), [(0.0, 0.7), (1.0, 0.2), (2.0, 0.1)])).alias("mobility"),
    )


def _position(df: DataFrame, s, u) -> DataFrame:
    """Mobile position (km) and speed: on the track for trains, inside the serving sector else.

    Home and work positions are stable per subscriber; other positions are drawn per record.
    """
    seed = s.seed
    sub = F.col("subscriber_id")
    layout = NetworkLayout.from_scale(s.scale)
    stable = F.col("place").isin("home", "work")

    def draw(salt):
        return F.when(stable, uniform(seed, salt, F.col("place"), sub)).otherwise(u(salt))

    r = F.col("radius_km") * F.sqrt(F.lit(0.02) + 0.98 * draw("pos_r"))
    theta = F.radians(F.col("azimuth_deg") + (draw("pos_a") - 0.5) * 120.0)
    site_x = F.col("site_x_km")
    site_y = F.col("site_y_km")
    rail_x, rail_y = rail_position(layout, F.col("train_line"), F.col("train_along_km"),
                                   (u("train_lateral") - 0.5) * 0.06)
    speed = (F.when(F.col("on_train"), F.col("mobility"))
             .when(F.col("mobility") == 1.0, F.lit(3.0) + u("speed") * 3.0)
             .when(F.col("mobility") == 2.0, F.lit(20.0) + u("speed") * 40.0)
             .otherwise(F.lit(0.0)))
    return df.select(
        "*",
        F.when(F.col("on_train"), rail_x).otherwise(site_x + r * F.sin(theta)).alias("x_km"),
        F.when(F.col("on_train"), rail_y).otherwise(site_y + r * F.cos(theta)).alias("y_km"),
        F.round(speed, 1).alias("speed_kmh"),
        F.radians(u("heading") * 360.0).alias("heading_rad"),
    )


def _physics(df: DataFrame, s) -> DataFrame:
    """Load, distance, angle off azimuth, expected signal and true drop probability at start."""
    dx = F.col("x_km") - F.col("site_x_km")
    dy = F.col("y_km") - F.col("site_y_km")
    distance = rm.distance_km(dx, dy)
    off = rm.angle_off_azimuth_deg(rm.bearing_deg(dx, dy), F.col("azimuth_deg"))
    load = F.least(F.col("load_factor") * hourly_weight(F.col("local_hour")), F.lit(1.0))
    with_load = df.select("*", F.round(load, 4).alias("load"), distance.alias("distance_km"),
                          off.alias("off_azimuth_deg"))
    expected = rm.expected_signal_dbm(s.radio, F.col("distance_km"), F.col("off_azimuth_deg"),
                                      F.col("beamwidth_deg"), F.col("band_mhz").cast("double"),
                                      F.col("rain_mm_h"), F.col("on_train"), F.col("load"))
    return with_load.withColumn("expected_signal_dbm", expected).withColumn(
        "drop_probability",
        F.when(F.col("record_type") == "VOICE",
               rm.drop_probability(s.radio, F.col("expected_signal_dbm"), F.col("speed_kmh"), F.col("load"))))


def _outcome(df: DataFrame, seed: int, u) -> DataFrame:
    """Outcome, duration, release cause and data volumes."""
    voice = F.col("record_type") == "VOICE"
    data = F.col("record_type") == "DATA"
    setup = u("setup")
    voice_outcome = (F.when(setup < 0.01, "failed").when(setup < 0.04, "busy").when(setup < 0.09, "no_answer")
                     .when(u("drop") < F.col("drop_probability"), "dropped").otherwise("completed"))
    other_outcome = F.when(setup < F.when(data, 0.005).otherwise(0.01), "failed").otherwise("completed")
    outcome = F.when(voice, voice_outcome).otherwise(other_outcome)
    median_s = F.when(F.col("is_call_centre"), 240.0).when(voice, 90.0).otherwise(600.0)
    full = F.least(F.greatest(F.round(median_s * F.exp(normal(seed, "duration", F.col("id"), F.col("subscriber_id")))),
                              F.lit(1.0)), F.when(voice, 7200.0).otherwise(86400.0))
    connected = outcome.isin("completed", "dropped")
    duration = (F.when(F.col("record_type") == "SMS", 0).when(~connected, 0)
                .when(outcome == "dropped", F.greatest(F.round(full * u("cut")), F.lit(1.0)))
                .otherwise(full)).cast("long")
    bytes_up = F.round(F.lit(200_000.0) * F.exp(normal(seed, "bytes", F.col("id")) * 1.2)).cast("long")
    with_outcome = df.select("*", outcome.alias("outcome"))
    cause = None
    for name, codes in RELEASE_CAUSES.items():
        code = pick(u("cause"), [(c, 1.0) for c in codes])
        cause = F.when(F.col("outcome") == name, code) if cause is None else cause.when(F.col("outcome") == name, code)
    return with_outcome.select(
        "*",
        duration.alias("duration_s"),
        cause.cast("int").alias("release_cause"),
        F.when(data & connected, bytes_up).otherwise(0).cast("long").alias("bytes_up"),
        F.when(data & connected, bytes_up * F.round(F.lit(4.0) + u("ratio") * 8.0)).otherwise(0).cast("long")
        .alias("bytes_down"),
        (F.col("outcome") == "dropped").alias("dropped"),
    )


def _identities(df: DataFrame, s, day: dt.date, u) -> DataFrame:
    """Identifiers (clean, E.164), the called party, roaming, tariff, record id, start time."""
    seed, scale = s.seed, s.scale
    sub = F.col("subscriber_id")
    national = ids.national_number(sub)
    others = scale.subscribers - scale.call_centres
    contact = F.lit(scale.call_centres) + F.pmod(
        F.xxhash64(F.lit(seed), F.lit("contact"), sub, uniform_int(seed, "contact:k", CONTACTS_PER_SUBSCRIBER,
                                                                   F.col("id"))), F.lit(others))
    anyone = F.lit(scale.call_centres) + uniform_int(seed, "callee:any", others, F.col("id"))
    other_operator = F.concat(F.lit("7"), F.lpad(uniform_int(seed, "callee:oth", 100_000_000, F.col("id"))
                                                 .cast("string"), 8, "0"))
    foreign = F.concat(F.lit("+"), pick(u("callee_cc"), [(p, 1.0) for p in FOREIGN_PREFIXES]),
                       F.lpad(uniform_int(seed, "callee:for", 1_000_000_000, F.col("id")).cast("string"), 9, "0"))
    callee_u = u("callee")
    called = (F.when(F.col("record_type") == "DATA", F.lit(None).cast("string"))
              .when(F.col("is_call_centre"), ids.e164(s.country_code, ids.national_number(anyone)))
              .when(callee_u < 0.75, ids.e164(s.country_code, ids.national_number(contact)))
              .when(callee_u < 0.90, ids.e164(s.country_code, other_operator))
              .otherwise(foreign))
    start = F.make_timestamp(F.lit(day.year), F.lit(day.month), F.lit(day.day), F.col("local_hour"),
                             (F.col("second_of_hour") / 60).cast("int"),
                             (F.col("second_of_hour") % 60).cast("decimal(8,6)"), F.lit(s.time_zone))
    record_id = F.concat(F.lit(day.strftime("%Y%m%d")), F.lpad(F.col("id").cast("string"), 10, "0"))
    return df.select(
        record_id.alias("record_id"),
        F.lit(day).alias("event_date"),
        "record_type",
        start.alias("start_time_utc"),
        "local_hour", "second_of_hour", "duration_s",
        sub.alias("subscriber_id"),
        national.alias("calling_national"),
        ids.e164(s.country_code, national).alias("calling_e164"),
        called.alias("called_e164"),
        ids.imsi(s.mcc, s.mnc, sub).alias("imsi"),
        ids.imei(uniform(seed, "device", sub), sub).alias("imei"),
        "cell_id", "cell_index", "bytes_up", "bytes_down", "release_cause", "outcome", "dropped",
        (u("roaming") < 0.02).alias("roaming"),
        pick(uniform(seed, "tariff", sub), [(t, 1.0) for t in TARIFF_PLANS]).alias("tariff_plan"),
        "is_call_centre", "on_train", "place", "x_km", "y_km", "speed_kmh", "heading_rad",
        "train_line", "train_along_km", "train_direction", "area_id",
        "rain_mm_h", "load", "distance_km", "off_azimuth_deg", "expected_signal_dbm", "drop_probability",
        "source_no", "is_tail", "id",
    )
