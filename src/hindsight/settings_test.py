"""Settings for the test suite (pytest-django loads them before any conftest runs).

Tests never touch a real installation: the data dir (secret key, SQLite test database,
locks) is a fresh scratch folder per run unless HINDSIGHT_TEST_DATA_DIR names one.
"""

import os
import tempfile

os.environ["HINDSIGHT_DATA_DIR"] = os.environ.get("HINDSIGHT_TEST_DATA_DIR") or tempfile.mkdtemp(
    prefix="hindsight-test-"
)

from hindsight.settings import *  # noqa: E402, F403

# Password hashing on purpose slow in production; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
