"""The outgoing register print-outs go through the shared register writer (eoffice.documents.printing): no cover,
the register's title above the table, the Decree 30 columns, one row per issued document."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from types import SimpleNamespace

from openpyxl import load_workbook

from eoffice.outgoing.register import COLUMNS, EMPTY_TEXT, RegisterRow, register_pdf, register_xlsx

AGENCY = SimpleNamespace(name="Sở Tư pháp tỉnh Bình Minh")
ROWS = [RegisterRow(notation=f"{i:02d}/STP-PBGDPL", issued_on=dt.date(2026, 3, i), signer="Nguyễn Văn An",
                    type_and_summary=f"Công văn: V/v phổ biến pháp luật lần {i}", recipients="UBND huyện Đông Hà",
                    keeper="Văn phòng", copies=3, notes="") for i in (1, 2)]


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def test_the_pdf_has_the_title_then_the_table_on_its_first_page():
    data = register_pdf(AGENCY, 2026, "Sổ văn bản đi", ROWS)
    assert data.startswith(b"%PDF-")
    first_page = pdf_text(data).split("\f")[0]
    assert "SỔ VĂN BẢN ĐI NĂM 2026 — SỞ TƯ PHÁP TỈNH BÌNH MINH" in first_page
    assert "Người ký" in first_page and "01/STP-PBGDPL" in first_page and "02/STP-PBGDPL" in first_page
    assert "01/03/2026" in first_page and "lần 2" in first_page


def test_an_empty_register_says_so():
    assert EMPTY_TEXT in pdf_text(register_pdf(AGENCY, 2026, "Sổ văn bản đi", []))


def test_the_xlsx_has_the_title_the_header_and_one_row_per_document():
    workbook = load_workbook(io.BytesIO(register_xlsx(AGENCY, 2026, "Sổ văn bản đi", ROWS)))
    sheet = workbook.active
    assert workbook.sheetnames == ["So van ban di 2026"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "SỔ VĂN BẢN ĐI NĂM 2026 — SỞ TƯ PHÁP TỈNH BÌNH MINH"
    assert "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    assert values[1] == list(COLUMNS)
    assert values[2][:3] == ["01/STP-PBGDPL", "01/03/2026", "Công văn: V/v phổ biến pháp luật lần 1"]
    assert values[2][6] == 3  # the number of copies stays a number
    assert len(values) == 4
