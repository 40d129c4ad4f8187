"""QR codes and posters: making and revoking codes, forged and revoked URLs, PNG/SVG/PDF
downloads, the print page, a township's posters as one ZIP with progress."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from fuxiang import pdf as pdf_fonts
from fuxiang.audit.models import AuditEvent
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.tests.factories import VillageFactory
from qrlookup import posters, qrcodes
from qrlookup.models import BatchStatus, PosterBatch, QrCode, QrCodeKind, ScanEvent
from qrlookup.qrcode_selectors import code_attribution

pytestmark = pytest.mark.django_db


def test_a_code_token_is_random_and_unguessable(org, village_code):
    other = qrcodes.qrcode_create(
        actor=org.officer_b, kind=QrCodeKind.VILLAGE, village=org.village_b
    )
    assert len(village_code.token) == 22
    assert village_code.token != other.token
    assert AuditEvent.objects.filter(action="qrlookup.code_create").count() == 2


def test_one_live_code_per_village_until_revoked(org, village_code):
    with pytest.raises(DomainError, match="已有有效的二维码"):
        qrcodes.qrcode_create(actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=org.village_a)
    qrcodes.qrcode_revoke(actor=org.officer_a, code=village_code)
    fresh = qrcodes.qrcode_create(
        actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=org.village_a
    )
    assert fresh.token != village_code.token


def test_an_officer_cannot_make_or_revoke_codes_of_another_grid(org, village_code):
    with pytest.raises(NotFound):
        qrcodes.qrcode_create(actor=org.officer_b, kind=QrCodeKind.VILLAGE, village=org.village_a)
    with pytest.raises(NotFound):
        qrcodes.qrcode_revoke(actor=org.officer_b, code=village_code)
    with pytest.raises(PermissionDenied):
        qrcodes.qrcode_create(actor=org.auditor, kind=QrCodeKind.VILLAGE, village=org.village_a)


def test_an_officer_code_counts_scans_for_the_officer(client, org):
    code = qrcodes.qrcode_create(
        actor=org.officer_a, kind=QrCodeKind.OFFICER, grid=org.grid_a, officer=org.officer_a
    )
    client.get(f"/q/{code.token}")
    scan = ScanEvent.objects.get()
    assert (scan.village_id, scan.grid_id, scan.officer_id) == (
        None,
        org.grid_a.pk,
        org.officer_a.pk,
    )


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 22, "..%00..", "a.b-c_d" * 3, "%00" * 8, "a" * 5000, "码" * 22, "<script>"],
)
def test_forged_and_malformed_codes_get_one_neutral_answer(client, village_code, token):
    response = client.get(f"/q/{token}")
    assert response.status_code == 404
    assert "二维码无效或已停用" in response.content.decode()
    assert not ScanEvent.objects.exists()


def test_a_revoked_code_answers_like_a_forged_one_at_once(
    client, org, village_code, django_capture_on_commit_callbacks
):
    assert client.get(f"/q/{village_code.token}").status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        qrcodes.qrcode_revoke(actor=org.manager, code=village_code)
    revoked = client.get(f"/q/{village_code.token}")
    forged = client.get(f"/q/{'B' * 22}")
    assert revoked.status_code == forged.status_code == 404
    assert revoked.content == forged.content
    assert client.get(f"/q/{village_code.token}/check").status_code == 404


def test_revoking_drops_the_cached_attribution_on_commit(
    org, village_code, django_capture_on_commit_callbacks
):
    assert code_attribution(village_code.token) is not None
    with django_capture_on_commit_callbacks(execute=True):
        qrcodes.qrcode_revoke(actor=org.officer_a, code=village_code)
    assert code_attribution(village_code.token) is None


def test_a_code_of_one_village_is_used_by_someone_of_another(
    client, org, village_code, run_today, flow
):
    """Allowed: the scan and the verification are attributed to the code, the page shows the
    person's own household and officer."""
    from households.tests.factories import HouseholdFactory
    from qrlookup.models import LookupEvent
    from qrlookup.tests.conftest import person

    h = HouseholdFactory(village=org.village_b, head=False)
    who = person(h, name="钱多多", phone="13511112222")
    run_today(actor=org.head_office)
    client.get(f"/q/{village_code.token}")
    flow.verify(village_code.token, who)
    html = client.get("/q/me/").content.decode()
    assert "丫江桥村" in html
    assert "陈客户经理" in html
    verified = LookupEvent.objects.get(kind="verified")
    assert verified.village_id == org.village_a.pk
    assert verified.household_id == h.pk


