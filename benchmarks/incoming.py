"""Incoming dispatches benchmark: registration and routing through the flow, and the inbox's query count.

    .venv/bin/python benchmarks/incoming.py                 # starts a throwaway PostgreSQL, about 1-3 minutes
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/incoming.py --docs 500

``DATABASE_URL`` must point at a throwaway database (the benchmark migrates it and writes the demo province into
it). Without it, a PostgreSQL cluster is started in a temporary directory on loopback, as ``scripts/test.sh``
does, and removed at the end.

Each registration and routing step sends its Celery messages (search indexing, text extraction) when its
transaction commits, to ``CELERY_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``, as in production). Without it
the messages go to Celery's in-memory transport (``memory://``): the benchmark measures the web side, and the
development default (a SQLite file as broker, one fsync'd write per message) is not what a deployment runs. The
broker in use is printed.

1. Loads the demo province and registers ``--docs`` incoming dispatches (an electronic PDF each, uploaded by the
   Department of Justice's clerk through ``register_incoming``: upload checks, signature validation, arrival
   number, the viewflow process), then routes each one through the flow: the director's instruction (lead unit,
   supporting unit, deadline) and the unit head's assignment to the specialist. Reports documents per second.
2. Fills the specialist's inbox to 1,000 open tasks (bulk-inserted work items on the registered documents) and
   counts the queries of the inbox page (``/viec-can-xu-ly/``, through Django's test client, session and all);
   then to 100,000 tasks and counts again. The two counts must be equal: the page is a constant number of queries
   whatever the data size.

The last line is the summary, in a fixed format.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------------------------- PostgreSQL
class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory on 127.0.0.1, owned by an unprivileged user when run as root
    (PostgreSQL refuses to run as root), like ``scripts/test.sh``."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        if not bins or not Path(bins[-1], "initdb").exists():
            sys.exit("PostgreSQL server binaries not found (Debian package postgresql); or set DATABASE_URL.")
        self.bin = Path(bins[-1])
        self.work = Path(tempfile.mkdtemp(prefix="eoffice-bench-"))
        self.work.chmod(0o755)
        self.home = self.work / "pg"
        self.home.mkdir()
        self.data = self.home / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            if subprocess.run(["id", "-u", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                                "postgres"], check=True)
            shutil.chown(self.home, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.started = False

    def start(self) -> str:
        run = lambda *cmd: subprocess.run([*self.prefix, *cmd], check=True, stdout=subprocess.DEVNULL)  # noqa: E731
        run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "eoffice", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.home} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "postgres.log"), "-w", "-o",
            options, "start")
        self.started = True
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "eoffice",
                        "eoffice"], check=True)
        return f"postgres://eoffice@127.0.0.1:{self.port}/eoffice"

    def stop(self) -> None:
        if self.started:
            subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)


# --------------------------------------------------------------------------------------------- the benchmark
def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sample_pdf() -> bytes:
    """A realistic công văn from the corpus, rendered to PDF (unsigned, as a paper-less sender might e-mail it)."""
    from signing.dev.samples import sample_document
    from signing.documents import render_document

    return render_document(sample_document("cong-van", notation_number=215, issued=dt.date(2026, 3, 2)))


def route_documents(n: int, pdf: bytes, start: int) -> float:
    """Register ``n`` dispatches and route each to the specialist; returns the elapsed seconds."""
    from django.utils import timezone

    from eoffice.incoming import services
    from eoffice.incoming.models import WorkItem, WorkKind, WorkStatus
    from eoffice.orgs.models import Person, Unit

    people = {p.username: p for p in Person.objects.filter(username__endswith=".stp")}
    clerk, leader, head = people["vanthu.stp"], people["giamdoc.stp"], people["truongphong.stp"]
    specialist = people["chuyenvien.stp"]
    units = {u.abbreviation: u for u in Unit.objects.filter(agency=clerk.agency)}
    due = timezone.localdate() + dt.timedelta(days=10)
    t0 = time.perf_counter()
    for i in range(start, start + n):
        metadata = services.ReceiptMetadata(
            issuer_name="Ủy ban nhân dân tỉnh Bình Minh", number_notation=f"{i}/UBND-NC",
            issued_on=dt.date(2026, 3, 2), summary=f"V/v triển khai nhiệm vụ cải cách hành chính đợt {i}",
            document_type="cong-van", signer_name="Trần Quốc Hưng", signer_position="Chủ tịch",
            urgency=("khan" if i % 7 == 0 else "thuong"))
        document = services.register_incoming(clerk, metadata=metadata, files=[(f"cv-{i}.pdf", pdf)],
                                               channel="email", present_to=leader)
        item = WorkItem.objects.get(document=document, kind=WorkKind.INSTRUCT, status=WorkStatus.OPEN)
        services.instruct(item, leader, text="Giao Phòng PBGDPL chủ trì, Văn phòng phối hợp.",
                          lead_unit=units["PBGDPL"], supporting_units=[units["VP"]], deadline=due)
        item = WorkItem.objects.get(document=document, kind=WorkKind.ASSIGN, status=WorkStatus.OPEN)
        services.assign_handlers(item, head, main_handler=specialist, note="Tham mưu trả lời")
    return time.perf_counter() - t0


def fill_inbox(target: int) -> int:
    """Bulk-insert open work items for the specialist until they have ``target`` open tasks."""
    from django.utils import timezone

    from eoffice.documents.models import URGENCY_RANK, Urgency
    from eoffice.incoming.models import IncomingDocument, WorkItem, WorkKind, WorkStatus
    from eoffice.orgs.models import Person

    specialist = Person.objects.get(username="chuyenvien.stp")
    have = WorkItem.objects.filter(person=specialist, status=WorkStatus.OPEN).count()
    doc_ids = list(IncomingDocument.objects.filter(agency=specialist.agency).values_list("pk", flat=True))
    rng = random.Random(have)
    today = timezone.localdate()
    urgencies = [Urgency.NORMAL] * 17 + [Urgency.URGENT] * 2 + list(Urgency.values)
    batch: list[WorkItem] = []
    for n in range(have, target):
        urgency = rng.choice(urgencies)
        batch.append(WorkItem(
            document_id=doc_ids[n % len(doc_ids)], agency_id=specialist.agency_id, person=specialist,
            unit_id=specialist.unit_id, kind=rng.choice([WorkKind.HANDLE, WorkKind.COHANDLE, WorkKind.INFO]),
            urgency=urgency, urgency_rank=URGENCY_RANK.get(urgency, 0),
            deadline=today + dt.timedelta(days=rng.randint(-20, 40))))
        if len(batch) == 5000:
            WorkItem.objects.bulk_create(batch)
            batch = []
    WorkItem.objects.bulk_create(batch)
    return WorkItem.objects.filter(person=specialist, status=WorkStatus.OPEN).count()


def inbox_queries(client) -> tuple[int, float, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        response = client.get("/viec-can-xu-ly/")
        elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), elapsed, response.content.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300, help="dispatches registered and routed (default 300)")
    parser.add_argument("--small", type=int, default=1_000, help="inbox size of the first count (default 1k)")
    parser.add_argument("--large", type=int, default=100_000, help="inbox size of the second count (default 100k)")
    args = parser.parse_args()

    pg = None
    var_dir = None
    if not os.environ.get("DATABASE_URL"):
        pg = ThrowawayPostgres()
    try:
        if pg is not None:
            os.environ["DATABASE_URL"] = pg.start()
        if not os.environ.get("EOFFICE_VAR_DIR"):  # stored files and the local broker go to a temporary place
            var_dir = tempfile.mkdtemp(prefix="eoffice-bench-var-")
            os.environ["EOFFICE_VAR_DIR"] = var_dir
        broker_note = "from CELERY_BROKER_URL"
        if not os.environ.get("CELERY_BROKER_URL"):
            # Nothing consumes the messages here; the web side's cost of sending them is what is measured.
            os.environ["CELERY_BROKER_URL"] = "memory://"
            broker_note = "in-memory transport: CELERY_BROKER_URL is unset; set it to measure a real broker"
        setup_django()
        from django.db import connection
        from django.test import Client

        from eoffice.demo.province import load_demo
        from eoffice.documents.keyring import ensure_dev_keys
        from eoffice.documents.services import ensure_document_types
        from eoffice.orgs.models import Person

        if connection.vendor != "postgresql":
            sys.exit("the benchmark measures PostgreSQL: DATABASE_URL must be a postgres:// URL")
        connection.ensure_connection()
        print(f"database: PostgreSQL {connection.pg_version // 10000} at {connection.settings_dict['HOST']}:"
              f"{connection.settings_dict['PORT']}")
        from django.conf import settings

        broker = re.sub(r"//[^/@]*@", "//***@", settings.CELERY_BROKER_URL)  # no credentials in the output
        print(f"celery broker: {broker} ({broker_note})")
        load_demo()
        ensure_document_types()
        ensure_dev_keys()  # the development PKI: the validator's trust root
        pdf = sample_pdf()

        route_documents(5, pdf, start=1)  # warm-up: imports, caches, the validator
        elapsed = route_documents(args.docs, pdf, start=6)
        rate = args.docs / elapsed
        print(f"registered and routed {args.docs} dispatches in {elapsed:.1f} s "
              f"(register + instruct + assign, through viewflow): {rate:.1f} docs/s")

        client = Client(HTTP_HOST="localhost")
        client.force_login(Person.objects.get(username="chuyenvien.stp"))
        inbox_queries(client)  # warm-up: session, content types
        results = {}
        for target in (args.small, args.large):
            t0 = time.perf_counter()
            count = fill_inbox(target)
            fill = time.perf_counter() - t0
            queries, seconds, html = inbox_queries(client)
            assert f'data-count="total">{count}<' in html, "the inbox does not count every open task"
            results[target] = queries
            print(f"inbox at {count} open tasks (filled in {fill:.1f} s): {queries} queries, {seconds * 1000:.0f} ms")
        small, large = results[args.small], results[args.large]
        if small != large:
            print(f"WARNING: the inbox's query count grows with the data ({small} → {large})")
        print(f"incoming: {rate:.1f} docs/s registered+routed; inbox queries: {small} at {args.small // 1000}k "
              f"tasks, {large} at {args.large // 1000}k tasks")
    finally:
        if pg is not None:
            from django.db import connections

            connections.close_all()
            pg.stop()
        if var_dir:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
