"""factory_boy factories for the organisation and the archives.

Members are built the way the service stores them: a valid resident ID (GB 11643) is
generated, encrypted, blind-indexed and masked; pass ``id_number=...`` to choose it.
"""

from __future__ import annotations

import itertools
from datetime import date

import factory
from django.utils import timezone

from fuxiang import crypto
from fuxiang.accounts.models import Role, User
from fuxiang.masking import mask_phone
from households import services
from households.identity import make_resident_id, make_uscc
from households.models import (
    Branch,
    BusinessEntity,
    County,
    EntityCategory,
    EntityKind,
    Grid,
    Household,
    Member,
    Relation,
    Township,
    Village,
)

COUNTY_CODE = "430223"
_sequence = itertools.count(1)
DEFAULT_PASSWORD = "Test-passw0rd!"


def next_resident_id(birth: date = date(1980, 5, 17), *, male: bool = True) -> str:
    n = next(_sequence)
    sequence = (n * 2 + (1 if male else 0)) % 1000
    day = date(birth.year, birth.month, 1 + n % 28)
    return make_resident_id(COUNTY_CODE, day, sequence)


def next_uscc(prefix: str = "92") -> str:
    n = next(_sequence)
    return make_uscc(f"{prefix}{COUNTY_CODE}MA{n:07d}0"[:17])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"员工{n}")
    role = Role.OFFICER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    name = "攸县"
    code = COUNTY_CODE


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    county = factory.SubFactory(CountyFactory)
    name = factory.Sequence(lambda n: f"第{n}镇")
    code = factory.Sequence(lambda n: f"{COUNTY_CODE}{n:03d}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"第{n}支行")
    code = factory.Sequence(lambda n: f"B{n:04d}")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")
    code = factory.Sequence(lambda n: f"G{n:05d}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    grid = factory.SubFactory(GridFactory)
    name = factory.Sequence(lambda n: f"第{n}村")
    code = factory.Sequence(lambda n: f"V{n:06d}")
    registered_households = 100


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household
        skip_postgeneration_save = True

    village = factory.SubFactory(VillageFactory)
    address = "一组12号"
    income_crops = 30000
    income_wages = 40000
    annual_costs = 20000
    house_value = 300000
    deposits = 50000
    rating_consent = True
    consent_recorded_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def head(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            MemberFactory(household=obj, relation=Relation.HEAD, **kwargs)


_SERIAL = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"


def chinese_serial(n: int) -> str:
    """A different run of Chinese characters for every n (names may not hold digits)."""
    text = _SERIAL[n % 20]
    while n >= 20:
        n //= 20
        text += _SERIAL[n % 20]
    return text


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory, head=False)
    relation = Relation.SPOUSE
    name = factory.Sequence(lambda n: f"张{'三四五六七'[n % 5]}{chinese_serial(n)}")
    id_number = factory.LazyFunction(next_resident_id)
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[override]
        id_number, phone = kwargs.pop("id_number"), kwargs.pop("phone")
        protected = services.protect_resident_id(
            id_number,
            field="id_number",
            label="身份证号码",
            column=services.ID_COLUMN,
            as_of=timezone.localdate(),
        )
        kwargs.update(
            id_number_encrypted=protected.encrypted,
            id_number_index=protected.index,
            id_number_masked=protected.masked,
            birth_date=protected.birth_date,
            sex=protected.sex,
        )
        if phone:
            kwargs.update(
                phone_encrypted=crypto.encrypt(phone, column=services.PHONE_COLUMN),
                phone_index=services.phone_index(phone),
                phone_masked=mask_phone(phone),
            )
        return super()._create(model_class, *args, **kwargs)


class BusinessEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessEntity

    kind = EntityKind.INDIVIDUAL_BUSINESS
    category = EntityCategory.ENTERPRISE
    name = factory.Sequence(lambda n: f"福祥农资店{n}")
    uscc = factory.LazyFunction(next_uscc)
    legal_rep_name = "李四"
    legal_rep_id = factory.LazyFunction(next_resident_id)
    village = factory.SubFactory(VillageFactory)
    industry = "批发零售"
    years_operating = 5
    annual_revenue = 800000
    total_assets = 500000
    total_liabilities = 100000
    current_liabilities = 80000

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[override]
        legal_rep_id = kwargs.pop("legal_rep_id")
        protected = services.protect_resident_id(
            legal_rep_id,
            field="legal_rep_id_number",
            label="身份证号码",
            column=services.LEGAL_REP_ID_COLUMN,
            as_of=timezone.localdate(),
        )
        kwargs.update(
            legal_rep_id_encrypted=protected.encrypted,
            legal_rep_id_index=protected.index,
            legal_rep_id_masked=protected.masked,
        )
        return super()._create(model_class, *args, **kwargs)
