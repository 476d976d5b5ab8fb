"""Archive search benchmark: the search page's query against a plain ``icontains`` scan.

    .venv/bin/python benchmarks/search.py --docs 100000
    .venv/bin/python benchmarks/search.py --docs 1000000 --baseline-reps 1

1. Builds N synthetic documents from the Vietnamese reports in ``signing/dev/corpus/*.txt`` (sentences
   recombined into summaries and bodies; metadata spread over 8 years, 131 agencies of one province
   sized like the real ones, 14 types, issuers, signers, units, files, urgencies, statuses) and
   stores them in a plain SQLite table: that table is the baseline's data and the reindex source.
2. Indexes them with ``search.reindex`` (the real resumable path) and reports documents per second.
3. Runs a fixed set of queries (one word, two words, a phrase, no diacritics, with filters, a rare
   word, browsing with filters only) as the search page does: top 20 + exact total + facets, as the
   archivist of the provincial People's Committee (the largest agency: ~10% of the archive is
   visible to them, a pessimistic but real case).
4. Runs the baseline on the same queries through the real Django models: the same rows loaded into
   ``IncomingDocument`` (metadata) with their text in ``DocumentText`` (through ``IncomingFile`` and
   ``StoredFile``), in a SQLite database migrated like the product's (Django's own indexes only), then
   ``visible_to(IncomingDocument, person)`` for a clerk of the same agency as the engine's viewer (the
   same 10% of the archive), ``Q(summary__icontains=t) | Q(files__stored_file__text__text__icontains=t)``
   for every term (ANDed), the filters on the model's fields, ``.distinct()``: the total count, then the
   20 newest.

Peak RSS comes from ``resource.getrusage``. The last line is the summary, in a fixed format.
"""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search import PAGE_FACETS, SearchDocument, Viewer, reindex  # noqa: E402
from search._embedded import EmbeddedBackend  # noqa: E402

CORPUS = ROOT / "signing" / "dev" / "corpus"  # the reports shipped with the project

TYPES = [("Công văn", 30), ("Báo cáo", 12), ("Kế hoạch", 10), ("Thông báo", 9), ("Giấy mời", 9),
         ("Quyết định", 10), ("Tờ trình", 5), ("Hướng dẫn", 4), ("Chỉ thị", 2), ("Nghị quyết", 2),
         ("Biên bản", 3), ("Chương trình", 2), ("Công điện", 1), ("Lịch công tác", 1)]
URGENCIES = [("Thường", 85), ("Khẩn", 10), ("Thượng khẩn", 4), ("Hỏa tốc", 1)]
STATUSES = [("Đã xử lý", 70), ("Đang xử lý", 15), ("Lưu trữ", 12), ("Quá hạn", 3)]
UNITS = ["Văn phòng", "Phòng Tổng hợp", "Phòng Kinh tế", "Phòng Nội chính", "Phòng Văn hóa - Xã hội",
         "Phòng Kế hoạch - Tài chính"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Ngọc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hùng", "Lan", "Long", "Mai", "Nam",
         "Phong", "Quân", "Sơn", "Thảo", "Trung", "Tuấn", "Việt", "Yến"]
YEARS = list(range(2018, 2026))
VIEWER_AGENCY = 0


