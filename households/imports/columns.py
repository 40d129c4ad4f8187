"""The columns of the archive templates: one list per kind, shared by the template, the
importer, the error report and the export, so the four can never disagree.

Headers are the Chinese labels officers see in the back office. A "*" in a template header
marks a required column; readers strip it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl import Workbook as StreamingWorkbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from households import spreadsheets as cells
from households.identity import EXCEL_NUMBER_MESSAGE, looks_like_excel_number
from households.models import (
    CommitteeAssessment,
    Education,
    EntityKind,
    Health,
    HouseholdStatus,
    HouseOwnership,
    ImportKind,
    LabourAbility,
    Relation,
)
from households.spreadsheets.writing import append_row

Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # model field (or a pseudo-field handled by the importer)
    parse: Parser
    required: bool = False
    note: str = ""
    level: str = "member"  # households file: "household" columns are read from the head row

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header


def _text(limit: int) -> Parser:
    def parse(value: Any) -> str:
        text = cells.cell_text(value)
        if len(text) > limit:
            raise cells.CellError(f"不能超过{limit}个字")
        return text

    return parse


def _required_text(limit: int) -> Parser:
    inner = _text(limit)

    def parse(value: Any) -> str:
        text = inner(value)
        if not text:
            raise cells.CellError("不能为空")
        return text

    return parse


def _id_text(required: bool) -> Parser:
    """An ID number cell: text, never a number (a spreadsheet keeps 15 digits of a number,
    so an 18-digit ID typed into a number cell has already lost its last digits)."""
    inner = _required_text(30) if required else _text(30)  # spaces are allowed, then dropped

    def parse(value: Any) -> str:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            raise cells.CellError(EXCEL_NUMBER_MESSAGE)
        if looks_like_excel_number(cells.cell_text(value)):
            raise cells.CellError(EXCEL_NUMBER_MESSAGE)
        return inner(value)

    return parse


def _choice(choices: Any, default: str | None) -> Parser:
    """Accept a label (良好) or a code (good); the lookup table is built on first use, when
    translations are ready, and reused for every row."""
    lookup: dict[str, str] = {}

    def parse(value: Any) -> str:
        if not lookup:
            for code, label in choices.choices:
                lookup[str(code)] = lookup[str(label)] = code
        text = cells.cell_text(value)
        if not text:
            if default is None:
                raise cells.CellError("不能为空")
            return default
        try:
            return lookup[text]
        except KeyError:
            allowed = "、".join(str(label) for _, label in choices.choices)
            raise cells.CellError(f"“{text}”不是可选值，应为：{allowed}") from None

    return parse


def _optional_choice(choices: Any) -> Parser:
    return _choice(choices, "")


def _labels(choices: Any) -> str:
    return "、".join(str(label) for _, label in choices.choices)


def _amount(header: str, field: str) -> Column:
    return Column(
        header, field, cells.parse_amount, note="元；可写 12000、1.2万", level="household"
    )


def _count(header: str, field: str, level: str = "household") -> Column:
    return Column(header, field, cells.parse_count, note="整数", level=level)


def _flag(header: str, field: str, level: str = "household") -> Column:
    return Column(header, field, cells.parse_bool, note="是/否", level=level)


HOUSEHOLD_KEY = "户主身份证号码"

HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column(HOUSEHOLD_KEY, "household_key", _id_text(True), True, "同一户每行都填户主的号码"),
    Column("与户主关系", "relation", _choice(Relation, None), True, _labels(Relation)),
    Column("姓名", "name", _required_text(50), True),
    Column(
        "身份证号码", "id_number", _id_text(True), True, "18位，末位X可小写；请把该列设为文本格式"
    ),
    # long enough for "+86 138 0013 8000": the phone check itself decides
    Column("手机号码", "phone", _text(30), note="11位手机号，可带+86、空格或短横线"),
    Column("健康状况", "health", _choice(Health, Health.GOOD), note=_labels(Health)),
    Column("文化程度", "education", _choice(Education, Education.JUNIOR), note=_labels(Education)),
    Column("职业", "occupation", _text(50)),
    Column(
        "劳动能力",
        "labour_ability",
        _choice(LabourAbility, LabourAbility.FULL),
        note=_labels(LabourAbility),
    ),
    _flag("公职人员", "is_public_employee", "member"),
    _flag("低保户", "subsistence_allowance", "member"),
    _flag("脱贫户", "is_poverty_alleviated", "member"),
    Column(
        "村编码",
        "village_code",
        _text(16),
        note="村编码与“乡镇+村/社区”填一种即可",
        level="household",
    ),
    Column("乡镇", "township_name", _text(50), level="household"),
    Column("村/社区", "village_name", _text(50), level="household"),
    Column("村民小组", "village_group_name", _text(50), note="如：3组", level="household"),
    Column("家庭住址", "address", _text(200), level="household"),
    Column(
        "档案状态",
        "status",
        _choice(HouseholdStatus, HouseholdStatus.ARCHIVED),
        note=_labels(HouseholdStatus),
        level="household",
    ),
    Column(
        "住房情况",
        "house_ownership",
        _choice(HouseOwnership, HouseOwnership.OWNED),
        note=_labels(HouseOwnership),
        level="household",
    ),
    _amount("房产估值（元）", "house_value"),
    Column(
        "承包土地（亩）", "land_contracted_mu", cells.parse_decimal, note="亩", level="household"
    ),
    _count("牲畜（头/只）", "livestock_heads"),
    _amount("牲畜估值（元）", "livestock_value"),
    _amount("车辆估值（元）", "vehicles_value"),
    _amount("存款（元）", "deposits"),
    _amount("其他资产（元）", "other_assets"),
    _amount("在本行日均存款（元）", "avg_daily_deposit_here"),
    _amount("本行贷款余额（元）", "loans_this_bank"),
    _amount("他行贷款余额（元）", "loans_other_banks"),
    _amount("民间借贷（元）", "private_loans"),
    _count("本行以外贷款机构数", "other_lenders_count"),
    _amount("种植业收入（元/年）", "income_crops"),
    _amount("养殖业收入（元/年）", "income_livestock"),
    _amount("经营收入（元/年）", "income_business"),
    _amount("工资性收入（元/年）", "income_wages"),
    _amount("其他收入（元/年）", "income_other"),
    _amount("年生产生活支出（元/年）", "annual_costs"),
    _count("近24个月逾期次数", "overdue_count_24m"),
    _flag("有未结清逾期", "has_outstanding_overdue"),
    _flag("有不良贷款余额", "has_bad_loan"),
    _flag("失信被执行人", "is_dishonest_debtor"),
    _flag("有犯罪记录", "has_criminal_record"),
    _flag("涉毒涉赌", "has_drug_gambling_flag"),
    Column(
        "村两委评议",
        "committee_assessment",
        _optional_choice(CommitteeAssessment),
        note=_labels(CommitteeAssessment),
        level="household",
    ),
    _count("荣誉表彰（项）", "honours_count"),
    _count("公共记录扣分（项）", "public_record_deductions"),
    _flag("同意评级授信", "rating_consent"),
)


def _entity_kind(kinds: Sequence[EntityKind]) -> Parser:
    class Kinds:
        choices = [(kind.value, kind.label) for kind in kinds]

    return _choice(Kinds, None)


def _entity_columns(kinds: Sequence[EntityKind]) -> tuple[Column, ...]:
    labels = "、".join(str(kind.label) for kind in kinds)
    return (
        Column("主体类型", "kind", _entity_kind(kinds), True, labels),
        Column("名称", "name", _required_text(100), True),
        Column("统一社会信用代码", "uscc", _text(18), note="18位；种养大户可不填"),
        Column("法定代表人/经营者", "legal_rep_name", _required_text(50), True),
        Column("法定代表人身份证号码", "legal_rep_id_number", _id_text(True), True),
        Column("村编码", "village_code", _text(16), note="村编码与“乡镇+村/社区”填一种即可"),
        Column("乡镇", "township_name", _text(50)),
        Column("村/社区", "village_name", _text(50)),
        Column("生产经营地址", "production_address", _text(200)),
        Column("行业", "industry", _required_text(50), True),
        Column("经营年限（年）", "years_operating", cells.parse_count, note="整数"),
        Column("年销售收入（元）", "annual_revenue", cells.parse_amount, note="元；可写 1.2万"),
        Column(
            "年经营成本费用（元）",
            "annual_costs",
            cells.parse_amount,
            note="元；营业成本、费用和税金合计，留空则按授信政策的利润率估算净利润",
        ),
        Column("资产总额（元）", "total_assets", cells.parse_amount),
        Column("负债总额（元）", "total_liabilities", cells.parse_amount),
        Column("流动负债（元）", "current_liabilities", cells.parse_amount),
        Column("从业人数", "employees", cells.parse_count),
        Column("经营土地（亩）", "land_mu", cells.parse_decimal),
        Column("合作社成员数", "cooperative_members", cells.parse_count),
        Column("依法纳税", "tax_compliant", cells.parse_bool, note="是/否"),
        _count("近24个月逾期次数", "overdue_count_24m", level="member"),
        _flag("有未结清逾期", "has_outstanding_overdue", level="member"),
        _flag("有不良贷款余额", "has_bad_loan", level="member"),
        Column(
            "所属农户户主身份证号码",
            "owner_head_ids",
            _text(400),
            note="多个用逗号分隔；须为已建档的户主",
        ),
    )


COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.HOUSEHOLDS: HOUSEHOLD_COLUMNS,
    ImportKind.ENTERPRISES: _entity_columns(
        [EntityKind.MICRO_ENTERPRISE, EntityKind.INDIVIDUAL_BUSINESS]
    ),
    ImportKind.ENTITIES: _entity_columns(
        [EntityKind.FAMILY_FARM, EntityKind.COOPERATIVE, EntityKind.LARGE_GROWER]
    ),
}
ERROR_ROW_HEADER = "原行号"
ERROR_HEADER = "错误说明"

INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    ImportKind.HOUSEHOLDS: (
        "每行一位家庭成员；同一户的各行“户主身份证号码”填同一个号码，户主本人那一行“与户主关系”填“户主”。",
        "村、住址、资产、负债、收入、诚信记录等户级信息填在户主那一行（其他成员行可留空）。",
        "已建档的农户按户主身份证号码更新，成员按身份证号码更新；同一文件重复导入不会产生变化。",
        "一户中任何一行有错，整户都不导入；错误报告列出每个被拒绝的行、列和原因，修改后可直接重新导入报告。",
    ),
    ImportKind.ENTERPRISES: (
        "每行一个小微企业或个体工商户，按统一社会信用代码新增或更新。",
        "“所属农户户主身份证号码”用于关联经营者所在的农户（须已建档）。",
    ),
    ImportKind.ENTITIES: (
        "每行一个家庭农场、农民专业合作社或种养大户；有统一社会信用代码的按代码更新，种养大户可不填。",
        "农民专业合作社的统一社会信用代码以93开头。",
    ),
}


# The template's second row is an example, marked in its first cell; the reader skips any row
# whose first cell begins with the mark (``spreadsheets.tables.EXAMPLE_MARK``), so a template
# filled in below the example imports as it is. The values are made up (valid check digits).
EXAMPLE_HEAD_ID = "110101198005121236"
EXAMPLES: dict[str, dict[str, str]] = {
    ImportKind.HOUSEHOLDS: {
        "household_key": EXAMPLE_HEAD_ID,
        "relation": "户主",
        "name": "张三",
        "id_number": EXAMPLE_HEAD_ID,
        "phone": "13800138000",
        "health": "良好",
        "education": "初中",
        "occupation": "种植",
        "labour_ability": "有劳动能力",
        "township_name": "某某镇",
        "village_name": "某某村",
        "village_group_name": "3组",
        "address": "某某村3组12号",
        "house_ownership": "自有住房",
        "land_contracted_mu": "6.5",
        "income_crops": "3.2万",
        "annual_costs": "1.5万",
        "rating_consent": "是",
    },
    ImportKind.ENTERPRISES: {
        "kind": "个体工商户",
        "name": "某某农资店",
        "uscc": "92110101MA01ABCD3C",
        "legal_rep_name": "张三",
        "legal_rep_id_number": EXAMPLE_HEAD_ID,
        "township_name": "某某镇",
        "village_name": "某某村",
        "industry": "农资零售",
        "years_operating": "5",
        "annual_revenue": "60万",
        "owner_head_ids": EXAMPLE_HEAD_ID,
    },
    ImportKind.ENTITIES: {
        "kind": "家庭农场",
        "name": "某某家庭农场",
        "legal_rep_name": "张三",
        "legal_rep_id_number": EXAMPLE_HEAD_ID,
        "township_name": "某某镇",
        "village_name": "某某村",
        "industry": "水稻种植",
        "years_operating": "3",
        "land_mu": "120",
        "owner_head_ids": EXAMPLE_HEAD_ID,
    },
}


def example_row(kind: str) -> list[str]:
    """The template's example row: the first cell carries the mark before its value."""
    values = EXAMPLES[kind]
    row = [values.get(column.field, "") for column in COLUMNS[kind]]
    row[0] = f"{cells.EXAMPLE_MARK}{row[0]}"
    return row


