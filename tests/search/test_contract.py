"""The backend contract: every engine behind ``search`` must pass these, the embedded one always and
Elasticsearch whenever ``ELASTICSEARCH_URL`` points at a server (skipped visibly otherwise)."""
from __future__ import annotations

import datetime

import pytest

from search import Viewer

from ._factories import VIEWER_1, make_doc

FILLER = " ".join(["Thực hiện kế hoạch phát triển kinh tế xã hội trên địa bàn tỉnh trong năm."] * 40)


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def test_query_without_diacritics_finds_accented_text(backend):
    backend.index([make_doc(1, "Về việc đẩy mạnh cải cách hành chính"), make_doc(2, "Kế hoạch tuyển dụng")])
    result = backend.search("cai cach hanh chinh", VIEWER_1)
    assert ids(result) == ["in:1"]
    assert result.total == 1


def test_query_with_diacritics_finds_text_typed_without_them(backend):
    backend.index([make_doc(1, "Ve viec day manh cai cach hanh chinh"), make_doc(2, "Kế hoạch tuyển dụng")])
    assert ids(backend.search("cải cách hành chính", VIEWER_1)) == ["in:1"]


@pytest.mark.parametrize(("text", "query"), [
    ("Hội nghị tại tỉnh Đồng Nai", "dong nai"),
    ("Hoi nghi tai tinh Dong Nai", "Đồng Nai"),
    ("ĐOÀN KIỂM TRA CÔNG TÁC ĐÀO TẠO", "doan kiem tra dao tao"),
    ("Ðồng thời triển khai", "đồng thời"),  # U+00D0 typed for Đ, as in real reports
])
def test_d_with_stroke_folds_to_d_both_ways(backend, text, query):
    backend.index([make_doc(1, text), make_doc(2, "Kế hoạch tuyển dụng")])
    assert ids(backend.search(query, VIEWER_1)) == ["in:1"]


def test_phrase_requires_the_words_together_and_in_order(backend):
    backend.index([
        make_doc(1, "Tổng kết cải cách hành chính năm 2024"),
        make_doc(2, "Hành chính và cải cách: hai việc khác nhau"),
        make_doc(3, "Cải cách tiền lương, thủ tục hành chính"),
    ])
    assert ids(backend.search('"cải cách hành chính"', VIEWER_1)) == ["in:1"]
    assert set(ids(backend.search("cải cách hành chính", VIEWER_1))) == {"in:1", "in:2", "in:3"}


def test_document_number_and_notation_is_searchable(backend):
    backend.index([make_doc(7, "Giấy mời họp", number_notation="07/GM-UBND"), make_doc(8, "Giấy mời họp")])
    assert ids(backend.search("07/GM-UBND", VIEWER_1)) == ["in:7"]


def test_summary_match_ranks_above_a_single_mention_deep_in_the_body(backend):
    deep = make_doc(1, "Báo cáo tình hình kinh tế quý I", FILLER + " Cải cách hành chính được nhắc tới. " + FILLER)
    summary = make_doc(2, "Kế hoạch cải cách hành chính năm 2024", FILLER)
    backend.index([deep, summary])
    assert ids(backend.search("cải cách hành chính", VIEWER_1)) == ["in:2", "in:1"]
    hits = backend.search("cai cach hanh chinh", VIEWER_1).hits
    assert hits[0].score > hits[1].score


FILTER_CASES = [  # field, the value filtered on, overrides giving it, another value of the same field
    ("year", 2023, {"year": 2023, "date": datetime.date(2023, 5, 5)}, 2024),
    ("doc_type", "Báo cáo", {"doc_type": "Báo cáo"}, "Công văn"),
    ("issuer", "Sở Tư pháp", {"issuer": "Sở Tư pháp"}, "UBND tỉnh"),
    ("signer", "Trần Thị Bình", {"signer": "Trần Thị Bình"}, "Nguyễn Văn An"),
    ("unit", "Phòng Kinh tế", {"unit": "Phòng Kinh tế"}, "Văn phòng"),
    ("file", "HS2024-01", {"file": "HS2024-01"}, "HS2024-02"),
    ("urgency", "Hỏa tốc", {"urgency": "Hỏa tốc"}, "Thường"),
    ("status", "Đang xử lý", {"status": "Đang xử lý"}, "Đã xử lý"),
]


