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
3. :func:`fill_number_date` — the clerk's number and date, filled into the fields.
4. :func:`sign_seal` — the agency's signature: the red seal at real size over the left third of the person's
   signature image, with the agency's name and the time.
5. Later, :func:`sign_copy` for a certified copy (sao y, sao lục, trích sao) and :func:`sign_attachment` for an
   attachment: the agency signs at the top right of the first page, text only.

PAdES baseline B-B by default (``/SubFilter /ETSI.CAdES.detached``, SHA-256); B-T when a timestamper is given.

Every function takes the PDF as bytes and returns new bytes (never modifying in place: a signed version is
immutable). The planning step is separate (:func:`plan_person_signature` and friends return a
:class:`SignaturePlan`) so that the two-step path (:mod:`signing.twostep`), where the official's token signs the
digest in the browser, builds exactly the same field, appearance and metadata with its external signer.
"""

from __future__ import annotations

import io
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
    LayoutError,
    Rect,
    SignatureBlock,
    StampLine,
    find_heading_fields,
    find_signature_block,
    pdf_font_path,
    person_image_rect,
    seal_rect,
)
from .images import SEAL_INK, SIGNATURE_INK
from .keys import KeySource, LoadedKeySigner, TemplateCmsSigner
from .preflight import check_before_signing

__all__ = [
    "DATE_FIELD",
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
    locked = sorted((_field_names(reader) - {NUMBER_FIELD, DATE_FIELD}) | {field_name})
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


def plan_seal_signature(
    pdf: bytes, *, agency_name: str, seal_image: bytes, person_field: str | None = None,
    field_name: str | None = None,
) -> SignaturePlan:
    """Plan the agency's seal signature over the left third of the person's signature image."""
    reader = _reader(pdf)
    page, person_rect = _person_field(reader, person_field)
    media = _page_box(reader, page)
    rect = seal_rect(person_image_rect(person_rect), media[2] - media[0])
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    diameter = width
    lines = (
        StampLine(agency_name, (0, diameter + 8, width, height), size=6, color=_rgb(SEAL_INK)),
        StampLine("{time}", (0, diameter + 1, width, diameter + 8), size=6, color=_rgb(SEAL_INK)),
    )
    style = DecreeStampStyle(image_png=seal_image, image_box=(0, 0, diameter, diameter), lines=lines)
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
) -> bytes:
    """The agency's seal signature: red seal at real size (38 mm), overlapping the left third of the person's
    signature image, with the agency name and the signing time in Vietnam time."""
    plan = plan_seal_signature(pdf, agency_name=agency_name, seal_image=seal_image, person_field=person_field,
                               field_name=field_name)
    return apply_plan(pdf, plan, source, timestamper=timestamper, preflight=preflight)


# ------------------------------------------------------------------------------------- attachments and copies
def _top_right(reader: PdfFileReader, width: float, height: float) -> Rect:
    x1, _y1, x2, y2 = _page_box(reader, 0)
    right = x2 - 15 * MM
    top = y2 - 4 * MM
    return (max(x1, right - width), top - height, right, top)


def plan_attachment_signature(pdf: bytes, *, notation: str, field_name: str | None = None) -> SignaturePlan:
    """Plan the agency's signature on an attachment: top right of page 1, number/notation and time, 10 pt black."""
    reader = _reader(pdf)
    width, height = 220.0, 26.0
    lines = (
        StampLine(f"Số, ký hiệu: {notation}", (0, 13, width, 26), size=10, align="max"),
        StampLine("Thời gian ký: {time}", (0, 0, width, 13), size=10, align="max"),
    )
    field_name = field_name or _unique_name(reader, ATTACHMENT_FIELD)
    return SignaturePlan(
        metadata=_metadata(field_name, name=None, reason=f"Ký số phụ lục kèm theo văn bản {notation}",
                           location=None),
        field_spec=SigFieldSpec(field_name, on_page=0, box=_top_right(reader, width, height)),
        stamp_style=DecreeStampStyle(lines=lines),
    )


