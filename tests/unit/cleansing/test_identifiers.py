"""Identifiers: every way a phone number is written reaches one E.164 form, bad ones are rejected;
IMSI shape, IMEI Luhn check digit, cell ids split into typed parts; the reason codes of the steps."""
import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from transformations.cleansing.identifiers import (check_overseas, cleanse_cell_id, cleanse_imei, cleanse_imsi,
                                                   cleanse_msisdn, is_imei_luhn_failure, is_valid_imei,
                                                   is_valid_imsi, luhn_check_digit, msisdn_to_e164, split_cell_id)
from transformations.cleansing.reasons import REASONS

NBSP = "\u00a0"


def check(spark, function, cases, expected_type):
    df = spark.createDataFrame(cases, f"raw string, expected {expected_type}")
    assert_column_equality(df.withColumn("actual", function(F.col("raw"))), "actual", "expected")


def reasons_by_raw(df, raw="raw"):
    return {r[raw]: r[REASONS] for r in df.collect()}


# --- MSISDN ------------------------------------------------------------------------------------

def test_msisdn_every_accepted_shape_gives_the_e164_form(spark):
    check(spark, lambda c: msisdn_to_e164(c, "33"), [
        ("+33612345678", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("33612345678", "+33612345678"),          # country code without '+': 2 + 9 digits
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("612345678", "+33612345678"),            # trunk zero lost: exactly 9 digits
        (f"06{NBSP}12{NBSP}34{NBSP}56{NBSP}78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("(06) 12/34.56-78", "+33612345678"),
        ("  0612345678\t", "+33612345678"),
        ("+33612345678\n", "+33612345678"),     # a line break is a blank, and goes
        ("+33 (0)6 12 34 56 78", "+33612345678"),  # trunk zero noted after the country code
        ("+447911123456", "+447911123456"),        # foreign numbers are kept
        ("00447911123456", "+447911123456"),
        ("+44 (0)7911 123456", "+447911123456"),
        ("+44-(0)-7911-123456", "+447911123456"),  # the trunk note between other punctuation
        ("+33-(0)6-12-34-56-78", "+33612345678"),
        ("0033.(0)6.12.34.56.78", "+33612345678"),
        ("+1 212 555 0100", "+12125550100"),
    ], "string")


def test_msisdn_bad_values_are_null(spark):
    check(spark, lambda c: msisdn_to_e164(c, "33"), [
        ("06123AB678", None),          # letters
        ("+3361", None),               # too short
        ("00000000000", None),         # "00" then zeros: not ^\+[1-9]
        ("06123456", None),            # national number of the wrong length
        ("061234567890", None),        # 11 national digits after the trunk zero
        ("+336123456789", None),       # home number with 10 national digits
        ("+3361234567", None),         # home number with 8 national digits
        ("0033 06 12 34 56 78", None),  # trunk zero kept after 0033: 10 national digits
        ("+33 06 12 34 56 7", None),   # trunk zero kept and a digit lost: 9 digits, not the number
        ("33061234567", None),
        ("+33612345678\u0085", None),  # a final NEL (U+0085): Java's $ would match before it
        ("+0033612345678", None),
        ("++33612345678", None),
        ("33+612345678", None),
        ("+4479111234567890", None),   # 16 digits: longer than E.164 allows
        ("061234567", None),           # 9 digits starting with the trunk zero: not a lost trunk
        ("", None),
        ("tel", None),
        (None, None),
    ], "string")


def test_msisdn_other_country_settings(spark):
    # UK: 10 national digits, trunk 0; a 44-number without '+' has 12 digits.
    check(spark, lambda c: msisdn_to_e164(c, "44", national_length=10), [
        ("07911 123456", "+447911123456"),
        ("447911123456", "+447911123456"),
        ("7911123456", "+447911123456"),
        ("0612345678", None),          # 9 digits after the trunk zero
        ("+33612345678", "+33612345678"),
    ], "string")
    # No trunk prefix, international prefix "011" (North America).
    check(spark, lambda c: msisdn_to_e164(c, "1", national_length=10, trunk_prefix="", international_prefix="011"), [
        ("212-555-0100", "+12125550100"),
        ("1 (212) 555-0100", "+12125550100"),
        ("011 33 6 12 34 56 78", "+33612345678"),
        ("555-0100", None),
    ], "string")
    # Russia: trunk prefix 8, and St Petersburg's numbers start with 812: a trunk digit after the
    # country code is the number's own there.
    check(spark, lambda c: msisdn_to_e164(c, "7", national_length=10, trunk_prefix="8", international_prefix="810"), [
        ("+7 812 123 45 67", "+78121234567"),
        ("8 812 123 45 67", "+78121234567"),
        ("8 912 123 45 67", "+79121234567"),
    ], "string")


def test_msisdn_settings_must_be_digits():
    with pytest.raises(ValueError, match="country_code"):
        msisdn_to_e164(F.col("x"), "+33")
    with pytest.raises(ValueError, match="trunk_prefix"):
        msisdn_to_e164(F.col("x"), "33", trunk_prefix="O")
    with pytest.raises(ValueError, match="national_length"):
        msisdn_to_e164(F.col("x"), "33", national_length=0)


def test_cleanse_msisdn_reasons(spark):
    df = spark.createDataFrame([("0612345678",), ("06123AB678",), (None,), ("NULL",), (" \\N ",), ("-",),
                                ("null",)], "raw string")
    out = df.transform(cleanse_msisdn("raw", "calling", "33"))
    assert {r.raw: r.calling for r in out.collect()} == {
        "0612345678": "+33612345678", "06123AB678": None, None: None, "NULL": None, " \\N ": None,
        "-": None, "null": None}
    assert reasons_by_raw(out) == {
        "0612345678": [], "06123AB678": ["calling_invalid"], None: ["calling_missing"],
        "NULL": ["calling_missing"], " \\N ": ["calling_missing"], "-": ["calling_missing"],
        "null": ["calling_missing"]}


def test_cleanse_msisdn_optional_and_in_place(spark):
    df = spark.createDataFrame([("06 12 34 56 78",), ("12",), (None,)], "called string")
    out = df.transform(cleanse_msisdn("called", "called", "33", required=False))
    assert sorted(((r.called or ""), r[REASONS]) for r in out.collect()) == [
        ("", []), ("", ["called_invalid"]), ("+33612345678", [])]


# --- IMSI / IMEI -------------------------------------------------------------------------------

def test_is_valid_imsi(spark):
    check(spark, is_valid_imsi, [
        ("208011234567890", True),     # 15 digits
        ("20801123456789", True),      # 14 digits: 2-digit MNC, 9-digit MSIN
        ("310410123456789", True),
        ("008011234567890", False),    # MCC starting with 0
        ("2080112345678", False),      # 13 digits
        ("2080112345678901", False),   # 16 digits
        ("20801123456789a", False),
        ("208011234567890\u0085", False),
        ("208 011234567890", False),
        ("", False),
        (None, False),
    ], "boolean")


def test_luhn_check_digit_of_imei_bodies(spark):
    # By hand, body digits at odd positions added, at even positions doubled then digit-summed:
    # 49015420323751: 4+0+5+2+3+3+5 = 22; 9->18->9, 1->2, 4->8, 0->0, 2->4, 7->14->5, 1->2 = 30;
    #                 52 -> check 8.
    # 35332509000000: 3+3+2+0+0+0+0 = 8; 5->10->1, 3->6, 5->1, 9->18->9, 0, 0, 0 = 17; 25 -> 5.
    # 35209900176148: 3+2+9+0+1+6+4 = 25; 5->1, 0->0, 9->9, 0->0, 7->5, 1->2, 8->16->7 = 24; 49 -> 1.
    # 00000000000000: 0 -> 0.
    check(spark, luhn_check_digit, [
        ("49015420323751", 8),
        ("35332509000000", 5),
        ("35209900176148", 1),
        ("00000000000000", 0),
        ("1234", None),
        (None, None),
    ], "int")


def test_is_valid_imei(spark):
    check(spark, is_valid_imei, [
        ("490154203237518", True),
        ("490154203237519", False),    # wrong check digit
        ("353325090000001", False),    # check digit is 5 (see the Luhn test)
        ("353325090000005", True),
        ("352099001761481", True),
        ("3533250900000012", True),    # IMEISV: 16 digits, no check digit
        ("35332509000000", False),     # 14 digits
        ("35332509000000123", False),  # 17 digits
        ("49015420323751X", False),
        ("490154203237518\u0085", False),
        ("49-015420-323751-8", False),
        (None, False),
    ], "boolean")
    check(spark, is_imei_luhn_failure, [
        ("490154203237519", True),
        ("490154203237518", False),
        ("3533250900000012", False),
        ("49015420323751X", False),
        (None, False),
    ], "boolean")


def test_cleanse_imsi_reasons(spark):
    df = spark.createDataFrame([(" 208011234567890 ",), ("12",), (None,), ("NULL",)], "raw string")
    optional = df.transform(cleanse_imsi("raw", "imsi"))
    assert {r.raw: (r.imsi, r[REASONS]) for r in optional.collect()} == {
        " 208011234567890 ": ("208011234567890", []), "12": (None, ["imsi_invalid"]), None: (None, []),
        "NULL": (None, [])}
    required = df.transform(cleanse_imsi("raw", "imsi", required=True))
    assert reasons_by_raw(required) == {" 208011234567890 ": [], "12": ["imsi_invalid"], None: ["imsi_missing"],
                                        "NULL": ["imsi_missing"]}


def test_cleanse_imei_counts_luhn_failures_apart(spark):
    df = spark.createDataFrame([("490154203237518",), ("490154203237519",), ("3533250900000012",),
                                ("4901542032",), ("\\N",), (None,)], "raw string")
    out = df.transform(cleanse_imei("raw", "imei"))
    assert {r.raw: (r.imei, r[REASONS]) for r in out.collect()} == {
        "490154203237518": ("490154203237518", []),
        "490154203237519": (None, ["imei_luhn"]),
        "3533250900000012": ("3533250900000012", []),
        "4901542032": (None, ["imei_invalid"]),
        "\\N": (None, []),
        None: (None, []),
    }
    required = df.transform(cleanse_imei("raw", "imei", required=True))
    assert reasons_by_raw(required)["\\N"] == ["imei_missing"]
    assert reasons_by_raw(required)[None] == ["imei_missing"]


# --- cell ids ----------------------------------------------------------------------------------

def test_split_cell_id(spark):
    check(spark, split_cell_id, [
        ("208-01-106-417", ("208", "01", 106, 417)),
        ("208_01_106_417", ("208", "01", 106, 417)),
        ("208:001:0106:00417", ("208", "001", 106, 417)),
        ("208-10-65535-268435455", ("208", "10", 65535, 268435455)),
        ("208-01-106", None),              # three parts
        ("208-01-106-417-1", None),        # five parts
        ("208-01_106-417", None),          # mixed separators
        ("2080-01-106-417", None),         # MCC of 4 digits
        ("20-01-106-417", None),
        ("208-1-106-417", None),           # MNC of 1 digit
        ("208-0001-106-417", None),
        ("208-01-1O6-417", None),          # letter O
        ("208-01--417", None),
        ("208-01-99999999999-417", None),  # LAC beyond int
        (" 208-01-106-417", None),         # not trimmed here
        (None, None),
    ], "struct<mcc:string,mnc:string,lac:int,ci:bigint>")


def test_cleanse_cell_id_normalises_and_types_the_parts(spark):
    df = spark.createDataFrame([("208_01_0106_00417",), (" 208:10:7:42 ",), ("208-01-106",), ("NULL",), (None,)],
                               "raw string")
    out = df.transform(cleanse_cell_id("raw", "cell"))
    assert dict(out.dtypes)["cell"] == "string"
    assert dict(out.dtypes)["cell_mcc"] == "string" and dict(out.dtypes)["cell_mnc"] == "string"
    assert dict(out.dtypes)["cell_lac"] == "int" and dict(out.dtypes)["cell_ci"] == "bigint"
    assert not [c for c in out.columns if c.startswith("__")]
    rows = {r.raw: (r.cell, r.cell_mcc, r.cell_mnc, r.cell_lac, r.cell_ci, r[REASONS]) for r in out.collect()}
    assert rows == {
        "208_01_0106_00417": ("208-01-106-417", "208", "01", 106, 417, []),
        " 208:10:7:42 ": ("208-10-7-42", "208", "10", 7, 42, []),
        "208-01-106": (None, None, None, None, None, ["cell_invalid"]),
        "NULL": (None, None, None, None, None, ["cell_missing"]),
        None: (None, None, None, None, None, ["cell_missing"]),
    }
    optional = df.transform(cleanse_cell_id("raw", "cell", required=False))
    assert reasons_by_raw(optional)["NULL"] == [] and reasons_by_raw(optional)["208-01-106"] == ["cell_invalid"]


def test_cleanse_imei_takes_a_spare_zero_for_the_check_digit_only_when_told(spark):
    # check digits by hand in test_luhn_check_digit_of_imei_bodies: 49015420323751 -> 8, 35332509000000 -> 5
    df = spark.createDataFrame([("490154203237510",), ("490154203237518",), ("490154203237519",),
                                ("353325090000000",), ("000000000000000",), ("3533250900000010",),
                                ("49015420323751",), (None,)], "raw string")
    spare = df.transform(cleanse_imei("raw", "imei", spare_check_digit=True))
    assert {r.raw: (r.imei, r[REASONS]) for r in spare.collect()} == {
        "490154203237510": ("490154203237518", []),    # the spare 0: stored as written with its check digit
        "490154203237518": ("490154203237518", []),
        "490154203237519": (None, ["imei_luhn"]),      # a 15th digit other than 0 is still the check digit
        "353325090000000": ("353325090000005", []),
        "000000000000000": ("000000000000000", []),    # 0 is this body's check digit
        "3533250900000010": ("3533250900000010", []),  # IMEISV: its 15th digit is the software version's
        "49015420323751": (None, ["imei_invalid"]),
        None: (None, []),
    }
    strict = df.transform(cleanse_imei("raw", "imei"))
    assert reasons_by_raw(strict)["490154203237510"] == ["imei_luhn"]
    assert reasons_by_raw(strict)["353325090000000"] == ["imei_luhn"]


FRANCE_OVERSEAS = {"262": ["262", "269", "639", "692", "693"], "590": ["590", "690", "691"], "594": ["594", "694"],
                   "596": ["596", "696", "697"]}


def test_overseas_departments_numbers_dialled_nationally_get_their_own_country_code(spark):
    check(spark, lambda c: msisdn_to_e164(c, "33", overseas=FRANCE_OVERSEAS), [
        ("0692 12 34 56", "+262692123456"),       # La Reunion mobile, dialled in France
        ("+33692123456", "+262692123456"),        # the same under the home code, as some switches write it
        ("33639123456", "+262639123456"),         # Mayotte mobile, country code without '+'
        ("690123456", "+590690123456"),           # Guadeloupe mobile, trunk zero lost
        ("05 94 12 34 56", "+594594123456"),      # Guyane landline
        ("0696123456", "+596696123456"),
        ("+262692123456", "+262692123456"),       # written from abroad: as it is
        ("0026 2692123456", "+262692123456"),
        ("0612345678", "+33612345678"),           # mainland
        ("0698123456", "+33698123456"),           # 698 is not in the list: home
        ("+447911123456", "+447911123456"),
        ("069212345", None),                      # one digit short: invalid before any move
        (None, None),
    ], "string")
    check(spark, lambda c: msisdn_to_e164(c, "33"), [("0692123456", "+33692123456")], "string")


def test_overseas_prefixes_of_several_lengths(spark):
    overseas = {"262": ["692", "6939"], "590": ["59"]}
    check(spark, lambda c: msisdn_to_e164(c, "33", overseas=overseas), [
        ("0692123456", "+262692123456"),
        ("0693912345", "+262693912345"),
        ("0693812345", "+33693812345"),           # 6938: neither 692 nor 6939
        ("0591234567", "+590591234567"),
        ("0612345678", "+33612345678"),
        ("+262692123456", "+262692123456"),       # another code than the home one: as it is
    ], "string")


def test_cleanse_msisdn_moves_overseas_numbers_too(spark):
    df = spark.createDataFrame([("0692123456",), ("0612345678",), ("06921",)], "raw string")
    out = df.transform(cleanse_msisdn("raw", "msisdn", "33", overseas=FRANCE_OVERSEAS))
    assert {r.raw: (r.msisdn, r[REASONS]) for r in out.collect()} == {
        "0692123456": ("+262692123456", []), "0612345678": ("+33612345678", []), "06921": (None, ["msisdn_invalid"])}


@pytest.mark.parametrize("overseas, message", [
    ({"262": ["69x"]}, "a prefix of 262 must be a string of digits"),
    ({"+262": ["692"]}, "an overseas country code must be a string of digits"),
    ({"33": ["692"]}, "33 is the home country code"),
    ({"262": ["692"], "590": ["692"]}, "prefix 692 of 590 overlaps prefix 692 of 262"),
    ({"262": ["692"], "590": ["69"]}, "prefix 69 of 590 overlaps prefix 692 of 262"),
    ({"262": ["0692"]}, r"prefix 0692 of 262: write it without the trunk 0 \(692\)"),
])
def test_bad_overseas_settings_are_refused(overseas, message):
    with pytest.raises(ValueError, match=message):
        check_overseas("33", overseas)
