"""What the parts of the codec share: the namespace and element names, the date formats, writing and reading
elements, the organisation/ResponseFor/StaffInfo blocks, the "missing field" refusals, root checks and the guard
that turns an unexpected failure while reading into a refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from lxml import etree

from ..errors import EdxmlRefused, InvalidStructure
from ..messages import Organization, ResponseFor, StaffInfo

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK_NS = "http://www.w3.org/1999/xlink"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"
_DATE_FORMATS = (DATE_FORMAT, "%Y-%m-%d")
_TIMESTAMP_FORMATS = (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


ROOT = _q("edXML")
ENVELOPE = _q("edXMLEnvelope")
HEADER = _q("edXMLHeader")
STATUS_ROOT = _q("Status")
STATUS_HEADER = _q("Header")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _fmt_date(value: dt.date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def _fmt_timestamp(value: dt.datetime) -> str:
    """Vietnam local time, second precision (naive datetimes are taken as Vietnam time already)."""
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ)
    return value.strftime(TIMESTAMP_FORMAT)


def _write_organization(parent: etree._Element, tag: str, org: Organization) -> None:
    element = _sub(parent, tag)
    _sub(element, "OrganId", org.organ_id)
    _sub(element, "OrganizationInCharge", org.organization_in_charge)
    _sub(element, "OrganName", org.organ_name)
    _sub(element, "OrganAdd", org.organ_add)
    _sub(element, "Email", org.email)
    _sub(element, "Telephone", org.telephone)
    _sub(element, "Fax", org.fax)
    _sub(element, "Website", org.website)


def _write_response_for(parent: etree._Element, response: ResponseFor) -> None:
    element = _sub(parent, "ResponseFor")
    _sub(element, "OrganId", response.organ_id)
    _sub(element, "Code", response.code)
    _sub(element, "PromulgationDate", _fmt_date(response.promulgation_date))
    _sub(element, "DocumentId", response.document_id)


def _write_staff(parent: etree._Element, staff: StaffInfo) -> None:
    element = _sub(parent, "StaffInfo")
    _sub(element, "Department", staff.department)
    _sub(element, "Staff", staff.staff)
    _sub(element, "Mobile", staff.mobile)
    _sub(element, "Email", staff.email)


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    return None if parent is None else parent.find(_q(name))


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if parent is None else parent.findall(_q(name))


def _text(parent: etree._Element | None, name: str) -> str:
    element = _child(parent, name)
    return (element.text or "") if element is not None else ""


def _bad_value(name: str, value: str) -> InvalidStructure:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return InvalidStructure("bad_value", f"Giá trị của trường {name} không hợp lệ: «{shown}».")


def _int(parent: etree._Element | None, name: str) -> int | None:
    raw = _text(parent, name).strip()
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _bad_value(name, raw) from None


def _date(parent: etree._Element | None, name: str) -> dt.date | None:
    raw = _text(parent, name).strip()
    if raw == "":
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise _bad_value(name, raw)


def _timestamp(parent: etree._Element | None, name: str) -> dt.datetime | None:
    raw = _text(parent, name).strip()
    if raw == "":
        return None
    for fmt in _TIMESTAMP_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    raise _bad_value(name, raw)


def _first_of(parent: etree._Element | None, *names: str) -> etree._Element | None:
    for name in names:
        element = _child(parent, name)
        if element is not None:
            return element
    return None


def _read_organization(element: etree._Element | None) -> Organization | None:
    if element is None:
        return None
    return Organization(
        organ_id=_text(element, "OrganId").strip(),
        organization_in_charge=_text(element, "OrganizationInCharge"),
        organ_name=_text(element, "OrganName"),
        organ_add=_text(element, "OrganAdd"),
        email=_text(element, "Email"),
        telephone=_text(element, "Telephone"),
        fax=_text(element, "Fax"),
        website=_text(element, "Website"),
    )


def _read_response_for(element: etree._Element) -> ResponseFor:
    return ResponseFor(
        organ_id=_text(element, "OrganId").strip(),
        code=_text(element, "Code"),
        promulgation_date=_date(element, "PromulgationDate"),
        document_id=_text(element, "DocumentId").strip(),
    )


def _read_staff(element: etree._Element | None) -> StaffInfo | None:
    if element is None:
        return None
    return StaffInfo(
        department=_text(element, "Department"),
        staff=_text(element, "Staff"),
        mobile=_text(element, "Mobile"),
        email=_text(element, "Email"),
    )


_FIELD_NAMES_VI = {
    "MessageHeader": "phần đầu thông điệp (MessageHeader)",
    "From": "cơ quan gửi (From)",
    "To": "cơ quan nhận (To)",
    "DocumentId": "mã định danh văn bản (DocumentId)",
    "Subject": "trích yếu (Subject)",
    "CodeNotation": "ký hiệu văn bản (Code/CodeNotation)",
    "PromulgationDate": "ngày ban hành (PromulgationInfo/PromulgationDate)",
    "StatusCode": "mã trạng thái (StatusCode)",
    "Timestamp": "thời điểm (Timestamp)",
    "ResponseFor": "văn bản được phản hồi (ResponseFor)",
    "TraceHeader/Timestamp": "thời điểm chuyển (TraceHeader/Timestamp)",
    "MessageStatus": "nội dung trạng thái (MessageStatus)",
}


def _missing(name: str) -> InvalidStructure:
    label = _FIELD_NAMES_VI.get(name, name)
    return InvalidStructure("missing_field", f"Gói tin thiếu thông tin bắt buộc: {label}.")


def _check_root(root: etree._Element, expected: str, what_vi: str) -> None:
    tag = etree.QName(root)
    if tag.namespace != NS:
        raise InvalidStructure(
            "wrong_namespace",
            f"Gói tin không dùng không gian tên của QCVN 102:2016 ({NS}); nhận được «{tag.namespace or 'không có'}».",
        )
    if root.tag != expected:
        raise InvalidStructure(
            "wrong_root", f"Gói tin không phải là {what_vi} (phần tử gốc «{tag.localname}»)."
        )


_T = TypeVar("_T")


def _guard(func: Callable[[], _T]) -> _T:
    """Turn any unexpected failure while reading verified XML into a refusal (never a half-parsed result)."""
    try:
        return func()
    except EdxmlRefused:
        raise
    except (ValueError, TypeError, AttributeError, etree.LxmlError) as exc:
        raise InvalidStructure("unreadable", "Không đọc được nội dung gói tin theo cấu trúc edXML.") from exc
