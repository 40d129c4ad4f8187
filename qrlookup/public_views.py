"""The villager's pages (码上查): phone-first, in WeChat's browser, all Chinese.

    /q/<token>          landing: counts the scan (one INSERT), nothing else
    /q/<token>/start    WeChat OAuth when configured, else straight to the form
    /q/<token>/check    name + resident ID + CAPTCHA
    /q/<token>/code     the SMS code
    /q/<token>/contact  ask the officer to call back (not archived, no phone on file)
    /q/me/              the verified household's result; /q/me/request, /q/me/correction
    /q/wechat/callback  WeChat's return with the one-time code

No URL carries personal data or a household's id: who is verified lives in the server-side
session (``qrl_*`` keys) for ``QRLOOKUP_SESSION_SECONDS``."""

from __future__ import annotations

import time
from dataclasses import astuple
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fuxiang.clientaddress import client_address
from fuxiang.errors import DomainError
from qrlookup import events, limits, officer_requests, verification, wechat
from qrlookup.engine.agents import is_wechat, ua_class
from qrlookup.lookup_selectors import household_page_cached, page_cache_keys
from qrlookup.models import LookupEventKind, RequestKind
from qrlookup.public_forms import CodeForm, ContactForm, CorrectionForm, IdentityForm
from qrlookup.qrcode_selectors import (
    ATTRIBUTION_SECONDS,
    TOKEN_SHAPE,
    Attribution,
    attribution_key,
    code_attribution,
    landing_key,
    local_landing,
    local_landing_keep,
)

# session keys
TOKEN = "qrl_token"  # noqa: S105  (a session key, not a secret)
CHALLENGE = "qrl_challenge"
HOUSEHOLD = "qrl_household"
MEMBER = "qrl_member"
UNTIL = "qrl_until"
OPENID = "qrl_openid"
STATE = "qrl_state"
ATTRIBUTION = "qrl_attribution"
METHOD = "qrl_method"  # how the person was verified: "sms", or "wechat" (a binding)


def client_ip(request: HttpRequest) -> str:
    """The client's address behind the configured proxies (``fuxiang.clientaddress``: the
    same answer the login lockout and the audit log use)."""
    return client_address(request) or "unknown"


def _agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def _invalid_code(request: HttpRequest) -> HttpResponse:
    """Malformed, forged, unknown and revoked codes: one answer."""
    return render(request, "qrlookup/public_invalid.html", status=404)


def _session_attribution(request: HttpRequest) -> Attribution | None:
    token = request.session.get(TOKEN, "")
    return code_attribution(token) if token else None


