"""Checks of resident ID numbers, USCCs and mobile numbers (docs/design.md §4.3).

Pure functions: no Django, no clock (``as_of`` is passed in). Each failure raises
``IdentityError`` whose message names the rule in Chinese; callers add the field's name.
"""

from __future__ import annotations

import operator
import re
import unicodedata
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
    if len(first17) != 17:
        raise ValueError(f"expected 17 digits, got {len(first17)}")
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


_EXCEL_NUMBER = re.compile(r"^\d(\.\d+)?E\+?\d+$")
EXCEL_NUMBER_MESSAGE = (
    "被表格软件当成了数字（如 4.30223E+17，后几位已丢失）：请把这一列设置为“文本”格式，"
    "再重新填写号码"
)


def normalise_resident_id(value: str) -> str:
    """Upper case, no spaces; full-width digits and letters (１２３Ｘ) read as ordinary ones."""
    if value and value.isascii() and value.isalnum():  # as typed nearly always: nothing to do
        return value.upper()
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(text.split()).upper()


def looks_like_excel_number(value: str) -> bool:
    """A long number that a spreadsheet turned into scientific notation ("4.30223E+17")."""
    return bool(_EXCEL_NUMBER.match(normalise_resident_id(value)))


def parse_resident_id(value: str, *, as_of: date) -> ResidentId:
    """Validate an 18-character resident ID number and read its birth date and sex."""
    number = normalise_resident_id(value)
    if looks_like_excel_number(number):
        raise IdentityError(EXCEL_NUMBER_MESSAGE)
    if len(number) != 18:
        raise IdentityError(f"应为18位，实际为{len(number)}位")
    if not _ID_SHAPE.match(number):
        raise IdentityError("前17位必须是数字，最后一位是数字或X")
    if number[:2] == "00" or number[:6] == "000000":
        raise IdentityError("地区码无效")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdentityError("中的出生日期不是有效日期（请核对第7–14位）") from exc
    if birth > as_of:
        raise IdentityError("中的出生日期晚于今天（请核对第7–14位）")
    if birth.year < 1900:
        raise IdentityError("中的出生日期早于1900年（请核对第7–14位）")
    if resident_id_check_char(number[:17]) != number[17]:
        raise IdentityError("校验码不正确（请核对每一位数字）")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number=number, area_code=number[:6], birth_date=birth, sex=sex)


def make_resident_id(area_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid ID number (synthetic data, tests). ``sequence`` 0–999, odd = male."""
    # (the date's fields formatted directly: strftime costs more than the rest together)
    born = f"{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"
    first17 = f"{area_code}{born}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


class ResidentIdMaker:
    """``make_resident_id`` for many numbers of one area (a synthetic county makes ~660,000):
    the weighted sum behind the check character is added up once per birth date and once per
    sequence number instead of digit by digit for every number."""

    _SEQUENCES = tuple(
        (f"{n:03d}", sum(w * int(c) for w, c in zip(_ID_WEIGHTS[14:], f"{n:03d}", strict=True)))
        for n in range(1000)
    )

    def __init__(self, area_code: str):
        self.area_code = area_code
        self.dates: dict[date, tuple[str, int]] = {}

    def __call__(self, birth_date: date, sequence: int) -> str:
        found = self.dates.get(birth_date)
        if found is None:
            first14 = (
                f"{self.area_code}{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"
            )
            total = sum(map(operator.mul, map(int, first14), _ID_WEIGHTS))
            found = self.dates[birth_date] = (first14, total)
        first14, total = found
        digits, weighted = self._SEQUENCES[sequence]
        return first14 + digits + _ID_CHECK[(total + weighted) % 11]


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


# --- personal names -------------------------------------------------------------------------

# Ideographs: CJK Unified (basic block, extension A) and compatibility ideographs, the
# supplementary and tertiary ideographic planes (extensions B–I and their compatibility
# supplement), and 〇, which some names use as a character.
_CJK_RANGES = (
    (0x3007, 0x3007),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)
NAME_DOT = "·"
# Dots people type between the parts of an ethnic-minority name (阿依古丽·买买提).
_DOT_VARIANTS = {"•", "‧", "・", "∙", "⋅", "●", "．", "."}
_LATIN = re.compile(r"^[A-Za-z]+(?:[ '\-.,][A-Za-z]+)*\.?$")
NAME_MAX_LENGTH = 50


_IDEOGRAPHS = re.compile(
    "[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]+"
)


def _is_ideograph(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _CJK_RANGES)


def _invisible(char: str) -> bool:
    """Zero-width and formatting characters, controls, and the fillers that look like
    nothing (U+3164, U+FFA0)."""
    category = unicodedata.category(char)
    return category in {"Cf", "Cc", "Zl", "Zp"} or char in "\u3164\uffa0\u115f\u1160"


def is_foreign_resident_id(id_number: str) -> bool:
    """Foreigners' permanent residence ID cards (2023) have 18 characters starting with 9."""
    return normalise_resident_id(id_number).startswith("9")


def normalise_person_name(value: str, *, foreign: bool = False) -> str:
    """Normalise a person's name (NFKC, trimmed, invisible characters removed, one kind of
    middle dot) and check it is what a name on an ID card may contain: Chinese characters
    (all extension planes), the middle dot between parts of an ethnic-minority name, and —
    only for a foreigner's ID (``foreign``) — Latin letters. Raises ``IdentityError`` naming
    the problem in Chinese (callers add the field's name)."""
    text = unicodedata.normalize("NFKC", value or "")
    if len(text) <= NAME_MAX_LENGTH and _IDEOGRAPHS.fullmatch(text):
        return text  # Chinese characters only, as nearly every name: nothing below changes it
    text = "".join(char for char in text if not _invisible(char))
    text = "".join(NAME_DOT if char in _DOT_VARIANTS else char for char in text)
    text = " ".join(text.split())
    if not text:
        raise IdentityError("不能为空")
    if len(text) > NAME_MAX_LENGTH:
        raise IdentityError(f"最多{NAME_MAX_LENGTH}个字，现在有{len(text)}个字")
    latin = any("A" <= char <= "z" and char.isalpha() for char in text)
    if latin:
        if not foreign:
            raise IdentityError(
                "只能填写汉字（与身份证一致）；外文姓名仅限外国人永久居留身份证持有人"
            )
        if _LATIN.match(text.replace(NAME_DOT, " ")):
            return text
    if not latin:
        # spaces between Chinese characters are padding (王  强), not part of the name
        text = text.replace(" ", "")
        parts = text.split(NAME_DOT)
        if all(parts) and all(_is_ideograph(char) for part in parts for char in part):
            return text
        if not all(parts):
            raise IdentityError("间隔号“·”只能写在两个字之间")
    bad = [c for c in dict.fromkeys(text) if not (_is_ideograph(c) or c in f" {NAME_DOT}")]
    if foreign:
        bad = [c for c in bad if not ("A" <= c <= "z" and c.isalpha()) and c not in "'-.,"]
    shown = "、".join(f"“{c}”" for c in bad[:3]) if bad else ""
    return _refuse_name(shown)


def _refuse_name(shown: str) -> str:
    what = f"含有不能用于姓名的字符{shown}" if shown else "的写法不正确"
    raise IdentityError(
        f"{what}：只能填写汉字，少数民族姓名各部分之间可用间隔号“·”（不能有表情、数字或符号）"
    )
