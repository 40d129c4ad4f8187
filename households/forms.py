"""Back-office forms. They parse and give early feedback; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse
from django.utils import timezone

from fuxiang.errors import DomainError
from fuxiang.messages import form_messages
from fuxiang.widgets import PlainSelect
from households import listing
from households.identity import (
    IdentityError,
    is_foreign_resident_id,
    normalise_person_name,
    parse_resident_id,
    validate_mobile,
    validate_uscc,
)
from households.models import (
    BusinessEntity,
    Household,
    HouseholdStatus,
    Member,
    VillageGroup,
    Visit,
)
from households.services import ENTITY_FIELDS, HOUSEHOLD_FIELDS, MEMBER_FIELDS, VISIT_FIELDS


def apply_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's refusal on the form: on the field it names, else at the top."""
    for field, messages in error.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates can render fields in a loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            field.error_messages.update(form_messages(field))  # plain Chinese for limits
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def _clean_resident_id(value: str, label: str) -> str:
    try:
        return parse_resident_id(value, as_of=timezone.localdate()).number
    except IdentityError as exc:
        raise forms.ValidationError(f"{label}{exc}") from exc


def _clean_name(form: forms.BaseForm, field: str, label: str, id_number: str) -> None:
    """A person's name normalised, or refused on its field (Latin letters only with a
    foreigner's ID)."""
    if not form.cleaned_data.get(field):
        return
    try:
        form.cleaned_data[field] = normalise_person_name(
            form.cleaned_data[field], foreign=is_foreign_resident_id(id_number)
        )
    except IdentityError as exc:
        form.add_error(field, f"{label}{exc}")


def village_groups_of(villages: Any, village_id: Any) -> Any:
    """The groups of one village among ``villages`` (none when no village is chosen)."""
    try:
        village_pk = int(village_id)
    except (TypeError, ValueError):
        return VillageGroup.objects.none()
    return (
        VillageGroup.objects.filter(village__in=villages.filter(pk=village_pk).values("pk"))
        .select_related("village")
        .order_by("name", "pk")
    )


class HouseholdForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Household
        fields = ("village", *HOUSEHOLD_FIELDS)
        widgets = {"address": forms.TextInput(attrs={"autocomplete": "street-address"})}

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["village"]).queryset = villages
        # Only the chosen village's groups; choosing another village reloads them (htmx).
        groups = cast(forms.ModelChoiceField, self.fields["village_group"])
        groups.queryset = village_groups_of(villages, self._village_id())
        groups.label_from_instance = lambda group: group.name  # type: ignore[method-assign,assignment]  # Django hook
        groups.empty_label = "请选择村民小组" if self._village_id() else "请先选择村"
        groups.error_messages["invalid_choice"] = "该村民小组不属于所选的村，请重新选择"
        self.fields["village"].widget.attrs.update(
            {
                "hx-get": reverse("households:village_groups"),
                "hx-target": "#id_village_group",
                "hx-trigger": "change",
            }
        )
        for name, field in self.fields.items():
            if isinstance(field, forms.DecimalField):
                field.widget.attrs.update({"inputmode": "decimal", "min": "0"})
            elif isinstance(field, forms.IntegerField):
                field.widget.attrs.update({"inputmode": "numeric", "min": "0"})
            if name in {"address"}:
                field.required = False

    SECTIONS = (
        ("基本信息", ("village", "village_group", "address", "status", "rating_consent")),
        (
            "家庭资产",
            (
                "house_ownership",
                "house_value",
                "land_contracted_mu",
                "livestock_heads",
                "livestock_value",
                "vehicles_value",
                "deposits",
                "other_assets",
                "avg_daily_deposit_here",
            ),
        ),
        (
            "家庭负债",
            ("loans_this_bank", "loans_other_banks", "private_loans", "other_lenders_count"),
        ),
        (
            "年收入与支出",
            (
                "income_crops",
                "income_livestock",
                "income_business",
                "income_wages",
                "income_other",
                "annual_costs",
            ),
        ),
        (
            "诚信记录",
            (
                "overdue_count_24m",
                "has_outstanding_overdue",
                "has_bad_loan",
                "is_dishonest_debtor",
                "has_criminal_record",
                "has_drug_gambling_flag",
                "committee_assessment",
                "honours_count",
                "public_record_deductions",
            ),
        ),
    )

    def _village_id(self) -> str | int | None:
        if self.is_bound:
            return self.data.get(self.add_prefix("village")) or None
        return self.initial.get("village") or self.instance.village_id

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in HOUSEHOLD_FIELDS}


