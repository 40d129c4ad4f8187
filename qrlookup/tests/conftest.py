"""Fixtures of the lookup's tests: a village code of grid A, a rated household whose head has a
known name, ID and phone, and helpers that walk the public flow over HTTP the way a phone does
(the CAPTCHA's answer is read from its store in the test database)."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from captcha.models import CaptchaStore
from django.utils import timezone

from households.models import Relation
from households.tests.factories import HouseholdFactory, MemberFactory, next_resident_id
from qrlookup import qrcodes
from qrlookup.models import OfficerContact, QrCodeKind, SmsOutboxMessage
from rating import runs
from rating.models import RunScope

WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 12; V2055A Build/SP1A.210812.003; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
    "MMWEBSDK/20230701 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
OFFICER_PHONE = "13907330001"


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts its limits under keys of its own (the cache is the shared Redis), and
    writes its events at once (test_events tests the buffer)."""
    settings.QRLOOKUP_CACHE_NAMESPACE = f"qrl-test-{uuid.uuid4().hex[:12]}"
    settings.QRLOOKUP_EVENT_BUFFER = False


@pytest.fixture
def village_code(org):
    OfficerContact.objects.create(officer=org.officer_a, phone=OFFICER_PHONE)
    return qrcodes.qrcode_create(
        actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=org.village_a
    )


@pytest.fixture
def run_today(eager_celery, django_capture_on_commit_callbacks):
    def run(**kwargs):
        kwargs.setdefault("as_of", timezone.localdate())
        kwargs.setdefault("scope", RunScope.COUNTY)
        with django_capture_on_commit_callbacks(execute=True):
            return runs.rating_run_start(**kwargs)

    return run


def person(household, *, relation=Relation.HEAD, name="王建国", phone="13812345678", **kw):
    id_number = next_resident_id()
    member = MemberFactory(
        household=household, relation=relation, name=name, id_number=id_number, phone=phone, **kw
    )
    return SimpleNamespace(member=member, name=name, id_number=id_number, phone=phone)


@pytest.fixture
def household(org):
    """A household of village A whose head is 王建国 (with a phone) and a spouse 李秀英."""
    h = HouseholdFactory(
        village=org.village_a,
        head=False,
        committee_assessment="very_good",
        payroll_agency=True,
        income_business=120000,
    )
    head = person(h)
    spouse = person(h, relation=Relation.SPOUSE, name="李秀英", phone="13987654321")
    return SimpleNamespace(household=h, head=head, spouse=spouse)


@pytest.fixture
def rated(org, household, run_today):
    run_today(actor=org.head_office)
    return household


@pytest.fixture
def flow(client, django_capture_on_commit_callbacks, eager_celery):
    """Walk the public pages like a phone: ``flow.identify(token, name, id)`` submits the form
    (SMS sent in-process, as a worker would), ``flow.code_for(phone)`` reads the outbox."""

    def captcha_answer(html: str) -> tuple[str, str]:
        key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html).group(1)
        return key, CaptchaStore.objects.get(hashkey=key).response

    def identify(token, name, id_number, *, c=None, **extra):
        c = c or client
        page = c.get(f"/q/{token}/check", **extra)
        key, answer = captcha_answer(page.content.decode())
        data = {"name": name, "id_number": id_number, "captcha_0": key, "captcha_1": answer}
        with django_capture_on_commit_callbacks(execute=True):
            return c.post(f"/q/{token}/check", data, **extra)

    def enter(token, code, *, c=None, **extra):
        return (c or client).post(f"/q/{token}/code", {"code": code}, **extra)

    def code_for(phone):
        from households.services import phone_index

        message = SmsOutboxMessage.objects.filter(phone_index=phone_index(phone)).first()
        return re.search(r"(\d{6})", message.text).group(1) if message else None

    def verify(token, who, *, c=None, **extra):
        response = identify(token, who.name, who.id_number, c=c, **extra)
        assert response.status_code == 302, response.content.decode()[:500]
        return enter(token, code_for(who.phone), c=c, **extra)

    return SimpleNamespace(
        identify=identify, enter=enter, code_for=code_for, verify=verify, captcha=captcha_answer
    )
