"""Checks of resident ID numbers, USCCs and mobile numbers (DESIGN.md §4.3).

Pure functions: no Django, no clock (``as_of`` is passed in). Each failure raises
``IdentityError`` whose message names the rule in Chinese; callers add the field's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


class IdentityError(ValueError):
    """The value breaks a rule; ``str(error)`` says which, in Chinese."""


# --- resident ID number (GB 11643-1999) ---------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


class Sex:
    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: upper-case X
    area_code: str
    birth_date: date
    sex: str  # Sex.MALE / Sex.FEMALE

    def age_on(self, as_of: date) -> int:
        return age_on(self.birth_date, as_of)


def age_on(birth_date: date, as_of: date) -> int:
    """Completed years on ``as_of``."""
    before_birthday = (as_of.month, as_of.day) < (birth_date.month, birth_date.day)
    return as_of.year - birth_date.year - int(before_birthday)


def resident_id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_resident_id(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def parse_resident_id(value: str, *, as_of: date) -> ResidentId:
    """Validate an 18-character resident ID number and read its birth date and sex."""
    number = normalise_resident_id(value)
    if len(number) != 18:
        raise IdentityError(f"应为18位，实际为{len(number)}位")
    if not _ID_SHAPE.match(number):
        raise IdentityError("前17位必须是数字，最后一位是数字或X")
    if number[:2] == "00" or number[:6] == "000000":
        raise IdentityError("地区码无效")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdentityError(f"出生日期{number[6:14]}不是有效日期") from exc
    if birth > as_of:
        raise IdentityError(f"出生日期{birth:%Y-%m-%d}晚于今天")
    if birth.year < 1900:
        raise IdentityError(f"出生日期{birth:%Y-%m-%d}早于1900年")
    if resident_id_check_char(number[:17]) != number[17]:
        raise IdentityError("校验码不正确（请核对每一位数字）")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number=number, area_code=number[:6], birth_date=birth, sex=sex)


def make_resident_id(area_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid ID number (synthetic data, tests). ``sequence`` 0–999, odd = male."""
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


# --- unified social credit code (GB 32100-2015) -------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {char: index for index, char in enumerate(USCC_ALPHABET)}
COOPERATIVE_PREFIX = "93"


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_uscc(value: str) -> str:
    """Return the normalised USCC or raise ``IdentityError``."""
    code = normalise_uscc(value)
    if len(code) != 18:
        raise IdentityError(f"应为18位，实际为{len(code)}位")
    bad = sorted({c for c in code if c not in _USCC_VALUE})
    if bad:
        raise IdentityError(f"含有不允许的字符{'、'.join(bad)}（不使用I、O、S、V、Z）")
    if uscc_check_char(code[:17]) != code[17]:
        raise IdentityError("校验码不正确（请核对每一位字符）")
    return code


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


# --- mobile phone ---------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(value: str) -> str:
    value = (value or "").strip().replace(" ", "").replace("-", "")
    return value.removeprefix("+86")


def validate_mobile(value: str) -> str:
    """Return the normalised mobile number or raise ``IdentityError``."""
    phone = normalise_mobile(value)
    if not _MOBILE.match(phone):
        raise IdentityError("应为11位手机号，以1开头，第二位为3-9")
    return phone