def sign_attachment(
    pdf: bytes, source: KeySource, *, notation: str, timestamper: TimeStamper | None = None,
    field_name: str | None = None, preflight: bool | None = None,
) -> bytes:
    """The agency's signature on an attachment (in the same file or a separate one): text only, no image."""
    return apply_plan(pdf, plan_attachment_signature(pdf, notation=notation, field_name=field_name), source,
                      timestamper=timestamper, preflight=preflight)


def plan_copy_signature(
    pdf: bytes, *, copy_form: CopyForm, copy_number: str, agency_name: str, field_name: str | None = None
) -> SignaturePlan:
    """Plan the copying agency's signature: top right of page 1, the copy form, the copy's number, the agency."""
    if copy_form not in _COPY_CODES:
        raise ValueError(f"Hình thức bản sao không hợp lệ: {copy_form}")
    reader = _reader(pdf)
    width, height = 230.0, 48.0
    lines = (
        StampLine(copy_form.upper(), (0, 36, width, 48), size=10, style="Bold", align="max"),
        StampLine(f"Số: {copy_number}", (0, 24, width, 36), size=10, align="max"),
        StampLine(agency_name, (0, 12, width, 24), size=10, align="max"),
        StampLine("Thời gian ký: {time}", (0, 0, width, 12), size=10, align="max"),
    )
    field_name = field_name or _unique_name(reader, COPY_FIELD)
    return SignaturePlan(
        metadata=_metadata(field_name, name=agency_name, reason=f"Bản {copy_form} số {copy_number}",
                           location=None),
        field_spec=SigFieldSpec(field_name, on_page=0, box=_top_right(reader, width, height)),
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
    plan = plan_copy_signature(pdf, copy_form=copy_form, copy_number=copy_number, agency_name=agency_name,
                               field_name=field_name)
    return apply_plan(pdf, plan, source, timestamper=timestamper, preflight=preflight)


# ------------------------------------------------------------------------------------ number and date form fields
def add_number_date_fields(
    pdf: bytes, *, number_rect: Rect | None = None, date_rect: Rect | None = None, page: int = 0
) -> bytes:
    """Add the empty text fields ``so_ky_hieu`` (after "Số:") and ``ngay_ban_hanh`` (under the motto).

    The rectangles are found in the heading unless given. Must run before the first signature: adding fields
    afterwards is not a permitted change of a certified document.
    """
    if number_rect is None or date_rect is None:
        page, found_number, found_date = find_heading_fields(pdf)
        number_rect = number_rect or found_number
        date_rect = date_rect or found_date
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
    for name, rect, quadding, tooltip in (
        (NUMBER_FIELD, number_rect, 0, "Số, ký hiệu văn bản"),
        (DATE_FIELD, date_rect, 1, "Địa danh, ngày tháng năm ban hành"),
    ):
        x1, y1, x2, y2 = rect
        empty_ap = writer.add_object(_form_xobject(b"", x2 - x1, y2 - y1))
        widget = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string(name),
            pdf_name("/TU"): pdf_string(tooltip),
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in rect),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Ff"): generic.NumberObject(0),
            pdf_name("/Q"): generic.NumberObject(quadding),
            pdf_name("/DA"): pdf_string("/TiRo 13 Tf 0 g"),
            pdf_name("/V"): pdf_string(""),
            pdf_name("/P"): page_ref,
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): empty_ap}),
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


def fill_number_date(pdf: bytes, notation: str, date_text: str) -> bytes:
    """The clerk's numbering after the leader signed: fill ``so_ky_hieu`` and ``ngay_ban_hanh`` (incremental).

    The appearance is drawn here in Liberation Serif (13 pt regular for the number, 14 pt italic for the date, as
    the heading prints them), because a viewer regenerating it would lack the Vietnamese letters.
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
    for name, value, size, style, align in (
        (NUMBER_FIELD, notation, 13, "Regular", layout.AxisAlignment.ALIGN_MIN),
        (DATE_FIELD, date_text, 14, "Italic", layout.AxisAlignment.ALIGN_MID),
    ):
        ref = by_name[name]
        fld = ref.get_object()
        x1, y1, x2, y2 = (float(v) for v in fld["/Rect"])
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
        appearance = writer.add_object(box.as_form_xobject())
        fld[pdf_name("/V")] = pdf_string(value)
        fld[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): appearance})
        writer.update_container(fld)
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
