"""People and their households: names, resident IDs, families, economics, entities, list entries."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import Any

from django.utils import timezone
from faker.providers.person.zh_CN import Provider as ChineseNames

from fuxiang import crypto
from fuxiang.masking import mask_phone, mask_resident_id
from households import services
from households.identity import ResidentIdMaker, make_uscc
from households.models import ENTITY_KIND_CATEGORY, EntityKind, Village, VillageGroup, WatchlistKind
from households.synthetic.plan import (
    ENTRY_ID_COLUMN,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    WATCHLIST_SOURCE,
    CountyPlan,
)
from households.synthetic.writers import _Encoded

# --- weighted draws ---------------------------------------------------------------------------


class _Weighted:
    """A weighted choice that draws exactly as ``rng.choices(population, weights)[0]`` — one
    ``rng.random()`` and the same bisection, so a seed gives the same county — with the
    cumulative weights summed once instead of at each of the ~300,000 draws of a county."""

    __slots__ = ("cum", "hi", "population", "total")

    def __init__(self, population: Sequence[Any], weights: Sequence[float]):
        self.population = tuple(population)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1] + 0.0
        self.hi = len(self.population) - 1

    def __call__(self, rng: random.Random) -> Any:
        return self.population[bisect_right(self.cum, rng.random() * self.total, 0, self.hi)]


# --- names, ID numbers, amounts -------------------------------------------------------------


@cache
def _name_pools() -> tuple[_Weighted, list[str], list[str], list[str], list[str]]:
    """Faker's zh_CN names, read once per process: surnames (weighted), single-character
    given names, and whole given names, male and female."""
    surnames = _Weighted(list(ChineseNames.last_names), list(ChineseNames.last_names.values()))
    return (
        surnames,
        [n for n in ChineseNames.first_names_male if len(n) == 1],
        [n for n in ChineseNames.first_names_female if len(n) == 1],
        list(ChineseNames.first_names_male),
        list(ChineseNames.first_names_female),
    )


class _Names:
    """Names drawn from Faker's zh_CN data, sampled with the given ``Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surname_draw, self.male, self.female, self.male_full, self.female_full = _name_pools()

    def surname(self) -> str:
        return self.surname_draw(self.rng)

    def given(self, male: bool) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            return rng.choice(self.male_full if male else self.female_full)
        pool = self.male if male else self.female
        return rng.choice(pool) + rng.choice(pool)

    def full(self, male: bool) -> str:
        return self.surname() + self.given(male)


class _Ids:
    """Unique, valid resident IDs for one village of a county, without asking the other
    villages: the 500 sequence numbers a birth date and sex have (GB 11643: odd for men) are
    shared out between the villages — village ``slot`` of ``slots`` owns the numbers ``slot``,
    ``slot + slots``, ``slot + 2 * slots`` … — as police stations share out their county's.
    A village that has used all of a date's numbers gives the person the nearest day that
    still has one (a rare shift of a few days, within the person's age)."""

    def __init__(self, area_code: str, slot: int, slots: int):
        if slots > SEQUENCES_PER_SEX:
            raise ValueError(f"一个县最多{SEQUENCES_PER_SEX}个村（身份证顺序码不够分）")
        self.make = ResidentIdMaker(area_code)
        self.slot, self.slots = slot, slots
        self.per_day = SEQUENCES_PER_SEX // slots  # numbers this village owns per date and sex
        self.used: dict[tuple[date, bool], int] = {}

    def new(self, birth: date, male: bool) -> str:
        used = self.used
        for shift in _SHIFTS:
            day = birth if not shift else birth + timedelta(days=shift)
            n = used.get((day, male), 0)
            if n < self.per_day:
                used[(day, male)] = n + 1
                sequence = (self.slot + n * self.slots) * 2 + (1 if male else 0)
                return self.make(day, sequence)
        raise RuntimeError("同一村同一时期出生的人太多，无法生成唯一身份证号")


SEQUENCES_PER_SEX = 500  # the 3-digit sequence code: 000–999, odd for men, even for women
_SHIFTS = (0, *(d for k in range(1, 31) for d in (-k, k)))  # the nearest free day first


def village_rng(seed: int, index: int) -> random.Random:
    """The random stream of the county's village number ``index``: derived from the seed and
    the village's place only, so a village comes out the same whichever process draws it and
    whatever was drawn before it (str seeds are hashed with SHA-512: stable everywhere)."""
    return random.Random(f"fuxiang-county/{seed}/village/{index}")


