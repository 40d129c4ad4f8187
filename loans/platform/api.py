"""The platform's endpoints under ``/api/v1/loans/platform/`` (docs/platform.md):

- ``GET whitelists/<product>/`` — a page of the snapshot (``version``, ``cursor``,
  ``limit``) or the delta ``since`` a version; ``Authorization: Bearer <token>``; ETag and
  ``If-None-Match``; the body signed like a webhook.
- ``GET files/``, ``GET files/<id>/``, ``GET files/<id>/manifest/`` — batch files.
- ``POST events/`` — an event back, signed (``X-FX-Platform``, ``X-FX-Timestamp``,
  ``X-FX-Signature``).

Plain Django views: the platform is not a user; its token or its signature is its identity.
Every refusal is recorded (audit ``platform.refused``, or the rejected event).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.clientaddress import client_address
from loans.models import Delivery, DeliveryKind, Platform, WhitelistVersion
from loans.platform import deliveries, inbound, payloads, signing

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000


def _refuse(
    request: HttpRequest, status: int, code: str, message: str, platform: Platform | None = None
) -> JsonResponse:
    audit_record(
        action=AuditAction.PLATFORM_REFUSED,
        target=platform,
        target_label=f"平台请求（{platform.code if platform else '未识别'}）{request.path}",
        audit=AuditContext.from_request(request),
        details={"code": code, "message": message, "status": status},
    )
    return JsonResponse({"code": code, "message": message}, status=status)


def _platform(request: HttpRequest) -> Platform | None:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    return deliveries.platform_for_token(token)


def _signed(request: HttpRequest, platform: Platform, document: dict[str, Any]) -> HttpResponse:
    body = deliveries.body_bytes(document)
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-store"
    for name, value in signing.sign(deliveries.platform_secret(platform), body).items():
        response[name] = value
    return response


def _cursor(version: int, after: int) -> str:
    return base64.urlsafe_b64encode(f"{version}:{after}".encode()).decode().rstrip("=")


def _uncursor(text: str) -> tuple[int, int]:
    padded = text + "=" * (-len(text) % 4)
    version, after = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
    return int(version), int(after)


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    return int(value)  # type: ignore[arg-type]


def _with_platform(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A platform's view: 401 without a valid token of an active platform; otherwise the view
    is called with the platform after the request."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        platform = _platform(request)
        if platform is None:
            return _refuse(request, 401, "bad_token", "令牌无效或平台已停用")
        return view(request, platform, *args, **kwargs)

    return wrapped


@require_GET
@_with_platform
def whitelist_pull(request: HttpRequest, platform: Platform, product_code: str) -> HttpResponse:
    product = platform.products.filter(code=product_code).first()
    if product is None:
        return _refuse(request, 403, "product_not_allowed", "该平台未开通此产品", platform)
    try:
        cursor = request.GET.get("cursor", "")
        version, after = _uncursor(cursor) if cursor else (_int(request.GET.get("version")), 0)
        since = _int(request.GET.get("since"))
        limit = min(_int(request.GET.get("limit")) or DEFAULT_LIMIT, MAX_LIMIT)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        message = "参数格式错误（version、since、limit、cursor）"
        return _refuse(request, 400, "bad_request", message, platform)
    latest = payloads.latest_version(product.pk)
    if latest is None:
        return JsonResponse({"code": "no_whitelist", "message": "该产品尚无白名单"}, status=404)
    version = version or latest.number
    known = WhitelistVersion.objects.filter(product=product, number=version).first()
    if known is None or (since is not None and not 0 < since <= version):
        return _refuse(request, 400, "bad_version", "白名单版本不存在", platform)
    include = platform.send_plaintext_ids
    document: dict[str, Any] = {
        "platform": platform.code,
        "product": product.code,
        "version": version,
        "expires_at": known.expires_at.isoformat(),
    }
    if since is not None:
        rows, counts = payloads.delta_rows(product.pk, since, version, include_ids=include)
        document.update({"kind": "delta", "since": since, "counts": counts, "entries": rows})
        document["next_cursor"] = None
        first = True
    else:
        page = list(
            payloads.snapshot_rows(
                product.pk, version, include_ids=include, after_id=after, limit=limit + 1
            )
        )
        more = len(page) > limit
        page = page[:limit]
        document.update(
            {
                "kind": "snapshot",
                "total": payloads.snapshot_count(product.pk, version) if not after else None,
                "entries": [{k: v for k, v in r.items() if k != "_id"} for r in page],
                "next_cursor": _cursor(version, page[-1]["_id"]) if more else None,
            }
        )
        first = after == 0
    response = _signed(request, platform, document)
    response["X-FX-Latest-Version"] = str(latest.number)  # not in the body: pages stay cacheable
    if response.status_code == 200:
        deliveries.pull_recorded(
            platform=platform,
            product=product,
            version=version,
            since=since,
            rows=len(document["entries"]),
            page_sha256=response["ETag"].strip('"'),
            last_page=document["next_cursor"] is None,
            first_page=first,
        )
    return response


def _file_delivery(platform: Platform, pk: int) -> Delivery | None:
    return Delivery.objects.filter(platform=platform, kind=DeliveryKind.FILE, pk=pk).first()


@require_GET
@_with_platform
def file_list(request: HttpRequest, platform: Platform) -> HttpResponse:
    files = Delivery.objects.filter(platform=platform, kind=DeliveryKind.FILE).order_by("-id")[:50]
    return _signed(
        request,
        platform,
        {"files": [{"id": d.pk, "status": d.status, **d.manifest} for d in files]},
    )


@require_GET
@_with_platform
def file_manifest(request: HttpRequest, platform: Platform, pk: int) -> HttpResponse:
    delivery = _file_delivery(platform, pk)
    if delivery is None:
        return _refuse(request, 404, "not_found", "未找到该文件", platform)
    return _signed(request, platform, delivery.manifest)


@require_GET
@_with_platform
def file_download(request: HttpRequest, platform: Platform, pk: int) -> HttpResponse:
    delivery = _file_delivery(platform, pk)
    if delivery is None:
        return _refuse(request, 404, "not_found", "未找到该文件", platform)
    deliveries.delivery_file_fetched(delivery)
    response = FileResponse(
        open(delivery.file_path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=delivery.manifest.get("file", f"whitelist-{pk}"),
    )
    response["X-FX-SHA256"] = delivery.checksum
    return response


@csrf_exempt
@require_POST
def event_webhook(request: HttpRequest) -> HttpResponse:
    event, outcome = inbound.event_receive(
        platform_code=request.headers.get(signing.PLATFORM_HEADER, ""),
        body=request.body,
        timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
        signature=request.headers.get(signing.SIGNATURE_HEADER),
        remote_addr=client_address(request),
    )
    body = {
        "event_id": event.event_id,
        "outcome": outcome,
        "status": event.status,
        "code": event.code,
        "message": event.message,
        "result": event.result,
    }
    status = {
        inbound.Outcome.APPLIED: 200,
        inbound.Outcome.REPLAYED: 200,
        inbound.Outcome.REFUSED: 422,
        inbound.Outcome.CONFLICT: 409,
        inbound.Outcome.REJECTED: 401,
    }[outcome]
    response = JsonResponse(body, status=status)
    if outcome == inbound.Outcome.REPLAYED:
        response["Idempotent-Replayed"] = "true"
    return response


urlpatterns: list[URLPattern] = [
    path("platform/whitelists/<slug:product_code>/", whitelist_pull, name="platform_whitelist"),
    path("platform/files/", file_list, name="platform_files"),
    path("platform/files/<int:pk>/", file_download, name="platform_file"),
    path("platform/files/<int:pk>/manifest/", file_manifest, name="platform_file_manifest"),
    path("platform/events/", event_webhook, name="platform_events"),
]
