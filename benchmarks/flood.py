"""Flood benchmark: the liên thông endpoint and the login page keep answering legitimate traffic while one address
floods ``/lien-thong/edxml/`` with anonymous POSTs.

    .venv/bin/python benchmarks/flood.py                    # about 1 minute
    .venv/bin/python benchmarks/flood.py --messages 40 --flooders 6

Loopback only, bounded. In a temporary directory (its own VAR_DIR, SQLite database, development PKI) it migrates,
creates one receiving agency with a clerk, and a configured peer (the development PKI's root as its trust anchor)
serving the Bộ Tư pháp's code; then starts the product under gunicorn (one worker, threads: one cache, so one rate
limiter) on a free port of 127.0.0.1, and measures twice:

1. without flood: the peer (source 127.0.0.1) POSTs ``--messages`` signed edXML messages, each a new công văn, and
   a person loads the login page as often;
2. with flood: the same legitimate traffic while ``--flooders`` threads POST anonymous edXML (an unknown sender, a
   copy of a real message) from source address 127.0.0.2 as fast as they are answered, for as long as phase 2 lasts
   (at most ``--max-flood`` requests).

Success for the peer is HTTP 200 with status 01 (the receipt exists); for the login page HTTP 200. Printed: the
success rate and the median / 95th percentile latency of legitimate requests in each phase, what the flood got
(how many refused 403, rate-limited 429). The last line is the summary, in a fixed format:
``flood: legitimate p50 latency under flood / without = R.RRx (success A% vs B%, flood N requests, M answered 429)``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECEIVER_CODE = "000.00.30.H01"
LOGIN = "/dang-nhap/"
ENDPOINT = "/lien-thong/edxml/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(count: int) -> tuple[list[bytes], bytes]:
    """Migrate, create the receiver, its clerk and the peer; return ``count`` + 1 signed messages per phase pair
    and one anonymous message (signed, but by no configured peer's agency)."""
    import dataclasses

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from eoffice.documents.keyring import seal_key, subjects_for
    from eoffice.interchange.edxml import EdxmlSigner, build_message
    from eoffice.interchange.models import Peer
    from eoffice.orgs.models import Agency, AgencyKind, Person
    from signing.keyring import dev_pki
    from tests.factories import make_person, make_unit
    from tests.interchange._setup import MINISTRY, incoming_message, pdf_attachment

    receiver = Agency.objects.create(code=RECEIVER_CODE, name="Sở Thử tải", abbreviation="STT",
                                     kind=AgencyKind.OTHER, place_name="Bình Minh")
    make_person(receiver, "clerk", unit=make_unit(receiver), username="vanthu.stt", password="mat-khau-thu-tai")
    pki = dev_pki()
    pki.ensure(subjects_for(Person.objects.none(), [receiver]))
    Peer.objects.create(name="Bộ Tư pháp", base_url="http://127.0.0.1:9/lien-thong/", agency_codes=MINISTRY.organ_id,
                        certificates_pem=pki.root_cert_path.read_text())
    key = seal_key(receiver)  # any development seal stands for the ministry's certificate
    signer = EdxmlSigner.from_pkcs12(pki.key_store_path(key).read_bytes(), pki.key_store_passphrase(key))
    attachment = pdf_attachment()
    messages = [build_message(incoming_message(RECEIVER_CODE, number=str(100 + n)), [attachment], signer=signer)
                for n in range(2 * count)]
    anonymous = incoming_message(RECEIVER_CODE, number="9999")
    anonymous.header.sender = dataclasses.replace(MINISTRY, organ_id="000.00.77.X01", organ_name="Kẻ lạ")
    return messages, build_message(anonymous, [attachment], signer=signer)


class Server:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "eoffice.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "16", "--worker-class", "gthread", "--timeout", "60",
             "--keep-alive", "5"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited ({self.process.returncode}); see {self.log.name}")
            try:
                status, _ = request(self.port, "GET", LOGIN)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not answer in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def request(port: int, method: str, path: str, body: bytes | None = None, *, source: str = "127.0.0.1",
            conn: http.client.HTTPConnection | None = None) -> tuple[int, float]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    started = time.perf_counter()
    try:
        headers = {"Content-Type": "application/xml"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        if own:
            conn.close()


def legitimate(port: int, messages: list[bytes]) -> dict:
    peer_ok, login_ok, latencies = 0, 0, []
    for data in messages:
        try:
            status, seconds = request(port, "POST", ENDPOINT, data)
            peer_ok += status == 200
            latencies.append(seconds)
        except OSError:
            latencies.append(60.0)
        try:
            status, seconds = request(port, "GET", LOGIN)
            login_ok += status == 200
            latencies.append(seconds)
        except OSError:
            latencies.append(60.0)
    total = 2 * len(messages)
    return {"success": (peer_ok + login_ok) / total, "peer_ok": peer_ok, "login_ok": login_ok, "n": len(messages),
            "p50": statistics.median(latencies), "p95": sorted(latencies)[int(0.95 * (len(latencies) - 1))]}


def flood(port: int, body: bytes, stop: threading.Event, budget: list[int], results: dict, lock: threading.Lock):
    conn = None
    while not stop.is_set():
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
            status, _ = request(port, "POST", ENDPOINT, body, conn=conn)
        except (OSError, http.client.HTTPException):
            status = 0
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            results[status] = results.get(status, 0) + 1
    if conn is not None:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=30, help="legitimate messages per phase (and login loads)")
    parser.add_argument("--flooders", type=int, default=6, help="flooding threads (source 127.0.0.2)")
    parser.add_argument("--max-flood", type=int, default=50000, help="at most this many flood requests")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="eoffice-flood-"))
    env = {**os.environ, "EOFFICE_VAR_DIR": str(work / "var"), "DJANGO_SETTINGS_MODULE": "eoffice.settings",
           "CELERY_BROKER_URL": "memory://", "CELERY_RESULT_BACKEND": "cache+memory://",
           "EOFFICE_VALIDATION_FETCH": "0", "EDXML_ENDPOINT_ENABLED": "1", "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)  # always the throwaway SQLite of the temporary VAR_DIR
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    server = None
    try:
        messages, anonymous = prepare(args.messages)
        port = free_port()
        server = Server(env, port, work / "server.log")
        server.wait()
        print(f"server: gunicorn (1 worker, 16 threads) on 127.0.0.1:{port}, SQLite in {work}", flush=True)

        quiet = legitimate(port, messages[: args.messages])
        stop, lock, budget, results = threading.Event(), threading.Lock(), [args.max_flood], {}
        threads = [threading.Thread(target=flood, args=(port, anonymous, stop, budget, results, lock), daemon=True)
                   for _ in range(args.flooders)]
        flood_started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # the flood is under way (and past the rate limit) before the legitimate traffic starts
        loud = legitimate(port, messages[args.messages:])
        stop.set()
        for thread in threads:
            thread.join(60)
        flood_seconds = time.perf_counter() - flood_started
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    flood_total = sum(results.values())
    for name, phase in (("without flood", quiet), ("under flood", loud)):
        print(f"{name:>14}: success {phase['success']:.0%} (peer {phase['peer_ok']}/{phase['n']}, login page "
              f"{phase['login_ok']}/{phase['n']}), p50 {phase['p50'] * 1000:.0f} ms, p95 {phase['p95'] * 1000:.0f} ms")
    answered = ", ".join(f"{count} × {status or 'failed'}" for status, count in sorted(results.items()))
    print(f"flood: {flood_total} anonymous POSTs from 127.0.0.2 in {flood_seconds:.1f} s "
          f"({flood_total / flood_seconds:.0f}/s): {answered}")
    ratio = loud["p50"] / quiet["p50"] if quiet["p50"] else float("inf")
    print(f"flood: legitimate p50 latency under flood / without = {ratio:.2f}x (success {loud['success']:.0%} vs "
          f"{quiet['success']:.0%}, flood {flood_total} requests, {results.get(429, 0)} answered 429)")


if __name__ == "__main__":
    main()
