"""PAdES signatures of Vietnamese administrative documents, with the Decree 30 visible layout.

The life of an outgoing dispatch, in signatures (each one an incremental update, none invalidating the ones before):

1. :func:`add_number_date_fields` — the draft gets two empty text fields, ``so_ky_hieu`` and ``ngay_ban_hanh``,
   where the number/notation and the place/date go in the heading. The clerk numbers the document *after* the
   leader has signed it, so the fields must exist before.
2. :func:`sign_person` — the competent person's signature in the signature block (their handwritten signature
   image, name, position, time). It is an approval signature whose FieldMDP lock covers every form field present
   except the two numbering fields: filling those and adding the seal or a copy signature (new visible signature
   fields) stay permitted changes, which pyHanko's difference analysis reports as form filling; anything else
   (edited text, new pages) is reported as a modification. A certification signature (DocMDP P=2) would not do:
   pyHanko, stricter than Acrobat, rejects new visible signature fields after any certification, so the seal
   would invalidate the leader's signature.
   A draft made from the agency's template, which prints ``Số:      /STP-PBGDPL`` and
   ``Bình Minh, ngày      tháng      năm 2026``, gets one field per blank instead, exactly over the gap.
3. :func:`fill_number_date` — the clerk's number and date, filled into the fields (into a template's blanks: only
   the missing number, day and month, in the line's size and face; nothing is ever printed over printed text).
4. :func:`sign_seal` — the agency's signature: the red seal at the real size of the agency's seal over the left
   third of the person's signature image, with the agency's name and the time where the page has room.
5. Later, :func:`sign_copy` for a certified copy (sao y, sao lục, trích sao) and :func:`sign_attachment` for an
   attachment: the agency signs at the top right of the first page, text only — or, where the original's own
   text, images or scanned ink are there, in the first free place of page 1 (smaller if need be), or on a blank
   page added for it when the original is not signed yet (a scanned paper original).

PAdES baseline B-B by default (``/SubFilter /ETSI.CAdES.detached``, SHA-256); B-T when a timestamper is given.

Every function takes the PDF as bytes and returns new bytes (never modifying in place: a signed version is
immutable). The planning step is separate (:func:`plan_person_signature` and friends return a
:class:`SignaturePlan`) so that the two-step path (:mod:`signing.twostep`), where the official's token signs the
digest in the browser, builds exactly the same field, appearance and metadata with its external signer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.timestamps import TimeStamper

from .appearance import (
    MM,
    DecreeStampStyle,
    HeadingBlank,
    LayoutError,
    Rect,
    SignatureBlock,
    StampLine,
    find_heading_blanks,
    find_heading_fields,
    find_signature_block,
    free_rect,
    pdf_font_path,
    person_image_rect,
    seal_rect,
)
from .images import SEAL_DIAMETER_MM, SEAL_INK, SIGNATURE_INK
from .keys import KeySource, LoadedKeySigner, TemplateCmsSigner
from .preflight import check_before_signing

__all__ = [
    "DATE_FIELD",
    "DATE_MONTH_FIELD",
    "DATE_YEAR_FIELD",
    "NUMBERING_FIELDS",
    "NUMBER_FIELD",
    "PERSON_FIELD",
    "SEAL_FIELD",
    "COPY_FIELD",
    "ATTACHMENT_FIELD",
    "BatchSealer",
    "SignaturePlan",
    "add_number_date_fields",
    "apply_plan",
    "fill_number_date",
    "plan_attachment_signature",
    "plan_copy_signature",
    "plan_person_signature",
    "plan_seal_signature",
    "sign_attachment",
    "sign_copy",
    "sign_person",
    "sign_seal",
]

NUMBER_FIELD = "so_ky_hieu"
DATE_FIELD = "ngay_ban_hanh"
# A template with blanks ("ngày      tháng      năm 2026") gets one field per blank: the day in DATE_FIELD,
# the month (and the year, when the template prints none) in these.
DATE_MONTH_FIELD = "ngay_ban_hanh_thang"
DATE_YEAR_FIELD = "ngay_ban_hanh_nam"
NUMBERING_FIELDS = frozenset({NUMBER_FIELD, DATE_FIELD, DATE_MONTH_FIELD, DATE_YEAR_FIELD})
_BLANK_FIELDS = {"number": NUMBER_FIELD, "day": DATE_FIELD, "month": DATE_MONTH_FIELD, "year": DATE_YEAR_FIELD}
PERSON_FIELD = "chu_ky_ca_nhan"
SEAL_FIELD = "chu_ky_co_quan"
COPY_FIELD = "chu_ky_ban_sao"
ATTACHMENT_FIELD = "chu_ky_phu_luc"

CopyForm = Literal["sao y", "sao lục", "trích sao"]
_COPY_CODES = {"sao y": "SY", "sao lục": "SL", "trích sao": "TrS"}
_MAX_PDF_BYTES = 200 * 1024 * 1024


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    return tuple(c / 255 for c in color)  # type: ignore[return-value]


@dataclass(frozen=True)
class SignaturePlan:
    """Everything about a signature except the key: what pyHanko needs to produce it identically on any path."""

    metadata: signers.PdfSignatureMetadata
    field_spec: SigFieldSpec | None
    stamp_style: DecreeStampStyle | None

    def pdf_signer(self, signer: signers.Signer, timestamper: TimeStamper | None = None) -> signers.PdfSigner:
        """A pyHanko ``PdfSigner`` carrying this plan (use it with any signer, external ones included)."""
        kwargs = {"stamp_style": self.stamp_style} if self.stamp_style is not None else {}
        return signers.PdfSigner(
            self.metadata, signer=signer, timestamper=timestamper, new_field_spec=self.field_spec, **kwargs
        )


# ------------------------------------------------------------------------------------------------ reading helpers
def _reader(pdf: bytes) -> PdfFileReader:
    if len(pdf) > _MAX_PDF_BYTES:
        raise ValueError("Tệp PDF quá lớn để ký.")
    if not pdf.startswith(b"%PDF-"):
        raise ValueError("Tệp không phải là PDF.")
    return PdfFileReader(io.BytesIO(pdf), strict=False)


def _sig_fields(reader: PdfFileReader) -> list[tuple[str, bool, generic.DictionaryObject]]:
    return [
        (name, value is not None, ref.get_object())
        for name, value, ref in fields.enumerate_sig_fields(reader)
    ]


def _field_names(reader: PdfFileReader) -> set[str]:
    """Names of the form fields at the root of the form (where eoffice and most producers put them)."""
    names = {name for name, _filled, _field in _sig_fields(reader)}
    acroform = reader.root.get("/AcroForm")
    if acroform is not None:
        for ref in acroform.get_object().get("/Fields", []):
            names.add(str(ref.get_object().get("/T", "")))
    return names


def _unique_name(reader: PdfFileReader, base: str) -> str:
    taken = _field_names(reader)
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _page_count(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def _page_box(reader: PdfFileReader, page: int) -> Rect:
    ref, _res = reader.find_page_for_modification(page)
    box = ref.get_object().get("/MediaBox") or [0, 0, 595.28, 841.89]
    return tuple(float(v) for v in box)  # type: ignore[return-value]


def _page_index(reader: PdfFileReader, page_ref) -> int:
    target = page_ref.reference if hasattr(page_ref, "reference") else page_ref
    for index in range(_page_count(reader)):
        ref, _res = reader.find_page_for_modification(index)
        if ref.idnum == target.idnum:
            return index
    raise LayoutError("Không xác định được trang của chữ ký.")


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)


def _metadata(
    field_name: str, *, name: str | None, reason: str | None, location: str | None
) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        name=name,
        reason=reason,
        location=location,
    )


def apply_plan(
    pdf: bytes, plan: SignaturePlan, source: KeySource, *, timestamper: TimeStamper | None = None,
    preflight: bool | None = None, trust_roots: Sequence[Any] | None = None,
) -> bytes:
    """Sign ``pdf`` according to ``plan`` with the key of ``source`` (incremental update).

    Every one-shot signature goes through here, so this is where the signing certificate is checked first
    (:func:`signing.preflight.check_before_signing`: expired, revoked, untrusted... raise
    :class:`signing.preflight.CertificateNotUsableError` and nothing is signed). ``preflight`` False skips the
    check, None follows ``settings.SIGNING_PREFLIGHT``; ``trust_roots`` default to the configured ones.
    """
    check_before_signing(source.chain(), preflight=preflight, trust_roots=trust_roots)
    out = plan.pdf_signer(source.signer(), timestamper).sign_pdf(_writer(pdf))
    return out.getvalue()


# ------------------------------------------------------------------------------------------- the person's signature
def plan_person_signature(
    pdf: bytes,
    *,
    name: str,
    position: str,
    signature_image: bytes | None,
    block: SignatureBlock | None = None,
    field_name: str | None = None,
) -> SignaturePlan:
    """Plan the competent person's visible signature in the document's signature block.

    ``block`` None means: find the block from the text (position line, then the name below it). An approval
    signature locking every existing field except ``so_ky_hieu`` and ``ngay_ban_hanh`` (see the module docstring).
    """
    reader = _reader(pdf)
    if block is None:
        block = find_signature_block(pdf, name=name, position=position)
    x1, y1, x2, y2 = block.rect
    width, height = x2 - x1, y2 - y1
    image_box = person_image_rect((0.0, 0.0, width, height))
    lines = (
        StampLine(f"Ký bởi: {name}, {position}", (0, 7.5, width, 14.5), size=6, color=_rgb(SIGNATURE_INK)),
        StampLine("Thời gian ký: {time}", (0, 0.5, width, 7.5), size=6, color=_rgb(SIGNATURE_INK)),
    )
    style = DecreeStampStyle(image_png=signature_image, image_box=image_box, lines=lines)
    field_name = field_name or _unique_name(reader, PERSON_FIELD)
    locked = sorted((_field_names(reader) - NUMBERING_FIELDS) | {field_name})
    return SignaturePlan(
        metadata=_metadata(field_name, name=name, reason=f"{position} ký ban hành văn bản", location=None),
        field_spec=SigFieldSpec(
            field_name, on_page=block.page, box=block.rect,
            field_mdp_spec=FieldMDPSpec(FieldMDPAction.INCLUDE, fields=locked),
        ),
        stamp_style=style,
    )


def sign_person(
    pdf: bytes,
    source: KeySource,
    *,
    name: str,
    position: str,
    signature_image: bytes | None,
    block: SignatureBlock | None = None,
    timestamper: TimeStamper | None = None,
    field_name: str | None = None,
    preflight: bool | None = None,
) -> bytes:
    """The person's visible PAdES signature at the document's signature block (see :func:`plan_person_signature`)."""
    plan = plan_person_signature(
        pdf, name=name, position=position, signature_image=signature_image, block=block, field_name=field_name
    )
    return apply_plan(pdf, plan, source, timestamper=timestamper, preflight=preflight)


# ----------------------------------------------------------------------------------------------- the agency's seal
def _person_field(reader: PdfFileReader, person_field: str | None) -> tuple[int, Rect]:
    candidates = [
        (name, fld) for name, filled, fld in _sig_fields(reader)
        if filled and (name == person_field if person_field else name.startswith(PERSON_FIELD))
    ]
    if not candidates:
        raise LayoutError("Văn bản chưa có chữ ký số của người có thẩm quyền: không thể đóng dấu cơ quan.")
    _name, fld = candidates[-1]
    widget = fld if "/Rect" in fld else fld["/Kids"][0].get_object()
    rect = tuple(float(v) for v in widget["/Rect"])
    x1, y1, x2, y2 = rect
    page = _page_index(reader, widget.raw_get("/P")) if "/P" in widget else _page_count(reader) - 1
    return page, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _seal_text_place(pdf: bytes, page: int, seal: Rect, media: Rect) -> Rect:
    """Where the seal's two text lines (agency, time) go, in page space: the first free strip of above the seal,
    below it, or left of it (measured on the page: text, images, the person's signature and its lines), else
    above the seal as before."""
    x1, y1, x2, y2 = seal
    d = x2 - x1
    strip = 15.0
    candidates = [
        (x1, y2 + 1, x2, y2 + 1 + strip),  # above
        (x1, y1 - 1 - strip, x2, y1 - 1),  # below
        (x1 - d - 2, (y1 + y2 - strip) / 2, x1 - 2, (y1 + y2 + strip) / 2),  # left, middle
        (x1 - d - 2, y2 - strip, x1 - 2, y2),  # left, top
        (x1 - d - 2, y1, x1 - 2, y1 + strip),  # left, bottom
    ]
    candidates = [c for c in candidates if c[0] >= media[0] and c[1] >= media[1]]
    return free_rect(pdf, page, candidates) or candidates[0]


def plan_seal_signature(
    pdf: bytes, *, agency_name: str, seal_image: bytes, person_field: str | None = None,
    field_name: str | None = None, seal_diameter_mm: float | None = None,
) -> SignaturePlan:
    """Plan the agency's seal signature over the left third of the person's signature image, at the real size of
    the agency's seal (``seal_diameter_mm``, default 38 mm), its text lines (agency name, time) where the page
    has room (:func:`_seal_text_place`)."""
    reader = _reader(pdf)
    page, person_rect = _person_field(reader, person_field)
    media = _page_box(reader, page)
    diameter = (seal_diameter_mm or SEAL_DIAMETER_MM) * MM
    sx1, sy1, sx2, sy2 = seal_rect(person_image_rect(person_rect), media[2] - media[0], diameter)
    diameter = sx2 - sx1
    circle = (sx1, sy1, sx2, sy1 + diameter)
    tx1, ty1, tx2, ty2 = _seal_text_place(pdf, page, circle, media)
    rect = (min(sx1, tx1), min(sy1, ty1), max(sx2, tx2), max(sy1 + diameter, ty2))
    ox, oy = rect[0], rect[1]
    mid = (ty1 + ty2) / 2
    lines = (
        StampLine(agency_name, (tx1 - ox, mid - oy, tx2 - ox, ty2 - oy), size=6, color=_rgb(SEAL_INK)),
        StampLine("{time}", (tx1 - ox, ty1 - oy, tx2 - ox, mid - oy), size=6, color=_rgb(SEAL_INK)),
    )
    image_box = (sx1 - ox, sy1 - oy, sx2 - ox, sy1 + diameter - oy)
    style = DecreeStampStyle(image_png=seal_image, image_box=image_box, lines=lines)
    field_name = field_name or _unique_name(reader, SEAL_FIELD)
    return SignaturePlan(
        metadata=_metadata(field_name, name=agency_name, reason="Đóng dấu cơ quan ban hành", location=None),
        field_spec=SigFieldSpec(field_name, on_page=page, box=rect),
        stamp_style=style,
    )


def sign_seal(
    pdf: bytes,
    source: KeySource,
    *,
    agency_name: str,
    seal_image: bytes,
    person_field: str | None = None,
    timestamper: TimeStamper | None = None,
    field_name: str | None = None,
    preflight: bool | None = None,
    seal_diameter_mm: float | None = None,
) -> bytes:
    """The agency's seal signature: red seal at the real size of the agency's seal (``seal_diameter_mm``,
    default 38 mm), overlapping the left third of the person's signature image, with the agency name and the
    signing time in Vietnam time."""
    plan = plan_seal_signature(pdf, agency_name=agency_name, seal_image=seal_image, person_field=person_field,
                               field_name=field_name, seal_diameter_mm=seal_diameter_mm)
    return apply_plan(pdf, plan, source, timestamper=timestamper, preflight=preflight)


# ------------------------------------------------------------------------------------- attachments and copies
_MARK_SCALES = (1.0, 0.8, 0.65)  # a mark that does not fit at 10 pt may shrink to 6.5 pt, not below


def _mark_candidates(reader: PdfFileReader, page: int, width: float, height: float) -> list[tuple[float, Rect]]:
    """Where a copy or attachment mark may go on ``page``, best first: top right (Decree 30's place), top left,
    bottom right, bottom left, then down the right and left edges; each at full size, then smaller."""
    x1, y1, x2, y2 = _page_box(reader, page)
    out: list[tuple[float, Rect]] = []
    for scale in _MARK_SCALES:
        w, h = width * scale, height * scale
        right, left = x2 - 15 * MM, x1 + 20 * MM
        top, bottom = y2 - 4 * MM, y1 + 4 * MM
        corners = [(right - w, top - h), (left, top - h), (right - w, bottom), (left, bottom)]
        steps = int((top - bottom - h) // 12)
        sweep = [(x, top - h - 12 * k) for k in range(1, steps) for x in (right - w, left)]
        out += [(scale, (x, y, x + w, y + h)) for x, y in corners + sweep]
    return out


def _free_mark_place(pdf: bytes, reader: PdfFileReader, width: float, height: float) -> tuple[int, float, Rect]:
    """(page, scale, rectangle) of a mark: on page 1 where it overlaps none of the original's text, images or
    scanned ink (:func:`signing.appearance.free_rect`), else on the blank last page :func:`with_room_for_mark`
    added for it."""
    last = _page_count(reader) - 1
    pages = [0] + ([last] if last and _is_blank_mark_page(reader, last) else [])
    for page in pages:
        candidates = _mark_candidates(reader, page, width, height)
        found = free_rect(pdf, page, [rect for _scale, rect in candidates])
        if found is not None:
            return page, next(sc for sc, rect in candidates if rect == found), found
    raise LayoutError("Trang đầu của văn bản không còn chỗ trống cho dấu bản sao: không ký được mà không đè lên "
                      "nội dung bản gốc.")


def _is_blank_mark_page(reader: PdfFileReader, page: int) -> bool:
    ref, _res = reader.find_page_for_modification(page)
    return bool(ref.get_object().get("/EOfficeMarkPage"))


def with_room_for_mark(pdf: bytes, width: float = 230.0, height: float = 48.0) -> bytes:
    """``pdf``, or when page 1 has no free space for a copy mark and nothing is signed yet (a scanned paper
    original), ``pdf`` with a blank last page for it (Decree 30 lets the copy mark stand on a page of its own).
    A signed document cannot take a new page without breaking its signatures: it is returned as it is."""
    reader = _reader(pdf)
    candidates = _mark_candidates(reader, 0, width, height)
    if free_rect(pdf, 0, [rect for _s, rect in candidates]) is not None or _sig_fields(reader):
        return pdf
    x1, y1, x2, y2 = _page_box(reader, _page_count(reader) - 1)
    writer = _writer(pdf)
    page = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Page"),
        pdf_name("/MediaBox"): generic.ArrayObject(generic.FloatObject(v) for v in (x1, y1, x2, y2)),
        pdf_name("/Resources"): generic.DictionaryObject(),
        pdf_name("/Contents"): writer.add_object(generic.StreamObject(stream_data=b"")),
        pdf_name("/EOfficeMarkPage"): generic.BooleanObject(True),
    })
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _mark_lines(specs: list[tuple[str, str]], width: float, scale: float, row: float) -> tuple[StampLine, ...]:
    n = len(specs)
    return tuple(
        StampLine(text, (0, (n - 1 - i) * row * scale, width * scale, (n - i) * row * scale),
                  size=max(6, round(10 * scale)), style=style, align="max")
        for i, (text, style) in enumerate(specs)
    )


def plan_attachment_signature(pdf: bytes, *, notation: str, field_name: str | None = None) -> SignaturePlan:
    """Plan the agency's signature on an attachment: top right of page 1 (or the first free place, see
    :func:`_free_mark_place`), number/notation and time, 10 pt black."""
    reader = _reader(pdf)
    width, height = 220.0, 26.0
    page, scale, rect = _free_mark_place(pdf, reader, width, height)
    lines = _mark_lines([(f"Số, ký hiệu: {notation}", "Regular"), ("Thời gian ký: {time}", "Regular")],
                        width, scale, 13)
    field_name = field_name or _unique_name(reader, ATTACHMENT_FIELD)
    return SignaturePlan(
        metadata=_metadata(field_name, name=None, reason=f"Ký số phụ lục kèm theo văn bản {notation}",
                           location=None),
        field_spec=SigFieldSpec(field_name, on_page=page, box=rect),
        stamp_style=DecreeStampStyle(lines=lines),
    )


def sign_attachment(
    pdf: bytes, source: KeySource, *, notation: str, timestamper: TimeStamper | None = None,
    field_name: str | None = None, preflight: bool | None = None,
) -> bytes:
    """The agency's signature on an attachment (in the same file or a separate one): text only, no image."""
    pdf = with_room_for_mark(pdf, 220.0, 26.0)
    return apply_plan(pdf, plan_attachment_signature(pdf, notation=notation, field_name=field_name), source,
                      timestamper=timestamper, preflight=preflight)


def plan_copy_signature(
    pdf: bytes, *, copy_form: CopyForm, copy_number: str, agency_name: str, field_name: str | None = None
) -> SignaturePlan:
    """Plan the copying agency's signature: the copy form, the copy's number, the agency and the time, top right
    of page 1 where that is free, else in the first free place of page 1 (smaller if need be), never over the
    original's text, images or scanned ink; on the blank page :func:`with_room_for_mark` adds when page 1 has
    no room."""
    if copy_form not in _COPY_CODES:
        raise ValueError(f"Hình thức bản sao không hợp lệ: {copy_form}")
    reader = _reader(pdf)
    width, height = 230.0, 48.0
    page, scale, rect = _free_mark_place(pdf, reader, width, height)
    lines = _mark_lines([(copy_form.upper(), "Bold"), (f"Số: {copy_number}", "Regular"), (agency_name, "Regular"),
                         ("Thời gian ký: {time}", "Regular")], width, scale, 12)
    field_name = field_name or _unique_name(reader, COPY_FIELD)
    return SignaturePlan(
        metadata=_metadata(field_name, name=agency_name, reason=f"Bản {copy_form} số {copy_number}",
                           location=None),
        field_spec=SigFieldSpec(field_name, on_page=page, box=rect),
        stamp_style=DecreeStampStyle(lines=lines),
    )


def sign_copy(
    pdf: bytes,
    source: KeySource,
    *,
    copy_form: CopyForm,
    copy_number: str,
    agency_name: str,
    timestamper: TimeStamper | None = None,
    field_name: str | None = None,
    preflight: bool | None = None,
) -> bytes:
    """The copying agency's signature on a certified electronic copy (sao y, sao lục, trích sao)."""
    pdf = with_room_for_mark(pdf)
    plan = plan_copy_signature(pdf, copy_form=copy_form, copy_number=copy_number, agency_name=agency_name,
                               field_name=field_name)
    return apply_plan(pdf, plan, source, timestamper=timestamper, preflight=preflight)


# ------------------------------------------------------------------------------------ number and date form fields
@dataclass(frozen=True)
class _FieldPlace:
    name: str
    rect: Rect
    quadding: int
    tooltip: str
    blank: HeadingBlank | None = None


_TOOLTIPS = {
    "number": "Số văn bản", "day": "Ngày ban hành", "month": "Tháng ban hành", "year": "Năm ban hành",
}


def add_number_date_fields(
    pdf: bytes, *, number_rect: Rect | None = None, date_rect: Rect | None = None, page: int = 0
) -> bytes:
    """Add the empty text fields where the clerk's number and date go.

    A draft made from the agency's template already prints ``Số:      /STP-PBGDPL`` and
    ``Bình Minh, ngày      tháng      năm 2026``: then every blank gets a field of its own, exactly over the gap
    (:func:`signing.appearance.find_heading_blanks`), and :func:`fill_number_date` writes only what is missing,
    in the line's font size and face, so nothing is printed twice. Otherwise (or when rectangles are given), the
    two fields ``so_ky_hieu`` (after "Số:") and ``ngay_ban_hanh`` (under the motto) take the whole notation and
    the whole place/date line. Must run before the first signature: adding fields afterwards is not a permitted
    change of a signed document.
    """
    places: list[_FieldPlace] = []
    if number_rect is None and date_rect is None and page == 0:
        for blank in find_heading_blanks(pdf):
            places.append(_FieldPlace(_BLANK_FIELDS[blank.part], blank.rect, 2 if blank.part == "number" else 1,
                                      _TOOLTIPS[blank.part], blank))
    if not places:
        if number_rect is None or date_rect is None:
            page, found_number, found_date = find_heading_fields(pdf)
            number_rect = number_rect or found_number
            date_rect = date_rect or found_date
        places = [
            _FieldPlace(NUMBER_FIELD, number_rect, 0, "Số, ký hiệu văn bản"),
            _FieldPlace(DATE_FIELD, date_rect, 1, "Địa danh, ngày tháng năm ban hành"),
        ]
    writer = _writer(pdf)
    page_ref, _resources = writer.find_page_for_modification(page)
    page_obj = page_ref.get_object()
    root = writer.root
    if "/AcroForm" in root:
        acroform = root["/AcroForm"]
        acroform_ref = root.raw_get("/AcroForm")
    else:
        acroform = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        acroform_ref = None
    if "/DR" not in acroform:
        helv = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Times-Roman"), pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
        })
        acroform[pdf_name("/DR")] = generic.DictionaryObject(
            {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/TiRo"): writer.add_object(helv)})}
        )
        acroform[pdf_name("/DA")] = pdf_string("/TiRo 0 Tf 0 g")
    annots = page_obj.get("/Annots")
    if annots is None:
        annots = generic.ArrayObject()
        page_obj[pdf_name("/Annots")] = annots
    annots = annots.get_object()
    for place in places:
        x1, y1, x2, y2 = place.rect
        empty_ap = writer.add_object(_form_xobject(b"", x2 - x1, y2 - y1))
        size = place.blank.size if place.blank else 13
        widget = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string(place.name),
            pdf_name("/TU"): pdf_string(place.tooltip),
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in place.rect),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Ff"): generic.NumberObject(0),
            pdf_name("/Q"): generic.NumberObject(place.quadding),
            pdf_name("/DA"): pdf_string(f"/TiRo {size:g} Tf 0 g"),
            pdf_name("/V"): pdf_string(""),
            pdf_name("/P"): page_ref,
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): empty_ap}),
        })
        if place.blank is not None:
            # How to fill this blank, for fill_number_date: what part goes here, in which size and face, and
            # the printed text that follows it (the notation's tail, or the template's year).
            widget[pdf_name("/EOfficeBlank")] = generic.DictionaryObject({
                pdf_name("/Part"): pdf_name(f"/{place.blank.part}"),
                pdf_name("/Size"): generic.FloatObject(place.blank.size),
                pdf_name("/Style"): pdf_name(f"/{place.blank.style}"),
                pdf_name("/Suffix"): pdf_string(place.blank.suffix),
            })
        ref = writer.add_object(widget)
        annots.append(ref)
        acroform["/Fields"].append(ref)
    writer.update_container(page_obj)
    if isinstance(page_obj.raw_get("/Annots"), generic.IndirectObject):
        writer.update_container(annots)
    if acroform_ref is None:
        root[pdf_name("/AcroForm")] = writer.add_object(acroform)
        writer.update_root()
    else:
        writer.update_container(acroform)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _form_xobject(content: bytes, width: float, height: float) -> generic.StreamObject:
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, width, height)),
            pdf_name("/Resources"): generic.DictionaryObject(),
        },
        stream_data=content,
    )


