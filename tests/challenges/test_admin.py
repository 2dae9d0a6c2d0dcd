import pytest

from hedge.core.admin import CappedCountPaginator
from tests.factories import ChallengeFactory, ChallengeProgressFactory, ChallengeTierFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/challenges/challengecategory/",
        "/admin/challenges/challenge/",
        "/admin/challenges/challengeprogress/",
        "/admin/challenges/challengeprogress/?q=c1",
    ],
)
def test_changelists_load_for_staff(admin_client, url):
    ChallengeProgressFactory(cluster_id="c1", value=3)

    assert admin_client.get(url).status_code == 200


def test_a_challenge_page_shows_its_tiers_and_cannot_be_edited(admin_client):
    tier = ChallengeTierFactory(challenge=ChallengeFactory(code="wins"), tier=1, threshold=10)

    page = admin_client.get(f"/admin/challenges/challenge/{tier.challenge.pk}/change/")
    post = admin_client.post(f"/admin/challenges/challenge/{tier.challenge.pk}/change/", {"name": "x"})

    assert page.status_code == 200
    assert b"wins" in page.content and b"10" in page.content
    assert b'name="_save"' not in page.content
    assert post.status_code == 403


def test_catalogue_and_progress_cannot_be_added_or_deleted(admin_client):
    challenge = ChallengeFactory()
    progress = ChallengeProgressFactory(challenge=challenge)

    assert admin_client.get("/admin/challenges/challenge/add/").status_code == 403
    assert admin_client.get(f"/admin/challenges/challenge/{challenge.pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/challenges/challengeprogress/{progress.pk}/delete/").status_code == 403


def test_admin_needs_a_staff_login(client):
    response = client.get("/admin/challenges/challengeprogress/")

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_progress_changelist_counts_at_most_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 3)
    ChallengeProgressFactory.create_batch(6)

    response = admin_client.get("/admin/challenges/challengeprogress/")

    assert response.context["cl"].result_count == 4
