"""Fixtures shared by every test: a small organisation with two grids and a user per role,
and the rule that a test needing a service skips without it — except in CI, where it fails."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from fuxiang.accounts.models import Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(variable: str, what: str) -> str:
    """Return the service URL from ``variable``; skip (locally) or fail (CI) when unset."""
    value = os.environ.get(variable, "")
    if not value:
        message = f"{what} not configured: set {variable}"
        if IN_CI:
            pytest.fail(f"CI must test this: {message}")
        pytest.skip(message)
    return value


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is for production; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def postgres(settings):
    """Skip (or fail in CI) unless the tests run on PostgreSQL."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        message = "needs PostgreSQL: set DATABASE_URL=postgres://..."
        if IN_CI:
            pytest.fail(f"CI must test this: {message}")
        pytest.skip(message)


@pytest.fixture
def org(db):
    """A county with one branch, two grids (A and B) of one village each, and a user per role."""
    from households.tests.factories import (
        BranchFactory,
        GridFactory,
        TownshipFactory,
        UserFactory,
        VillageFactory,
    )

    township = TownshipFactory(name="网岭镇")
    branch = BranchFactory(name="网岭支行")
    grid_a = GridFactory(branch=branch, name="罗家坪网格")
    grid_b = GridFactory(branch=branch, name="丫江桥网格")
    village_a = VillageFactory(township=township, grid=grid_a, name="罗家坪村")
    village_b = VillageFactory(township=township, grid=grid_b, name="丫江桥村")
    officer_a = UserFactory(username="officer_a", full_name="刘客户经理", role=Role.OFFICER)
    officer_b = UserFactory(username="officer_b", full_name="陈客户经理", role=Role.OFFICER)
    grid_a.officers.add(officer_a)
    grid_b.officers.add(officer_b)
    manager = UserFactory(username="manager", full_name="王行长", role=Role.BRANCH_MANAGER)
    branch.managers.add(manager)
    head_office = UserFactory(
        username="admin",
        full_name="总行管理员",
        role=Role.HEAD_OFFICE,
        is_staff=True,
        is_superuser=True,
    )
    auditor = UserFactory(username="auditor", full_name="审计员", role=Role.AUDITOR)
    return SimpleNamespace(
        township=township,
        branch=branch,
        grid_a=grid_a,
        grid_b=grid_b,
        village_a=village_a,
        village_b=village_b,
        officer_a=officer_a,
        officer_b=officer_b,
        manager=manager,
        head_office=head_office,
        auditor=auditor,
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may silently stop being tested: a skip is reported as a failure."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI (CI=true), which counts as a failure: {reason}"