_DATE_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")


def _blank_values(blanks: dict[str, generic.DictionaryObject], notation: str, date_text: str) -> dict[str, str]:
    """What goes in each of a template's blanks: the notation minus its printed tail, the day, the month, the
    year. A notation or year that does not match what the template prints is refused (it would read wrong)."""
    values: dict[str, str] = {}
    number = blanks.get("number")
    if number is not None:
        suffix = str(number.get("/Suffix", ""))
        if not notation.endswith(suffix) or notation == suffix:
            raise LayoutError(
                f"Số, ký hiệu “{notation}” không khớp phần ký hiệu “{suffix}” in sẵn trong mẫu của dự thảo."
            )
        values["number"] = notation[: len(notation) - len(suffix)]
    match = _DATE_RE.search(date_text)
    if match is None:
        raise LayoutError(f"Không đọc được ngày, tháng, năm trong “{date_text}”.")
    day, month, year = match.groups()
    values.update(day=day, month=month, year=year)
    printed_year = str(blanks["month"].get("/Suffix", "")) if "month" in blanks else ""
    if printed_year and printed_year != year:
        raise LayoutError(f"Mẫu của dự thảo in sẵn năm {printed_year}, văn bản ban hành năm {year}.")
    return values


def _field_appearance(writer, rect: Rect, value: str, size: float, style: str, align) -> generic.IndirectObject:
    x1, y1, x2, y2 = rect
    box = TextBox(
        TextBoxStyle(
            font=GlyphAccumulatorFactory(pdf_font_path(style), font_size=size),
            font_size=size,
            border_width=0,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=align, y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins(left=1),
                inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
            ),
        ),
        writer=writer,
        box=layout.BoxConstraints(abs(x2 - x1), abs(y2 - y1)),
        font_name="F1",
    )
    box.content = value
    return writer.add_object(box.as_form_xobject())