def _birth(rng: random.Random, as_of: date, age: int) -> date:
    """A birth date on which the person is ``age`` on ``as_of``."""
    return date.fromordinal(as_of.toordinal() - int((age + rng.random()) * 365.2425))


def _money(value: float) -> int:
    """Whole hundreds of yuan, never negative: an int, which costs a tenth of a Decimal to
    make and to write, and goes into a decimal column exactly."""
    return int(value * 0.01 + 0.5) * 100 if value > 0 else 0


def _org_code(n: int) -> str:
    """A 9-character organisation code (GB 11714): 8 digits (scrambled serial) + check."""
    body = f"{(n * 7919 + 10007) % 10**8:08d}"
    check = 11 - sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


# --- households, members, entities, list entries --------------------------------------------

HEAD, SPOUSE, CHILD, PARENT = "head", "spouse", "child", "parent"
GRANDCHILD, CHILD_IN_LAW = "grandchild", "child_in_law"
HEALTH = ("good", "fair", "poor")
SHAPE = _Weighted(("single", "couple", "nuclear", "parents", "grandchildren"), (15, 30, 33, 9, 13))
WATCHLIST_KIND = _Weighted(WatchlistKind.values, (20, 9, 4, 32, 35))  # order of WatchlistKind
CHILDREN = {"nuclear": _Weighted((0, 1, 2, 3), (0, 50, 40, 10)),
            "parents": _Weighted((0, 1, 2, 3), (20, 50, 30, 0))}  # fmt: skip
EDUCATION = ("college", "senior", "junior", "primary")
EDUCATION_YOUNG, EDUCATION_OLD = (
    _Weighted(EDUCATION, (12, 28, 45, 15)),
    _Weighted(EDUCATION, (2, 10, 43, 45)),
)
HEALTH_YOUNG, HEALTH_OLD = _Weighted(HEALTH, (80, 16, 4)), _Weighted(HEALTH, (45, 40, 15))
LENDERS = _Weighted((0, 1, 2, 3), (72, 20, 6, 2))
OVERDUE = _Weighted((0, 1, 2, 3), (88, 7, 3, 2))
INDUSTRY = _Weighted(INDUSTRIES, INDUSTRY_WEIGHTS)
HOUSE_OWNERSHIP = _Weighted(("owned", "rented", "other"), (88, 8, 4))
ASSESSMENT = _Weighted(("very_good", "good", "fair", "poor"), (25, 50, 20, 5))
HONOURS = _Weighted((0, 1, 2), (90, 8, 2))
DEDUCTIONS = _Weighted((0, 1), (97, 3))
BUSINESS_KIND = _Weighted((EntityKind.INDIVIDUAL_BUSINESS, EntityKind.MICRO_ENTERPRISE), (75, 25))
FARM_KIND = _Weighted(
    (EntityKind.FAMILY_FARM, EntityKind.COOPERATIVE, EntityKind.LARGE_GROWER), (45, 25, 30)
)
OCCUPATIONS = {"farming": "务农", "livestock": "养殖", "business": "个体经营", "wages": "务工"}
TRADES = ("批发零售", "餐饮", "农产品加工", "交通运输", "建材", "汽修", "服装")
PRODUCTS = ("水稻种植", "油茶种植", "蔬菜种植", "生猪养殖", "家禽养殖", "中药材种植", "水产养殖")
Person = tuple[str, str, int, bool]  # relation, name, age, male
# Entity serials (organisation codes) of village ``i`` start at (i + 1) × this: unique in the
# county without asking the other villages (the scrambled code is unique below 10**8).
ENTITY_SERIALS_PER_VILLAGE = 100_000


@dataclass
class _Place:
    """What household generation needs to know about a village."""

    village: Village
    groups: list[VillageGroup]
    officer_id: int
    clans: list[str]
    streets: list[str]
    urban: bool
    archived: int  # households to create here


