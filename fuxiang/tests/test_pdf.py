from fuxiang import pdf


def test_a_chinese_text_becomes_a_pdf_with_the_font_embedded_or_named():
    body = "借款金额：人民币200,000元（大写：贰拾万元整）。\n" * 120
    data = pdf.text_pdf(title="个人借款合同", body=body, footer="SHA-256 abc")
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"/Count 3" in data or b"/Count 4" in data  # wrapped onto several pages
    assert b"WenQuanYi" in data or b"STSong-Light" in data
