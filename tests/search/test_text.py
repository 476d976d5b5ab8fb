"""Folding, query parsing and snippets: the Vietnamese-specific text handling shared by the backends."""
from __future__ import annotations

import pytest

from search import fold, parse_query
from search._text import highlight


@pytest.mark.parametrize(("text", "folded"), [
    ("Cải cách hành chính", "cai cach hanh chinh"),
    ("ĐỒNG THỜI đẩy mạnh", "dong thoi day manh"),
    ("Ðề án 06", "de an 06"),  # U+00D0, the eth that some keyboards type for Đ
    ("Thủ tướng Chính phủ", "thu tuong chinh phu"),
    ("Nghị định 30/2020/NĐ-CP", "nghi dinh 30/2020/nd-cp"),
])
def test_fold_removes_marks_and_maps_d_with_stroke(text, folded):
    assert fold(text) == folded


def test_words_outside_quotes_are_separate_required_clauses():
    clauses = parse_query("cải cách  hành")
    assert [c.words for c in clauses] == [("cai",), ("cach",), ("hanh",)]
    assert not any(c.is_phrase for c in clauses)


def test_quoted_words_form_a_phrase_and_an_unbalanced_quote_is_ignored():
    assert [c.words for c in parse_query('"cải cách hành chính" năm')] == [
        ("cai", "cach", "hanh", "chinh"), ("nam",)]
    assert [c.words for c in parse_query('năm "cải cách')] == [("nam",), ("cai",), ("cach",)]


def test_a_notation_becomes_a_phrase_of_its_parts():
    (clause,) = parse_query("12/QĐ-UBND")
    assert clause.words == ("12", "qd", "ubnd") and clause.is_phrase


def test_engine_operators_and_symbols_are_dropped():
    assert [c.words for c in parse_query("cải AND (cách OR NOT hành*) NEAR")] == [("cai",), ("cach",), ("hanh",)]
    assert parse_query('*"():^~{}[]\\') == []


def test_highlight_marks_accented_words_matched_without_diacritics_and_escapes_the_rest():
    html = highlight('<a href="x">Cải cách</a> & Đồng Nai', parse_query("cai cach dong"), max_chars=None)
    assert html == '&lt;a href=&quot;x&quot;&gt;<mark>Cải</mark> <mark>cách</mark>&lt;/a&gt; &amp; <mark>Đồng</mark> Nai'


def test_highlight_only_marks_whole_words():
    assert highlight("cáchmạng cách", parse_query("cach"), max_chars=None) == "cáchmạng <mark>cách</mark>"


def test_highlight_of_a_long_text_is_the_window_around_the_matches():
    text = "mở đầu " * 100 + "điểm cải cách ở giữa " + "kết thúc " * 100
    html = highlight(text, parse_query("cải cách"), max_chars=120)
    assert "<mark>cải</mark> <mark>cách</mark>" in html
    assert html.startswith("…") and html.endswith("…") and len(html) < 200