EXAMPLE_NOTE = (
    "第2行是填写示例（第一格以“示例：”开头），导入时自动忽略，可以保留或删除；"
    "从第3行起填写真实数据。"
)


def _style_header(sheet: Any, headers: Sequence[str]) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEFE6")
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        cell.fill = fill
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(header) * 2 + 2)
    sheet.freeze_panes = "A2"


def write_template(kind: str, stream: IO[bytes]) -> None:
    """The blank import template: a data sheet with the headers, then an instructions sheet."""
    columns = COLUMNS[kind]
    workbook = Workbook()
    data = workbook.active
    data.title = "数据"
    headers = [c.template_header for c in columns]
    append_row(data, headers)
    _style_header(data, headers)
    append_row(data, example_row(kind))
    grey = Font(italic=True, color="808080")
    for cell in data[2]:
        cell.font = grey
    guide = workbook.create_sheet("填写说明")
    append_row(guide, ["说明"])
    for line in (*INSTRUCTIONS[kind], EXAMPLE_NOTE):
        append_row(guide, [line])
    append_row(guide, [])
    append_row(guide, ["列名", "是否必填", "填写要求"])
    for column in columns:
        append_row(guide, [column.header, "必填" if column.required else "", column.note])
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["C"].width = 60
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(stream)


def write_rows(
    kind: str,
    rows: Iterable[Sequence[Any]],
    stream: IO[bytes],
    *,
    extra_headers: Sequence[str] = (),
    title: str = "数据",
) -> int:
    """Stream rows (in ``COLUMNS[kind]`` order, then extras) into an .xlsx; returns the count.
    Used for error reports and exports, so both re-import with the same template. Text that
    could start a formula is written as text (``spreadsheets.writing``), unchanged."""

    workbook = StreamingWorkbook(write_only=True)
    sheet = workbook.create_sheet(title)
    headers = [c.template_header for c in COLUMNS[kind]] + list(extra_headers)
    append_row(sheet, headers)
    count = 0
    for row in rows:
        append_row(sheet, row)
        count += 1
    workbook.save(stream)
    return count
