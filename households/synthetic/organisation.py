"""The organisation: townships, villages and their groups, branches, grids, staff logins."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password
from faker import Faker

from fuxiang.accounts.models import Role, User
from households.models import Branch, Grid, Township, Village, VillageGroup
from households.synthetic.people import _Names, _Place
from households.synthetic.plan import TOWNSHIP_NAMES, VILLAGE_FEATURES, CountyPlan, CountySummary


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, exact sum)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _unique(stem: str, suffix: str, used: set[str]) -> str:
    """``stem + suffix``, or 上/下/东/西… + it, as neighbouring villages are told apart."""
    for prefix in ("", *"上下东西南北新老大小"):
        name = f"{prefix}{stem}{suffix}"
        if name not in used:
            used.add(name)
            return name
    return _unique(f"{stem}{len(used)}", suffix, used)


def _build_organisation(
    plan: CountyPlan, names: _Names, fake: Faker, rng: random.Random, summary: CountySummary
) -> list[_Place]:
    county = summary.county
    password = make_password(plan.password)
    # A further county in the same database (a province's, docs/scaling.md) gets its own branch
    # codes, grid codes and logins, tagged with its code; the first keeps the plain ones.
    tag = plan.county_code if Township.objects.exclude(county=county).exists() else ""
    townships = Township.objects.bulk_create(
        Township(county=county, name=name, code=f"{plan.county_code}{i + 1:03d}")
        for i, name in enumerate(TOWNSHIP_NAMES[: plan.townships])
    )
    urban = [t.name.endswith("街道") for t in townships]
    per_township = _split(plan.villages, [1.6 if u else 1.0 for u in urban])
    village_weights: list[float] = []
    villages: list[Village] = []
    clans: list[list[str]] = []
    streets: list[list[str]] = []
    for t, (township, n) in enumerate(zip(townships, per_township, strict=True)):
        township_streets = list(dict.fromkeys(fake.street_name() for _ in range(12)))
        used: set[str] = set()
        for _ in range(n):
            village_clans = [names.surname() for _ in range(rng.randint(1, 3))]
            community = urban[t] and rng.random() < 0.6
            stem = (
                rng.choice(township_streets)
                if community
                else village_clans[0] + rng.choice(VILLAGE_FEATURES)
            )
            name = _unique(stem, "社区" if community else "村", used)
            villages.append(
                Village(
                    township=township, name=name, code=f"{township.code}{len(villages) + 1:04d}"
                )
            )
            village_weights.append(rng.lognormvariate(0, 0.4) * (1.8 if community else 1.0))
            clans.append(village_clans)
            streets.append(township_streets)

    # Archived households per village, then the registered count with the coverage gap.
    archived = _split(plan.households, village_weights)
    target_registered = round(plan.households / plan.archived_share)
    gaps = [a * (1 / min(0.99, max(0.65, rng.gauss(0.88, 0.06))) - 1) for a in archived]
    extra = _split(target_registered - plan.households, gaps) if sum(gaps) else [0] * len(gaps)
    for village, a, e in zip(villages, archived, extra, strict=True):
        village.registered_households = a + e
    summary.registered_households = sum(v.registered_households for v in villages)

    # The bank: one branch per township, grids of a few neighbouring villages, one officer each.
    branches = Branch.objects.bulk_create(
        Branch(name=f"{tag}{t.name[:-2] if u else t.name[:-1]}支行", code=f"B{tag}{i + 1:03d}")
        for i, (t, u) in enumerate(zip(townships, urban, strict=True))
    )
    grids: list[Grid] = []
    for b, branch in enumerate(branches):
        own = [v for v in villages if v.township == townships[b]]
        for start in range(0, len(own), plan.villages_per_grid):
            grid = Grid(
                branch=branch,
                name=f"{own[start].name}网格",
                code=f"G{tag}{b + 1:03d}{len(grids) + 1:03d}",
            )
            grids.append(grid)
            for village in own[start : start + plan.villages_per_grid]:
                village.grid = grid
    Grid.objects.bulk_create(grids)
    for village in villages:
        village.grid_id = village.grid.pk if village.grid else None
    Village.objects.bulk_create(villages)
    summary.townships, summary.villages = len(townships), len(villages)

    def staff(username: str, role: str, male: bool | None = None) -> User:
        male = rng.random() < 0.6 if male is None else male
        return User(username=username, full_name=names.full(male), role=role, password=password)

    admin = User(
        username=f"admin{tag}",
        full_name="总行管理员",
        role=Role.HEAD_OFFICE,
        is_staff=True,
        is_superuser=True,
        password=password,
    )
    auditor = User(
        username=f"auditor{tag}", full_name="审计员", role=Role.AUDITOR, password=password
    )
    managers = [staff(f"{tag}manager{i + 1}", Role.BRANCH_MANAGER) for i in range(len(branches))]
    officers = [staff(f"{tag}officer{i + 1}", Role.OFFICER) for i in range(len(grids))]
    User.objects.bulk_create([admin, auditor, *managers, *officers])
    Branch.managers.through.objects.bulk_create(
        Branch.managers.through(branch_id=b.pk, user_id=m.pk)
        for b, m in zip(branches, managers, strict=True)
    )
    Grid.officers.through.objects.bulk_create(
        Grid.officers.through(grid_id=g.pk, user_id=o.pk)
        for g, o in zip(grids, officers, strict=True)
    )
    summary.logins += [
        (admin.username, Role.HEAD_OFFICE.label, "全县 + 系统管理"),
        (auditor.username, Role.AUDITOR.label, "全县只读 + 审计日志"),
    ]
    summary.logins += [
        (m.username, Role.BRANCH_MANAGER.label, b.name)
        for b, m in zip(branches, managers, strict=True)
    ]
    summary.logins += [
        (o.username, Role.OFFICER.label, g.name) for g, o in zip(grids, officers, strict=True)
    ]

    # Village groups (村民小组): about one per 40 registered households.
    groups = VillageGroup.objects.bulk_create(
        VillageGroup(village=v, name=f"{n}组")
        for v in villages
        for n in range(1, min(15, max(3, v.registered_households // 40)) + 1)
    )
    groups_of: dict[int, list[VillageGroup]] = {}
    for group in groups:
        groups_of.setdefault(group.village_id, []).append(group)
    officer_of_grid = {g.pk: o.pk for g, o in zip(grids, officers, strict=True)}
    return [
        _Place(
            village=v,
            groups=groups_of[v.pk],
            officer_id=officer_of_grid[v.grid_id],
            clans=c,
            streets=s,
            urban=v.name.endswith("社区"),
            archived=a,
        )
        for v, c, s, a in zip(villages, clans, streets, archived, strict=True)
    ]