def _blank_appearance(writer, rect: Rect, value: str, size: float, style: str, part: str) -> generic.IndirectObject:
    # part "number": flush right (before the printed tail); "notation": flush left (after "Số:"); else centred.
    """The text of one blank, on the baseline of the words around it: the box is theirs (poppler's box from
    0.019 em below the baseline to 0.891 em above, Liberation Serif), the text centred in the gap, or for the
    number flush against the notation's printed tail."""
    x1, y1, x2, y2 = rect
    width, height = abs(x2 - x1), abs(y2 - y1)
    font = GlyphAccumulatorFactory(pdf_font_path(style), font_size=size).create_font_engine(writer)
    shaped = font.shape(value)
    text_width = shaped.x_advance * size
    scale = min(1.0, (width - 2) / text_width) if text_width else 1.0  # shrink to fit a narrow blank
    effective = size * scale
    x = {"number": width - text_width * scale, "notation": 1.0}.get(part, (width - text_width * scale) / 2)
    baseline = (height - 0.91 * effective) / 2 + 0.019 * effective
    content = b"BT /F1 %.3f Tf %.3f %.3f Td %s ET" % (effective, x, baseline, shaped.graphics_ops)
    resources = generic.DictionaryObject({
        pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font.as_resource()}),
    })
    xobject = _form_xobject(content, width, height)
    xobject[pdf_name("/Resources")] = resources
    ref = writer.add_object(xobject)
    font.prepare_write()
    return ref


