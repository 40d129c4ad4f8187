"""A synthetic county: geography, branches and grids with staff, and archived households with
members and business entities. Deterministic for a given seed; Faker (zh_CN) supplies names.

Used by ``manage.py seed_demo`` (small) and by tests and benchmarks. Rows are written with
``bulk_create`` in batches; members are encrypted and indexed exactly as the services do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker

from fuxiang import crypto
from fuxiang.accounts.models import Role, User
from fuxiang.masking import mask_phone, mask_resident_id
from households import services
from households.identity import make_resident_id, make_uscc
from households.models import (
    ENTITY_KIND_CATEGORY,
    Branch,
    BusinessEntity,
    CommitteeAssessment,
    County,
    Education,
    EntityKind,
    Grid,
    Health,
    Household,
    HouseOwnership,
    LabourAbility,
    Member,
    Relation,
    Township,
    Village,
    VillageGroup,
)

TOWNSHIP_NAMES = (
    "网岭镇",
    "皇图岭镇",
    "黄丰桥镇",
    "酒埠江镇",
    "桃水镇",
    "鸾山镇",
    "莲塘坳镇",
    "宁家坪镇",
    "新市镇",
    "菜花坪镇",
    "丫江桥镇",
    "渌田镇",
    "峦山镇",
    "石羊塘镇",
    "联星街道",
    "江桥街道",
    "柏市镇",
    "坪阳庙乡",
)
VILLAGE_SUFFIXES = ("村", "村", "村", "村", "社区")
INDUSTRIES = ("farming", "livestock", "business", "wages")
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class CountyPlan:
    households: int
    seed: int = 2026
    county_name: str = "攸县"
    county_code: str = "430223"
    townships: int = 18
    villages: int = 250
    villages_per_grid: int = 2
    archived_share: float = 0.88
    entity_share: float = 0.036
    password: str = "fuxiang2026"  # noqa: S105  (demo and benchmark logins only)


@dataclass
class CountySummary:
    county: County
    townships: int = 0
    villages: int = 0
    households: int = 0
    members: int = 0
    entities: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, scope)


class _Ids:
    """Unique, valid resident IDs for one county, keyed by birth date."""

    def __init__(self, area_code: str, rng: random.Random):
        self.area_code = area_code
        self.rng = rng
        self.used: dict[date, int] = {}

    def new(self, birth: date, male: bool) -> str:
        n = self.used.get(birth, self.rng.randrange(0, 40))
        sequence = n * 2 + (1 if male else 0)
        self.used[birth] = n + 1
        if sequence > 999:
            raise RuntimeError("too many people born on one day for one county")
        return make_resident_id(self.area_code, birth, sequence)


def _birth(rng: random.Random, today: date, age: int) -> date:
    """A birth date that makes the person ``age`` (±1 around the birthday) and is not future."""
    birth = date(today.year - age, 1, 1) + timedelta(days=rng.randrange(0, 365))
    return birth if birth <= today else birth.replace(year=birth.year - 1)


def _yuan(value: float) -> Decimal:
    return Decimal(max(0, round(value, -2))).quantize(Decimal("0.01"))


def _chunks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def build_organisation(plan: CountyPlan, fake: Faker, rng: random.Random) -> CountySummary:
    county, _ = County.objects.get_or_create(
        code=plan.county_code, defaults={"name": plan.county_name}
    )
    summary = CountySummary(county=county)
    password = make_password(plan.password)
    townships = [
        Township(county=county, name=name, code=f"{plan.county_code}{i + 1:03d}")
        for i, name in enumerate(TOWNSHIP_NAMES[: plan.townships])
    ]
    Township.objects.bulk_create(townships)
    summary.townships = len(townships)

    # One branch per township (the bank's outlets), grids of a few villages each.
    branches = [
        Branch(name=f"{t.name.removesuffix('镇').removesuffix('乡')}支行", code=f"B{i + 1:03d}")
        for i, t in enumerate(townships)
    ]
    Branch.objects.bulk_create(branches)
    admin = User(
        username="admin",
        full_name="总行管理员",
        role=Role.HEAD_OFFICE,
        is_staff=True,
        is_superuser=True,
        password=password,
    )
    auditor = User(username="auditor", full_name="审计员", role=Role.AUDITOR, password=password)
    User.objects.bulk_create([admin, auditor])
    summary.logins += [
        ("admin", Role.HEAD_OFFICE.label, "全县 + 系统管理"),
        ("auditor", Role.AUDITOR.label, "全县只读 + 审计日志"),
    ]
    villages: list[Village] = []
    used_names: set[tuple[int, str]] = set()
    for i in range(plan.villages):
        township = townships[i % len(townships)]
        while True:
            name = (
                f"{fake.last_name()}{rng.choice('家冲坪塘湾岭桥山')}{rng.choice(VILLAGE_SUFFIXES)}"
            )
            if (township.pk, name) not in used_names:
                used_names.add((township.pk, name))
                break
        villages.append(
            Village(
                township=township,
                name=name,
                code=f"{township.code}{i + 1:04d}",
                registered_households=0,
            )
        )
    summary.villages = len(villages)

    grids: list[Grid] = []
    officers: list[User] = []
    managers: list[User] = []
    for b, branch in enumerate(branches):
        own = [v for k, v in enumerate(villages) if k % len(townships) == b]
        for g, start in enumerate(range(0, len(own), plan.villages_per_grid)):
            grid = Grid(
                branch=branch, name=f"{own[start].name}网格", code=f"G{b + 1:03d}{g + 1:02d}"
            )
            grids.append(grid)
            for village in own[start : start + plan.villages_per_grid]:
                village.grid = grid
        managers.append(
            User(
                username=f"manager{b + 1}",
                full_name=fake.name(),
                role=Role.BRANCH_MANAGER,
                password=password,
            )
        )
    Grid.objects.bulk_create(grids)
    for v in villages:
        v.grid_id = v.grid.pk if v.grid else None
    Village.objects.bulk_create(villages)
    for k in range(len(grids)):
        officers.append(
            User(
                username=f"officer{k + 1}",
                full_name=fake.name(),
                role=Role.OFFICER,
                password=password,
            )
        )
    User.objects.bulk_create(managers + officers)
    Branch.managers.through.objects.bulk_create(
        [
            Branch.managers.through(branch_id=b.pk, user_id=m.pk)
            for b, m in zip(branches, managers, strict=True)
        ]
    )
    Grid.officers.through.objects.bulk_create(
        [
            Grid.officers.through(grid_id=g.pk, user_id=o.pk)
            for g, o in zip(grids, officers, strict=True)
        ]
    )
    VillageGroup.objects.bulk_create(
        [VillageGroup(village=v, name=f"{n}组") for v in villages for n in range(1, 6)]
    )
    summary.logins += [
        (m.username, Role.BRANCH_MANAGER.label, b.name)
        for b, m in zip(branches, managers, strict=True)
    ]
    summary.logins += [
        (o.username, Role.OFFICER.label, g.name) for g, o in zip(grids, officers, strict=True)
    ]
    return summary


def _economy(rng: random.Random, industry: str) -> dict[str, Decimal]:
    base = rng.lognormvariate(11.0, 0.55)  # ≈ 60,000 yuan median gross income
    income = {
        "income_crops": 0.0,
        "income_livestock": 0.0,
        "income_business": 0.0,
        "income_wages": 0.0,
        "income_other": rng.uniform(0, 6000),
    }
    key = {
        "farming": "income_crops",
        "livestock": "income_livestock",
        "business": "income_business",
        "wages": "income_wages",
    }[industry]
    income[key] += base
    income["income_wages"] += rng.choice([0, 0, rng.uniform(10000, 40000)])
    income["income_crops"] += rng.uniform(0, 8000)
    gross = sum(income.values())
    house = rng.lognormvariate(12.3, 0.6)  # ≈ 220,000 yuan
    deposits = rng.lognormvariate(10.3, 1.0)
    debt_bank = rng.choice([0, 0, 0, rng.uniform(20000, 200000)])
    values = {k: _yuan(v) for k, v in income.items()}
    values.update(
        annual_costs=_yuan(gross * rng.uniform(0.35, 0.75)),
        house_value=_yuan(house),
        vehicles_value=_yuan(rng.choice([0, rng.uniform(20000, 150000)])),
        livestock_value=_yuan(base * 0.8 if industry == "livestock" else 0),
        deposits=_yuan(deposits),
        avg_daily_deposit_here=_yuan(deposits * rng.uniform(0.2, 0.9)),
        other_assets=_yuan(rng.uniform(0, 30000)),
        loans_this_bank=_yuan(debt_bank * rng.uniform(0, 1)),
        loans_other_banks=_yuan(rng.choice([0, 0, 0, 0, rng.uniform(10000, 100000)])),
        private_loans=_yuan(rng.choice([0] * 9 + [rng.uniform(5000, 50000)])),
        land_contracted_mu=Decimal(str(round(rng.uniform(0.5, 12), 1))),
    )
    return values


def build_households(
    plan: CountyPlan,
    summary: CountySummary,
    fake: Faker,
    rng: random.Random,
    *,
    progress: ProgressCallback | None = None,
    batch: int = 2000,
) -> None:
    today = timezone.localdate()
    now = timezone.now()
    ids = _Ids(plan.county_code, rng)
    villages = list(Village.objects.filter(township__county=summary.county).order_by("code"))
    groups: dict[int, list[VillageGroup]] = {}
    for group in VillageGroup.objects.filter(village__in=villages):
        groups.setdefault(group.village_id, []).append(group)
    weights = [rng.uniform(0.5, 1.5) for _ in villages]
    total_weight = sum(weights)
    quota = [int(plan.households * w / total_weight) for w in weights]
    quota[0] += plan.households - sum(quota)
    for village, archived in zip(villages, quota, strict=True):
        village.registered_households = max(archived, round(archived / plan.archived_share))
    Village.objects.bulk_update(villages, ["registered_households"], batch_size=1000)

    assignments = [v for v, n in zip(villages, quota, strict=True) for _ in range(n)]
    done = 0
    for chunk in _chunks(len(assignments), batch):
        with transaction.atomic():
            households = []
            plans = []
            for i in chunk:
                village = assignments[i]
                industry = rng.choices(INDUSTRIES, weights=(40, 15, 15, 30))[0]
                group = rng.choice(groups[village.pk])
                household = Household(
                    village=village,
                    village_group=group,
                    address=f"{village.name}{group.name}{rng.randrange(1, 120)}号",
                    house_ownership=rng.choices(HouseOwnership.values, weights=(88, 8, 4))[0],
                    livestock_heads=rng.randrange(5, 200) if industry == "livestock" else 0,
                    other_lenders_count=rng.choices((0, 1, 2, 3), weights=(70, 20, 7, 3))[0],
                    overdue_count_24m=rng.choices((0, 1, 2, 3), weights=(90, 6, 3, 1))[0],
                    committee_assessment=rng.choices(
                        CommitteeAssessment.values, weights=(25, 50, 20, 5)
                    )[0],
                    honours_count=rng.choices((0, 1, 2), weights=(90, 8, 2))[0],
                    rating_consent=rng.random() < 0.97,
                    **_economy(rng, industry),
                )
                household.has_outstanding_overdue = household.overdue_count_24m >= 3
                if household.other_lenders_count and not household.loans_other_banks:
                    household.loans_other_banks = _yuan(rng.uniform(10000, 80000))
                elif household.loans_other_banks and not household.other_lenders_count:
                    household.other_lenders_count = 1
                if household.rating_consent:
                    household.consent_recorded_at = now
                households.append(household)
                plans.append(industry)
            Household.objects.bulk_create(households, batch_size=batch)
            members = [m for h in households for m in _family(h, fake, rng, ids, today)]
            Member.objects.bulk_create(members, batch_size=batch)
            summary.households += len(households)
            summary.members += len(members)
            _entities(plan, summary, households, plans, fake, rng, ids, today)
        done += len(chunk)
        if progress:
            progress(done, len(assignments))


def _person(
    household: Household,
    relation: str,
    name: str,
    birth: date,
    male: bool,
    ids: _Ids,
    rng: random.Random,
    today: date,
) -> Member:
    id_number = ids.new(birth, male)
    age = today.year - birth.year
    member = Member(
        household=household,
        relation=relation,
        name=name,
        id_number_encrypted=crypto.encrypt(id_number, column=services.ID_COLUMN),
        id_number_index=services.resident_id_index(id_number),
        id_number_masked=mask_resident_id(id_number),
        birth_date=birth,
        sex="M" if male else "F",
        health=rng.choices(Health.values, weights=(75, 20, 5) if age < 60 else (45, 40, 15))[0],
        education=rng.choices(
            Education.values, weights=(10, 25, 45, 20) if age < 50 else (3, 12, 45, 40)
        )[0],
        labour_ability=(
            LabourAbility.FULL
            if 18 <= age < 60
            else LabourAbility.PARTIAL
            if 60 <= age < 70
            else LabourAbility.NONE
        ),
        is_public_employee=18 <= age < 60 and rng.random() < 0.03,
        is_dibao=rng.random() < 0.02,
        is_poverty_alleviated=rng.random() < 0.03,
    )
    if 18 <= age < 75 and rng.random() < 0.9:
        phone = f"1{rng.choice('35789')}{rng.randrange(0, 10**9):09d}"
        member.phone_encrypted = crypto.encrypt(phone, column=services.PHONE_COLUMN)
        member.phone_index = services.phone_index(phone)
        member.phone_masked = mask_phone(phone)
    return member


def _family(
    household: Household, fake: Faker, rng: random.Random, ids: _Ids, today: date
) -> list[Member]:
    surname = fake.last_name()
    head_age = rng.randint(24, 72)
    head_male = rng.random() < 0.85
    given = fake.first_name_male() if head_male else fake.first_name_female()
    people = [
        _person(
            household,
            Relation.HEAD,
            surname + given,
            _birth(rng, today, head_age),
            head_male,
            ids,
            rng,
            today,
        )
    ]
    size = rng.choices((1, 2, 3, 4, 5, 6), weights=(8, 22, 25, 25, 14, 6))[0]
    if size >= 2:
        spouse_age = max(20, head_age + rng.randint(-5, 3))
        people.append(
            _person(
                household,
                Relation.SPOUSE,
                fake.last_name() + fake.first_name_female(),
                _birth(rng, today, spouse_age),
                not head_male,
                ids,
                rng,
                today,
            )
        )
    for _ in range(max(0, size - 2)):
        if head_age < 60 or rng.random() < 0.5:
            child_age = rng.randint(0, max(0, min(head_age - 20, 45)))
            male = rng.random() < 0.52
            first = fake.first_name_male() if male else fake.first_name_female()
            people.append(
                _person(
                    household,
                    Relation.CHILD,
                    surname + first,
                    _birth(rng, today, child_age),
                    male,
                    ids,
                    rng,
                    today,
                )
            )
        else:
            male = rng.random() < 0.4
            first = fake.first_name_male() if male else fake.first_name_female()
            people.append(
                _person(
                    household,
                    Relation.GRANDCHILD,
                    surname + first,
                    _birth(rng, today, rng.randint(0, 12)),
                    male,
                    ids,
                    rng,
                    today,
                )
            )
    return people


def _entities(
    plan: CountyPlan,
    summary: CountySummary,
    households: list[Household],
    industries: list[str],
    fake: Faker,
    rng: random.Random,
    ids: _Ids,
    today: date,
) -> None:
    entities: list[BusinessEntity] = []
    owners: list[Household] = []
    for household, industry in zip(households, industries, strict=True):
        if rng.random() >= plan.entity_share * (3 if industry == "business" else 0.7):
            continue
        kind = (
            rng.choice([EntityKind.INDIVIDUAL_BUSINESS, EntityKind.MICRO_ENTERPRISE])
            if industry == "business"
            else rng.choice(
                [EntityKind.FAMILY_FARM, EntityKind.COOPERATIVE, EntityKind.LARGE_GROWER]
            )
        )
        n = summary.entities + len(entities) + 1
        prefix = {"cooperative": "93", "individual_business": "92"}.get(kind, "91")
        uscc = (
            None
            if kind == EntityKind.LARGE_GROWER
            else make_uscc(f"{prefix}{plan.county_code}{n:09d}"[:17])
        )
        rep_id = ids.new(_birth(rng, today, rng.randint(28, 60)), True)
        revenue = rng.lognormvariate(13.0, 0.8)
        liabilities = revenue * rng.uniform(0.05, 0.6)
        trade = "记" if industry == "business" else "家"
        entities.append(
            BusinessEntity(
                kind=kind,
                category=ENTITY_KIND_CATEGORY[kind],
                name=f"{summary.county.name}{fake.last_name()}{trade}{EntityKind(kind).label}{n}",
                uscc=uscc,
                legal_rep_name=fake.name(),
                legal_rep_id_encrypted=crypto.encrypt(rep_id, column=services.LEGAL_REP_ID_COLUMN),
                legal_rep_id_index=services.resident_id_index(rep_id),
                legal_rep_id_masked=mask_resident_id(rep_id),
                village=household.village,
                production_address=household.address,
                industry={"business": "批发零售"}.get(industry, "农业"),
                years_operating=rng.randint(1, 20),
                annual_revenue=_yuan(revenue),
                total_assets=_yuan(revenue * rng.uniform(0.5, 2)),
                total_liabilities=_yuan(liabilities),
                current_liabilities=_yuan(liabilities * rng.uniform(0.3, 1)),
                employees=rng.randint(1, 30),
                land_mu=Decimal(str(round(rng.uniform(20, 500), 1)))
                if industry != "business"
                else Decimal(0),
                cooperative_members=rng.randint(5, 200) if kind == EntityKind.COOPERATIVE else 0,
                tax_compliant=rng.random() < 0.95,
            )
        )
        owners.append(household)
    BusinessEntity.objects.bulk_create(entities)
    BusinessEntity.owner_households.through.objects.bulk_create(
        [
            BusinessEntity.owner_households.through(businessentity_id=e.pk, household_id=h.pk)
            for e, h in zip(entities, owners, strict=True)
        ]
    )
    summary.entities += len(entities)


def build_county(plan: CountyPlan, *, progress: ProgressCallback | None = None) -> CountySummary:
    """Create the whole county. Refuses to run twice for the same county code."""
    if County.objects.filter(code=plan.county_code, townships__isnull=False).exists():
        raise ValueError(f"县 {plan.county_code} 已存在，请换一个空数据库")
    rng = random.Random(plan.seed)
    fake = Faker("zh_CN")
    fake.seed_instance(plan.seed)
    with transaction.atomic():
        summary = build_organisation(plan, fake, rng)
    build_households(plan, summary, fake, rng, progress=progress)
    return summary
