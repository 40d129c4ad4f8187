"""The checksum rules of docs/design.md §4.3, tested without a database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from households.identity import (
    USCC_ALPHABET,
    IdentityError,
    ResidentIdMaker,
    make_resident_id,
    make_uscc,
    parse_resident_id,
    validate_mobile,
    validate_uscc,
)

TODAY = date(2026, 11, 28)


def test_published_sample_id_is_valid_and_read_correctly():
    # The sample number from GB 11643-1999's annex.
    parsed = parse_resident_id("11010519491231002X", as_of=TODAY)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2 is even
    assert parsed.area_code == "110105"


def test_lower_case_x_is_accepted_and_stored_upper_case():
    assert parse_resident_id("11010519491231002x", as_of=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("110105194912310021", "校验码"),  # X expected
        ("11010519491231002", "18位"),
        ("1101051949123100AX", "前17位"),
        ("110105194902300029", "不是有效日期"),  # 30 February
        ("110105209912310020", "晚于今天"),
    ],
)
def test_invalid_ids_are_refused_with_the_rule(value, rule):
    with pytest.raises(IdentityError, match=rule):
        parse_resident_id(value, as_of=TODAY)


@given(
    birth=st.dates(min_value=date(1920, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_generated_ids_validate_and_carry_birth_date_and_sex(birth, sequence):
    number = make_resident_id("430223", birth, sequence)
    parsed = parse_resident_id(number, as_of=TODAY)
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if sequence % 2 else "F")


@given(
    birth=st.dates(min_value=date(1920, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_is_detected(birth, sequence, position, delta):
    number = make_resident_id("430223", birth, sequence)
    digit = (int(number[position]) + delta) % 10
    tampered = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(IdentityError):
        parse_resident_id(tampered, as_of=TODAY)


def test_known_valid_usccs_pass():
    for code in ("91350100M000100Y43", "93430223MA4L1234X2"[:17]):
        full = code if len(code) == 18 else make_uscc(code)
        assert validate_uscc(full) == full
    assert validate_uscc("91350100m000100y43") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("91350100M000100Y44", "校验码"),
        ("91350100M000100Y4", "18位"),
        ("91350100I000100Y43", "不允许的字符"),
    ],
)
def test_invalid_usccs_are_refused_with_the_rule(value, rule):
    with pytest.raises(IdentityError, match=rule):
        validate_uscc(value)


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_generated_usccs_validate_and_a_changed_check_char_does_not(first17):
    code = make_uscc(first17)
    assert validate_uscc(code) == code
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[17]) + 1) % len(USCC_ALPHABET)]
    with pytest.raises(IdentityError):
        validate_uscc(code[:17] + wrong)


@pytest.mark.parametrize("phone", ["13812345678", "19900001111", "+86 138 1234 5678"])
def test_valid_mobiles(phone):
    assert validate_mobile(phone).startswith("1")


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "23812345678", "1381234567a"])
def test_invalid_mobiles(phone):
    with pytest.raises(IdentityError, match="11位手机号"):
        validate_mobile(phone)


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_the_resident_id_maker_makes_the_numbers_make_resident_id_makes(born, sequence):
    make = ResidentIdMaker("430223")
    assert make(born, sequence) == make_resident_id("430223", born, sequence)
    assert make(born, sequence) == make_resident_id("430223", born, sequence)  # from its cache
