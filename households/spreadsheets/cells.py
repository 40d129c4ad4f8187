"""Reading the cells people actually write: numbers as "1,200", "3.5万" or "¥8000元", dates as
"2024/5/1", "2024年5月1日" or Excel serials, yes/no as 是/否 or √, headers with "*" or spaces.

Cell parsers raise ``CellError`` whose message says what was expected, in Chinese. Pure
Python; no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from households.spreadsheets.errors import CellError, SpreadsheetError


def normalise_header(value: Any) -> str:
    text = cell_text(value)
    text = text.replace("＊", "*").strip(" *\u3000\t\r\n")
    return re.sub(r"\s+", "", text)


def check_headers(headers: list[str], required: Iterable[str], where: str) -> None:
    missing = [name for name in required if name not in headers]
    if missing:
        raise SpreadsheetError(
            f"{where}缺少必需的列：{'、'.join(missing)}。请使用系统提供的导入模板，不要修改表头"
        )
    duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicated:
        raise SpreadsheetError(f"{where}的列名重复：{'、'.join(duplicated)}")


def cell_text(value: Any) -> str:
    if value is None or value == "":  # most cells of a sheet are blank: answer those first
        return ""
    if type(value) is str:
        text = value.strip()  # strip() takes the ideographic space (U+3000) off the ends too
        return text.replace("\u3000", " ").strip() if "\u3000" in text else text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip().replace("\u3000", " ").strip()


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")
_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?")  # 1,234,567.8 — commas every 3 digits
_AMOUNT = re.compile(r"^(-?\d+(?:\.\d+)?)(万|千|元|亿)?$")


def parse_amount(value: Any, *, allow_negative: bool = False) -> Decimal:
    """A yuan amount: 12000, "12,000", "1.2万", "¥8000元", "" (→ 0). Two decimal places."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    if isinstance(value, bool):
        raise CellError("应为金额数字")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = re.sub(r"[\s¥￥]|人民币", "", str(value).translate(_FULL_WIDTH))
        if "," in text:
            if not _GROUPED.match(text):
                raise CellError(f"“{value}”的千分位逗号位置不对")
            text = text.replace(",", "")
        text = text.removesuffix("元")
        match = _AMOUNT.match(text)
        if not match:
            raise CellError(f"“{value}”不是金额：应为数字，可带“万”或千分位逗号")
        amount = Decimal(match.group(1)) * {"万": 10000, "千": 1000, "亿": 10**8}.get(
            match.group(2) or "", 1
        )
    if amount < 0 and not allow_negative:
        raise CellError("不能为负数")
    try:
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise CellError(f"“{value}”数值过大") from exc


def parse_decimal(value: Any, *, places: int = 2) -> Decimal:
    """A non-negative quantity such as 亩 (no 万 units); "" → 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0")
    text = cell_text(value).translate(_FULL_WIDTH).replace(",", "")
    text = re.sub(r"(亩|头|只|人|户|年)$", "", text)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"“{value}”不是数字") from exc
    if number < 0:
        raise CellError("不能为负数")
    return number.quantize(Decimal(1).scaleb(-places))


def parse_count(value: Any) -> int:
    number = parse_decimal(value, places=2)
    if number != number.to_integral_value():
        raise CellError(f"“{value}”应为整数")
    return int(number)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date | None:
    """2024-05-01, 2024/5/1, 2024.5.1, 20240501, 2024年5月1日, Excel dates; "" → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = cell_text(value).translate(_FULL_WIDTH).split(" ")[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError as exc:
                raise CellError(f"“{value}”不是有效日期") from exc
    raise CellError(f"“{value}”不是日期：应写作 2024-05-01 或 2024年5月1日")


_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓", "同意"}
_FALSE = {"否", "无", "n", "no", "false", "0", "", "×", "不同意"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"“{value}”应填“是”或“否”")


def parse_choice(value: Any, choices: Mapping[str, str], *, default: str | None = None) -> str:
    """Map a label (良好) or code (good) to the stored code; ``choices`` is code → label."""
    text = cell_text(value)
    if not text:
        if default is None:
            raise CellError("不能为空")
        return default
    for code, label in choices.items():
        if text in (code, str(label)):
            return code
    allowed = "、".join(str(label) for label in choices.values())
    raise CellError(f"“{text}”不是可选值，应为：{allowed}")
