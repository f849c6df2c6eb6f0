"""The pseudonymisation key: from the environment or a key file named in conf, never from conf.

The key is read before Spark starts, so a missing key fails like bad config: exit 2, one line.
It is never logged; only its source (variable or file name) is.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from jobs.runtime.config import Config, ConfigError

MIN_KEY_BYTES = 16


def load_pseudonym_key(config: Config) -> bytes:
    """The HMAC key for subscriber identifiers.

    Order: the environment variable ``cleanse.pseudonymisation.key_env``; else the first line of
    ``key_file``; else, when ``create_missing_key_file`` (local only), a new random key written
    to ``key_file`` (mode 0600) and used from then on, so pseudonyms stay stable across runs.

    Raises
    ------
    ConfigError
        No key where conf says to look (the job refuses to run), or a key shorter than 16 bytes.
    """
    settings = config.cleanse.pseudonymisation
    value = os.environ.get(settings.key_env, "")
    source = f"${settings.key_env}"
    if not value and settings.key_file:
        path = Path(config.resolve(settings.key_file))
        source = str(path)
        if path.is_file():
            value = path.read_text(encoding="utf-8").splitlines()[0].strip() if path.stat().st_size else ""
        elif settings.create_missing_key_file:
            path.parent.mkdir(parents=True, exist_ok=True)
            value = secrets.token_hex(32)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(value + "\n")
    if not value:
        where = f"${settings.key_env}" + (f" or the key file {settings.key_file}" if settings.key_file else "")
        raise ConfigError(f"cleanse.pseudonymisation: no key found in {where}; "
                          "refusing to write identifiers without pseudonymisation")
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"cleanse.pseudonymisation: the key from {source} is shorter than {MIN_KEY_BYTES} bytes")
    return key
