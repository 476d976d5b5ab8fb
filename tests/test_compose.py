"""docker-compose.yml cannot be started here (no Docker engine); what can be checked is that it sets what the app
reads and runs what the app needs."""

import re
from pathlib import Path

import yaml
from django.conf import settings

from tests.test_settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_ENV = COMPOSE["x-app"]["environment"]


def resolved(value: str) -> str:
    # ${POSTGRES_PASSWORD:?message} -> a stand-in value, as compose would substitute from .env
    return re.sub(r"\$\{(\w+)(:\?[^}]*)?\}", lambda m: f"<{m.group(1)}>", str(value))


def test_compose_runs_the_production_services_with_health_checks_and_volumes():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "elasticsearch", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert {"postgres-data", "redis-data", "elasticsearch-data", "eoffice-data"} <= set(COMPOSE["volumes"])
    assert "gunicorn" in services["web"]["command"]


def test_every_variable_compose_sets_is_one_the_settings_read():
    source = (ROOT / "eoffice" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_bool|_list)?\("([A-Z0-9_]+)"', source))
    assert set(APP_ENV) <= read, set(APP_ENV) - read


def test_compose_environment_puts_the_app_on_postgres_redis_and_elasticsearch(tmp_path):
    env = {key: resolved(value) for key, value in APP_ENV.items()}
    env["EOFFICE_VAR_DIR"] = str(tmp_path / "var")  # the container path does not exist here
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    env["DJANGO_SECRET_KEY"] = "from-.env"
    values = read_settings(tmp_path, **env)
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert (values["db_host"], values["db_name"]) == ("postgres", "eoffice")
    assert values["broker"] == "redis://redis:6379/0"
    assert values["search_backend"] == "elasticsearch"
    assert values["elasticsearch_url"] == "http://elasticsearch:9200"


def test_compose_worker_consumes_every_queue_tasks_are_routed_to():
    command = COMPOSE["services"]["worker"]["command"]
    queues = set(re.search(r"-Q\s+(\S+)", command).group(1).split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues
