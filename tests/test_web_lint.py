"""The lint in the web app: findings beside their fields in the editor, and a checklist
before Submit for review and Publish; with HINDSIGHT_LINT_BLOCK=error, submitting a report
with errors is refused with the reason."""

import pytest
from django.test import Client, override_settings

from hindsight.postmortems import services
from hindsight.postmortems.models import PostMortem


@pytest.fixture
def signed_in(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def blaming(postmortem, alice):
    services.update_postmortem(
        postmortem["id"], {"summary": "The engineer forgot to raise the pool size."}, by=alice
    )
    return postmortem["id"]


def test_the_editor_shows_a_finding_under_its_field(signed_in, blaming):
    page = signed_in.get(f"/postmortems/{blaming}/edit").content.decode()
    summary = page[page.index('id="id_summary"') : page.index('id="id_impact"')]
    assert "Error:</span> “The engineer forgot to” makes a person the subject" in summary
    assert "Quality checks" in page


def test_submitting_shows_the_checklist(signed_in, blaming):
    page = signed_in.get(f"/postmortems/{blaming}").content.decode()
    workflow = page[page.index('class="workflow"') :]
    assert "Before it goes out: quality checks" in workflow
    assert f'href="/postmortems/{blaming}/edit#id_summary"' in workflow
    assert "These do not block" in workflow


@override_settings(LINT_BLOCK="error")
def test_blocking_errors_refuse_submit_in_the_web(signed_in, blaming):
    page = signed_in.get(f"/postmortems/{blaming}").content.decode()
    assert "Errors must be fixed before submitting or publishing." in page
    response = signed_in.post(
        f"/postmortems/{blaming}/status", {"to": "IN_REVIEW", "next": "report"}, follow=True
    )
    assert "lint error" in response.content.decode()
    assert PostMortem.objects.get(pk=blaming).status == "DRAFT"
