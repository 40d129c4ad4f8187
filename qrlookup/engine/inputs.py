"""What a villager types on the public form, normalised and bounded.

Every check here is about the text alone (its length, its characters, the ID number's
checksum), so a message can never tell whether a person is on file."""

from __future__ import annotations

import re
import secrets
import unicodedata

NAME_MAX = 20
# Chinese names, with the middle dot of minority names (·, •, ・) and letters for the rare
# name registered in Latin script; no digits, no punctuation, no controls.
_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z·]+$")
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", "‧": "·", "∙": "·"})
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
CODE_DIGITS = 6


class InputError(ValueError):
    """The typed value breaks a rule of its own shape; ``str()`` says which, in Chinese."""


def normalise_name(value: str) -> str:
    """NFKC (full-width letters, compatibility ideographs), no spaces, one kind of middle dot.
    Raises ``InputError`` for an empty, over-long or odd name."""
    if len(value or "") > NAME_MAX * 4:
        raise InputError(f"姓名不能超过{NAME_MAX}个字")
    name = unicodedata.normalize("NFKC", value or "").translate(_DOTS)
    name = "".join(name.split())
    if not name:
        raise InputError("请填写姓名")
    if len(name) > NAME_MAX:
        raise InputError(f"姓名不能超过{NAME_MAX}个字")
    if not _NAME.match(name) or name.startswith("·") or name.endswith("·"):
        raise InputError("姓名只能包含汉字（少数民族姓名可含间隔号“·”）")
    return name


def normalise_resident_id(value: str) -> str:
    """18 characters, digits and a final X (full-width digits and a lower-case x accepted),
    with a correct check character (GB 11643). Raises ``InputError``."""
    if len(value or "") > 40:
        raise InputError("身份证号码应为18位")
    number = "".join(unicodedata.normalize("NFKC", value or "").split()).upper()
    if len(number) != 18:
        raise InputError(f"身份证号码应为18位，您输入了{len(number)}位")
    if not _ID_SHAPE.match(number):
        raise InputError("身份证号码前17位应为数字，最后一位为数字或X")
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise InputError("身份证号码校验位不正确，请逐位核对")
    return number


def normalise_code(value: str) -> str:
    """A six-digit SMS code (full-width digits and spaces tolerated)."""
    code = "".join(unicodedata.normalize("NFKC", (value or "")[:40]).split())
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        raise InputError(f"请输入短信中的{CODE_DIGITS}位数字验证码")
    return code


def names_match(typed: str, on_file: str) -> bool:
    """Compared after the same normalisation, so a full-width letter or another middle dot
    typed by a villager still matches the archive."""
    try:
        return normalise_name(on_file) == typed
    except InputError:
        return False


# Digits only (a phone keyboard), without the ones easily misread in a distorted image.
_CAPTCHA_DIGITS = "2345678"


def captcha_challenge() -> tuple[str, str]:
    """django-simple-captcha's challenge: four digits, shown and expected the same."""
    text = "".join(secrets.choice(_CAPTCHA_DIGITS) for _ in range(4))
    return text, text
