"""Sample documents for development, demos, benchmarks and tests: the seven kinds that circulate without paper
(:data:`DOCUMENT_KINDS`), laid out by :func:`signing.documents.render_document`, their body text taken from real
Vietnamese provincial reports shipped in ``signing/dev/corpus/`` (see its README)."""

from __future__ import annotations

import functools
import random
import re
from datetime import date
from pathlib import Path

from signing.documents import OfficialDocument

__all__ = ["CORPUS_DIR", "DOCUMENT_KINDS", "corpus_paragraphs", "sample_document"]

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"

DOCUMENT_KINDS = ("cong-van", "bao-cao", "ke-hoach", "thong-bao", "giay-moi", "lich-cong-tac", "van-ban-sao-gui")


@functools.cache
def corpus_paragraphs(corpus_dir: Path = CORPUS_DIR) -> tuple[str, ...]:
    """Body-like paragraphs from the provincial reports: long enough, not headings, not bylines or dates."""
    paragraphs: list[str] = []
    for path in sorted(Path(corpus_dir).glob("*.txt")):
        for raw in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            text = " ".join(raw.split())
            if (len(text) < 160 or text.isupper() or text.startswith(("Cập nhật", "BTN"))
                    or any(junk in text for junk in ("•", "http", "truy cập", "Đăng nhập", "@"))):
                continue
            paragraphs.append(text)
    if not paragraphs:
        paragraphs.append(
            "Thực hiện Kế hoạch cải cách hành chính năm 2026, các cơ quan, đơn vị đã triển khai gửi, nhận văn bản "
            "điện tử có ký số giữa các cơ quan hành chính nhà nước, bảo đảm an toàn thông tin và đúng quy định."
        )
    return tuple(paragraphs)


