"""The pseudonymisation key: environment first, then the key file; a cluster run without either
refuses to start; the local default creates its key once and reuses it."""
import stat

import pytest

from jobs import cleanse
from jobs.runtime.config import ConfigError, load_config
from jobs.runtime.keys import load_pseudonym_key
from tests.conftest import CLUSTER_CONF, LOCAL_CONF

ENV = "CDR_PSEUDONYM_KEY"


def local(tmp_path, *overrides):
    return load_config(str(LOCAL_CONF), [f"cleanse.pseudonymisation.key_file={tmp_path / 'k' / 'key'}", *overrides])


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "from-the-environment-0123")
    assert load_pseudonym_key(local(tmp_path)) == b"from-the-environment-0123"
    assert not (tmp_path / "k" / "key").exists()


def test_cluster_mode_without_a_key_refuses_to_run(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(ConfigError, match=r"no key found in \$CDR_PSEUDONYM_KEY; refusing"):
        load_pseudonym_key(load_config(str(CLUSTER_CONF)))


def test_the_cleanse_job_exits_2_before_spark_without_a_key(monkeypatch, capsys):
    monkeypatch.delenv(ENV, raising=False)
    code = cleanse.run_job("cleanse", cleanse.run, ["--conf", str(CLUSTER_CONF), "--run-date", "2026-11-21"],
                           preflight=cleanse.load_pseudonym_key)
    assert code == 2
    assert "refusing to write identifiers without pseudonymisation" in capsys.readouterr().err


def test_the_local_default_creates_a_private_key_once_and_reuses_it(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    first = load_pseudonym_key(local(tmp_path))
    path = tmp_path / "k" / "key"
    assert len(first) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_pseudonym_key(local(tmp_path)) == first


def test_a_key_file_is_read_and_a_missing_one_is_not_created_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    no_create = local(tmp_path, "cleanse.pseudonymisation.create_missing_key_file=false")
    with pytest.raises(ConfigError, match="or the key file"):
        load_pseudonym_key(no_create)
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "key").write_text("a-key-written-by-operations\n")
    assert load_pseudonym_key(no_create) == b"a-key-written-by-operations"


def test_a_short_key_is_refused_without_showing_it(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "short-secret")
    with pytest.raises(ConfigError, match="shorter than 16 bytes") as error:
        load_pseudonym_key(local(tmp_path))
    assert "short-secret" not in str(error.value)


def test_a_key_that_is_not_utf8_is_refused_without_showing_its_bytes(tmp_path, monkeypatch):
    # Python's own decoding errors quote the offending byte ("can't decode byte 0xa3 in position 0")
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "key").write_bytes(b"\xa3" + b"k" * 40 + b"\n")
    with pytest.raises(ConfigError, match=r"the key file .*/k/key is not UTF-8 text") as from_file:
        load_pseudonym_key(local(tmp_path))
    monkeypatch.setenv(ENV, "\udca3" + "k" * 40)    # the byte 0xA3 in the environment, as Python holds it
    with pytest.raises(ConfigError, match=r"the key from \$CDR_PSEUDONYM_KEY is not UTF-8 text") as from_env:
        load_pseudonym_key(local(tmp_path))
    for message in (str(from_file.value), str(from_env.value)):
        assert "a3" not in message.lower() and "kkkk" not in message


def test_a_key_file_that_cannot_be_read_or_created_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "k" / "key").mkdir(parents=True)     # a directory where the key file should be
    with pytest.raises(ConfigError, match=r"cannot read or create the key file .*/k/key: File exists"):
        load_pseudonym_key(local(tmp_path))


@pytest.mark.parametrize("written", ["\ufeffsame-key-in-both-places-01\n", "  same-key-in-both-places-01 \r\n"])
def test_the_environment_and_the_key_file_give_the_same_key_for_the_same_text(tmp_path, monkeypatch, written):
    """A key moved from its file into the environment (``export KEY="$(cat key)"`` keeps a BOM
    and inner spaces, a secret store may keep the line break) must give the same pseudonyms."""
    key_file = tmp_path / "k" / "key"
    key_file.parent.mkdir()
    key_file.write_text(written, encoding="utf-8", newline="")
    monkeypatch.delenv(ENV, raising=False)
    from_file = load_pseudonym_key(local(tmp_path))
    monkeypatch.setenv(ENV, written)
    assert load_pseudonym_key(local(tmp_path)) == from_file == b"same-key-in-both-places-01"


def test_the_key_fingerprint_names_a_key_without_showing_it():
    from jobs.runtime.keys import key_fingerprint
    key = b"fingerprint-test-key-0123456789ab"
    fingerprint = key_fingerprint(key)
    assert len(fingerprint) == 16 and set(fingerprint) <= set("0123456789abcdef")
    assert key_fingerprint(bytes(key)) == fingerprint                 # the same key, the same name
    assert key_fingerprint(key + b"\n") != fingerprint                 # one byte more, another key
    assert key_fingerprint(b"another-key-0123456789abcdef") != fingerprint
    assert fingerprint not in key.hex() and key.decode() not in fingerprint
