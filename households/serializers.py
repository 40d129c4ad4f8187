"""API serializers for the archives.

Input serializers parse and give early feedback (docs/design.md §4.3) with Chinese messages that
name the field; they never save: the views pass ``validated_data`` to ``households.services``.
Output serializers show personal data masked only (§4.4): never a plaintext name, ID or phone
number, and never the ciphertext or blind-index columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fuxiang.api import JsonTypesMixin
from fuxiang.masking import mask_name
from fuxiang.messages import api_messages
from households import selectors
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
    CommitteeAssessment,
    EntityCategory,
    Grid,
    Household,
    HouseholdStatus,
    Member,
    Village,
    Visit,
)
from households.services import ENTITY_FIELDS, HOUSEHOLD_FIELDS, MEMBER_FIELDS, VISIT_FIELDS

# --- messages that name the field -------------------------------------------------------------


# One wording for every field limit, shared with the forms and the services.
field_messages = api_messages


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a row the requesting user may use; any other id "does not exist"."""

    def __init__(self, *, scope: Callable[[Any], QuerySet[Any]], **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.scope(self.context["request"].user)


class InputSerializer(JsonTypesMixin, serializers.ModelSerializer):
    """Parses input against a model's fields; writes go through the services, never here."""

    def build_standard_field(
        self, field_name: str, model_field: models.Field
    ) -> tuple[type[serializers.Field], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        label = str(model_field.verbose_name)
        messages = field_messages(label, min_value=kwargs.get("min_value"))
        if issubclass(field_class, serializers.DateField | serializers.DateTimeField):
            messages["invalid"] = f"{label}格式不正确，应为{{format}}"
        kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        return field_class, kwargs

    def create(self, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError("Archive writes go through households.services.")

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError("Archive writes go through households.services.")


def _resident_id(value: str, label: str) -> str:
    try:
        return parse_resident_id(value, as_of=timezone.localdate()).number
    except IdentityError as exc:
        raise serializers.ValidationError(f"{label}{exc}") from exc


def _person_name(attrs: dict[str, Any], name: str, id_field: str, label: str) -> None:
    """Normalise and check a person's name (``households.identity.normalise_person_name``).
    Without the ID (a partial update) the service decides, knowing the archived one."""
    if name not in attrs or id_field not in attrs:
        return
    try:
        attrs[name] = normalise_person_name(
            attrs[name], foreign=is_foreign_resident_id(attrs[id_field])
        )
    except IdentityError as exc:
        raise serializers.ValidationError({name: [f"{label}{exc}"]}) from exc


# --- input ------------------------------------------------------------------------------------

# The shapes the identity checks accept, so the schema tells a client before the server does
# (check digits, uniqueness and scope are checked by the server: 400 with the reason).
RESIDENT_ID_PATTERN = r"^[0-9]{17}[0-9Xx]$"
MOBILE_PATTERN = r"^((\+86)?1[3-9][0-9]{9})?$"
USCC_PATTERN = r"^([0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18})?$"


@extend_schema_field({"type": "string", "maxLength": 18, "pattern": RESIDENT_ID_PATTERN})
class ResidentIdField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 18)
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "maxLength": 14, "pattern": MOBILE_PATTERN})
class MobileField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "maxLength": 18, "pattern": USCC_PATTERN, "nullable": True})
class UsccField(serializers.CharField):
    pass


class MemberInputSerializer(InputSerializer):
    id_number = ResidentIdField(
        label="身份证号码",
        help_text=(
            "18位居民身份证号码（GB 11643，校验码须正确），末位X可小写；出生日期和性别由号码读取。"
            "同一号码全县只能登记为一名成员（重复时400，code duplicate）。修改时不传表示不变。"
        ),
        error_messages=field_messages("身份证号码"),
    )
    phone = MobileField(
        label="手机号码",
        required=False,
        allow_blank=True,
        help_text="11位手机号，以1开头、第二位为3-9，可带+86；修改时不传或留空表示不变。",
        error_messages=field_messages("手机号码"),
    )

    class Meta:
        model = Member
        fields: tuple[str, ...] = (*MEMBER_FIELDS, "id_number", "phone")

    def validate_id_number(self, value: str) -> str:
        return _resident_id(value, "身份证号码")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _person_name(attrs, "name", "id_number", "姓名")
        return attrs

    def validate_phone(self, value: str) -> str:
        if not value:
            return ""
        try:
            return validate_mobile(value)
        except IdentityError as exc:
            raise serializers.ValidationError(f"手机号码{exc}") from exc


