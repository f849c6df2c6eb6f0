"""Pseudonymisation of subscriber identifiers (MSISDN, IMSI, IMEI) by keyed HMAC-SHA256.

- Keyed: without the key nobody can recompute a pseudonym from a guessed identifier, as they
  could with a plain hash of a 9-digit phone number (a dictionary of 10^9 hashes is cheap).
- Stable: the same identifier under the same key gives the same pseudonym in every run, so
  pseudonymised tables still join with each other (calls of one subscriber across days, feeds).
  A new key gives unrelated pseudonyms: rotating it breaks joins with older data.
- Not reversible: HMAC is one-way; re-identification needs the key *and* the candidate
  identifiers. The key is personal-data-protecting material: keep it out of conf and logs.

The HMAC is computed with native functions only (RFC 2104: ``H((K ^ opad) || H((K ^ ipad) || m))``,
two ``sha2`` per value), so it runs in the JVM with whole-stage codegen, no Python UDF.

**The key-derived pads appear in the Spark plan.** ``K ^ ipad`` and ``K ^ opad`` are binary literals
of the expression, so they are printed by ``df.explain()``, the SQL tab of the Spark UI, event
logs and any plan logged at DEBUG (``org.apache.spark.sql.execution`` loggers). The key can be
recovered from either pad (XOR with 0x36 / 0x5c). Do not log plans with literals at DEBUG, do not
ship event logs of pseudonymising jobs to shared places, and treat Spark UI access like key access.
"""
from __future__ import annotations

import hashlib
from typing import Sequence, Tuple, Union

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

BLOCK_SIZE = 64   # bytes, SHA-256


def hmac_pads(key: bytes) -> Tuple[bytes, bytes]:
    """The inner and outer pads of RFC 2104 for SHA-256: ``(K ^ 0x36..., K ^ 0x5c...)``.

    Parameters
    ----------
    key
        Secret key; hashed with SHA-256 first when longer than 64 bytes, then padded with zeros to
        64 bytes.

    Returns
    -------
    tuple of bytes
        Two 64-byte strings.

    Raises
    ------
    TypeError
        When the key is not bytes.
    ValueError
        For an empty key.
    """
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError(f"the HMAC key must be bytes, not {type(key).__name__}")
    if not key:
        raise ValueError("the HMAC key is empty")
    block = hashlib.sha256(key).digest() if len(key) > BLOCK_SIZE else bytes(key)
    block = block.ljust(BLOCK_SIZE, b"\x00")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def _hmac_with_pads(column: Column, inner_pad: bytes, outer_pad: bytes) -> Column:
    message = column.cast("string").cast("binary")      # the UTF-8 bytes Spark holds, as they are
    inner = F.unhex(F.sha2(F.concat(F.lit(bytearray(inner_pad)), message), 256))
    return F.sha2(F.concat(F.lit(bytearray(outer_pad)), inner), 256)


def hmac_sha256(column: Union[Column, str], key: bytes) -> Column:
    """Lowercase hex HMAC-SHA256 (RFC 2104) of the UTF-8 bytes of a string column.

    Equal to ``hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()``; computed with
    two ``sha2`` calls (see the module notes on the pads appearing in the plan).

    Parameters
    ----------
    column
        String Column (or column name); other types are cast to string first. A string whose bytes
        are not valid UTF-8 is hashed byte for byte (no replacement character).
    key
        Secret key bytes (any length but empty; longer than 64 bytes is hashed first, as in
        RFC 2104).

    Returns
    -------
    Column
        String of 64 lowercase hex characters; null for null.
    """
    inner_pad, outer_pad = hmac_pads(key)
    return _hmac_with_pads(F.col(column) if isinstance(column, str) else column, inner_pad, outer_pad)


def pseudonymise(columns: Sequence[str], key: bytes, suffix: str = ""):
    """Curried step replacing identifier columns by their :func:`hmac_sha256` under ``key``.

    Parameters
    ----------
    columns
        Names of the string columns to pseudonymise.
    key
        Secret key bytes.
    suffix
        ``""``: each column is replaced in place. Otherwise the pseudonym is written to
        ``<column><suffix>`` and the clear column is dropped.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        Never drops a row; no clear value of ``columns`` remains in the output.
    """
    inner_pad, outer_pad = hmac_pads(key)
    columns = list(columns)

    def step(df: DataFrame) -> DataFrame:
        pseudonyms = {c + suffix: _hmac_with_pads(F.col(c), inner_pad, outer_pad) for c in columns}
        out = df.withColumns(pseudonyms)
        return out.drop(*[c for c in columns if c + suffix != c]) if suffix else out
    return step