@pytest.mark.parametrize(("field", "value", "overrides", "other"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_each_filter_keeps_only_documents_with_that_value(backend, field, value, overrides, other):
    backend.index([
        make_doc(1, "Kế hoạch chuyển đổi số", **overrides),
        make_doc(2, "Kế hoạch chuyển đổi số", **{field: other}),
        make_doc(3, "Thông báo lịch trực", **overrides),
    ])
    result = backend.search("chuyển đổi số", VIEWER_1, filters={field: value})
    assert ids(result) == ["in:1"]
    assert result.total == 1
    # Without a query the filter alone browses.
    assert set(ids(backend.search("", VIEWER_1, filters={field: value}))) == {"in:1", "in:3"}
    # Several values of one field are alternatives.
    both = backend.search("chuyển đổi số", VIEWER_1, filters={field: [value, other]})
    assert set(ids(both)) == {"in:1", "in:2"}


def test_date_range_filter_is_inclusive(backend):
    backend.index([make_doc(n, "Báo cáo tuần", date=datetime.date(2024, 1, n)) for n in range(1, 11)])
    result = backend.search("báo cáo", VIEWER_1, filters={
        "date_from": datetime.date(2024, 1, 3), "date_to": datetime.date(2024, 1, 5)})
    assert set(ids(result)) == {"in:3", "in:4", "in:5"}


def test_unknown_filter_is_a_programming_error(backend):
    with pytest.raises(ValueError):
        backend.search("x", VIEWER_1, filters={"confidentiality": "mat"})


def test_facets_count_the_matches_per_value(backend):
    backend.index([
        make_doc(1, "Kế hoạch chuyển đổi số", doc_type="Kế hoạch", year=2023, urgency="Khẩn"),
        make_doc(2, "Báo cáo chuyển đổi số", doc_type="Báo cáo", year=2024),
        make_doc(3, "Báo cáo chuyển đổi số quý II", doc_type="Báo cáo", year=2024, file="HS-01"),
        make_doc(4, "Thông báo nghỉ lễ", doc_type="Thông báo", year=2024),
    ])
    result = backend.search("chuyển đổi số", VIEWER_1,
                            facets=("year", "doc_type", "urgency", "issuer", "signer", "unit", "status", "file"))
    assert result.total == 3
    assert result.facets["doc_type"] == [("Báo cáo", 2), ("Kế hoạch", 1)]
    assert result.facets["year"] == [(2024, 2), (2023, 1)]
    assert dict(result.facets["urgency"]) == {"Thường": 2, "Khẩn": 1}
    assert result.facets["issuer"] == [("UBND tỉnh", 3)]
    assert result.facets["file"] == [("HS-01", 1)]
    filtered = backend.search("chuyển đổi số", VIEWER_1, filters={"doc_type": "Báo cáo"}, facets=("doc_type",))
    assert filtered.facets == {"doc_type": [("Báo cáo", 2)]}


def test_paging_walks_every_hit_exactly_once(backend):
    backend.index([make_doc(n, f"Lịch công tác tuần {n}") for n in range(1, 26)])
    seen: list[str] = []
    for page in (1, 2, 3):
        result = backend.search("lịch công tác", VIEWER_1, page=page, page_size=10)
        assert result.total == 25 and result.pages == 3 and result.page == page
        seen += ids(result)
    assert len(seen) == 25 and set(seen) == {f"in:{n}" for n in range(1, 26)}
    assert backend.search("lịch công tác", VIEWER_1, page=4, page_size=10).hits == []


def test_browsing_without_a_query_lists_newest_first(backend):
    backend.index([make_doc(n, "Công văn", date=datetime.date(2024, 2, n)) for n in (3, 1, 2)])
    assert ids(backend.search("", VIEWER_1)) == ["in:3", "in:2", "in:1"]


def test_snippets_mark_matches_and_escape_html(backend):
    body = 'Mở đầu <script>alert("x")</script> & <b>đậm</b>. ' + FILLER + " Đẩy mạnh cải cách hành chính ở cuối."
    backend.index([make_doc(1, "Kế hoạch <i>cải cách</i> hành chính", body)])
    hit = backend.search("cai cach", VIEWER_1).hits[0]
    assert "<mark>cải</mark> <mark>cách</mark>" in hit.summary_html
    assert "&lt;i&gt;" in hit.summary_html and "<i>" not in hit.summary_html
    assert "<mark>cải</mark> <mark>cách</mark>" in hit.body_html  # the window around the match, far in
    assert len(hit.body_html) < len(body)
    script_hit = backend.search("alert", VIEWER_1).hits[0]
    assert "<script>" not in script_hit.body_html and "&lt;script&gt;" in script_hit.body_html
    assert "<mark>alert</mark>" in script_hit.body_html
    assert hit.fields["summary"] == "Kế hoạch <i>cải cách</i> hành chính"
    assert hit.fields["date"] == datetime.date(2024, 3, 2)
    assert "body" not in hit.fields and "acl" not in hit.fields


def test_another_agencys_documents_leak_through_nothing(backend):
    backend.index([
        make_doc(1, "Cải cách hành chính của tỉnh"),
        make_doc(2, "Cải cách hành chính bảo mật zebrawort", "zebrawort trong nội dung",
                 agency_id=2, acl=frozenset({"agency:2"}), issuer="Sở Ngoại vụ", year=2019),
    ])
    result = backend.search("cải cách hành chính", VIEWER_1, facets=("issuer", "year"))
    assert ids(result) == ["in:1"] and result.total == 1
    assert result.facets == {"issuer": [("UBND tỉnh", 1)], "year": [(2024, 1)]}
    assert all("zebrawort" not in h.summary_html + h.body_html for h in result.hits)
    hidden = backend.search("zebrawort", VIEWER_1, facets=("issuer",))
    assert (hidden.hits, hidden.total, hidden.facets) == ([], 0, {"issuer": []})
    # The other agency's own people do see it.
    assert ids(backend.search("zebrawort", Viewer(frozenset({"agency:2"})))) == ["in:2"]


def test_a_document_is_visible_through_any_one_of_its_acl_tokens(backend):
    backend.index([make_doc(1, "Giao việc cho chuyên viên", acl=frozenset({"person:7", "unit:3"}))])
    assert backend.search("giao việc", Viewer(frozenset({"person:7"}))).total == 1
    assert backend.search("giao việc", Viewer(frozenset({"unit:3", "agency:9"}))).total == 1
    assert backend.search("giao việc", Viewer(frozenset({"person:8", "agency:1"}))).total == 0


def test_a_viewer_without_tokens_sees_nothing(backend):
    backend.index([make_doc(1, "Công văn")])
    result = backend.search("", Viewer(frozenset()))
    assert (result.hits, result.total) == ([], 0)


@pytest.mark.parametrize("confidentiality", ["mat", "mật", "Tối mật", "tuyet mat"])
def test_secret_documents_are_never_indexed(backend, confidentiality):
    backend.index([make_doc(1, "Phương án bảo vệ quokkaword", confidentiality=confidentiality),
                   make_doc(2, "Phương án công khai")])
    result = backend.search("phương án", VIEWER_1, facets=("doc_type",))
    assert ids(result) == ["in:2"] and result.total == 1
    assert result.facets["doc_type"] == [("Công văn", 1)]
    assert backend.search("quokkaword", VIEWER_1).total == 0


def test_a_document_that_becomes_secret_is_removed(backend):
    backend.index([make_doc(1, "Phương án bảo vệ quokkaword")])
    assert backend.search("quokkaword", VIEWER_1).total == 1
    backend.index([make_doc(1, "Phương án bảo vệ quokkaword", confidentiality="mật")])
    assert backend.search("quokkaword", VIEWER_1).total == 0


def test_remove_deletes_documents_and_ignores_unknown_ids(backend):
    backend.index([make_doc(1, "Thông báo kết luận"), make_doc(2, "Thông báo kết luận")])
    backend.remove(["in:1", "in:999"])
    result = backend.search("thông báo", VIEWER_1)
    assert ids(result) == ["in:2"] and result.total == 1


def test_reindexing_the_same_id_replaces_the_document(backend):
    backend.index([make_doc(1, "Dự thảo quy chế làm việc", doc_type="Tờ trình")])
    backend.index([make_doc(1, "Quy chế làm việc chính thức", doc_type="Quyết định")])
    result = backend.search("quy chế", VIEWER_1, facets=("doc_type",))
    assert result.total == 1 and result.facets["doc_type"] == [("Quyết định", 1)]
    assert backend.search("dự thảo", VIEWER_1).total == 0


HOSTILE = ['"', '"""', '"cải cách', "cải cách\"", "(", ")", "((a OR b) AND", "*", "cải*", "NEAR(a b, 2)",
           "a AND OR NOT", "-", "--", ":", "summary: x", "{summary body}: cải", "'; DROP TABLE doc; --",
           "\\", "^", "+", "~", "a\"b\"c\"", "\x00", "💥", "   ", "", "x" * 5000, "cải " * 300,
           "[1 TO 5]", "/regex/", "?", "&&", "||", "!", "<script>", "AND", "NOT cải"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(backend, query):
    backend.index([make_doc(1, "Cải cách hành chính")])
    result = backend.search(query, VIEWER_1)
    assert result.total >= 0


def test_another_process_sees_committed_changes(tmp_path):
    """Web and Celery workers each open the embedded index; a commit by one is seen by the others."""
    from search._embedded import EmbeddedBackend

    writer = EmbeddedBackend(tmp_path / "shared", writer_threads=1, writer_heap_bytes=30_000_000)
    reader = EmbeddedBackend(tmp_path / "shared", writer_threads=1, writer_heap_bytes=30_000_000)
    assert reader.search("", VIEWER_1).total == 0
    writer.index([make_doc(1, "Công văn mới", doc_type="Giấy mời")])
    result = reader.search("công văn", VIEWER_1, facets=("doc_type",))
    assert result.total == 1 and result.facets["doc_type"] == [("Giấy mời", 1)]


def test_nothing_of_a_secret_document_reaches_the_embedded_index_files(tmp_path):
    from search._embedded import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "idx", writer_threads=1, writer_heap_bytes=30_000_000)
    backend.index([make_doc(1, "Phương án quokkaword", body="nội dung wombatword", confidentiality="mật",
                            signer="Người Ký Mật", issuer="Cơ quan Mật")])
    stored = b"".join(p.read_bytes() for p in (tmp_path / "idx").rglob("*") if p.is_file())
    for secret in ("quokkaword", "wombatword", "Người Ký Mật", "Cơ quan Mật"):
        assert secret.encode() not in stored
