"""The pseudonymisation key: from the environment or a key file named in conf, never from conf.

The key is read before Spark starts, so a missing key fails like bad config: exit 2, one line.
It is never logged; only its source (variable or file name) is.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from jobs.runtime.config import Config, ConfigError

MIN_KEY_BYTES = 16
_FINGERPRINT_MESSAGE = b"cdr-pipelines pseudonymisation key fingerprint v1"


def load_pseudonym_key(config: Config) -> bytes:
    """The HMAC key for subscriber identifiers.

    The key is the text of its source without surrounding white space or a byte order mark, the
    same from either source (so ``export KEY="$(cat key.txt)"`` gives the pseudonyms the key file
    gives). Order: the environment variable ``cleanse.pseudonymisation.key_env``; else the first line of
    ``key_file``; else, when ``create_missing_key_file`` (local only), a new random key written
    to ``key_file`` (mode 0600) and used from then on, so pseudonyms stay stable across runs.

    Raises
    ------
    ConfigError
        No key where conf says to look (the job refuses to run), a key file that cannot be read or
        created, a key that is not UTF-8 text, or a key shorter than 16 bytes. The message names
        the key's source and the problem, never a byte of the key (Python's own decoding errors
        quote the offending byte, so they are not passed on).
    """
    settings = config.cleanse.pseudonymisation
    value = _normal_key(os.environ.get(settings.key_env, ""))
    source = f"${settings.key_env}"
    if not value and settings.key_file:
        path = Path(config.resolve(settings.key_file))
        source = str(path)
        try:
            value = _read_or_create_key_file(path, settings.create_missing_key_file)
        except OSError as error:
            raise ConfigError(f"cleanse.pseudonymisation: cannot read or create the key file {path}: "
                              f"{error.strerror or type(error).__name__}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"cleanse.pseudonymisation: the key file {path} is not UTF-8 text") from None
    if not value:
        where = f"${settings.key_env}" + (f" or the key file {settings.key_file}" if settings.key_file else "")
        raise ConfigError(f"cleanse.pseudonymisation: no key found in {where}; "
                          "refusing to write identifiers without pseudonymisation")
    try:
        key = value.encode("utf-8")
    except UnicodeEncodeError:   # an environment value with bytes that are not UTF-8
        raise ConfigError(f"cleanse.pseudonymisation: the key from {source} is not UTF-8 text") from None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"cleanse.pseudonymisation: the key from {source} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def key_fingerprint(key: bytes) -> str:
    """A public name of the key: tells whether two runs used the same key, gives nothing of it.

    The first 16 hex digits of HMAC-SHA256 under the key of a fixed text that is no identifier:
    neither the key nor any pseudonym can be derived from it, so it may be logged and stored
    beside the tables (see :func:`jobs.cleanse.check_key_unchanged`).

    Parameters
    ----------
    key
        The key bytes, as :func:`load_pseudonym_key` gives them.

    Returns
    -------
    str
        16 lowercase hex digits.
    """
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def _normal_key(text: str) -> str:
    """A key's text as used: surrounding white space and a byte order mark removed."""
    return text.strip().lstrip("\ufeff").strip()


def _read_or_create_key_file(path: Path, create_missing: bool) -> str:
    """The key file's first line ("" when it is empty or missing and not to be created); a new
    random key written with mode 0600 when it is missing and ``create_missing``."""
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        return _normal_key(lines[0]) if lines else ""
    if not create_missing:
        return ""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
