"""The archives: households, their members, business entities and officers' visits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Reverse
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from fuxiang.masking import mask_name
from households.models.fields import ZERO, _non_negative, count, money
from households.models.geography import Village, VillageGroup

# --- households and members -------------------------------------------------------------------


class HouseholdStatus(models.TextChoices):
    ARCHIVED = "archived", _("已建档")
    INCOMPLETE = "incomplete", _("待补充")
    CLOSED = "closed", _("已销户")


class HouseOwnership(models.TextChoices):
    OWNED = "owned", _("自有住房")
    RENTED = "rented", _("租住")
    OTHER = "other", _("其他")


class CommitteeAssessment(models.TextChoices):
    VERY_GOOD = "very_good", _("很好")
    GOOD = "good", _("好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("差")


class Household(models.Model):
    """A household's archive (建档): where it lives, what it owns and owes, what it earns, and
    its integrity record. Members hang off it; the head is the member with relation "head"."""

    village = models.ForeignKey(
        Village, verbose_name=_("村/社区"), on_delete=models.PROTECT, related_name="households"
    )
    village_group = models.ForeignKey(
        VillageGroup,
        verbose_name=_("村民小组"),
        on_delete=models.PROTECT,
        related_name="households",
        null=True,
        blank=True,
    )
    address = models.CharField(_("家庭住址"), max_length=200, blank=True)
    status = models.CharField(
        _("档案状态"),
        max_length=12,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.ARCHIVED,
    )

    # assets
    house_ownership = models.CharField(
        _("住房情况"), max_length=10, choices=HouseOwnership.choices, default=HouseOwnership.OWNED
    )
    house_value = money(_("房产估值（元）"))
    land_contracted_mu = models.DecimalField(
        _("承包土地（亩）"),
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        validators=[_non_negative("承包土地")],
    )
    livestock_heads = count(_("牲畜（头/只）"))
    livestock_value = money(_("牲畜估值（元）"))
    vehicles_value = money(_("车辆估值（元）"))
    deposits = money(_("存款（元）"))
    other_assets = money(_("其他资产（元）"))
    avg_daily_deposit_here = money(_("在本行日均存款（元）"))
    # the household's business with the bank (contribution pricing, docs/design.md §4.6)
    payroll_agency = models.BooleanField(_("本行代发工资"), default=False)
    mobile_banking_active = models.BooleanField(_("手机银行活跃"), default=False)

    # liabilities
    loans_this_bank = money(_("本行贷款余额（元）"))
    loans_other_banks = money(_("他行贷款余额（元）"))
    private_loans = money(_("民间借贷（元）"))
    other_lenders_count = count(_("本行以外贷款机构数"))

    # income and costs per year
    income_crops = money(_("种植业收入（元/年）"))
    income_livestock = money(_("养殖业收入（元/年）"))
    income_business = money(_("经营收入（元/年）"))
    income_wages = money(_("工资性收入（元/年）"))
    income_other = money(_("其他收入（元/年）"))
    annual_costs = money(_("年生产生活支出（元/年）"))

    # integrity record
    overdue_count_24m = count(_("近24个月逾期次数"))
    has_outstanding_overdue = models.BooleanField(_("有未结清逾期"), default=False)
    has_bad_loan = models.BooleanField(_("有不良贷款余额"), default=False)
    is_dishonest_debtor = models.BooleanField(_("失信被执行人"), default=False)
    has_criminal_record = models.BooleanField(_("有犯罪记录"), default=False)
    has_drug_gambling_flag = models.BooleanField(_("涉毒涉赌"), default=False)
    committee_assessment = models.CharField(
        _("村两委评议"), max_length=10, choices=CommitteeAssessment.choices, blank=True
    )
    honours_count = count(_("荣誉表彰（项）"))
    public_record_deductions = count(_("公共记录扣分（项）"))

    # PIPL: rating needs the household's consent
    rating_consent = models.BooleanField(_("同意评级授信"), default=False)
    consent_recorded_at = models.DateTimeField(_("授权时间"), null=True, blank=True)

    # (no index: every index is written again when a row moves — an import's update, an
    # archive campaign — and this one, its keys mostly the same few (an import's user, the
    # system's NULL), would only serve a check that never runs: an account being deleted)
    created_by = staff_ref(_("建档人"), db_index=False)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("农户档案")
        verbose_name_plural = _("农户档案")
        ordering = ("-updated_at", "-id")
        indexes = [
            models.Index(fields=["village", "status"]),
            # the county list's order (newest change first): a page's ids are read from
            # the index alone, however deep the page (a scope is read by village)
            models.Index(fields=["updated_at", "id"], name="household_list_order"),
        ]
        constraints = [
            # what a member's foreign key (household, village) refers to: a household's members
            # carry its village (``Member.village``), moved with it by PostgreSQL
            models.UniqueConstraint(fields=["id", "village"], name="household_village_key"),
            models.CheckConstraint(
                condition=Q(income_crops__gte=0)
                & Q(income_livestock__gte=0)
                & Q(income_business__gte=0)
                & Q(income_wages__gte=0)
                & Q(income_other__gte=0)
                & Q(annual_costs__gte=0),
                name="household_income_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(house_value__gte=0)
                & Q(livestock_value__gte=0)
                & Q(vehicles_value__gte=0)
                & Q(deposits__gte=0)
                & Q(other_assets__gte=0)
                & Q(loans_this_bank__gte=0)
                & Q(loans_other_banks__gte=0)
                & Q(private_loans__gte=0),
                name="household_money_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village.name} {self.pk}号户"

    @property
    def annual_income(self) -> Decimal:
        return (
            self.income_crops
            + self.income_livestock
            + self.income_business
            + self.income_wages
            + self.income_other
        )

    @property
    def net_annual_income(self) -> Decimal:
        return self.annual_income - self.annual_costs

    @property
    def total_assets(self) -> Decimal:
        return (
            self.house_value
            + self.livestock_value
            + self.vehicles_value
            + self.deposits
            + self.other_assets
        )

    @property
    def total_liabilities(self) -> Decimal:
        return self.loans_this_bank + self.loans_other_banks + self.private_loans

    @property
    def net_assets(self) -> Decimal:
        return self.total_assets - self.total_liabilities

    @property
    def debt_ratio(self) -> Decimal | None:
        """Liabilities ÷ assets; None when there are no assets to compare with."""
        if not self.total_assets:
            return None
        return (self.total_liabilities / self.total_assets).quantize(Decimal("0.0001"))


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    OTHER = "other", _("其他")


class Health(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")


class Education(models.TextChoices):
    COLLEGE = "college", _("大专及以上")
    SENIOR = "senior", _("高中/中专")
    JUNIOR = "junior", _("初中")
    PRIMARY = "primary", _("小学及以下")


class LabourAbility(models.TextChoices):
    FULL = "full", _("有劳动能力")
    PARTIAL = "partial", _("部分劳动能力")
    NONE = "none", _("无劳动能力")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Member(models.Model):
    """A person in a household. ID and phone numbers are stored only encrypted, as a keyed blind
    index for search, and masked for display (``fuxiang.crypto``). Birth date and sex are read
    from the ID number by the service, never typed in."""

    # The household and its village: on PostgreSQL one foreign key (household, village) →
    # Household (id, village) ON UPDATE CASCADE (migration 0017) instead of Django's two, so a
    # member is refused with another village than its household's and a move carries the
    # members along, whoever writes it (elsewhere ``members_follow_households``). The village
    # lets a scope's name search read only the scope's members (``member_village_names``):
    # testing each of a branch's ~10,000 households' members cost ~28 ms of SQL.
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
        db_constraint=False,
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
        db_constraint=False,
    )
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices)
    name = models.CharField(_("姓名"), max_length=50)
    id_number_encrypted = models.TextField(_("身份证号码（密文）"), editable=False)
    id_number_index = models.CharField(_("身份证号码索引"), max_length=64, editable=False)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    phone_encrypted = models.TextField(_("手机号码（密文）"), blank=True, editable=False)
    # (indexed in Meta: a field's own index on PostgreSQL comes with a ``LIKE`` twin, useless
    # for a keyed digest that is only ever compared whole)
    phone_index = models.CharField(_("手机号码索引"), max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("手机号码"), max_length=11, blank=True, editable=False)
    health = models.CharField(
        _("健康状况"), max_length=8, choices=Health.choices, default=Health.GOOD
    )
    education = models.CharField(
        _("文化程度"), max_length=10, choices=Education.choices, default=Education.JUNIOR
    )
    occupation = models.CharField(_("职业"), max_length=50, blank=True)
    labour_ability = models.CharField(
        _("劳动能力"), max_length=8, choices=LabourAbility.choices, default=LabourAbility.FULL
    )
    is_public_employee = models.BooleanField(_("公职人员"), default=False)
    subsistence_allowance = models.BooleanField(_("低保户"), default=False)
    is_poverty_alleviated = models.BooleanField(_("脱贫户"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        # by the household's id, not "household": that would sort by the household's own
        # order (newest change first) and join every member to its household to do it
        ordering = ("household_id", "id")
        # The household's index carries what the household list reads and searches, so a
        # page's members and a search by name or ID digits (tested household by household in
        # the list's order) are read from the index alone.
        indexes = [
            # a search by the last digits of an ID: a prefix of the reversed masked ID
            models.Index(Reverse("id_number_masked"), name="member_id_suffix"),
            models.Index(
                fields=["household"],
                name="member_household_list",
                include=["relation", "name", "id_number_masked"],
            ),
            # a grid's or a branch's name search: the scope's members by village, names and
            # households read from the index alone (~30,000 entries for a branch)
            models.Index(
                fields=["village"], name="member_village_names", include=["household", "name"]
            ),
            models.Index(fields=["phone_index"], name="member_phone_index"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                name="member_unique_resident_id",
                violation_error_message="身份证号码已登记在另一位成员名下，同一身份证号只能建档一次",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="member_one_head_per_household",
                violation_error_message="每户只能有一位户主",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.masked_name}（{self.get_relation_display()}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.village_id is None:
            self.village_id = self.household.village_id
        super().save(*args, **kwargs)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


# --- business entities ------------------------------------------------------------------------


class EntityCategory(models.TextChoices):
    ENTERPRISE = "enterprise", _("小微企业/个体工商户")
    AGRICULTURAL = "agricultural", _("新型农业经营主体")


class EntityKind(models.TextChoices):
    MICRO_ENTERPRISE = "micro_enterprise", _("小微企业")
    INDIVIDUAL_BUSINESS = "individual_business", _("个体工商户")
    FAMILY_FARM = "family_farm", _("家庭农场")
    COOPERATIVE = "cooperative", _("农民专业合作社")
    LARGE_GROWER = "large_grower", _("种养大户")


ENTITY_KIND_CATEGORY = {
    EntityKind.MICRO_ENTERPRISE: EntityCategory.ENTERPRISE,
    EntityKind.INDIVIDUAL_BUSINESS: EntityCategory.ENTERPRISE,
    EntityKind.FAMILY_FARM: EntityCategory.AGRICULTURAL,
    EntityKind.COOPERATIVE: EntityCategory.AGRICULTURAL,
    EntityKind.LARGE_GROWER: EntityCategory.AGRICULTURAL,
}


class BusinessEntity(models.Model):
    """A small business or a new agricultural entity (经营主体), linked to its owners' households.

    One table for both categories so that one USCC maps to exactly one entity (a database
    constraint); rating reads ``category`` to choose the card."""

    category = models.CharField(
        _("主体类别"), max_length=12, choices=EntityCategory.choices, editable=False
    )
    kind = models.CharField(_("主体类型"), max_length=20, choices=EntityKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    # NULL, not "", for "no code" (large growers), so the unique constraint ignores them.
    uscc = models.CharField(  # noqa: DJ001
        _("统一社会信用代码"), max_length=18, null=True, blank=True
    )
    legal_rep_name = models.CharField(_("法定代表人/经营者"), max_length=50)
    legal_rep_id_encrypted = models.TextField(editable=False)
    legal_rep_id_index = models.CharField(max_length=64, db_index=True, editable=False)
    legal_rep_id_masked = models.CharField(_("法定代表人身份证号码"), max_length=18, editable=False)
    village = models.ForeignKey(
        Village,
        verbose_name=_("生产经营地所在村"),
        on_delete=models.PROTECT,
        related_name="business_entities",
    )
    production_address = models.CharField(_("生产经营地址"), max_length=200, blank=True)
    industry = models.CharField(_("行业"), max_length=50)
    years_operating = models.PositiveSmallIntegerField(_("经营年限（年）"), default=0)
    annual_revenue = money(_("年销售收入（元）"))
    # NULL, not 0, for "not recorded": the limit then estimates the profit from the revenue and
    # the policy's margin for the entity's kind (0 would read as "no costs": all revenue profit)
    annual_costs = models.DecimalField(
        _("年经营成本费用（元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_non_negative("年经营成本费用")],
        help_text=_("营业成本、费用和税金合计；留空时按授信政策中该类主体的利润率估算年净利润"),
    )
    total_assets = money(_("资产总额（元）"))
    total_liabilities = money(_("负债总额（元）"))
    current_liabilities = money(_("流动负债（元）"))
    employees = count(_("从业人数"))
    land_mu = models.DecimalField(
        _("经营土地（亩）"),
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        validators=[_non_negative("经营土地")],
    )
    cooperative_members = count(_("合作社成员数"))
    tax_compliant = models.BooleanField(_("依法纳税"), default=True)
    # the entity's own credit record (the household's equivalents; the entity cards' knock-out)
    overdue_count_24m = count(_("近24个月逾期次数"))
    has_outstanding_overdue = models.BooleanField(_("有未结清逾期"), default=False)
    has_bad_loan = models.BooleanField(_("有不良贷款余额"), default=False)
    owner_households = models.ManyToManyField(
        Household, verbose_name=_("所属农户"), blank=True, related_name="business_entities"
    )
    created_by = staff_ref()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("经营主体")
        verbose_name_plural = _("经营主体")
        ordering = ("-updated_at", "-id")
        indexes = [models.Index(fields=["updated_at", "id"], name="entity_list_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=Q(uscc__isnull=False),
                name="entity_unique_uscc",
                violation_error_message="该统一社会信用代码已建档，一个代码只能对应一个主体",
            ),
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0)
                & Q(total_assets__gte=0)
                & Q(total_liabilities__gte=0)
                & Q(current_liabilities__gte=0),
                name="entity_money_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(annual_costs__isnull=True) | Q(annual_costs__gte=0),
                name="entity_costs_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def net_profit(self) -> Decimal | None:
        """Revenue less costs when the costs are recorded; ``None`` when they are not (credit
        then estimates it with the policy's margin for the entity's kind)."""
        if self.annual_costs is None:
            return None
        return self.annual_revenue - self.annual_costs


# --- visits -----------------------------------------------------------------------------------


class VisitOutcome(models.TextChoices):
    ARCHIVED = "archived", _("完成建档")
    UPDATED = "updated", _("更新档案")
    CREDIT_EXPLAINED = "explained", _("宣传讲解")
    NOT_HOME = "not_home", _("未遇")
    DECLINED = "declined", _("拒绝")
    FOLLOW_UP = "follow_up", _("需再次走访")


class Visit(models.Model):
    """A loan officer's visit (走访) to a household or a business entity."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", null=True, blank=True
    )
    business_entity = models.ForeignKey(
        BusinessEntity, on_delete=models.PROTECT, related_name="visits", null=True, blank=True
    )
    # the subject's village, copied (``subject_village``) so that a grid's or a branch's visits
    # are read by village through ``visit_scope_order`` instead of through two kinds of
    # subject; it follows the subject when the subject moves (``visits_follow_subjects``)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    visited_at = models.DateTimeField(_("走访时间"))
    place = models.CharField(_("走访地点"), max_length=200)
    met_person = models.CharField(_("接待人"), max_length=50, blank=True)
    outcome = models.CharField(_("走访结果"), max_length=12, choices=VisitOutcome.choices)
    notes = models.TextField(_("走访记录"), blank=True)
    latitude = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    photo = models.ImageField(_("现场照片"), upload_to="visits/%Y/%m/", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ("-visited_at", "-id")
        indexes = [
            models.Index(fields=["visited_at", "id"], name="visit_list_order"),
            models.Index(fields=["village", "visited_at", "id"], name="visit_scope_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="visit_has_one_subject",
                violation_error_message="走访对象应为一户农户或一个经营主体",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_at:%Y-%m-%d} {self.get_outcome_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.village_id is None:
            self.village_id = self.subject_village()
        super().save(*args, **kwargs)

    def subject_village(self) -> int | None:
        subject = self.household or self.business_entity
        return subject.village_id if subject is not None else None