def test_png_svg_pdf_and_the_print_page(client, org, village_code):
    client.force_login(org.officer_a)
    png = client.get(f"/qrlookup/codes/{village_code.pk}.png")
    assert png["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.size[0] == image.size[1] >= 200
    svg = client.get(f"/qrlookup/codes/{village_code.pk}.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    pdf = client.get(f"/qrlookup/codes/{village_code.pk}/poster.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = client.get(f"/qrlookup/codes/{village_code.pk}/poster")
    html = page.content.decode()
    assert "罗家坪村" in html
    assert "刘客户经理" in html
    assert "13907330001" in html
    assert f"/q/{village_code.token}" in html
    assert "<script>" not in html  # the print button is a static file (CSP)
    assert client.get("/qrlookup/").status_code == 200


def test_the_png_encodes_the_public_url(settings, org, village_code):
    settings.QRLOOKUP_PUBLIC_BASE_URL = "https://fx.example.cn"
    url = posters.public_url(village_code, "http://ignored")
    assert url == f"https://fx.example.cn/q/{village_code.token}"


def test_another_grids_officer_gets_404_for_the_downloads(client, org, village_code):
    client.force_login(org.officer_b)
    for suffix in (".png", ".svg", "/poster", "/poster.pdf"):
        assert client.get(f"/qrlookup/codes/{village_code.pk}{suffix}").status_code == 404


def test_the_poster_pdf_embeds_a_cjk_font_or_falls_back_to_stsong(monkeypatch, village_code):
    """The poster's font is the one every PDF uses (``fuxiang.pdf.cjk_font``)."""
    assert posters.cjk_font is pdf_fonts.cjk_font
    pdf = posters.poster_pdf(village_code, "http://testserver")
    if pdf_fonts.cjk_font() == "FxCJK":  # a system CJK font: embedded as a subset
        assert (b"FontFile2" in pdf and b"+WenQuanYi" in pdf) or b"+Noto" in pdf
    else:
        assert b"STSong-Light" in pdf
    pdf_fonts.cjk_font.cache_clear()
    monkeypatch.setattr(pdf_fonts, "CJK_FONT_FILES", (Path("/nonexistent.ttc"),))
    try:
        fallback = posters.poster_pdf(village_code, "http://testserver")
        assert b"STSong-Light" in fallback
    finally:
        pdf_fonts.cjk_font.cache_clear()


def test_a_townships_posters_in_one_zip_with_progress(
    client, org, village_code, eager_celery, django_capture_on_commit_callbacks
):
    extra = VillageFactory(township=org.township, grid=org.grid_a, name="新村")
    qrcodes.qrcode_create(actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=extra)
    client.force_login(org.officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/qrlookup/posters/", {"township": org.township.pk})
    batch = PosterBatch.objects.get()
    assert response["Location"] == f"/qrlookup/posters/{batch.pk}/"
    assert batch.status == BatchStatus.DONE
    assert batch.total == batch.done == 2
    progress = client.get(f"/qrlookup/posters/{batch.pk}/progress")
    assert progress["HX-Refresh"] == "true"
    page = client.get(f"/qrlookup/posters/{batch.pk}/").content.decode()
    assert "已生成 2 张海报" in page
    download = client.get(f"/qrlookup/posters/{batch.pk}/download")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert len(names) == 2
    assert all(n.endswith(".pdf") for n in names)
    assert any("罗家坪村" in n for n in names)
    assert archive.read(names[0]).startswith(b"%PDF")
    # officer B's grid has no village of this township's codes he may see
    client.force_login(org.officer_b)
    assert client.get(f"/qrlookup/posters/{batch.pk}/").status_code == 404


def test_the_progress_page_polls_while_the_zip_is_written(client, org, village_code):
    batch = PosterBatch.objects.create(
        township=org.township, requested_by=org.officer_a, base_url="http://testserver",
        total=4, done=1, status=BatchStatus.RUNNING,
    )  # fmt: skip
    client.force_login(org.officer_a)
    page = client.get(f"/qrlookup/posters/{batch.pk}/").content.decode()
    assert 'hx-get="/qrlookup/posters/' in page
    assert "25%" in page
    assert "HX-Refresh" not in client.get(f"/qrlookup/posters/{batch.pk}/progress")


def test_a_batch_task_run_twice_does_nothing_the_second_time(org, village_code):
    batch = PosterBatch.objects.create(
        township=org.township, requested_by=org.officer_a, base_url="http://testserver"
    )
    posters.poster_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    finished = batch.finished_at
    posters.poster_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.finished_at == finished
    assert batch.status == BatchStatus.DONE


def test_code_list_and_officer_phone(client, org, village_code):
    client.force_login(org.officer_a)
    html = client.get("/qrlookup/").content.decode()
    assert "罗家坪村" in html
    client.post("/qrlookup/contact", {"phone": "12345"})
    assert org.officer_a.qrlookup_contact.phone == "13907330001"  # refused
    client.post("/qrlookup/contact", {"phone": "0731-24561234"})
    org.officer_a.qrlookup_contact.refresh_from_db()
    assert org.officer_a.qrlookup_contact.phone == "0731-24561234"
    assert QrCode.objects.count() == 1
