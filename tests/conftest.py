"""Shared pytest configuration.

Fixture plugins live in their own modules so that each area owns its fixtures.
"""

import pytest

pytest_plugins = ["tests.fixtures_pki"]


def pytest_collection_modifyitems(session, config, items):
    # Browser tests last: once Playwright's sync API has started, an asyncio loop runs in the test thread until the
    # session ends, and pyHanko's synchronous calls (asyncio.run) cannot run there. `make test` runs them in a
    # session of their own; this keeps a plain `pytest` run working too.
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Password hashing is not what the tests measure; PBKDF2's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_anchor_and_cache_per_test(settings, tmp_path):
    # The audit checkpoint file lives outside the database: each test its own (the database is reset per test too).
    # The cache holds rate-limit counters: each test starts with none.
    from django.core.cache import cache

    settings.AUDIT_ANCHOR_PATH = str(tmp_path / "audit-anchors.jsonl")
    cache.clear()
