"""Two deployments, two processes each (web server and Celery worker), two databases, two development PKIs, on
loopback ports: the Sở Tư pháp tỉnh Bình Minh (deployment A) sends signed công văn to the Bộ Tư pháp
(deployment B) by edXML.

While B is down, A's queue retries with backoff; once B is up, each document arrives exactly once in B's receipt
queue with its PDF signatures valid (B trusts A's root), and A sees status 01. B registers and handles the first
one: A sees 03, 05 and 06 arrive. A recalls the second: B applies the recall and answers 15; a recall of the
finished first one is answered 16.

Both sides are driven through their services (``python -m tests.interchange.deployment``); the test waits on the
other processes' databases with bounded deadlines, never with fixed sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_pki import free_loopback_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CELERY = str(Path(sys.executable).with_name("celery"))
RECEIVER_CODE = "000.00.00.G22"
DEADLINE = 60.0


class Deployment:
    """One deployment: its own var dir (SQLite database, SQLite broker, PKI, files) and its own port."""

    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        self.var = base / name
        self.var.mkdir(parents=True)
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}/lien-thong/"
        self.db = self.var / "eoffice.sqlite3"
        self.processes: list[subprocess.Popen] = []
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("CELERY_", "DATABASE_", "ELASTICSEARCH", "SEARCH_", "SIGNING_", "EDXML_",
                                     "EOFFICE_", "PKI_", "DJANGO_"))}
        self.env = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "eoffice.settings",
            "EOFFICE_VAR_DIR": str(self.var),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "CELERY_BROKER_URL": f"sqla+sqlite:///{self.var / 'broker.sqlite3'}",
            "CELERY_RESULT_BACKEND": f"db+sqlite:///{self.var / 'results.sqlite3'}",
            "PKI_DIR": str(self.var / "pki"),
            "SIGNING_PREFLIGHT": "0",  # no OCSP responder runs for these throwaway PKIs
            "SIGNING_DEV_SERVICES_PORT": str(free_loopback_port()),  # nothing listens: no TSA, B-B signatures
            "EOFFICE_VALIDATION_FETCH": "0",
            "EDXML_RETRY_BACKOFF": "1",
            "EDXML_RETRY_BACKOFF_MAX": "4",
            "EDXML_HTTP_TIMEOUT": "30",
            "PYTHONUNBUFFERED": "1",
        }

    @property
    def root_pem(self) -> Path:
        return self.var / "pki" / "root.pem"

    def popen(self, *args: str, log: str) -> subprocess.Popen:
        out = open(self.var / log, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.processes.append(process)
        return process

    def call(self, *args: str) -> dict:
        """Run one driver command in a process of its own; its last output line is JSON."""
        done = subprocess.run([PYTHON, "-m", "tests.interchange.deployment", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{self.name} {args}: {done.stderr[-3000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        self.popen(PYTHON, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload", log="web.log")
        self.popen(CELERY, "-A", "eoffice", "worker", "-Q", "interchange", "-P", "solo", "-c", "1",
                   "--without-mingle", "--without-gossip", "--without-heartbeat", "-n", f"{self.name}@%h",
                   "-l", "INFO", log="worker.log")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        """Read this deployment's database (from the test process, read-only)."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def logs(self) -> str:
        return "\n".join(f"--- {self.name}/{p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted(self.var.glob("*.log")))


def wait_for(what: str, check: Callable[[], Any], *deployments: Deployment, timeout: float = DEADLINE) -> Any:
    """Poll ``check`` until it returns something truthy, failing with the processes' logs after ``timeout``."""
    end = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            result = check()
        except sqlite3.OperationalError:  # the other process holds a write lock for a moment
            result = None
        if result:
            return result
        for deployment in deployments:
            for process in deployment.processes:
                assert process.poll() is None, f"{deployment.name}: {process.args[:3]} died\n{deployment.logs()}"
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}\n" + "\n".join(d.logs() for d in deployments))
        time.sleep(delay)  # polling interval of a bounded wait, not a wait for the work itself
        delay = min(delay * 2, 0.5)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


@pytest.fixture
def deployments(tmp_path: Path) -> Iterator[tuple[Deployment, Deployment]]:
    sender, receiver = Deployment("a", tmp_path), Deployment("b", tmp_path)
    try:
        yield sender, receiver
    finally:
        sender.stop()
        receiver.stop()


