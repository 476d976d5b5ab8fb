"""Status messages (01 arrived ... 16 recall/update refused) and the code tables behind them."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from eoffice.interchange.edxml import (
    NS,
    VN_TZ,
    CodeTables,
    InvalidStructure,
    Organization,
    ResponseFor,
    SignatureRefused,
    StaffInfo,
    StatusMessage,
    UnsafeXml,
    build_message,
    build_status,
    default_code_tables,
    load_code_table,
    parse_message,
    parse_status,
    sign_document,
    status_to_xml,
)

from .conftest import full_message

STANDARD_STATUS_CODES = ["01", "02", "03", "04", "05", "06", "13", "15", "16"]


def make_status(code: str, **overrides) -> StatusMessage:
    values = dict(
        response_for=ResponseFor(
            organ_id="000.00.20.H01",
            code="45/STP-VP",
            promulgation_date=dt.date(2024, 3, 5),
            document_id="000.00.20.H01,2024/03/05,45/STP-VP",
        ),
        sender=Organization(
            organ_id="000.00.00.G22",
            organ_name="Bộ Tư pháp",
            organization_in_charge="Chính phủ",
            organ_add="58-60 Trần Phú, Ba Đình, Hà Nội",
            email="vanthu@moj.gov.vn",
            telephone="024 6273 9718",
            fax="024 6273 9359",
            website="https://moj.gov.vn",
        ),
        recipient=Organization(organ_id="000.00.20.H01", organ_name="Sở Tư pháp tỉnh Bình Minh"),
        status_code=code,
        description=f"Trạng thái {code}: {default_code_tables().statuses.label(code)}",
        timestamp=dt.datetime(2024, 3, 5, 9, 15, 42, tzinfo=VN_TZ),
        staff_info=StaffInfo(
            department="Văn phòng Bộ",
            staff="Phạm Minh Châu",
            mobile="0987 654 321",
            email="chau.pm@moj.gov.vn",
        ),
    )
    values.update(overrides)
    return StatusMessage(**values)


def test_the_status_table_has_every_code_of_the_standard_with_a_vietnamese_name():
    statuses = default_code_tables().statuses

    assert statuses.codes() == STANDARD_STATUS_CODES
    assert statuses.label("01") == "Đã đến"
    assert statuses.label("02") == "Từ chối tiếp nhận"
    assert statuses.label("16") == "Từ chối thu hồi/cập nhật"


@pytest.mark.parametrize("code", STANDARD_STATUS_CODES)
def test_every_status_code_round_trips_with_all_its_fields(signer, trusted, code):
    status = make_status(code)

    parsed = parse_status(build_status(status, signer=signer), trusted_certs=trusted)

    assert parsed.status == status
    assert parsed.signer_certificate == signer.certificate


def test_status_without_optional_parts_round_trips(signer, trusted):
    status = make_status("03", recipient=None, staff_info=None, description="")

    assert parse_status(build_status(status, signer=signer), trusted_certs=trusted).status == status


def test_status_layout_follows_the_standard(signer):
    root = etree.fromstring(build_status(make_status("05"), signer=signer))

    assert root.tag == f"{{{NS}}}Status"
    header = root[0]
    assert header.prefix == "edXML" and etree.QName(header).localname == "Header"
    body = header.find(f"{{{NS}}}MessageStatus")
    assert [etree.QName(e).localname for e in body] == [
        "ResponseFor", "From", "To", "StatusCode", "Description", "Timestamp", "StaffInfo",
    ]  # fmt: skip
    assert body.findtext(f"{{{NS}}}StatusCode") == "05"
    assert body.findtext(f"{{{NS}}}Timestamp") == "2024/03/05 09:15:42"
    assert etree.QName(header[-1]).localname == "Signature"


def test_unknown_status_code_is_refused_when_building_and_when_receiving(signer, trusted):
    with pytest.raises(InvalidStructure) as info:
        build_status(make_status("99"), signer=signer)
    assert info.value.code == "unknown_status"

    data = sign_document(status_to_xml(make_status("99")), signer, huge_tree=False)
    with pytest.raises(InvalidStructure) as info:
        parse_status(data, trusted_certs=trusted)
    assert "99" in info.value.reason_vi


def test_a_tampered_status_is_refused(signer, trusted):
    data = build_status(make_status("06"), signer=signer)

    with pytest.raises(SignatureRefused):
        parse_status(data.replace(b">06<", b">02<"), trusted_certs=trusted)


def test_a_status_by_an_untrusted_certificate_is_refused(stranger, trusted):
    with pytest.raises(SignatureRefused) as info:
        parse_status(build_status(make_status("01"), signer=stranger.signer()), trusted_certs=trusted)
    assert info.value.code == "certificate_untrusted"


def test_a_status_with_a_dtd_is_refused(trusted):
    data = (
        b'<?xml version="1.0"?><!DOCTYPE Status [<!ENTITY a "b">]>'
        b'<Status xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&a;</Status>'
    )
    with pytest.raises(UnsafeXml):
        parse_status(data, trusted_certs=trusted)


def test_a_status_missing_its_code_is_refused(signer, trusted):
    root = status_to_xml(make_status("01"))
    body = root.find(f"{{{NS}}}Header/{{{NS}}}MessageStatus")
    body.remove(body.find(f"{{{NS}}}StatusCode"))

    with pytest.raises(InvalidStructure) as info:
        parse_status(sign_document(root, signer, huge_tree=False), trusted_certs=trusted)
    assert info.value.code == "missing_field"
    assert "mã trạng thái" in info.value.reason_vi


def test_code_tables_ship_vietnamese_names_for_priorities_and_business_kinds():
    tables = default_code_tables()

    assert [tables.priorities.label(c) for c in range(5)] == [
        "Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc", "Hỏa tốc hẹn giờ",
    ]  # fmt: skip
    assert [tables.business_kinds.label(c) for c in range(4)] == [
        "Văn bản mới", "Thu hồi văn bản", "Cập nhật văn bản", "Thay thế văn bản",
    ]  # fmt: skip
    assert tables.steering_types.codes() == ["0", "1", "2"]
    assert load_code_table("document_types").get(18).name == "Công văn"
    assert load_code_table("document_types").get("2").extra["abbreviation"] == "QĐ"


def test_code_tables_supplied_as_data_replace_the_packaged_ones(signer, trusted):
    # An administrator adds status 07 and narrows priorities to 0-1: the codec follows the data it is given.
    tables = CodeTables.from_mappings(
        {
            "statuses": {
                **{c: n for c, n in ((e.code, e.name) for e in default_code_tables().statuses)},
                "07": "Khác",
            },
            "priorities": {"0": "Thường", "1": "Khẩn"},
        }
    )
    status = make_status("07")
    assert (
        parse_status(
            build_status(status, signer=signer, code_tables=tables), trusted_certs=trusted, code_tables=tables
        ).status
        == status
    )

    data = build_message(full_message(), [], signer=signer)  # priority 2 is valid under the packaged table
    with pytest.raises(InvalidStructure) as info:
        parse_message(data, trusted_certs=trusted, code_tables=tables)
    assert info.value.code == "unknown_priority"
    assert tables.document_types == default_code_tables().document_types
