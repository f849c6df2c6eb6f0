"""The physical ground truth of the synthetic network, as Column functions.

Expected (noise-free) signal level of a mobile served by a cell, in dBm::

    S = P_tx + G(bearing - azimuth) - PL(d, f) - L_rain - L_train - L_congestion

    PL(d, f)   = 32.45 + 20 log10(f_MHz) + 20 log10(d0) + 10 n log10(d / d0),  d0 = 0.1 km,
                 d floored at 0.02 km (free space to d0, exponent n beyond)
    G(theta)   = G_max - min(12 (theta / theta_3dB)^2, A_m)          (3GPP TR 36.814 sector)
    L_rain     = k_rain * rain_mm_h * f_MHz / 1800                   (wet clutter and foliage)
    L_train    = train_penetration_loss_db when the mobile rides a train, else 0
    L_congestion = congestion_loss_db * load                         (load in [0, 1])

Observed signal = S + N(0, sigma_shadowing), rounded to 1 dB, within the report range
[-140, -44] dBm. True drop probability of a voice call::

    logit p = b0 + b1 max(0, T - S) + b2 speed_kmh / 100 + b3 load

with S the expected signal at the call's start. ``docs/generator-model.md`` gives the values.
"""
from __future__ import annotations

import math

from pyspark.sql import Column
from pyspark.sql import functions as F

REPORT_MIN_DBM, REPORT_MAX_DBM = -140, -44
REFERENCE_DISTANCE_KM, MIN_DISTANCE_KM = 0.1, 0.02


def distance_km(dx_km: Column, dy_km: Column) -> Column:
    """Euclidean distance on the local plane (km)."""
    return F.sqrt(dx_km * dx_km + dy_km * dy_km)


def bearing_deg(dx_km: Column, dy_km: Column) -> Column:
    """Compass bearing from a site to a mobile: 0 = north, clockwise, in [0, 360)."""
    return F.pmod(F.degrees(F.atan2(dx_km, dy_km)), F.lit(360.0))


def angle_off_azimuth_deg(bearing: Column, azimuth: Column) -> Column:
    """Absolute angular distance between a bearing and an antenna azimuth, in [0, 180]."""
    return F.abs(F.pmod(bearing - azimuth + 180.0, F.lit(360.0)) - 180.0)


def path_loss_db(distance: Column, band_mhz: Column, exponent: float) -> Column:
    """Log-distance path loss: free space up to 100 m, exponent ``n`` beyond."""
    d = F.greatest(distance, F.lit(MIN_DISTANCE_KM))
    free_space = F.lit(32.45) + 20.0 * F.log10(band_mhz) + 20.0 * F.log10(d)
    reference = F.lit(32.45) + 20.0 * F.log10(band_mhz) + 20.0 * math.log10(REFERENCE_DISTANCE_KM)
    beyond = reference + 10.0 * exponent * F.log10(d / REFERENCE_DISTANCE_KM)
    return F.when(d <= REFERENCE_DISTANCE_KM, free_space).otherwise(beyond)


def antenna_gain_db(off_azimuth: Column, beamwidth: Column, max_gain: float, front_to_back: float) -> Column:
    """Sector antenna gain (3GPP horizontal pattern)."""
    attenuation = F.least(F.lit(12.0) * F.pow(off_azimuth / beamwidth, 2.0), F.lit(front_to_back))
    return F.lit(max_gain) - attenuation


def expected_signal_dbm(radio, distance: Column, off_azimuth: Column, beamwidth: Column, band_mhz: Column,
                        rain_mm_h: Column, on_train: Column, load: Column) -> Column:
    """Noise-free signal level (dBm) under the model above; ``radio`` is the ``Radio`` settings."""
    return (F.lit(radio.tx_power_dbm)
            + antenna_gain_db(off_azimuth, beamwidth, radio.max_antenna_gain_dbi, radio.front_to_back_db)
            - path_loss_db(distance, band_mhz, radio.path_loss_exponent)
            - F.lit(radio.rain_loss_db_per_mm_h) * rain_mm_h * band_mhz / 1800.0
            - F.when(on_train, F.lit(radio.train_penetration_loss_db)).otherwise(F.lit(0.0))
            - F.lit(radio.congestion_loss_db) * load)


def observed_signal_dbm(expected: Column, standard_normal: Column, sigma_db: float) -> Column:
    """A measurement report's signal: expected plus shadowing, rounded, clipped to the range."""
    measured = F.round(expected + F.lit(sigma_db) * standard_normal)
    return F.least(F.greatest(measured, F.lit(float(REPORT_MIN_DBM))), F.lit(float(REPORT_MAX_DBM))).cast("int")


def drop_probability(radio, expected_signal: Column, speed_kmh: Column, load: Column) -> Column:
    """True probability that a voice call drops (logistic in signal deficit, speed, load)."""
    logit = (F.lit(radio.drop_intercept)
             + F.lit(radio.drop_per_db_below_threshold)
             * F.greatest(F.lit(radio.drop_threshold_dbm) - expected_signal, F.lit(0.0))
             + F.lit(radio.drop_per_100_kmh) * speed_kmh / 100.0
             + F.lit(radio.drop_per_congestion) * load)
    return F.lit(1.0) / (F.lit(1.0) + F.exp(-logit))


def signal_quality_db(expected_signal: Column, load: Column, standard_normal: Column) -> Column:
    """A SINR-like quality figure (dB): better with signal, worse with load; in [-10, 30]."""
    sinr = F.lit(22.0) + 0.35 * (expected_signal + 95.0) - 12.0 * load + 2.0 * standard_normal
    return F.round(F.least(F.greatest(sinr, F.lit(-10.0)), F.lit(30.0)), 1)


def timing_advance(distance: Column) -> Column:
    """LTE timing advance index: one step per 78.12 m of distance."""
    return F.round(distance * 1000.0 / 78.12).cast("int")