class _Maker:
    """Turns a village into household, member and entity rows (dicts keyed by column)."""

    def __init__(self, plan: CountyPlan, as_of: date, index: int, villages: int):
        """The maker of the county's village number ``index`` (of ``villages``): its own
        random stream, its own share of the ID numbers and of the entities' serials."""
        self.plan, self.as_of = plan, as_of
        self.rng = village_rng(plan.seed, index)
        self.names = _Names(self.rng)
        self.ids = _Ids(plan.county_code, index, villages)
        self.consent_at = timezone.make_aware(datetime.combine(as_of, time(9)))
        self.entity_serial = (index + 1) * ENTITY_SERIALS_PER_VILLAGE
        # the services' encryption and blind indexes, keyed once (generated numbers are
        # already in their normal form: digits and an upper-case X)
        self.seal_id = crypto.encrypter(services.ID_COLUMN)
        self.seal_phone = crypto.encrypter(services.PHONE_COLUMN)
        self.seal_entry_id = crypto.encrypter(ENTRY_ID_COLUMN)
        self.seal_legal_rep_id = crypto.encrypter(services.LEGAL_REP_ID_COLUMN)
        self.id_index = crypto.blind_indexer(services.RESIDENT_ID_INDEX_KIND)
        self.phone_index = crypto.blind_indexer(services.PHONE_INDEX_KIND)
        # Enterprises and agricultural entities come mostly from business households.
        business_share = INDUSTRY_WEIGHTS[2] / sum(INDUSTRY_WEIGHTS)
        self.entity_p = {"business": min(1.0, plan.entity_share * 3)}
        rest = max(0.0, plan.entity_share - self.entity_p["business"] * business_share)
        self.entity_p["other"] = rest / (1 - business_share)

    def village(self, place: _Place, first_household_id: int) -> _Chunk:
        """Every row of the village: its households numbered from ``first_household_id``."""
        chunk = _Chunk()
        for offset in range(place.archived):
            self.household(place, first_household_id + offset, chunk)
        return chunk

    # people

    def family(self, place: _Place) -> list[Person]:
        rng, names = self.rng, self.names
        surname = rng.choice(place.clans) if rng.random() < 0.55 else names.surname()
        shape = SHAPE(rng)
        if shape == "single":
            male = rng.random() < 0.55
            return [(HEAD, surname + names.given(male), int(rng.triangular(22, 90, 72)), male)]
        head_male = rng.random() < 0.9
        head_age = {
            "couple": rng.randint(24, 34) if rng.random() < 0.25 else int(rng.triangular(45, 85)),
            "nuclear": int(rng.triangular(26, 62, 40)),
            "parents": int(rng.triangular(26, 55, 35)),
            "grandchildren": int(rng.triangular(48, 78, 58)),
        }[shape]
        spouse_age = max(20, head_age + (rng.randint(-6, 2) if head_male else rng.randint(-2, 6)))
        spouse_surname = names.surname()
        people = [
            (HEAD, surname + names.given(head_male), head_age, head_male),
            (SPOUSE, spouse_surname + names.given(not head_male), spouse_age, not head_male),
        ]
        father_surname = surname if head_male else spouse_surname
        young = min(head_age, spouse_age) - 20  # the oldest a child of theirs can be
        if shape in ("nuclear", "parents"):
            count = CHILDREN[shape](rng)
            for _ in range(count):
                male = rng.random() < 0.52
                age = rng.randint(max(0, young - 25), young)
                people.append((CHILD, father_surname + names.given(male), age, male))
        if shape == "parents":
            for male in (True, False)[: rng.randint(1, 2)]:
                age = min(96, head_age + rng.randint(22, 32) - (0 if male else 2))
                parent_surname = surname if male else names.surname()
                people.append((PARENT, parent_surname + names.given(male), age, male))
        if shape == "grandchildren":
            child_male = rng.random() < 0.8
            child_age = rng.randint(22, max(22, young))
            people.append((CHILD, father_surname + names.given(child_male), child_age, child_male))
            in_law_age = max(20, child_age + rng.randint(-3, 3))
            people.append((CHILD_IN_LAW, names.full(not child_male), in_law_age, not child_male))
            grand_surname = father_surname if child_male else people[-1][1][0]
            for _ in range(rng.randint(0, 2) if min(child_age, in_law_age) >= 20 else 0):
                male = rng.random() < 0.52
                age = rng.randint(0, min(child_age, in_law_age) - 20)
                people.append((GRANDCHILD, grand_surname + names.given(male), age, male))
        return people[:6]

    def member(
        self, household_id: int, village_id: int, person: Person, industry: str
    ) -> tuple[dict[str, Any], str]:
        rng = self.rng
        relation, name, age, male = person
        birth = _birth(rng, self.as_of, age)
        number = self.ids.new(birth, male)
        public = 22 <= age < 60 and rng.random() < 0.03
        if age < 13:  # still at school: the level follows the age
            education = "primary"
        elif age < 16:
            education = "junior"
        elif age < 19:
            education = "senior"
        elif age < 50:
            education = EDUCATION_YOUNG(rng)
        else:
            education = EDUCATION_OLD(rng)
        if public:
            occupation, education = "公职人员", "college"
        elif age < 18 or (age < 23 and rng.random() < 0.5):
            occupation = "学生" if age >= 6 else ""
        elif age >= 70:
            occupation = "无"
        else:
            occupation = (
                OCCUPATIONS[industry] if rng.random() < 0.8 else rng.choice(("务工", "务农"))
            )
        row = {
            "household_id": household_id,
            "village_id": village_id,  # the household's (Member.village)
            "relation": relation,
            "name": name,
            "id_number_encrypted": self.seal_id(number),
            "id_number_index": self.id_index(number),
            "id_number_masked": mask_resident_id(number),
            "birth_date": birth,
            "sex": "M" if male else "F",
            "phone_encrypted": "",
            "phone_index": "",
            "phone_masked": "",
            "health": (HEALTH_YOUNG if age < 60 else HEALTH_OLD)(rng),
            "education": education,
            "occupation": occupation,
            "labour_ability": "full" if 18 <= age < 60 else "partial" if 16 <= age < 70 else "none",
            "is_public_employee": public,
            "subsistence_allowance": False,
            "is_poverty_alleviated": False,
        }
        if 18 <= age < 75 and rng.random() < 0.9:
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            row["phone_encrypted"] = self.seal_phone(phone)
            row["phone_index"] = self.phone_index(phone)
            row["phone_masked"] = mask_phone(phone)
        return row, number

    # money

    def economy(self, industry: str, workers: int, poor: bool, urban: bool) -> dict[str, Any]:
        rng = self.rng
        lognorm = rng.lognormvariate
        scale = (0.35 if poor else 1.0) * (1.25 if urban else 1.0)
        crops = livestock = business = wages = 0.0
        land = rng.uniform(0.5, 6)
        heads = 0
        if industry == "farming":
            land = rng.uniform(3, 30)
            crops = land * rng.uniform(1500, 3500)
            wages = rng.choice((0, 0, lognorm(10.3, 0.4)))  # a child working in town
        elif industry == "livestock":
            heads = int(lognorm(3.8, 0.9)) + 3
            livestock = heads * rng.uniform(300, 900)
            crops = land * rng.uniform(800, 2000)
        elif industry == "business":
            business = lognorm(11.4, 0.7)
        else:
            wages = lognorm(10.5, 0.45) * max(1, workers) ** 0.6
            crops = land * rng.uniform(500, 1500) if rng.random() < 0.5 else 0
        gross = (crops + livestock + business + wages) * scale
        house = lognorm(12.2, 0.55) * (1.6 if urban else 1.0) * (0.5 if poor else 1.0)
        deposits = lognorm(10.2, 1.0) * scale
        borrows = rng.random() < (0.45 if industry in ("business", "livestock") else 0.25)
        loans_here = lognorm(11.3, 0.7) if borrows else 0.0
        lenders = LENDERS(rng)
        values = {
            "income_crops": _money(crops * scale),
            "income_livestock": _money(livestock * scale),
            "income_business": _money(business * scale),
            "income_wages": _money(wages * scale),
            "income_other": _money(rng.uniform(0, 6000) + (4000 if poor else 0)),
            "annual_costs": _money(gross * rng.uniform(0.35, 0.7)),
            "house_value": _money(house) if rng.random() < 0.9 else 0,
            "land_contracted_mu": Decimal(f"{land:.1f}"),
            "livestock_heads": heads,
            "livestock_value": _money(heads * rng.uniform(800, 2500)),
            "vehicles_value": _money(lognorm(11.0, 0.6) if rng.random() < 0.35 else 0),
            "deposits": _money(deposits),
            "avg_daily_deposit_here": _money(deposits * rng.uniform(0.2, 0.9)),
            "other_assets": _money(rng.uniform(0, 30000)),
            "loans_this_bank": _money(loans_here),
            "loans_other_banks": _money(sum(lognorm(10.8, 0.6) for _ in range(lenders))),
            "private_loans": _money(lognorm(9.8, 0.6) if rng.random() < 0.08 else 0),
            "other_lenders_count": lenders,
            # the bank's business with the household, from figures already drawn (no new
            # draws: the county stays the same for a given seed)
            "payroll_agency": industry == "wages" and wages * scale > 40000,
            "mobile_banking_active": deposits > 15000,
        }
        overdue = OVERDUE(rng) if borrows or lenders else 0
        values.update(
            overdue_count_24m=overdue,
            has_outstanding_overdue=overdue >= 3,
            has_bad_loan=bool(loans_here) and rng.random() < 0.004,
        )
        return values

    # one household

    def household(self, place: _Place, household_id: int, chunk: _Chunk) -> None:
        rng = self.rng
        village = place.village
        industry = INDUSTRY(rng)
        people = self.family(place)
        listing = None
        if rng.random() < self.plan.watchlist_share * len(people) * 0.92:
            listing = self._listing()
        kind, lifted = listing or ("", False)
        poor = kind in ("dibao", "poverty_alleviated") and not lifted
        workers = sum(1 for p in people if 18 <= p[2] < 60)
        group = rng.choice(place.groups)
        address = (
            f"{rng.choice(place.streets)}{rng.randrange(1, 300)}号"
            if place.urban
            else f"{village.name}{group.name}{rng.randrange(1, 120)}号"
        )
        consent = rng.random() < 0.97
        row: dict[str, Any] = {
            "id": household_id,
            "village_id": village.pk,
            "village_group_id": group.pk,
            "address": address,
            "house_ownership": HOUSE_OWNERSHIP(rng),
            "committee_assessment": ASSESSMENT(rng),
            "honours_count": HONOURS(rng),
            "public_record_deductions": DEDUCTIONS(rng),
            "rating_consent": consent,
            "consent_recorded_at": self.consent_at - timedelta(days=rng.randrange(720))
            if consent
            else None,
            "created_by_id": place.officer_id,
            "is_dishonest_debtor": False,  # set below from the watch list
            "has_criminal_record": False,
            "has_drug_gambling_flag": False,
            **self.economy(industry, workers, poor, place.urban),
        }
        members = [self.member(household_id, village.pk, person, industry) for person in people]
        chunk.members += [m for m, _ in members]
        if listing:
            adults = [i for i, p in enumerate(people) if p[2] >= 18] or [0]
            who = 0 if poor or kind in ("dibao", "poverty_alleviated") else rng.choice(adults)
            member, number = members[who]
            if not lifted:
                flag = {
                    "dibao": ("subsistence_allowance", member),
                    "poverty_alleviated": ("is_poverty_alleviated", member),
                    "dishonest_debtor": ("is_dishonest_debtor", row),
                    "criminal_record": ("has_criminal_record", row),
                    "drug_gambling": ("has_drug_gambling_flag", row),
                }[kind]
                flag[1][flag[0]] = True
            chunk.entries.append(self._entry(kind, lifted, member["name"], number))
        if rng.random() < self.plan.watchlist_share * len(people) * 0.08:
            # someone on a list who is not archived (a relative living elsewhere in the county)
            kind, lifted = self._listing()
            age = rng.randint(20, 70)
            male = rng.random() < 0.6
            number = self.ids.new(_birth(rng, self.as_of, age), male)
            chunk.entries.append(self._entry(kind, lifted, self.names.full(male), number))
        chunk.households.append(row)
        p = self.entity_p["business" if industry == "business" else "other"]
        if rng.random() < p:
            head, head_number = members[0]
            chunk.entities.append(self.entity(place, row, head["name"], head_number, industry))

    def _listing(self) -> tuple[str, bool]:
        kind = WATCHLIST_KIND(self.rng)
        return kind, self.rng.random() < 0.06

    def _entry(self, kind: str, lifted: bool, name: str, number: str) -> dict[str, Any]:
        rng = self.rng
        listed = self.as_of - timedelta(days=rng.randint(30, 2500))
        lifted_on = (
            listed + timedelta(days=rng.randint(0, (self.as_of - listed).days)) if lifted else None
        )
        return {
            "id": None,
            "kind": kind,
            "name": name,
            "id_number_encrypted": self.seal_entry_id(number),
            "id_number_index": self.id_index(number),
            "id_number_masked": mask_resident_id(number),
            "source": WATCHLIST_SOURCE,
            "listed_on": listed,
            "lifted_on": lifted_on,
        }

    def entity(
        self, place: _Place, household: dict[str, Any], owner: str, owner_id: str, industry: str
    ) -> dict[str, Any]:
        rng = self.rng
        self.entity_serial += 1
        n = self.entity_serial
        county, village = self.plan.county_name, place.village.name.removesuffix("村")
        if industry == "business":
            kind = BUSINESS_KIND(self.rng)
            trade = rng.choice(TRADES)
        else:
            kind = FARM_KIND(self.rng)
            trade = rng.choice(PRODUCTS)
        name = {
            EntityKind.INDIVIDUAL_BUSINESS: f"{county}{village}{owner[0]}记{trade}店",
            EntityKind.MICRO_ENTERPRISE: f"{county}{owner[0]}氏{trade}有限公司",
            EntityKind.FAMILY_FARM: f"{county}{village}{owner}家庭农场",
            EntityKind.COOPERATIVE: f"{county}{village}{trade[:-2]}专业合作社",
            EntityKind.LARGE_GROWER: f"{owner}{trade[-2:]}大户",
        }[kind]
        registration = {
            EntityKind.INDIVIDUAL_BUSINESS: "92",
            EntityKind.COOPERATIVE: "93",
            EntityKind.FAMILY_FARM: rng.choice(("92", "91")),
            EntityKind.MICRO_ENTERPRISE: "91",
        }.get(kind)  # large growers are not registered: no code
        uscc = (
            make_uscc(f"{registration}{self.plan.county_code}{_org_code(n)}")
            if registration
            else None
        )
        agricultural = kind in (
            EntityKind.FAMILY_FARM,
            EntityKind.COOPERATIVE,
            EntityKind.LARGE_GROWER,
        )
        revenue = rng.lognormvariate(13.2 if kind == EntityKind.COOPERATIVE else 12.6, 0.7)
        assets = revenue * rng.uniform(0.6, 2.5)
        liabilities = assets * rng.uniform(0.05, 0.8)
        land = {EntityKind.FAMILY_FARM: (50, 500), EntityKind.COOPERATIVE: (100, 2000)}.get(
            kind, (30, 300)
        )
        return {
            "id": None,
            "household_id": household["id"],
            "category": ENTITY_KIND_CATEGORY[kind].value,
            "kind": kind.value,
            "name": name[:100],
            "uscc": uscc,
            "legal_rep_name": owner,
            "legal_rep_id_encrypted": self.seal_legal_rep_id(owner_id),
            "legal_rep_id_index": self.id_index(owner_id),
            "legal_rep_id_masked": mask_resident_id(owner_id),
            "village_id": place.village.pk,
            "production_address": household["address"],
            "industry": trade,
            "years_operating": rng.randint(1, 20),
            "annual_revenue": _money(revenue),
            # costs recorded for two entities in three (the rest: the policy's margin applies),
            # leaving −4% to 26% of the revenue — derived from the serial, so the random stream
            # (and the rest of the county) is the same as before costs were generated
            "annual_costs": None
            if n % 3 == 0
            else _money(revenue * (1 - ((n * 7919) % 31 - 4) / 100)),
            "total_assets": _money(assets),
            "total_liabilities": _money(liabilities),
            "current_liabilities": _money(liabilities * rng.uniform(0.3, 1)),
            "employees": rng.randint(5, 50)
            if kind == EntityKind.MICRO_ENTERPRISE
            else rng.randint(1, 8),
            "land_mu": Decimal(f"{rng.uniform(*land):.1f}") if agricultural else Decimal(0),
            "cooperative_members": rng.randint(5, 300) if kind == EntityKind.COOPERATIVE else 0,
            "tax_compliant": rng.random() < 0.95,
            "created_by_id": household["created_by_id"],
        }


@dataclass
class _Chunk:
    """A village's rows; its households and members already encoded when made for COPY."""

    households: list[dict[str, Any]] | _Encoded = field(default_factory=list)
    members: list[dict[str, Any]] | _Encoded = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
