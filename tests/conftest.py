"""Shared pytest configuration.

Fixture plugins live in their own modules so that each area owns its fixtures.
"""

import pytest

pytest_plugins = ["tests.fixtures_pki"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Password hashing is not what the tests measure; PBKDF2's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
