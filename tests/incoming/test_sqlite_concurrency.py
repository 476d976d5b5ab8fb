"""Arrival numbers under concurrency on SQLite, the embedded default (``make run``): separate processes, as the
web server and the Celery worker are, registering at the same moment on one database file.

The suite itself runs on PostgreSQL (``make test``); this test gives SQLite its own database file in a temporary
directory and drives it from child processes, each with its own connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 12

SETUP = """
import django
django.setup()
from eoffice.documents.services import ensure_document_types
from tests.factories import make_agency, make_person
ensure_document_types()
agency = make_agency(abbreviation="STP")
make_person(agency, "clerk", username="vanthu")
make_person(agency, "leader", username="giamdoc")
"""

WRITER = """
import json, sys
import django
django.setup()
from eoffice.incoming import services
from eoffice.orgs.models import Person
from tests.incoming.conftest import metadata, sample_pdf_bytes
i = int(sys.argv[1])
clerk = Person.objects.get(username="vanthu")
pdf = sample_pdf_bytes()
print("ready", flush=True)
sys.stdin.readline()  # the parent says "go" to every writer at once, once all are ready
doc = services.register_incoming(clerk, files=[("cv.pdf", pdf)], channel="email",
                                 metadata=metadata(number_notation=f"{i}/UBND-VP"))
print(json.dumps({"number": doc.arrival_number}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'eoffice.sqlite3'}", EOFFICE_VAR_DIR=str(tmp_path / "var"),
               DJANGO_SETTINGS_MODULE="eoffice.settings", CELERY_TASK_ALWAYS_EAGER="0",
               CELERY_BROKER_URL="memory://", PYTHONPATH=str(ROOT))
    return env


def test_concurrent_registrations_on_sqlite_get_consecutive_numbers_without_gap_or_duplicate(tmp_path):
    env = _env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                   check=True, timeout=600)
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=120)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(i)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(WRITERS)]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()[-3000:]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    numbers = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-3000:]
        numbers.append(json.loads(out.strip().splitlines()[-1])["number"])
    assert sorted(numbers) == list(range(1, WRITERS + 1))

    check = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from eoffice.documents.models import NumberSeries; "
         "print(NumberSeries.objects.get(code='den').last_number)"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120)
    assert int(check.stdout.strip().splitlines()[-1]) == WRITERS