class HeadInputSerializer(MemberInputSerializer):
    """The head of a new household: a member whose relation is implied."""

    class Meta(MemberInputSerializer.Meta):
        fields = tuple(f for f in MemberInputSerializer.Meta.fields if f != "relation")


class HouseholdUpdateSerializer(InputSerializer):
    village = ScopedPrimaryKeyRelatedField(
        scope=selectors.villages_editable_by, error_messages=field_messages("村/社区")
    )
    village_group = ScopedPrimaryKeyRelatedField(
        scope=selectors.village_groups_editable_by,
        required=False,
        allow_null=True,
        error_messages=field_messages("村民小组"),
    )

    class Meta:
        model = Household
        fields: tuple[str, ...] = ("village", *HOUSEHOLD_FIELDS)


class HouseholdCreateSerializer(HouseholdUpdateSerializer):
    head = HeadInputSerializer(label="户主", error_messages=field_messages("户主"))

    class Meta(HouseholdUpdateSerializer.Meta):
        fields = (*HouseholdUpdateSerializer.Meta.fields, "head")


class BusinessEntityInputSerializer(InputSerializer):
    village = ScopedPrimaryKeyRelatedField(
        scope=selectors.villages_editable_by, error_messages=field_messages("生产经营地所在村")
    )
    uscc = UsccField(
        label="统一社会信用代码",
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=(
            "18位（GB 32100，校验码须正确）；一个代码只对应一个经营主体（重复时400）；"
            "仅种养大户可不填"
        ),
        error_messages=field_messages("统一社会信用代码"),
    )
    legal_rep_id_number = ResidentIdField(
        label="法定代表人/经营者身份证号码",
        help_text="18位居民身份证号码，末位X可小写；修改时不传表示不变",
        error_messages=field_messages("法定代表人身份证号码"),
    )
    owner_households = ScopedPrimaryKeyRelatedField(
        scope=selectors.households_editable_by,
        many=True,
        required=False,
        label="所属农户",
        error_messages=field_messages("所属农户"),
    )

    class Meta:
        model = BusinessEntity
        fields = (*ENTITY_FIELDS, "legal_rep_id_number", "owner_households")

    def validate_uscc(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return validate_uscc(value)
        except IdentityError as exc:
            raise serializers.ValidationError(f"统一社会信用代码{exc}") from exc

    def validate_legal_rep_id_number(self, value: str) -> str:
        return _resident_id(value, "法定代表人身份证号码")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _person_name(attrs, "legal_rep_name", "legal_rep_id_number", "法定代表人/经营者姓名")
        return attrs


class VisitInputSerializer(InputSerializer):
    household = ScopedPrimaryKeyRelatedField(
        scope=selectors.households_editable_by,
        required=False,
        allow_null=True,
        label="走访农户",
        error_messages=field_messages("走访农户"),
    )
    business_entity = ScopedPrimaryKeyRelatedField(
        scope=selectors.business_entities_editable_by,
        required=False,
        allow_null=True,
        label="走访经营主体",
        error_messages=field_messages("走访经营主体"),
    )

    class Meta:
        model = Visit
        fields = ("household", "business_entity", *VISIT_FIELDS)


class HouseholdFilterSerializer(serializers.Serializer):
    """Query parameters of the household list."""

    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="户主或成员姓名（包含）",
        error_messages=field_messages("姓名"),
    )
    id_suffix = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4,
        help_text="任一成员身份证号码的后几位（最多4位）",
        error_messages=field_messages("身份证后4位"),
    )
    village = serializers.IntegerField(
        required=False, help_text="村/社区编号", error_messages=field_messages("村/社区")
    )
    status = serializers.ChoiceField(
        choices=HouseholdStatus.choices,
        required=False,
        allow_blank=True,
        error_messages=field_messages("档案状态"),
    )


class BusinessEntityFilterSerializer(serializers.Serializer):
    """Query parameters of the business-entity list."""

    category = serializers.ChoiceField(
        choices=EntityCategory.choices,
        required=False,
        allow_blank=True,
        error_messages=field_messages("主体类别"),
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="名称（包含）或统一社会信用代码",
        error_messages=field_messages("查询内容"),
    )