class MemberForm(BootstrapMixin, forms.ModelForm):
    id_number = forms.CharField(
        label="身份证号码",
        max_length=18,
        min_length=1,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="18位，末位X可小写；出生日期和性别由号码自动读取",
    )
    phone = forms.CharField(
        label="手机号码",
        max_length=30,  # "+86 138 0013 8000" fits; the phone check decides
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    field_order = ("relation", "name", "id_number", "phone")

    class Meta:
        model = Member
        fields = MEMBER_FIELDS

    def __init__(self, *args: Any, editing: bool = False, head: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if head:
            del self.fields["relation"]
        if editing:
            if self.instance.phone_masked:
                self.fields["clear_phone"] = forms.BooleanField(
                    label="删除已登记的手机号码", required=False
                )
            self.fields["id_number"].required = False
            self.fields[
                "id_number"
            ].help_text = f"当前：{self.instance.id_number_masked}；留空表示不修改"
            self.fields[
                "phone"
            ].help_text = f"当前：{self.instance.phone_masked or '未登记'}；留空表示不修改"

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        return _clean_resident_id(value, "身份证号码") if value else ""

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        id_number = data.get("id_number") or self.instance.id_number_masked or ""
        _clean_name(self, "name", "姓名", id_number)
        return data

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        if not value:
            return ""
        try:
            return validate_mobile(value)
        except IdentityError as exc:
            raise forms.ValidationError(f"手机号码{exc}") from exc

    def service_fields(self) -> dict[str, Any]:
        names = [n for n in MEMBER_FIELDS if n in self.fields]
        values = {n: self.cleaned_data[n] for n in (*names, "id_number", "phone")}
        values["clear_phone"] = self.cleaned_data.get("clear_phone", False)
        return values


class BusinessEntityForm(BootstrapMixin, forms.ModelForm):
    legal_rep_id_number = forms.CharField(
        label="法定代表人/经营者身份证号码",
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    owner_household_ids = forms.CharField(
        label="所属农户编号",
        required=False,
        help_text="农户档案编号，多个用逗号分隔",
    )

    class Meta:
        model = BusinessEntity
        fields = ENTITY_FIELDS

    def __init__(self, *args: Any, villages: Any, households: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.households = households
        cast(forms.ModelChoiceField, self.fields["village"]).queryset = villages
        self.fields["uscc"].required = False
        self.fields["uscc"].help_text = "18位；种养大户没有可不填"
        if self.instance.pk:
            self.fields["legal_rep_id_number"].required = False
            self.fields[
                "legal_rep_id_number"
            ].help_text = f"当前：{self.instance.legal_rep_id_masked}；留空表示不修改"
            mine = self.instance.owner_households.filter(pk__in=households.values("pk"))
            self.initial.setdefault(
                "owner_household_ids",
                ",".join(str(pk) for pk in mine.values_list("pk", flat=True)),
            )

    def clean_uscc(self) -> str | None:
        value = (self.cleaned_data.get("uscc") or "").strip()
        if not value:
            return None
        try:
            return validate_uscc(value)
        except IdentityError as exc:
            raise forms.ValidationError(f"统一社会信用代码{exc}") from exc

    def clean_legal_rep_id_number(self) -> str:
        value = self.cleaned_data["legal_rep_id_number"]
        return _clean_resident_id(value, "法定代表人身份证号码") if value else ""

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        id_number = data.get("legal_rep_id_number") or self.instance.legal_rep_id_masked or ""
        _clean_name(self, "legal_rep_name", "法定代表人/经营者姓名", id_number)
        return data

    def clean_owner_household_ids(self) -> list[Household]:
        raw = self.cleaned_data["owner_household_ids"].replace("，", ",")
        try:
            ids = {int(part) for part in raw.split(",") if part.strip()}
        except ValueError as exc:
            raise forms.ValidationError("所属农户编号应为数字，多个用逗号分隔") from exc
        found = list(self.households.filter(pk__in=ids))
        missing = ids - {h.pk for h in found}
        if missing:
            listed = "、".join(str(i) for i in sorted(missing))
            raise forms.ValidationError(f"农户编号{listed}不存在或不在您负责的网格内")
        return found

    def service_fields(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in ENTITY_FIELDS}
        values["legal_rep_id_number"] = self.cleaned_data["legal_rep_id_number"]
        return values


class VisitForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Visit
        fields = VISIT_FIELDS
        widgets = {
            "visited_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.HiddenInput(),
            "longitude": forms.HiddenInput(),
            "photo": forms.ClearableFileInput(
                attrs={"accept": "image/*", "capture": "environment"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.DateTimeField, self.fields["visited_at"]).input_formats = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        if not self.is_bound:
            self.initial.setdefault("visited_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in VISIT_FIELDS}


class HouseholdSearchForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="户主/成员姓名", required=False, max_length=50)
    id_suffix = forms.CharField(
        label="身份证后4位",
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    # plain (id, name) choices: a county's 250 villages as model instances took longer to
    # render than the rest of the list page
    village = forms.TypedChoiceField(
        label="村/社区", required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    status = forms.ChoiceField(
        label="档案状态",
        required=False,
        choices=[("", "全部"), *HouseholdStatus.choices],
        widget=PlainSelect,
    )

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["village"]).choices = [
            ("", "---------"),
            *(
                (pk, f"{township} {name}")
                for pk, township, name in villages.order_by("code").values_list(
                    "pk", "township__name", "name"
                )
            ),
        ]
        standings = listing.provider()
        if standings is not None:  # credit's columns (households.listing)
            self.fields["grade"] = forms.ChoiceField(
                label="评级",
                required=False,
                choices=[("", "全部"), *standings.grade_choices],
                widget=PlainSelect,
            )
            self.fields["line"] = forms.ChoiceField(
                label="授信状态",
                required=False,
                choices=[("", "全部"), *standings.line_choices],
                widget=PlainSelect,
            )
            for name in ("grade", "line"):
                self.fields[name].widget.attrs["class"] = "form-select"

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.household_list`` (none when nothing valid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_suffix": data["id_suffix"],
            "village_id": data["village"],
            "status": data["status"],
            "grade": data.get("grade", ""),
            "line": data.get("line", ""),
        }
