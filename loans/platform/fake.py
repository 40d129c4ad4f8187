"""A local fake of the provincial loan platform, for the tests and ``make demo``.

It is what the real platform is to the county system, over real HTTP: a small server of its
own (a thread, on a free port of 127.0.0.1) that **receives** whitelist pushes — checks the
signature and the timestamp, keeps each ``Idempotency-Key`` once — and a client that
**pulls** the whitelist page by page (checking each page's signature), and **sends events
back**, signed with the shared secret. It **fails on demand**: ``fail_next("500", "timeout")``
makes the next pushes answer 500 or hang past the sender's timeout; ``send_event(...,
tamper=True)`` sends a bad signature, ``timestamp=`` an old one.

No Django inside: it only speaks HTTP (``requests`` and ``http.server``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from loans.platform import signing


@dataclass
class Received:
    """A push as the fake received it."""

    key: str
    body: bytes
    signature_ok: bool
    answered: int

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class FakePlatform:
    code: str
    secret: str
    token: str = ""
    base_url: str = ""  # the county system's address, for pulls and events
    hang_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → document
    failures: list[str] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref → whitelist row
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the server: whitelist pushes ---------------------------------------------------------

    def start(self) -> FakePlatform:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = fake._on_push(self.headers, body)
                if status == 0:  # a hang: the sender times out first
                    time.sleep(fake.hang_seconds)
                    status = 504
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"status": status}).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def webhook_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the fake first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/webhook/whitelist"

    def fail_next(self, *modes: str) -> None:
        """The next pushes fail: "500" answers 500, "timeout" hangs past the timeout."""
        with self._lock:
            self.failures.extend(modes)

    def _on_push(self, headers: Any, body: bytes) -> int:
        key = headers.get(signing.IDEMPOTENCY_HEADER, "")
        try:
            signing.verify(
                self.secret,
                body,
                headers.get(signing.TIMESTAMP_HEADER),
                headers.get(signing.SIGNATURE_HEADER),
            )
            signature_ok = True
        except signing.SignatureError:
            signature_ok = False
        with self._lock:
            mode = self.failures.pop(0) if self.failures else ""
            if not signature_ok:
                status = 401
            elif mode == "500":
                status = 500
            elif mode == "timeout":
                status = 0
            else:
                status = 200
                if key not in self.accepted:  # once per idempotency key
                    document = json.loads(body)
                    self.accepted[key] = document
                    self._remember(document.get("entries", []))
            self.received.append(Received(key, body, signature_ok, status or 504))
        return status

    def _remember(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row.get("change") == "removed":
                self.customers.pop(row["subject_ref"], None)
            else:
                self.customers[row["subject_ref"]] = row

    # --- the client: pulls and events -------------------------------------------------------

    def pull(self, product: str, *, since: int | None = None, limit: int = 500) -> dict[str, Any]:
        """Pull the whole snapshot (or a delta) page by page; returns the last page's header
        with all entries, after checking every page's signature."""
        entries: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": limit}
        if since is not None:
            params["since"] = since
        url = f"{self.base_url}/api/v1/loans/platform/whitelists/{product}/"
        page: dict[str, Any] = {}
        while True:
            response = requests.get(
                url, params=params, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
            )
            response.raise_for_status()
            signing.verify(
                self.secret,
                response.content,
                response.headers.get(signing.TIMESTAMP_HEADER),
                response.headers.get(signing.SIGNATURE_HEADER),
            )
            page = response.json()
            entries.extend(page["entries"])
            if not page.get("next_cursor"):
                break
            params = {"cursor": page["next_cursor"], "limit": limit}
        self._remember(entries)
        return {**page, "entries": entries}

    def send_event(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        event_id: str | None = None,
        tamper: bool = False,
        timestamp: int | None = None,
    ) -> requests.Response:
        """POST one signed event; ``tamper`` flips the signature, ``timestamp`` backdates."""
        document = {
            "event_id": event_id or uuid.uuid4().hex,
            "type": kind,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "data": data,
        }
        body = json.dumps(document, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            signing.PLATFORM_HEADER: self.code,
            **signing.sign(self.secret, body, timestamp),
        }
        if tamper:
            headers[signing.SIGNATURE_HEADER] = headers[signing.SIGNATURE_HEADER][:-4] + "0000"
        return requests.post(
            f"{self.base_url}/api/v1/loans/platform/events/",
            data=body,
            headers=headers,
            timeout=30,
        )

    def resend(self, response_of: requests.Response) -> requests.Response:
        """Send exactly the same request again (a replay)."""
        request = response_of.request
        return requests.post(
            request.url or "", data=request.body, headers=dict(request.headers), timeout=30
        )

    # --- a borrower's journey on the platform -------------------------------------------------

    def journey(
        self, row: dict[str, Any], product: str, amount: str, *, term_months: int, method: str
    ) -> Iterator[tuple[str, requests.Response]]:
        """A whitelisted customer applies, signs and draws on the platform; each step is an
        event back to the county system. Yields (step, response)."""
        n = uuid.uuid4().hex[:10]
        yield (
            "application",
            self.send_event(
                "application",
                {
                    "application_no": f"A{n}",
                    "subject_type": row["subject_type"],
                    "subject_ref": row["subject_ref"],
                    "product": product,
                    "amount": amount,
                    "term_months": term_months,
                    "repayment_method": method,
                    "purpose": "购买农资",
                },
            ),
        )
        yield (
            "contract",
            self.send_event(
                "contract",
                {"application_no": f"A{n}", "contract_no": f"C{n}", "signature_ref": f"S{n}"},
            ),
        )
        yield (
            "drawdown",
            self.send_event(
                "drawdown", {"contract_no": f"C{n}", "drawdown_no": f"D{n}", "amount": amount}
            ),
        )