def _verified(request: HttpRequest) -> tuple[int, int] | None:
    """(household id, member id) of a verification still in time, or None."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session: no query
    until = request.session.get(UNTIL, 0)
    household, member = request.session.get(HOUSEHOLD), request.session.get(MEMBER)
    if not household or not member or until < time.time():
        return None
    return int(household), int(member)


def _verify_session(
    request: HttpRequest, *, household_id: int, member_id: int, method: str = "sms"
) -> None:
    token, openid = request.session.get(TOKEN, ""), request.session.get(OPENID, "")
    request.session.cycle_key()  # a new session id once verified (no fixation)
    for key in (CHALLENGE, STATE):
        request.session.pop(key, None)
    request.session[TOKEN] = token
    if openid:
        request.session[OPENID] = openid
    request.session[HOUSEHOLD] = household_id
    request.session[MEMBER] = member_id
    request.session[METHOD] = method
    attribution = code_attribution(token) if token else None
    if attribution is not None:  # kept for the result page's events (no lookup per view)
        request.session[ATTRIBUTION] = list(astuple(attribution))
    request.session[UNTIL] = int(time.time()) + settings.QRLOOKUP_SESSION_SECONDS


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


@require_GET
def landing(request: HttpRequest, token: str) -> HttpResponse:
    """The page a scan opens: counts the scan and offers to start. Cheap by design: for a
    browser without a session the code's attribution and the page come from this process's
    memory (or the shared cache, in one round trip), the scan is one RPUSH (``events``), and
    no session is made."""
    has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
    if not has_session and (kept := local_landing(token)) is not None:
        events.scan_record(attribution=kept[0], ua_class=ua_class(_agent(request)))
        return HttpResponse(kept[1])
    page_key = landing_key(token)
    cached = cache.get_many([attribution_key(token), page_key]) if TOKEN_SHAPE.match(token) else {}
    attribution = cached.get(attribution_key(token)) or code_attribution(token)
    if attribution is None:
        return _invalid_code(request)
    events.scan_record(attribution=attribution, ua_class=ua_class(_agent(request)))
    if not has_session and page_key in cached:
        local_landing_keep(token, attribution, cached[page_key])
        return HttpResponse(cached[page_key])
    response = render(
        request,
        "qrlookup/public_landing.html",
        {
            "attribution": attribution,
            "token": token,
            "verified": _verified(request) is not None,
            "bank_name": settings.QRLOOKUP_BANK_NAME,
        },
    )
    if not has_session:
        cache.set(page_key, response.content, timeout=ATTRIBUTION_SECONDS)
        local_landing_keep(token, attribution, response.content)
    return response


@never_cache
@require_GET
def start(request: HttpRequest, token: str) -> HttpResponse:
    """From the landing page: remember the code in the session; in WeChat with OAuth
    configured, get the openid first (a bound person skips the SMS)."""
    if code_attribution(token) is None:
        return _invalid_code(request)
    request.session[TOKEN] = token
    if wechat.enabled() and is_wechat(_agent(request)) and not request.session.get(OPENID):
        state = verification.wechat_state()
        request.session[STATE] = state
        callback = request.build_absolute_uri(reverse("qrlookup_public:wechat_callback"))
        return redirect(wechat.authorize_url(redirect_uri=callback, state=state))
    if request.session.get(OPENID):
        bound = verification.wechat_binding_member(openid_index=request.session[OPENID])
        if bound is not None:
            return _wechat_verified(request, member_id=bound[0], household_id=bound[1])
    return redirect("qrlookup_public:check", token=token)


@never_cache
@require_GET
def wechat_callback(request: HttpRequest) -> HttpResponse:
    token = request.session.get(TOKEN, "")
    state = request.session.pop(STATE, None)
    if not token or not state or request.GET.get("state") != state or not wechat.enabled():
        return redirect("qrlookup_public:expired")
    try:
        openid = wechat.openid_for_code(request.GET.get("code", "")[:128])
    except wechat.WechatError:
        return redirect("qrlookup_public:check", token=token)  # carry on without WeChat
    openid_index = verification.openid_index(openid)
    if not limits.hit("openid", openid_index):
        return render(request, "qrlookup/public_message.html", _limited(), status=429)
    request.session[OPENID] = openid_index
    bound = verification.wechat_binding_member(openid_index=openid_index)
    if bound is not None:
        return _wechat_verified(request, member_id=bound[0], household_id=bound[1])
    return redirect("qrlookup_public:check", token=token)


def _wechat_verified(request: HttpRequest, *, member_id: int, household_id: int) -> HttpResponse:
    attribution = _session_attribution(request)
    events.lookup_record(
        kind=LookupEventKind.WECHAT,
        attribution=attribution,
        ua_class=ua_class(_agent(request)),
        household_id=household_id,
    )
    _verify_session(request, household_id=household_id, member_id=member_id, method="wechat")
    return redirect("qrlookup_public:result")


def _limited() -> dict[str, str]:
    return {"title": "请稍后再试", "message": verification.RATE_LIMITED}


@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, token: str) -> HttpResponse:
    """Name + resident ID + CAPTCHA. Whatever the archive holds, a valid submission is
    answered by the same redirect to the same code page."""
    attribution = code_attribution(token)
    if attribution is None:
        return _invalid_code(request)
    request.session[TOKEN] = token
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge_id = verification.verification_start(
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                attribution=attribution,
                client_ip=client_ip(request),
                ua_class=ua_class(_agent(request)),
                openid_index=request.session.get(OPENID, ""),
            )
        except DomainError as error:
            status = 429 if error.code == "rate_limited" else 403
            context = {"title": "暂时无法查询", "message": error.message, "token": token}
            return render(request, "qrlookup/public_message.html", context, status=status)
        request.session[CHALLENGE] = challenge_id
        return redirect("qrlookup_public:code", token=token)
    return render(
        request,
        "qrlookup/public_check.html",
        {"form": form, "attribution": attribution, "token": token},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest, token: str) -> HttpResponse:
    """The SMS code. The page never shows a phone number, masked or not: it reads the same
    whether a code was sent or not."""
    attribution = code_attribution(token)
    if attribution is None:
        return _invalid_code(request)
    challenge_id = request.session.get(CHALLENGE)
    if not challenge_id:
        return redirect("qrlookup_public:check", token=token)
    form = CodeForm(request.POST or None)
    message = ""
    if request.method == "POST" and form.is_valid():
        confirmation = verification.verification_confirm(
            challenge_id=challenge_id,
            code=form.cleaned_data["code"],
            attribution=attribution,
            ua_class=ua_class(_agent(request)),
        )
        if confirmation.ok and confirmation.household_id and confirmation.member_id:
            openid = request.session.get(OPENID, "")
            if openid:
                verification.wechat_binding_save(
                    openid_index=openid, member_id=confirmation.member_id
                )
            _verify_session(
                request,
                household_id=confirmation.household_id,
                member_id=confirmation.member_id,
            )
            # the page is prepared now, so the result page the browser goes to is served
            # from the cache
            household_page_cached(
                household_id=confirmation.household_id,
                member_id=confirmation.member_id,
                as_of=timezone.localdate(),
            )
            return redirect("qrlookup_public:result")
        message = confirmation.message
    return render(
        request,
        "qrlookup/public_code.html",
        {
            "form": form,
            "attribution": attribution,
            "token": token,
            "message": message,
            "minutes": max(1, settings.QRLOOKUP_CODE_SECONDS // 60),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, token: str) -> HttpResponse:
    """Ask the officer of the code's grid to call back: for people not archived, with no phone
    on file, or whose details do not match. Accepted alike for anyone."""
    attribution = code_attribution(token)
    if attribution is None:
        return _invalid_code(request)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not limits.hit("request_ip", client_ip(request)):
            return render(request, "qrlookup/public_message.html", _limited(), status=429)
        try:
            officer_requests.request_create_archive(
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                note=form.cleaned_data["note"],
                attribution=attribution,
            )
        except DomainError as error:
            for field, messages in error.errors.items():
                for text in messages:
                    form.add_error(field if field in form.fields else None, text)
        else:
            events.lookup_record(
                kind=LookupEventKind.REQUEST,
                attribution=attribution,
                ua_class=ua_class(_agent(request)),
            )
            return render(
                request,
                "qrlookup/public_message.html",
                {
                    "title": "已提交",
                    "message": (
                        f"客户经理将在{settings.QRLOOKUP_REQUEST_DAYS}天内与您联系。"
                        "请保持电话畅通。"
                    ),
                    "attribution": attribution,
                },
            )
    return render(
        request,
        "qrlookup/public_contact.html",
        {"form": form, "attribution": attribution, "token": token},
    )


def _expired(request: HttpRequest) -> HttpResponse:
    return redirect("qrlookup_public:expired")


@never_cache
@require_GET
def expired(request: HttpRequest) -> HttpResponse:
    context = {
        "title": "请重新扫码查询",
        "message": "为保护您的信息，查询结果只在验证后15分钟内可以查看。请重新扫描二维码查询。",
    }
    return render(request, "qrlookup/public_message.html", context)


@never_cache
@require_GET
def result(request: HttpRequest) -> HttpResponse:
    """The verified household's page. Takes no parameter: the household is the session's."""
    verified = _verified(request)
    if verified is None:
        return _expired(request)
    household_id, member_id = verified
    kept = request.session.get(ATTRIBUTION)
    attribution = Attribution(*kept) if kept else _session_attribution(request)
    today = timezone.localdate()
    found = events.lookup_record_reading(  # the event and the cached page: one round trip
        kind=LookupEventKind.RESULT,
        attribution=attribution,
        ua_class=ua_class(_agent(request)),
        household_id=household_id,
        cache_keys=page_cache_keys(household_id=household_id, member_id=member_id, as_of=today),
    )
    page = household_page_cached(
        household_id=household_id, member_id=member_id, as_of=today, found=found
    )
    context: dict[str, Any] = {
        "page": page,
        "outcome": page.outcome,
        "wechat_bound": bool(request.session.get(OPENID)),
        "message": request.session.pop("qrl_flash", ""),
    }
    return _private(render(request, "qrlookup/public_result.html", context))


@never_cache
@require_POST
def household_request(request: HttpRequest) -> HttpResponse:
    """One tap: ask for a rating or a re-rating of the session's household."""
    verified = _verified(request)
    if verified is None:
        return _expired(request)
    kind = request.POST.get("kind", "")
    if kind not in (RequestKind.RATING, RequestKind.RERATING):
        return redirect("qrlookup_public:result")
    _household_request(request, household_id=verified[0], kind=kind)
    return redirect("qrlookup_public:result")


