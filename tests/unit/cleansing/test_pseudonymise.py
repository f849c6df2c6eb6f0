"""Pseudonymisation: the native HMAC-SHA256 equals the standard one (RFC 2104 / RFC 4231), keys of
every length, non-ASCII text, nulls; the step replaces or renames the identifier columns; nothing
that gives the key back is in the Spark plan."""
import base64
import hashlib
import hmac
import re

import pytest
from pyspark.sql import functions as F

from transformations.cleansing.pseudonymise import hmac_pads, hmac_sha256, is_pseudonym, pseudonymise

KEY = b"0123456789abcdef0123456789abcdef"
MESSAGES = ["+33612345678", "208011234567890", "", "Illimité ✓ 日本", "a" * 200, None]


def python_hmac(key, message):
    """Independent oracle: Python's standard library."""
    return None if message is None else hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def spark_hmac(spark, key, messages):
    df = spark.createDataFrame([(i, m) for i, m in enumerate(messages)], "i int, m string")
    return [r.h for r in df.select("i", hmac_sha256(F.col("m"), key).alias("h")).orderBy("i").collect()]


def test_rfc_4231_test_case_2(spark):
    assert spark_hmac(spark, b"Jefe", ["what do ya want for nothing?"]) == [
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"]


@pytest.mark.parametrize("key", [b"k", KEY, b"K" * 64, b"L" * 65, bytes(range(100))],
                         ids=["1-byte", "32-byte", "64-byte", "65-byte", "100-byte"])
def test_equals_the_standard_hmac_for_every_key_length(spark, key):
    assert spark_hmac(spark, key, MESSAGES) == [python_hmac(key, m) for m in MESSAGES]


def test_null_stays_null_and_hex_is_lowercase(spark):
    out = spark_hmac(spark, KEY, [None, "x"])
    assert out[0] is None
    assert len(out[1]) == 64 and out[1] == out[1].lower()


def test_exactly_two_sha2_per_identifier(spark):
    assert str(hmac_sha256(F.col("msisdn"), KEY)).lower().count("sha2(") == 2
    assert str(hmac_sha256("msisdn", bytes(range(100)))).lower().count("sha2(") == 2


def test_pads():
    inner, outer = hmac_pads(b"Jefe")
    assert inner[:4] == bytes([ord("J") ^ 0x36, ord("e") ^ 0x36, ord("f") ^ 0x36, ord("e") ^ 0x36])
    assert inner[4:] == b"\x36" * 60 and outer[4:] == b"\x5c" * 60
    long_inner, _ = hmac_pads(b"x" * 100)
    assert long_inner[:32] == bytes(b ^ 0x36 for b in hashlib.sha256(b"x" * 100).digest())
    with pytest.raises(ValueError):
        hmac_pads(b"")
    with pytest.raises(TypeError):
        hmac_pads("a text key")


def test_stable_for_one_key_different_for_another(spark):
    first, second = spark_hmac(spark, KEY, ["+33612345678", "+33612345678"])
    other = spark_hmac(spark, KEY + b"!", ["+33612345678"])[0]
    assert first == second == python_hmac(KEY, "+33612345678")
    assert other != first


def test_pseudonymise_in_place(spark):
    df = spark.createDataFrame([(1, "+33612345678", "208011234567890", "keep")],
                               "id int, msisdn string, imsi string, plan string")
    out = df.transform(pseudonymise(["msisdn", "imsi"], KEY))
    assert out.columns == ["id", "msisdn", "imsi", "plan"]
    row = out.first()
    assert (row.id, row.plan) == (1, "keep")
    assert row.msisdn == python_hmac(KEY, "+33612345678")
    assert row.imsi == python_hmac(KEY, "208011234567890")


def test_pseudonymise_with_suffix_drops_the_clear_column(spark):
    df = spark.createDataFrame([(1, "+33612345678"), (2, None)], "id int, msisdn string")
    out = df.transform(pseudonymise(["msisdn"], KEY, suffix="_hash"))
    assert out.columns == ["id", "msisdn_hash"]
    assert {r.id: r.msisdn_hash for r in out.collect()} == {1: python_hmac(KEY, "+33612345678"), 2: None}


def test_invalid_utf8_text_is_hashed_byte_for_byte(spark):
    # "Illimité" written in Latin-1: the byte E9 alone is not UTF-8; no replacement character.
    latin1 = F.unhex(F.lit("496C6C696D6974E9")).cast("string")
    actual = spark.range(1).select(hmac_sha256(latin1, KEY).alias("h")).first().h
    assert actual == hmac.new(KEY, b"Illimit\xe9", hashlib.sha256).hexdigest()


def plan_texts(df) -> str:
    """Every form a plan is shown in: each explain mode, before and after running (the final
    adaptive plan), and the executed plan's nodes (what event logs keep for the Spark UI)."""
    shown = []
    for _ in range(2):
        qe = df._jdf.queryExecution()
        shown += [qe.toString(), qe.executedPlan().toString()]
        shown += [df._sc._jvm.PythonSQLUtils.explainString(qe, mode)
                  for mode in ("simple", "extended", "codegen", "cost", "formatted")]
        df.collect()
    return "\n".join(shown)


def key_forms(key: bytes):
    """The key and its pads, as the start of their hex (plans cut long literals) and base64, and as
    text: any of them gives the key back."""
    forms = {key.decode("latin-1")}
    for secret in (key, *hmac_pads(key)):
        forms |= {secret.hex()[:16], base64.b64encode(secret).decode()[:12]}
    return forms


def test_key_and_pads_are_in_no_plan(spark):
    key = b"plan-test-key-0123456789abcdef!!"
    df = spark.createDataFrame([(1, "+33612345678", "208011234567890")], "id int, msisdn string, imsi string")
    stepped = df.transform(pseudonymise(["msisdn", "imsi"], key))
    single = df.select(hmac_sha256("msisdn", key).alias("h"))
    for out in (stepped, single):
        shown = plan_texts(out).lower()
        assert not [form for form in key_forms(key) if form.lower() in shown]
        assert "sha2(" in shown and "subquery" in shown      # the plan is there, the pads are not
    assert stepped.first().msisdn == python_hmac(key, "+33612345678")


def test_the_plan_scan_finds_a_literal_key(spark):
    # The check above can fail: a pad written as a literal is found.
    key = b"plan-test-key-0123456789abcdef!!"
    inner, _ = hmac_pads(key)
    literal = spark.range(1).select(F.sha2(F.concat(F.lit(bytearray(inner)), F.lit(b"x")), 256).alias("h"))
    assert [form for form in key_forms(key) if form.lower() in plan_texts(literal).lower()] == [inner.hex()[:16]]


def test_is_pseudonym_is_the_shape_hmac_sha256_writes(spark):
    """Exactly 64 characters of ``0-9a-f``; oracle: Python's ``re.fullmatch``. A regular
    expression's ``$`` would also accept a final line break; this does not."""
    digest = python_hmac(KEY, "+33612345678")
    values = [digest, python_hmac(b"other", ""), "0" * 64,
              digest.upper(), digest[:-1], digest + "0", digest[:-1] + "g", digest + "\n", digest[:-1] + "\n",
              " " + digest[1:], digest[:-1] + " ", "é" * 32, digest[:-2] + "é", "ａ" + digest[1:],
              digest[:-1] + "\x00", "+33612345678", "208011234567890", "", "-" + digest[1:], "0x" + digest[2:],
              digest[:10] + "A" + digest[11:]]
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)] + [(len(values), None)], "i int, v string")
    got = [r.ok for r in df.select("i", is_pseudonym(F.col("v")).alias("ok")).orderBy("i").collect()]
    assert got == [re.fullmatch("[0-9a-f]{64}", v) is not None for v in values] + [None]
    assert got[:3] == [True, True, True] and not any(got[3:-1])
    # the pseudonyms of the step itself pass
    step = spark.createDataFrame([(m,) for m in MESSAGES], "m string").transform(pseudonymise(["m"], KEY))
    assert step.where(is_pseudonym("m")).count() == len(MESSAGES) - 1
    assert step.where(F.col("m").isNull()).count() == 1