def _agencies() -> list[tuple[str, str, float]]:
    """(name, abbreviation, share of documents) for one province: the People's Committee, 20
    departments, 10 districts, 100 communes."""
    out = [("UBND tỉnh", "UBND", 10.0)]
    out += [(f"Sở {n}", f"S{i}", 2.5) for i, n in enumerate(
        ["Nội vụ", "Tài chính", "Tư pháp", "Y tế", "Giáo dục và Đào tạo", "Xây dựng", "Công Thương",
         "Khoa học và Công nghệ", "Văn hóa, Thể thao và Du lịch", "Nông nghiệp và Môi trường",
         "Kế hoạch và Đầu tư", "Giao thông vận tải", "Lao động - Thương binh và Xã hội",
         "Thông tin và Truyền thông", "Tài nguyên và Môi trường", "Ngoại vụ", "Dân tộc", "Thanh tra",
         "Văn phòng UBND", "Ban Quản lý các khu công nghiệp"])]
    out += [(f"UBND huyện {n}", f"H{i}", 2.0) for i, n in enumerate(
        ["Hàm Tân", "Cái Răng", "Trảng Bàng", "Bến Cầu", "Phú Thứ", "Hưng Phú", "Tân Phú", "Ba Láng",
         "Lê Bình", "Hưng Thạnh"])]
    out += [(f"UBND xã số {i + 1}", f"X{i}", 0.2) for i in range(100)]
    return out


def _sentences() -> list[str]:
    text = "\n".join(Path(p).read_text() for p in sorted(glob.glob(str(CORPUS / "*.txt"))))
    paragraphs = [p.strip() for p in text.split("\n") if len(p.strip()) > 40]
    return [s.strip() for p in paragraphs for s in re.split(r"(?<=[.;:!?…])\s+", p) if len(s.strip()) > 20]


def generate(n: int, seed: int = 20240601) -> Iterator[tuple]:
    """Rows of the baseline table, deterministic for a given seed."""
    rnd = random.Random(seed)
    sentences = _sentences()
    agencies = _agencies()
    agency_weights = [a[2] for a in agencies]
    signers = [f"{f} {m} {g}" for f in FAMILY for m in MIDDLE[:4] for g in GIVEN[:5]]  # 200 people
    types, type_w = zip(*TYPES, strict=True)
    urg, urg_w = zip(*URGENCIES, strict=True)
    sts, sts_w = zip(*STATUSES, strict=True)
    for i in range(1, n + 1):
        agency = rnd.choices(range(len(agencies)), agency_weights)[0]
        issuer = rnd.choice(agencies)[0] if rnd.random() < 0.6 else agencies[agency][0]
        year = rnd.choice(YEARS)
        date = datetime.date(year, 1, 1) + datetime.timedelta(days=rnd.randrange(365))
        doc_type = rnd.choices(types, type_w)[0]
        words = rnd.choice(sentences).split()
        summary = "Về việc " + " ".join(words[: rnd.randint(8, 20)]).rstrip(",;:.")
        body = " ".join(rnd.choice(sentences) for _ in range(rnd.randint(3, 8)))
        unit_no = rnd.randrange(len(UNITS))
        unit = UNITS[unit_no]
        person = agency * 100 + rnd.randrange(60)
        acl = [f"role:archivist@{agency}", f"unit:{agency * 10 + unit_no}", f"person:{person}"]
        if rnd.random() < 0.3:
            acl.append(f"agency:{agency}")
        file = f"HS{year}-{unit_no:02d}-{rnd.randrange(40):02d}" if rnd.random() < 0.7 else None
        yield (i, agency, year, date.isoformat(), doc_type, issuer, rnd.choice(signers), unit, file,
               rnd.choices(urg, urg_w)[0], rnd.choices(sts, sts_w)[0],
               f"{rnd.randint(1, 999):02d}/{agencies[agency][1]}-VP", summary, body, " ".join(acl))


