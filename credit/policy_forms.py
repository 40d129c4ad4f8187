"""Back-office forms of credit policy versions: the structured editor, JSON import, review.

The editor shows every number in the unit the bank speaks: rates in percent (LPR 3.00%, floor
3.45%), spreads and discounts in basis points, amounts in yuan, deposit shares in percent. It
only converts; the rules are the engine's, applied by ``credit.policies``, and their messages
come back onto the field (or the group of fields) they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django import forms

from credit import engine
from credit.engine.formatting import plain_number
from fuxiang.errors import DomainError
from households.forms import BootstrapMixin

ENTITY_REQUIRED = "设置经营主体授信规则时必须填写（全部留空表示不为经营主体授信）"
CREDIT_GRADES = tuple(g for g in engine.GRADES if g not in engine.NO_CREDIT_GRADES)
MIN_TIER_ROWS = 4
_HUNDRED = Decimal(100)

# Engine field → the form field that shows its messages (where the names differ).
_ERROR_FIELD = {"lpr_bp": "lpr", "floor_bp": "floor", "review_note": "review_note"}
# Engine fields edited as a group of inputs: their messages go under the group.
GROUPS = {
    "grade_caps": "等级额度上限（元）",
    "grade_spreads_bp": "等级利率加点（基点）",
    "deposit_discounts": "存款贡献优惠档位",
    "entity_grade_caps": "经营主体等级额度上限（元）",
    "entity_margins": "经营主体利润率（%）",
}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _money(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, required=required, help_text=help_text
    )


def _bp(label: str, *, required: bool = True, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, help_text=help_text)


class PolicyForm(BootstrapMixin, forms.Form):
    """Every parameter of one version. ``policy_data()`` gives the engine's JSON form."""

    version = forms.CharField(label="版本号", max_length=20, help_text="例如2027.1")
    effective_from = forms.DateField(
        label="生效日期",
        widget=_date_input(),
        help_text="不能早于今天，且须晚于最新已批准版本的生效日期",
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    lpr = forms.DecimalField(
        label="一年期LPR（%）", max_digits=5, decimal_places=2, help_text="例如3.00"
    )
    floor = forms.DecimalField(
        label="利率下限（%）", max_digits=5, decimal_places=2, help_text="例如3.45"
    )
    ceiling_spread_bp = _bp("利率上限加点（基点）", help_text="利率上限 = LPR + 此加点")

    income_multiple = forms.DecimalField(
        label="年净收入倍数",
        max_digits=8,
        decimal_places=4,
        help_text="额度不超过年净收入 × 此倍数",
    )
    asset_multiple = forms.DecimalField(
        label="净资产倍数", max_digits=8, decimal_places=4, help_text="额度不超过净资产 × 此倍数"
    )
    rounding_unit = _money("额度取整单位（元）", help_text="额度向下取整到此金额的整数倍")
    online_min = _money("线上贷款最低额度（元）")
    online_max = _money("线上贷款最高额度（元）")
    validity_months = forms.IntegerField(label="授信有效期（月）")

    payroll_bp = _bp("代发工资优惠（基点）")
    mobile_banking_bp = _bp("手机银行活跃优惠（基点）")
    clean_history_bp = _bp("良好还款记录优惠（基点）")
    contribution_cap_bp = _bp(
        "贡献优惠合计上限（基点）", help_text="存款、代发工资、手机银行、还款记录优惠合计最多减"
    )
    low_income_bp = _bp("低收入户优惠（基点）", help_text="低保户、脱贫户另减")

    # Business entities rated on their own card: all blank = this version lends them nothing.
    entity_profit_multiple = forms.DecimalField(
        label="经营主体年净利润倍数",
        max_digits=8,
        decimal_places=4,
        required=False,
        help_text="经营主体额度不超过年净利润 × 此倍数",
    )
    entity_asset_multiple = forms.DecimalField(
        label="经营主体净资产倍数",
        max_digits=8,
        decimal_places=4,
        required=False,
        help_text="经营主体额度不超过净资产（资产总额 − 负债总额）× 此倍数",
    )

    def __init__(self, *args: Any, tier_rows: int = MIN_TIER_ROWS, **kwargs: Any) -> None:
        fields: dict[str, forms.Field] = {}
        for grade in CREDIT_GRADES:
            fields[f"cap_{grade}"] = _money(
                f"{grade}级额度上限（元）", required=False, help_text="留空表示该等级不授信"
            )
            fields[f"spread_{grade}"] = _bp(f"{grade}级利率加点（基点）", required=False)
        for grade in CREDIT_GRADES:
            fields[f"entity_cap_{grade}"] = _money(
                f"经营主体{grade}级额度上限（元）", required=False, help_text="留空表示该等级不授信"
            )
        for kind, label in engine.ENTITY_KINDS.items():
            fields[f"margin_{kind}"] = forms.DecimalField(
                label=f"{label}利润率（%）", max_digits=5, decimal_places=2, required=False
            )
        for number in range(1, max(tier_rows, MIN_TIER_ROWS) + 1):
            fields[f"tier_{number}_share"] = forms.DecimalField(
                label=f"第{number}档：存款占额度比例（%）",
                max_digits=6,
                decimal_places=2,
                required=False,
            )
            fields[f"tier_{number}_bp"] = _bp(f"第{number}档：优惠（基点）", required=False)
        super().__init__(*args, **kwargs)
        self.fields.update(fields)
        for field in fields.values():  # BootstrapMixin ran before these were added
            field.widget.attrs.setdefault("class", "form-control")
        self.group_errors: dict[str, list[str]] = {}

    @staticmethod
    def tier_rows_posted(data: Mapping[str, Any]) -> int:
        """How many deposit tier rows a posted form had (the page shows one spare row)."""
        numbers = [
            int(number)
            for name in data
            if name.startswith("tier_") and name.endswith("_share")
            for number in [name.removeprefix("tier_").removesuffix("_share")]
            if number.isdigit()
        ]
        return min(max(numbers, default=0), 20)

    @classmethod
    def for_policy(cls, data: Mapping[str, Any], *, note: str = "", **kwargs: Any) -> PolicyForm:
        """An unbound form showing the stored ``data`` (engine JSON) in the form's units."""
        policy = engine.policy_from_json(data)
        initial: dict[str, Any] = {
            "version": policy.version,
            "effective_from": policy.effective_from,
            "note": note,
            "lpr": _percent(policy.lpr_bp),
            "floor": _percent(policy.floor_bp),
            "ceiling_spread_bp": policy.ceiling_spread_bp,
            "income_multiple": plain_number(policy.income_multiple),
            "asset_multiple": plain_number(policy.asset_multiple),
            "rounding_unit": plain_number(policy.rounding_unit),
            "online_min": plain_number(policy.online_min),
            "online_max": plain_number(policy.online_max),
            "validity_months": policy.validity_months,
            "payroll_bp": policy.payroll_bp,
            "mobile_banking_bp": policy.mobile_banking_bp,
            "clean_history_bp": policy.clean_history_bp,
            "contribution_cap_bp": policy.contribution_cap_bp,
            "low_income_bp": policy.low_income_bp,
        }
        for grade in CREDIT_GRADES:
            if grade in policy.grade_caps:
                initial[f"cap_{grade}"] = plain_number(policy.grade_caps[grade])
            if grade in policy.grade_spreads_bp:
                initial[f"spread_{grade}"] = policy.grade_spreads_bp[grade]
        for number, (share, bp) in enumerate(policy.deposit_discounts, start=1):
            initial[f"tier_{number}_share"] = plain_number(share * _HUNDRED)
            initial[f"tier_{number}_bp"] = bp
        if policy.has_entity_rules:
            initial["entity_profit_multiple"] = plain_number(
                cast(Decimal, policy.entity_profit_multiple)
            )
            initial["entity_asset_multiple"] = plain_number(
                cast(Decimal, policy.entity_asset_multiple)
            )
            for grade, cap in (policy.entity_grade_caps or {}).items():
                initial[f"entity_cap_{grade}"] = plain_number(cap)
            for kind, margin in (policy.entity_margins or {}).items():
                initial[f"margin_{kind}"] = plain_number(margin * _HUNDRED)
        tier_rows = len(policy.deposit_discounts) + 1
        return cls(initial={**initial, **kwargs.pop("initial", {})}, tier_rows=tier_rows, **kwargs)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.group_errors)

    # --- layout for the template --------------------------------------------------------------

    def tier_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        numbers = sorted({int(n.split("_")[1]) for n in self.fields if n.startswith("tier_")})
        return [(self[f"tier_{n}_share"], self[f"tier_{n}_bp"]) for n in numbers]

    def grade_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(g, self[f"cap_{g}"], self[f"spread_{g}"]) for g in CREDIT_GRADES]

    def entity_cap_fields(self) -> list[forms.BoundField]:
        return [self[f"entity_cap_{g}"] for g in CREDIT_GRADES]

    def margin_fields(self) -> list[forms.BoundField]:
        return [self[f"margin_{kind}"] for kind in engine.ENTITY_KINDS]

    def _entity_inputs(self) -> list[str]:
        return [
            *(f"entity_cap_{g}" for g in CREDIT_GRADES),
            "entity_profit_multiple",
            "entity_asset_multiple",
            *(f"margin_{kind}" for kind in engine.ENTITY_KINDS),
        ]

    def lends_to_entities(self) -> bool:
        """Whether any entity input was filled in (all blank: no entity rules)."""
        data = self.cleaned_data
        return any(data.get(name) is not None for name in self._entity_inputs())

    # --- to the engine and back ---------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for grade in CREDIT_GRADES:
            cap, spread = data.get(f"cap_{grade}"), data.get(f"spread_{grade}")
            if cap is not None and spread is None and f"spread_{grade}" not in self.errors:
                self.add_error(f"spread_{grade}", f"设置了{grade}级额度上限，请填写其利率加点")
        for share_field, bp_field in self.tier_rows():
            share, bp = data.get(share_field.name), data.get(bp_field.name)
            if (share is None) != (bp is None):
                missing = bp_field if bp is None else share_field
                if missing.name not in self.errors:
                    self.add_error(missing.name, "存款档位的比例和优惠基点须同时填写或同时留空")
        if self.lends_to_entities():
            required = [
                "entity_profit_multiple",
                "entity_asset_multiple",
                *(f"margin_{kind}" for kind in engine.ENTITY_KINDS),
            ]
            for name in required:
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, ENTITY_REQUIRED)
        return data

    def policy_data(self) -> dict[str, Any]:
        """The cleaned form as the engine's JSON form (call after ``is_valid()``)."""
        data = self.cleaned_data
        caps = {
            g: plain_number(data[f"cap_{g}"])
            for g in CREDIT_GRADES
            if data.get(f"cap_{g}") is not None
        }
        spreads = {
            g: data[f"spread_{g}"] for g in CREDIT_GRADES if data.get(f"spread_{g}") is not None
        }
        tiers = [
            [plain_number(data[share.name] / _HUNDRED), data[bp.name]]
            for share, bp in self.tier_rows()
            if data.get(share.name) is not None and data.get(bp.name) is not None
        ]
        return {
            "version": data["version"].strip(),
            "effective_from": data["effective_from"].isoformat(),
            "grade_caps": caps,
            "income_multiple": plain_number(data["income_multiple"]),
            "asset_multiple": plain_number(data["asset_multiple"]),
            "rounding_unit": plain_number(data["rounding_unit"]),
            "online_min": plain_number(data["online_min"]),
            "online_max": plain_number(data["online_max"]),
            "validity_months": data["validity_months"],
            "lpr_bp": int(data["lpr"] * _HUNDRED),
            "grade_spreads_bp": spreads,
            "deposit_discounts": tiers,
            "payroll_bp": data["payroll_bp"],
            "mobile_banking_bp": data["mobile_banking_bp"],
            "clean_history_bp": data["clean_history_bp"],
            "contribution_cap_bp": data["contribution_cap_bp"],
            "low_income_bp": data["low_income_bp"],
            "floor_bp": int(data["floor"] * _HUNDRED),
            "ceiling_spread_bp": data["ceiling_spread_bp"],
            **self._entity_data(),
        }

    def _entity_data(self) -> dict[str, Any]:
        if not self.lends_to_entities():
            return {}
        data = self.cleaned_data
        return {
            "entity_grade_caps": {
                g: plain_number(data[f"entity_cap_{g}"])
                for g in CREDIT_GRADES
                if data.get(f"entity_cap_{g}") is not None
            },
            "entity_profit_multiple": plain_number(data["entity_profit_multiple"]),
            "entity_asset_multiple": plain_number(data["entity_asset_multiple"]),
            "entity_margins": {
                kind: plain_number(data[f"margin_{kind}"] / _HUNDRED)
                for kind in engine.ENTITY_KINDS
            },
        }

    def apply_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal where it belongs: on the field, under the group of
        fields (grade caps, spreads, deposit tiers: ``group_errors``), else at the top."""
        for name, messages in error.errors.items():
            target = _ERROR_FIELD.get(name, name)
            for message in messages:
                if name in GROUPS:  # shown under the group, not on one of its inputs
                    self.group_errors.setdefault(name, []).append(message)
                elif target in self.fields:
                    self.add_error(target, message)
                else:
                    label = engine.FIELD_LABELS.get(name)
                    self.add_error(None, f"{label}：{message}" if label else message)


def _percent(bp: int) -> Decimal:
    return Decimal(bp).scaleb(-2).quantize(Decimal("0.01"))


class PolicyImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="授信政策JSON文件",
        help_text="由“导出JSON”下载的文件；导入后成为草稿，需提交并由另一位总行用户批准",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    version = forms.CharField(
        label="新版本号", max_length=20, required=False, help_text="不填则用文件中的版本号"
    )
    effective_from = forms.DateField(
        label="生效日期", required=False, widget=_date_input(), help_text="不填则用文件中的日期"
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class PolicyApproveForm(BootstrapMixin, forms.Form):
    review_note = forms.CharField(label="审批意见（选填）", max_length=200, required=False)


class PolicyRejectForm(BootstrapMixin, forms.Form):
    review_note = forms.CharField(label="退回原因", max_length=200)