def delivery_events(a: Deployment, delivery: int) -> list[str]:
    return [r[0] for r in a.rows("SELECT status FROM outgoing_deliveryevent WHERE delivery_id=? ORDER BY id",
                                 delivery)]


def statuses_received(a: Deployment, document_id: str) -> set[str]:
    return {r[0] for r in a.rows("SELECT status_code FROM interchange_inboundstatus WHERE document_id=?",
                                 document_id)}


def receipt(b: Deployment, document_id: str) -> tuple | None:
    rows = b.rows("SELECT status, validation_status, validation_summary, channel, number_notation "
                  "FROM incoming_receipt WHERE source='edxml' AND source_ref=?", f"{document_id}|{RECEIVER_CODE}")
    return rows[0] if rows else None


def test_a_cong_van_travels_between_two_deployments_with_statuses_retries_and_recall(deployments):
    a, b = deployments
    # The same schema on both sides: migrate once, copy the empty database.
    assert a.popen(PYTHON, "manage.py", "migrate", "-v0", log="migrate.log").wait() == 0, a.logs()
    a.processes.clear()
    shutil.copyfile(a.db, b.db)
    sender_code = in_parallel(lambda: a.call("setup-sender"), lambda: b.call("setup-receiver"))[0]["code"]
    # Each trusts the other's seal certificates (its root) for edXML, and both roots for PDF signatures.
    in_parallel(lambda: a.call("add-peer", "Bộ Tư pháp", b.url, RECEIVER_CODE, str(b.root_pem)),
                lambda: b.call("add-peer", "Sở Tư pháp tỉnh Bình Minh", a.url, sender_code, str(a.root_pem)))
    for deployment in (a, b):
        deployment.env["SIGNING_TRUST_ROOTS"] = f"{a.root_pem},{b.root_pem}"

    # B is down: A's queue retries with backoff.
    a.start()
    sent = a.call("send", "2")["sent"]
    first, second = sent
    wait_for("two failed attempts while B is down", lambda: a.rows(
        "SELECT attempts FROM interchange_outboundmessage WHERE delivery_id=? AND attempts >= 2 AND state='pending' "
        "AND last_error != ''", first["delivery"]), a)
    assert receipt(b, first["document_id"]) is None

    # B comes up: each document arrives once, with its signatures valid, and A sees 01.
    b.start()
    wait_for("B's web server", lambda: listening(b.port), b)
    for doc in sent:
        wait_for(f"{doc['notation']} arrived at B and 01 back at A",
                 lambda doc=doc: "arrived" in delivery_events(a, doc["delivery"]), a, b, timeout=90)
        status, validation, summary, channel, notation = receipt(b, doc["document_id"])
        assert (status, channel, notation) == ("waiting", "interconnection", doc["notation"])
        assert validation == "valid", summary
    assert b.rows("SELECT COUNT(*) FROM incoming_receipt")[0][0] == 2
    assert a.rows("SELECT COUNT(*) FROM interchange_outboundmessage WHERE kind='message' AND state='sent'")[0][0] == 2

    # B registers the first, the minister instructs, the head assigns, the specialist finishes: 03, 05, 06.
    assert b.call("handle", first["document_id"])["status"] == "done"
    wait_for("03, 05, 06 at A", lambda: {"01", "03", "05", "06"} <= statuses_received(a, first["document_id"]),
             a, b)
    wait_for("delivery done at A", lambda: delivery_events(a, first["delivery"])[-1:] == ["done"], a, b)
    assert delivery_events(a, first["delivery"]) == ["queued", "arrived", "accepted", "assigned", "done"]

    # A recalls the second: B withdraws it from the receipt queue and answers 15.
    assert a.call("recall", str(second["document"]))["status"] == "recalled"
    wait_for("recall answered at A", lambda: "recall_done" in delivery_events(a, second["delivery"]), a, b)
    assert receipt(b, second["document_id"])[0] == "recalled"
    assert "15" in statuses_received(a, second["document_id"])
    assert b.rows("SELECT answer_code FROM interchange_inboundmessage WHERE business_kind=1") == [("15",)]

    # A recall of the document B has finished handling is refused (16): A's delivery shows "done" again, with why.
    a.call("recall", str(first["document"]))
    wait_for("16 at A", lambda: "16" in statuses_received(a, first["document_id"]), a, b)
    wait_for("delivery back to done", lambda: a.rows(
        "SELECT reason FROM outgoing_delivery WHERE id=? AND status='done'", first["delivery"]), a, b)
    assert receipt(b, first["document_id"])[0] == "registered"