class VisitFilterSerializer(serializers.Serializer):
    """Query parameters of the visit list."""

    household = serializers.IntegerField(
        required=False, help_text="农户编号", error_messages=field_messages("农户")
    )
    business_entity = serializers.IntegerField(
        required=False, help_text="经营主体编号", error_messages=field_messages("经营主体")
    )


# --- output -----------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    name_masked = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = (
            "id",
            "household",
            "relation",
            "name_masked",
            "id_number_masked",
            "phone_masked",
            "birth_date",
            "sex",
            *(f for f in MEMBER_FIELDS if f not in {"relation", "name"}),
            "updated_at",
        )
        read_only_fields = fields

    def get_name_masked(self, member: Member) -> str:
        return member.masked_name


class BusinessEntitySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessEntity
        fields = ("id", "name", "category", "kind")
        read_only_fields = fields


class HouseholdListItemSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="village.township.name", read_only=True)
    head_name_masked = serializers.SerializerMethodField()
    head_id_number_masked = serializers.CharField(source="head_id_masked", read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = (
            "id",
            "village",
            "village_name",
            "township_name",
            "address",
            "status",
            "head_name_masked",
            "head_id_number_masked",
            "member_count",
            "updated_at",
        )
        read_only_fields = fields

    def get_head_name_masked(self, household: Household) -> str:
        return mask_name(getattr(household, "head_name", "") or "")


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


class HouseholdSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    committee_assessment = serializers.ChoiceField(
        choices=CommitteeAssessment.choices,
        allow_blank=True,
        read_only=True,
        help_text="空字符串：村两委尚未评议",
    )
    members = MemberSerializer(many=True, read_only=True)
    business_entities = BusinessEntitySummarySerializer(many=True, read_only=True)
    annual_income = _money(label="年收入合计")
    net_annual_income = _money(label="年纯收入")
    total_assets = _money(label="资产合计")
    total_liabilities = _money(label="负债合计")
    net_assets = _money(label="净资产")
    debt_ratio = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        label="资产负债率",
        help_text="负债合计÷资产合计；无资产时为null",
    )

    class Meta:
        model = Household
        fields = (
            "id",
            "village",
            "village_name",
            *HOUSEHOLD_FIELDS,
            "consent_recorded_at",
            "annual_income",
            "net_annual_income",
            "total_assets",
            "total_liabilities",
            "net_assets",
            "debt_ratio",
            "members",
            "business_entities",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class BusinessEntitySerializer(serializers.ModelSerializer):
    legal_rep_name_masked = serializers.SerializerMethodField()
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = BusinessEntity
        fields = (
            "id",
            "category",
            "kind",
            "name",
            "uscc",
            "legal_rep_name_masked",
            "legal_rep_id_masked",
            "village",
            "village_name",
            *(f for f in ENTITY_FIELDS if f not in {"kind", "name", "uscc", "legal_rep_name"}),
            "owner_households",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_legal_rep_name_masked(self, entity: BusinessEntity) -> str:
        return mask_name(entity.legal_rep_name)


class VisitSerializer(serializers.ModelSerializer):
    officer_name = serializers.CharField(source="officer.display_name", read_only=True)

    class Meta:
        model = Visit
        fields = (
            "id",
            "officer",
            "officer_name",
            "household",
            "business_entity",
            *VISIT_FIELDS,
            "created_at",
        )
        read_only_fields = fields


class VillageSerializer(serializers.ModelSerializer):
    township_name = serializers.CharField(source="township.name", read_only=True)

    class Meta:
        model = Village
        fields = (
            "id",
            "code",
            "name",
            "township",
            "township_name",
            "grid",
            "registered_households",
        )
        read_only_fields = fields


class GridSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    villages = VillageSerializer(many=True, read_only=True)

    class Meta:
        model = Grid
        fields = ("id", "code", "name", "branch", "branch_name", "villages")
        read_only_fields = fields


class RevealedPersonSerializer(serializers.Serializer):
    """The unmasked values, for a permitted user; each reveal is audited by the service."""

    name = serializers.CharField(read_only=True)
    id_number = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