def build_baseline(path: Path, n: int) -> float:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript("""
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE doc (id INTEGER PRIMARY KEY, agency_id INT, year INT, date TEXT, doc_type TEXT,
            issuer TEXT, signer TEXT, unit TEXT, file TEXT, urgency TEXT, status TEXT,
            number_notation TEXT, summary TEXT, body TEXT, acl TEXT);
        CREATE TABLE doc_acl (doc_id INT, token TEXT);
    """)
    start = time.perf_counter()
    rows = generate(n)
    while True:
        batch = [next(rows, None) for _ in range(10000)]
        batch = [r for r in batch if r is not None]
        if not batch:
            break
        db.executemany("INSERT INTO doc VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.executemany("INSERT INTO doc_acl VALUES (?,?)", [(r[0], t) for r in batch for t in r[-1].split()])
    # What Django creates for such a model: an index on the foreign key (and one on the date the
    # list is ordered by). The "tuned" baseline adds an index on the acl token for its run only.
    db.executescript("""
        CREATE INDEX doc_acl_doc ON doc_acl(doc_id);
        CREATE INDEX doc_date ON doc(date);
    """)
    db.commit()
    db.close()
    return time.perf_counter() - start


def source_from(path: Path):
    """The reindex source: documents after a given id, in id order, streamed from the baseline table."""
    def source(after_id: str | None) -> Iterator[SearchDocument]:
        db = sqlite3.connect(path)
        start = int(after_id.split(":")[1]) if after_id else 0
        cursor = db.execute("SELECT * FROM doc WHERE id > ? ORDER BY id", (start,))
        for row in cursor:
            (i, agency, year, date, doc_type, issuer, signer, unit, file, urgency, status, notation,
             summary, body, acl) = row
            yield SearchDocument(
                id=f"in:{i}", agency_id=agency, year=year, date=datetime.date.fromisoformat(date),
                doc_type=doc_type, issuer=issuer, signer=signer, unit=unit, file=file, urgency=urgency,
                status=status, number_notation=notation, summary=summary, body=body,
                confidentiality="thuong", acl=frozenset(acl.split()))
        db.close()
    return source


QUERIES: list[tuple[str, str, dict]] = [
    ("one word", "hành chính", {}),
    ("one syllable", "công", {}),
    ("two words", "chuyển đổi số", {}),
    ("two words", "cải cách hành chính", {}),
    ("phrase", '"dịch vụ công trực tuyến"', {}),
    ("no diacritics", "cai cach hanh chinh", {}),
    ("no diacritics", "ho so dien tu", {}),
    ("filter year", "hành chính", {"year": 2023}),
    ("filter type+urgency", "kế hoạch", {"doc_type": "Báo cáo", "urgency": "Khẩn"}),
    ("rare word", "photocopy", {}),
    ("browse", "", {"year": 2024, "doc_type": "Quyết định"}),
]


def viewer() -> Viewer:
    return Viewer(frozenset({f"role:archivist@{VIEWER_AGENCY}", f"agency:{VIEWER_AGENCY}",
                             f"unit:{VIEWER_AGENCY * 10}", f"person:{VIEWER_AGENCY * 100 + 1}"}))


URGENCY_CODES = {"Thường": "thuong", "Khẩn": "khan", "Thượng khẩn": "thuong_khan", "Hỏa tốc": "hoa_toc"}
STATUS_CODES = {"Đã xử lý": "done", "Đang xử lý": "in_progress", "Lưu trữ": "done", "Quá hạn": "in_progress"}


def setup_django(work: Path) -> None:
    """Django on a database of its own for the baseline (never the product's), migrated like the product's."""
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'baseline-orm.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    import django

    django.setup()


def build_baseline_orm(work: Path, data_path: Path) -> float:
    """Load the generated rows into the real models (bulk inserts; no flows, no files on disk)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from eoffice.archive.models import DocumentText
    from eoffice.documents.models import DocumentType, StoredFile
    from eoffice.incoming.models import IncomingDocument, IncomingFile
    from eoffice.orgs.models import Agency, AgencyKind, Person, RoleCode, ensure_roles

    (work / "baseline-orm.sqlite3").unlink(missing_ok=True)
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
    agencies = Agency.objects.bulk_create([
        Agency(code=f"000.99.{n // 100:02d}.B{n % 100:02d}", name=name, abbreviation=abbr, kind=AgencyKind.DEPARTMENT)
        for n, (name, abbr, _share) in enumerate(_agencies())])
    agency_ids = [a.pk for a in agencies]
    clerk = Person.objects.create_user(username="bench.clerk", password=None, full_name="Văn thư đo",
                                       agency=agencies[VIEWER_AGENCY])
    clerk.roles.set([ensure_roles()[RoleCode.CLERK]])
    types = {}
    for n, (name, _w) in enumerate(TYPES):
        types[name] = DocumentType.objects.get_or_create(code=f"bench-{n}", defaults={"name": name})[0].pk
    data = sqlite3.connect(data_path)
    cursor = data.execute("SELECT * FROM doc ORDER BY id")
    arrived = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    while True:
        rows = cursor.fetchmany(5000)
        if not rows:
            break
        with transaction.atomic():
            files = StoredFile.objects.bulk_create([
                StoredFile(sha256=f"{r[0]:064x}", file=f"bench/{r[0]}.pdf", name=f"{r[0]}.pdf", size=0) for r in rows])
            docs = IncomingDocument.objects.bulk_create([
                IncomingDocument(
                    agency_id=agency_ids[agency], issuer_name=issuer, number_notation=notation,
                    issued_on=datetime.date.fromisoformat(date), document_type_id=types[doc_type], summary=summary,
                    signer_name=signer, urgency=URGENCY_CODES[urgency], channel="paper", series_code="den",
                    year=year, arrival_number=i, arrived_at=arrived, registered_by_id=clerk.pk,
                    status=STATUS_CODES[status])
                for (i, agency, year, date, doc_type, issuer, signer, _unit, _file, urgency, status, notation,
                     summary, _body, _acl) in rows])
            IncomingFile.objects.bulk_create([IncomingFile(document_id=d.pk, stored_file_id=f.pk)
                                              for d, f in zip(docs, files, strict=True)])
            DocumentText.objects.bulk_create([DocumentText(stored_file_id=f.pk, text=r[13], method="text_layer")
                                              for f, r in zip(files, rows, strict=True)])
    data.close()
    return time.perf_counter() - start


def baseline_query(query: str, filters: dict, person) -> tuple[int, list]:
    """Django ``icontains`` on every term over the real models, scoped by ``visible_to``: count, 20 newest.
    (On SQLite ``icontains`` is ``LIKE``: case-insensitive for ASCII only; no word typed without its
    diacritics is found.)"""
    from functools import reduce
    from operator import and_

    from django.db.models import Q

    from eoffice.incoming.models import IncomingDocument
    from eoffice.orgs.scoping import visible_to

    terms = re.findall(r"[^\W_]+", query.replace('"', " "))
    qs = visible_to(IncomingDocument, person)
    if terms:
        qs = qs.filter(reduce(and_, [Q(summary__icontains=t) | Q(files__stored_file__text__text__icontains=t)
                                     for t in terms]))
    lookups = {"year": "year", "doc_type": "document_type__name", "urgency": "urgency"}
    for key, value in filters.items():
        qs = qs.filter(**{lookups[key]: URGENCY_CODES.get(value, value) if key == "urgency" else value})
    qs = qs.distinct()
    total = qs.count()
    rows = list(qs.order_by("-issued_on", "-pk").values_list("pk", "summary", "issued_on")[:20])
    return total, rows


def run_baseline(person, reps: int) -> tuple[list[float], list[tuple[float, int]]]:
    all_times, per_query = [], []
    for _label, query, filters in QUERIES:
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            total, _rows = baseline_query(query, filters, person)
            times.append((time.perf_counter() - start) * 1000)
        all_times += times
        per_query.append((statistics.median(times), total))
    return all_times, per_query


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=30, help="repetitions of each query on the engine")
    parser.add_argument("--baseline-reps", type=int, default=3, help="repetitions of each baseline query")
    parser.add_argument("--dir", default=str(ROOT / "var" / "bench"), help="where data files go")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the baseline table of an earlier run of the same size (the index is rebuilt)")
    parser.add_argument("--reuse-index", action="store_true", help="also reuse the index of an earlier run")
    args = parser.parse_args()

    work = Path(args.dir) / f"search-{args.docs}"
    work.mkdir(parents=True, exist_ok=True)
    base_path, index_path = work / "baseline.sqlite3", work / "index"
    base_marker, index_marker = work / "baseline.json", work / "index.json"
    orm_marker = work / "baseline-orm.json"
    setup_django(work)
    if not (args.keep and base_marker.exists()):
        base_marker.unlink(missing_ok=True)
        orm_marker.unlink(missing_ok=True)
        gen_s = build_baseline(base_path, args.docs)
        base_marker.write_text(json.dumps({"docs": args.docs, "seconds": gen_s}))
        print(f"generated {args.docs} documents into the data table in {gen_s:.1f} s", flush=True)
    if not (args.keep and orm_marker.exists()):
        orm_s = build_baseline_orm(work, base_path)
        orm_marker.write_text(json.dumps({"docs": args.docs, "seconds": orm_s}))
        print(f"loaded them into the Django models (IncomingDocument, DocumentText) in {orm_s:.1f} s", flush=True)
    if not (args.reuse_index and index_marker.exists()):
        index_marker.unlink(missing_ok=True)
        shutil.rmtree(index_path, ignore_errors=True)
        (work / "reindex.checkpoint").unlink(missing_ok=True)
        backend = EmbeddedBackend(index_path, writer_heap_bytes=256_000_000, writer_threads=2)
        start = time.perf_counter()
        done = reindex(source_from(base_path), work / "reindex.checkpoint", backend=backend, batch_size=50_000)
        index_s = time.perf_counter() - start
        index_marker.write_text(json.dumps({"docs": done, "index_s": index_s}))
        del backend
    info = json.loads(index_marker.read_text())
    rate = info["docs"] / info["index_s"]
    print(f"indexed {info['docs']} documents in {info['index_s']:.1f} s: {rate:.0f} docs/s", flush=True)
    backend = EmbeddedBackend(index_path)

    who = viewer()
    engine_times: list[float] = []
    per_query: list[tuple[str, str, float, float, int]] = []
    for label, query, filters in QUERIES:
        backend.search(query, who, filters=filters, facets=PAGE_FACETS)  # warm-up
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            # What the search page asks for: its facets (the file facet included), 20 hits, the total.
            result = backend.search(query, who, filters=filters, page_size=20, facets=PAGE_FACETS)
            times.append((time.perf_counter() - start) * 1000)
        engine_times += times
        per_query.append((label, query, statistics.median(times), percentile(times, 0.95), result.total))

    from django.db import connection

    from eoffice.orgs.models import Person

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size=-200000")
    person = Person.objects.get(username="bench.clerk")
    print("baseline: Django icontains over IncomingDocument + DocumentText, scoped by visible_to ...", flush=True)
    base_times, base_per_query = run_baseline(person, args.baseline_reps)
    print(f"{'query':<20}{'text':<30}{'p50 ms':>8}{'p95 ms':>8}{'total':>8}{'icontains':>11}{'total':>8}")
    for (label, query, p50, p95, total), (b50, b_total) in zip(per_query, base_per_query, strict=True):
        print(f"{label:<20}{query[:28]:<30}{p50:>8.2f}{p95:>8.2f}{total:>8}{b50:>11.1f}{b_total:>8}")

    p50, p95 = statistics.median(engine_times), percentile(engine_times, 0.95)
    speedup = statistics.median(base_times) / p50
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(engine: {len(engine_times)} timed searches; icontains: {len(base_times)};"
          f" speedup = ratio of medians; data in {work})")
    print(f"search {args.docs} docs: p50 {p50:.1f} ms, p95 {p95:.1f} ms, index {rate:.0f} docs/s, "
          f"peak RSS {peak_mb:.0f} MB, speedup vs icontains {speedup:.0f}x")


if __name__ == "__main__":
    main()
