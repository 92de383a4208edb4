"""The review round (the version at which a report last entered IN_REVIEW) is kept by the
write path and filled for old reports from their history by the migration."""

import importlib

from django.apps import apps

from hindsight.postmortems.models import PostMortem

fill = importlib.import_module(
    "hindsight.postmortems.migrations.0007_review_round"
).fill_review_round


def test_each_entry_into_review_starts_a_new_round_and_the_migration_agrees(
    alice, api_for, postmortem
):
    api = api_for(alice)
    url = f"/api/postmortems/{postmortem['id']}"
    assert api.patch(url, {"status": "IN_REVIEW"}).json()["version"] == 2
    api.patch(url, {"status": "DRAFT"})
    api.patch(url, {"summary": "More"})
    assert api.patch(url, {"status": "IN_REVIEW"}).json()["version"] == 5
    assert PostMortem.objects.get(pk=postmortem["id"]).review_round == 5

    PostMortem.objects.update(review_round=1)
    fill(apps, None)
    assert PostMortem.objects.get(pk=postmortem["id"]).review_round == 5
