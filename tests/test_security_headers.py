"""Headers every answer carries: one Content-Security-Policy, a Permissions-Policy, HSTS
with an https base URL, and answers that depend on who asks are never shared by a cache."""

import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings


@pytest.fixture
def signed_in(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_pages_and_api_answers_carry_the_content_security_policy(signed_in, api_for, alice):
    for response in (
        Client().get("/login"),
        signed_in.get("/"),
        api_for(alice).get("/api/postmortems"),
    ):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "img-src 'self'" in policy
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_only_the_api_docs_allow_inline_styles_and_still_no_inline_script(signed_in):
    policy = signed_in.get("/api/docs")["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy + ";" and "frame-ancestors 'none'" in policy


def test_answers_that_depend_on_who_asks_are_private_and_revalidated(
    signed_in, api_for, alice, postmortem
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    answers = [
        api.get("/api/postmortems"),
        api.get(f"/api/postmortems/{pm_id}"),
        api.get(f"/api/postmortems/{pm_id}/export?format=markdown"),
        api.get("/api/action-items.csv"),
        signed_in.get("/"),
        signed_in.get(f"/postmortems/{pm_id}"),
        signed_in.get("/action-items"),
    ]
    etag = answers[1]["ETag"]
    answers.append(api.get(f"/api/postmortems/{pm_id}", headers={"If-None-Match": etag}))
    for response in answers:
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-cache"} <= directives, (response.status_code, directives)


def test_an_https_base_url_turns_on_hsts(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'hindsight.settings'; "
        "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)"
    )
    env = {**os.environ, "HINDSIGHT_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    for base, expected in (("https://pm.example.com", "31536000"), ("http://127.0.0.1:8000", "0")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "HINDSIGHT_BASE_URL": base},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == expected, base


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_is_sent_on_https_answers(db):
    response = Client().get("/login", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_an_admin_may_allow_images_from_named_origins(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'hindsight.settings'; "
        "from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    env = {
        **os.environ,
        "HINDSIGHT_DATA_DIR": str(tmp_path),
        "HINDSIGHT_CSP_IMG_SRC": "https://img.example.com",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "https://img.example.com" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "HINDSIGHT_CSP_IMG_SRC": "* 'unsafe-inline'"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "HINDSIGHT_CSP_IMG_SRC" in bad.stderr


def test_the_policy_built_once_follows_a_change_of_the_setting(db):
    from django.conf import settings

    before = Client().get("/login")["Content-Security-Policy"]
    changed = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "img-src": ["'self'", "https://images.example.com"],
        },
    }
    with override_settings(CONTENT_SECURITY_POLICY=changed):
        during = Client().get("/login")["Content-Security-Policy"]
    assert "img-src 'self' https://images.example.com" in during
    assert Client().get("/login")["Content-Security-Policy"] == before
