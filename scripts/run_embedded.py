"""`make run`: prepare the embedded mode and run every process it needs until Ctrl-C.

Prepares the database (migrations), the demo province and the development PKI, then starts:
- the web server on 127.0.0.1:8000 (Django's development server),
- a Celery worker on every queue and Celery beat, on the embedded broker (kombu's SQLAlchemy transport on SQLite),
- the development PKI's loopback services (CRL, OCSP, timestamping) on 127.0.0.1:8765.
Prints the address and the demo logins once the web server answers, and stops all of them on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("EOFFICE_HOST", "127.0.0.1")
PORT = int(os.environ.get("EOFFICE_PORT", "8000"))


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from eoffice.demo.province import DEMO_PASSWORD, SHOWCASE_LOGINS

    print(f"Preparing the database ({settings.DATABASES['default']['NAME']})...", flush=True)
    manage("migrate", "--no-input", "-v", "0")
    manage("load_demo", "--quiet-logins")
    manage("ensure_dev_pki")
    if settings.SEARCH_BACKEND == "embedded":
        from search._embedded import SCHEMA_VERSION

        index = Path(settings.SEARCH_INDEX_PATH)
        # The live index is v<N>/ or, after a rebuild, the directory named in live-v<N>.
        if not ((index / f"v{SCHEMA_VERSION}").exists() or (index / f"live-v{SCHEMA_VERSION}").exists()):
            # A new index layout (first run, or an upgrade that changed the schema): fill it from the database.
            print("Building the search index...", flush=True)
            manage("search_reindex")

    var = Path(settings.VAR_DIR)
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, argv: list[str]) -> None:
        # Each child gets its own process group so that Ctrl-C here stops it and everything it forked.
        processes[name] = subprocess.Popen(argv, cwd=ROOT, start_new_session=True)

    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nStopping eoffice...", flush=True)
        # First the main process of each child (Celery then does its warm shutdown), then whatever is left in
        # its process group (runserver's autoreloader child), then SIGKILL for anything that still hangs on.
        for proc in processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in processes.values():
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(0.5)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    # The PKI's CRL/OCSP/TSA first: signing checks revocation before it signs, the demo documents included.
    pki_port = settings.SIGNING_DEV_SERVICES_PORT
    start("pki-services", [PY, "-m", "signing.dev.services", "--pki", str(settings.PKI_DIR), "--port", str(pki_port)])
    # Wait for them before loading the demo documents: the loader would otherwise serve the PKI itself on the port.
    if not wait_for_port("127.0.0.1", pki_port, processes["pki-services"]):
        print(f"The development PKI services did not start on port {pki_port}.", file=sys.stderr)
        stop()
        return 1
    try:
        manage("load_demo_documents")  # incoming and outgoing documents at every stage; a second run adds nothing
    except subprocess.CalledProcessError:
        print("Could not load the demo documents; eoffice runs without them.", file=sys.stderr)
    start("web", [PY, "manage.py", "runserver", f"{HOST}:{PORT}"])
    start(
        "worker",
        [PY, "-m", "celery", "-A", "eoffice", "worker", "--loglevel=INFO", "--concurrency=2",
         "-Q", "default,signing,indexing,ocr,interchange,conversion", "-n", "eoffice@%h"],
    )
    start(
        "beat",
        [PY, "-m", "celery", "-A", "eoffice", "beat", "--loglevel=INFO",
         "--schedule", str(var / "celerybeat-schedule")],
    )

    if not wait_for_port(HOST, PORT, processes["web"]):
        print("The web server did not start; see the messages above.", file=sys.stderr)
        stop()
        return 1

    print()
    print("=" * 72)
    print(f"eoffice is running at http://{HOST}:{PORT}/   (API: http://{HOST}:{PORT}/api/v1/, docs: /api/docs/)")
    print("Celery worker and beat run on the embedded broker; Ctrl-C stops everything.")
    print(f"Demo logins, password for all: {DEMO_PASSWORD}")
    for username, label in SHOWCASE_LOGINS:
        print(f"  {username:<22} {label}")
    print("=" * 72, flush=True)

    while not stopping:
        for name, proc in processes.items():
            if proc.poll() is not None and not stopping:
                print(f"Process '{name}' exited with code {proc.returncode}; stopping the others.", file=sys.stderr)
                stop()
                return 1
        time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
