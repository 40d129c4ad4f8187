"""Plain words where a user meets a limit, a lockout or the admin's lockout pages, and one way
of writing money."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator

from fuxiang.formatting import format_duration, format_rmb, format_wan
from fuxiang.messages import plain_message

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _error(validator, value):
    try:
        validator(value)
    except ValidationError as error:
        return error
    raise AssertionError("no error")


def test_limits_are_said_in_plain_chinese():
    assert plain_message(_error(MaxLengthValidator(50), "张" * 62), "姓名") == (
        "姓名最多填写50个字（现在是62个字）"
    )
    assert (
        plain_message(_error(MinValueValidator(0), -1), "牲畜（头/只）")
        == "牲畜（头/只）不能为负数"
    )
    assert plain_message(_error(MinValueValidator(3), 1)) == "不能小于3"


@pytest.mark.parametrize(
    ("amount", "exact", "compact"),
    [
        (Decimal("136000"), "¥136,000", "13.6万"),
        (Decimal("130000.00"), "¥130,000", "13万"),
        (Decimal("1234.5"), "¥1,234.50", "¥1,234.50"),
        (Decimal("-8000"), "-¥8,000", "-¥8,000"),
        (None, "—", "—"),
    ],
)
def test_money_is_written_one_way(amount, exact, compact):
    assert (format_rmb(amount), format_wan(amount)) == (exact, compact)


def test_durations_in_words():
    assert format_duration(timedelta(minutes=30)) == "30分钟"
    assert format_duration(timedelta(hours=1, minutes=30)) == "1小时30分钟"
    assert format_duration(timedelta(days=2)) == "2天"


def test_the_compiled_translations_match_their_source(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("gettext's msgfmt is not installed")
    compiled = tmp_path / "django.mo"
    subprocess.run([msgfmt, "-o", str(compiled), str(PO)], check=True)  # noqa: S603
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), (
        "run: msgfmt -o locale/zh_Hans/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.po"
    )


@pytest.mark.django_db
def test_the_lockout_pages_of_the_admin_are_in_chinese(org, client):
    AccessAttempt.objects.create(
        username="officer_b", ip_address="10.0.0.9", user_agent="x", http_accept="*/*",
        path_info="/accounts/login/", failures_since_start=5, get_data="", post_data="",
    )  # fmt: skip
    client.force_login(org.head_office)
    index = client.get("/admin/").content.decode()
    assert "登录锁定" in index
    assert "登录失败记录（锁定）" in index
    page = client.get("/admin/axes/accessattempt/").content.decode()
    for words in ("尝试时间", "IP 地址", "失败次数", "状态", "已锁定"):
        assert words in page
    for english in ("Attempt Time", "Failures", "Locked Out", "access attempts"):
        assert english not in page


@pytest.mark.django_db
def test_the_api_says_how_long_a_locked_account_waits(org, client):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(
            "/api/v1/auth/token/", {"username": "officer_b", "password": "wrong"}
        )
    assert response.status_code == 429
    assert "请30分钟后再试" in response.json()["detail"]