def fill_number_date(pdf: bytes, notation: str, date_text: str) -> bytes:
    """The clerk's numbering after the leader signed: fill the number and date fields (incremental update).

    On a draft from the agency's template (fields over the blanks, see :func:`add_number_date_fields`), each
    blank gets only what is missing — "02" before the printed "/STP-PBGDPL", the day and the month between the
    printed words — in the size and face of its line. Otherwise ``so_ky_hieu`` takes the whole notation (13 pt
    regular) and ``ngay_ban_hanh`` the whole place/date line (14 pt italic). The appearance is drawn here in
    Liberation Serif, because a viewer regenerating it would lack the Vietnamese letters.
    """
    writer = _writer(pdf)
    acroform = writer.root.get("/AcroForm")
    by_name = {}
    if acroform is not None:
        for ref in acroform.get_object().get("/Fields", []):
            by_name[str(ref.get_object().get("/T", ""))] = ref
    missing = [n for n in (NUMBER_FIELD, DATE_FIELD) if n not in by_name]
    if missing:
        raise LayoutError("Văn bản không có ô số, ký hiệu hoặc ô ngày ban hành để điền.")
    blanks = {
        str(fld["/EOfficeBlank"]["/Part"])[1:]: fld["/EOfficeBlank"]
        for fld in (by_name[n].get_object() for n in NUMBERING_FIELDS if n in by_name)
        if "/EOfficeBlank" in fld
    }
    if blanks:
        values = _blank_values(blanks, notation, date_text)
        for part, spec in blanks.items():
            fld = by_name[_BLANK_FIELDS[part]].get_object()
            rect = tuple(float(v) for v in fld["/Rect"])
            appearance = _blank_appearance(writer, rect, values[part], float(spec["/Size"]),
                                           str(spec["/Style"])[1:], part)
            fld[pdf_name("/V")] = pdf_string(values[part])
            fld[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): appearance})
            writer.update_container(fld)
    else:
        number = by_name[NUMBER_FIELD].get_object()
        rect = tuple(float(v) for v in number["/Rect"])
        number[pdf_name("/V")] = pdf_string(notation)
        number[pdf_name("/AP")] = generic.DictionaryObject(  # on the baseline of "Số:", whose height it spans
            {pdf_name("/N"): _blank_appearance(writer, rect, notation, 13, "Regular", "notation")}
        )
        writer.update_container(number)
        date_field = by_name[DATE_FIELD].get_object()
        rect = tuple(float(v) for v in date_field["/Rect"])
        date_field[pdf_name("/V")] = pdf_string(date_text)
        date_field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): _field_appearance(
            writer, rect, date_text, 14, "Italic", layout.AxisAlignment.ALIGN_MID)})
        writer.update_container(date_field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ batch sealing
class BatchSealer:
    """Seals many documents with one agency key, as fast as the key allows.

    The key is loaded once (through the :class:`KeySource` cache) and, for software keys, the CMS structure is
    built once and patched per document (:class:`signing.keys.TemplateCmsSigner`): a clerk releasing a hundred
    dispatches pays for a hundred RSA operations and a hundred small incremental updates, not a hundred key loads
    and a hundred asn1crypto encodings of the certificate chain. ``benchmarks/signing.py`` measures it.

    Each :meth:`seal` checks the certificate first (:func:`signing.preflight.check_before_signing`; ``preflight``
    and ``trust_roots`` as in :func:`apply_plan`). The positive result is cached a few minutes per certificate, so
    a batch pays for one OCSP/CRL round trip, and a long-lived sealer still notices a revocation.
    """

    def __init__(
        self, source: KeySource, *, timestamper: TimeStamper | None = None, preflight: bool | None = None,
        trust_roots: Sequence[Any] | None = None,
    ) -> None:
        signer = source.signer()
        self.signer = TemplateCmsSigner.from_signer(signer) if isinstance(signer, LoadedKeySigner) else signer
        self.timestamper = timestamper
        self.chain = list(source.chain())
        self.preflight = preflight
        self.trust_roots = trust_roots

    def seal(self, pdf: bytes, *, plan: SignaturePlan | None = None, field_name: str = SEAL_FIELD) -> bytes:
        """Sign ``pdf``: with ``plan`` (e.g. :func:`plan_seal_signature`) as planned, else an invisible PAdES
        B-B signature in a new field named after ``field_name``."""
        check_before_signing(self.chain, preflight=self.preflight, trust_roots=self.trust_roots)
        writer = _writer(pdf)
        if plan is None:
            name = _unique_name(writer.prev, field_name)
            plan = SignaturePlan(_metadata(name, name=None, reason="Đóng dấu cơ quan", location=None), None, None)
        out = plan.pdf_signer(self.signer, self.timestamper).sign_pdf(writer)
        return out.getvalue()