def sample_document(
    kind: str,
    *,
    agency: str = "Ủy ban nhân dân xã Bình Minh",
    superior_agency: str | None = "Ủy ban nhân dân huyện Đông Hòa",
    agency_abbreviation: str = "UBND",
    signer_name: str = "Nguyễn Văn An",
    signer_position: str = "Phó Chủ tịch",
    signer_capacity: str | None = "KT. Chủ tịch",
    notation_number: int | None = None,
    issued: date | None = None,
    paragraphs: int = 4,
    seed: int = 0,
) -> OfficialDocument:
    """A realistic document of one of the seven electronically circulated kinds, bodies taken from the corpus.

    ``notation_number``/``issued`` None gives the unnumbered draft that a leader signs before the clerk numbers it.
    """
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"Loại văn bản không hỗ trợ: {kind}")
    corpus = corpus_paragraphs()
    rng = random.Random(f"{kind}:{seed}")
    start = rng.randrange(len(corpus))
    body = [corpus[(start + i) % len(corpus)] for i in range(paragraphs)]
    type_codes = {"bao-cao": "BC", "ke-hoach": "KH", "thong-bao": "TB", "giay-moi": "GM", "lich-cong-tac": "LCT"}

    def notation(code: str | None) -> str | None:
        if notation_number is None:
            return None
        number = f"{notation_number:02d}"
        return f"{number}/{agency_abbreviation}-VP" if code is None else f"{number}/{code}-{agency_abbreviation}"

    common = dict(
        agency=agency, superior_agency=superior_agency, signer_name=signer_name, signer_position=signer_position,
        signer_capacity=signer_capacity, issued=issued,
    )
    if kind == "cong-van":
        return OfficialDocument(
            summary="triển khai gửi, nhận văn bản điện tử có ký số", type_name=None, notation=notation(None),
            addressees=["Các phòng, ban chuyên môn", "Các thôn, khu phố"], body=[
                "Thực hiện Quyết định của Ủy ban nhân dân tỉnh về việc gửi, nhận văn bản điện tử giữa các cơ quan "
                "trong hệ thống hành chính nhà nước, Ủy ban nhân dân xã đề nghị các đơn vị thực hiện như sau:",
                *body,
                "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị các đơn vị phản ánh về Văn phòng "
                "Ủy ban nhân dân xã để tổng hợp, báo cáo.",
            ], recipients=["Như trên", "Chủ tịch, các PCT UBND xã", "Lưu: VT, VP"], **common,
        )
    if kind == "bao-cao":
        return OfficialDocument(
            type_name="Báo cáo", summary="Kết quả công tác cải cách hành chính năm 2026",
            notation=notation(type_codes[kind]), body=body,
            recipients=["UBND huyện Đông Hòa", "Phòng Nội vụ huyện", "TT Đảng ủy, HĐND xã", "Lưu: VT"], **common,
        )
    if kind == "ke-hoach":
        return OfficialDocument(
            type_name="Kế hoạch", summary="Chuyển đổi số trong hoạt động của Ủy ban nhân dân xã năm 2027",
            notation=notation(type_codes[kind]),
            body=["I. MỤC ĐÍCH, YÊU CẦU", *body[:2], "II. NHIỆM VỤ VÀ GIẢI PHÁP", *body[2:]],
            recipients=["UBND huyện (b/c)", "Các ban, ngành, đoàn thể xã", "Lưu: VT"], **common,
        )
    if kind == "thong-bao":
        return OfficialDocument(
            type_name="Thông báo", summary="Kết luận của Chủ tịch Ủy ban nhân dân xã tại cuộc họp giao ban tháng 11",
            notation=notation(type_codes[kind]), body=body[:3],
            recipients=["Các thành viên UBND xã", "Các ban, ngành xã", "Lưu: VT"], **common,
        )
    if kind == "giay-moi":
        return OfficialDocument(
            type_name="Giấy mời", summary="Dự hội nghị tổng kết công tác cải cách hành chính năm 2026",
            notation=notation(type_codes[kind]), body=[
                "Ủy ban nhân dân xã trân trọng kính mời đại biểu dự hội nghị tổng kết công tác cải cách hành chính "
                "năm 2026 và triển khai nhiệm vụ năm 2027.",
                "Thời gian: 08 giờ 00 phút, ngày 05 tháng 12 năm 2026. Địa điểm: Hội trường Ủy ban nhân dân xã.",
                body[0],
                "Đề nghị đại biểu đến dự đúng thành phần, đúng giờ.",
            ], recipients=["Như thành phần mời", "Lưu: VT"], **common,
        )
    if kind == "lich-cong-tac":
        return OfficialDocument(
            type_name="Lịch công tác", summary="Tuần 48 năm 2026 (từ ngày 23/11 đến ngày 29/11/2026)",
            notation=notation(type_codes[kind]), body=[body[0]],
            table=[
                ["Thời gian", "Nội dung", "Chủ trì", "Địa điểm"],
                ["Thứ Hai 23/11, 7 giờ 30", "Giao ban đầu tuần", "Chủ tịch UBND xã", "Phòng họp số 1"],
                ["Thứ Ba 24/11, 8 giờ 00", "Tiếp công dân định kỳ", "Phó Chủ tịch UBND xã", "Trụ sở tiếp công dân"],
                ["Thứ Tư 25/11, 14 giờ 00", "Kiểm tra bộ phận một cửa", "Chủ tịch UBND xã", "Bộ phận một cửa"],
                ["Thứ Năm 26/11, 8 giờ 00", "Họp chuyển đổi số", "Phó Chủ tịch UBND xã", "Hội trường"],
                ["Thứ Sáu 27/11, 14 giờ 00", "Làm việc với các thôn", "Chủ tịch UBND xã", "Nhà văn hóa thôn 3"],
            ],
            recipients=["TT Đảng ủy, HĐND xã", "Các ban, ngành xã", "Cổng thông tin điện tử xã", "Lưu: VT"],
            **common,
        )
    # van-ban-sao-gui: the original of another agency (already numbered and dated), which we copy and send on.
    return OfficialDocument(
        type_name="Quyết định", summary="Về việc ban hành Quy chế gửi, nhận văn bản điện tử",
        notation=notation("QĐ"), body=body[:3], recipients=["Như Điều 3", "Lưu: VT"], **common,
    )