def _household_request(
    request: HttpRequest, *, household_id: int, kind: str, note: str = ""
) -> str:
    attribution = _session_attribution(request)
    try:
        officer_requests.request_create_for_household(
            household_id=household_id, kind=kind, note=note, attribution=attribution
        )
    except DomainError as error:
        request.session["qrl_flash"] = error.message
        return error.message
    events.lookup_record(
        kind=LookupEventKind.REQUEST,
        attribution=attribution,
        ua_class=ua_class(_agent(request)),
        household_id=household_id,
    )
    days = settings.QRLOOKUP_REQUEST_DAYS
    request.session["qrl_flash"] = f"已提交，客户经理将在{days}天内办理，办理结果可在本页查看"
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def correction(request: HttpRequest) -> HttpResponse:
    """信息有误: tell the officer what is wrong in the archive."""
    verified = _verified(request)
    if verified is None:
        return _expired(request)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _household_request(
            request,
            household_id=verified[0],
            kind=RequestKind.CORRECTION,
            note=form.cleaned_data["note"],
        )
        return redirect("qrlookup_public:result")
    return _private(render(request, "qrlookup/public_correction.html", {"form": form}))


@never_cache
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """退出: forget the verification now (a shared phone)."""
    request.session.flush()
    return render(
        request,
        "qrlookup/public_message.html",
        {"title": "已退出", "message": "您的查询信息已从本机清除。"},
    )


@never_cache
@require_POST
def unbind(request: HttpRequest) -> HttpResponse:
    """解除微信绑定: the next scan from this WeChat account asks for an SMS again."""
    if _verified(request) is None:
        return _expired(request)
    openid = request.session.pop(OPENID, "")
    if openid:
        verification.wechat_binding_remove(openid_index=openid)
    request.session["qrl_flash"] = "已解除微信绑定，下次查询需要短信验证"
    return redirect("qrlookup_public:result")
