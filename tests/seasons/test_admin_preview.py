"""The season form's Preview: the standings its unsaved settings and weights would give; always rolled back."""

import datetime

import pytest
from django.utils import timezone

from seasons.models import Season, SeasonChallengeWeight, SeasonProgress
from tests.factories import (
    ChallengeFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    given_progress,
)
from tests.helpers import season_form

pytestmark = pytest.mark.django_db

SEASONS = "/admin/seasons/season/"


def running(**changes) -> dict:
    now = timezone.now()
    return {"starts_at": now - datetime.timedelta(days=3), "ends_at": now + datetime.timedelta(days=20), **changes}


def test_the_preview_of_new_weights_shows_the_points_they_would_give_and_writes_nothing(
    admin_client, django_assert_max_num_queries
):
    season = SeasonFactory(id="S1-TEST", scoring="LIFETIME", **running())
    alpha, beta = ChallengeFactory(code="alpha"), ChallengeFactory(code="beta")
    kept = SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=1)
    given_progress(alpha, {"c1": 100, "c2": 5})
    given_progress(beta, {"c2": 40, "c3": 1})
    SeasonProgressFactory(season=season, cluster_id="c1", points=100)
    data = season_form(season, points_per_level=50, weights=[(kept, alpha, 2), (None, beta, 10)])

    response = admin_client.post(f"{SEASONS}S1-TEST/preview/", data)

    assert response.status_code == 200, response.content
    preview = response.context["preview"]
    assert [(r.cluster_id, r.points, r.level) for r in preview.rows] == [("c2", 410, 8), ("c1", 200, 4), ("c3", 10, 0)]
    assert preview.with_points == 3
    # Rolled back: the stored weights, settings and progress are as they were.
    season.refresh_from_db()
    assert season.points_per_level == 1000 and season.points_synced_through is None
    assert dict(SeasonChallengeWeight.objects.values_list("challenge_id", "weight")) == {"alpha": 1}
    assert list(SeasonProgress.objects.values_list("cluster_id", "points")) == [("c1", 100)]


def test_the_preview_of_a_season_not_yet_saved_leaves_no_season_behind(admin_client):
    alpha = ChallengeFactory(code="alpha")
    given_progress(alpha, {"c1": 7})

    response = admin_client.post(
        f"{SEASONS}preview/", season_form(id="S-NEW", scoring="LIFETIME", weights=[(None, alpha, 3)], **running())
    )

    assert [(r.cluster_id, r.points) for r in response.context["preview"].rows] == [("c1", 21)]
    assert not Season.objects.exists() and not SeasonProgress.objects.exists()


def test_a_preview_of_a_season_that_has_not_started_says_why_it_is_empty(admin_client):
    alpha = ChallengeFactory(code="alpha")
    later = timezone.now() + datetime.timedelta(days=5)

    response = admin_client.post(
        f"{SEASONS}preview/",
        season_form(
            id="S-NEXT", weights=[(None, alpha, 1)], starts_at=later, ends_at=later + datetime.timedelta(days=9)
        ),
    )

    assert response.context["unavailable"].startswith("Nothing to preview: season S-NEXT starts at")
    assert not Season.objects.exists()


def test_invalid_weights_are_shown_as_errors_in_the_preview(admin_client):
    season = SeasonFactory(id="S1-TEST", **running())
    alpha = ChallengeFactory(code="alpha")

    response = admin_client.post(f"{SEASONS}S1-TEST/preview/", season_form(season, weights=[(None, alpha, 0)]))

    assert "preview" not in response.context
    assert "weight: Ensure this value is greater than or equal to 1." in response.content.decode()


def test_the_season_page_has_the_preview_button_and_names_challenges_by_name_and_code(admin_client):
    season = SeasonFactory(id="S1-TEST")
    SeasonChallengeWeightFactory(
        season=season, challenge=ChallengeFactory(code="hero_collector", name="Hero Collector")
    )

    page = admin_client.get(f"{SEASONS}S1-TEST/change/").content.decode()

    assert 'formaction="/admin/seasons/season/S1-TEST/preview/" formtarget="hedge-preview"' in page
    assert ">Hero Collector (hero_collector)</option>" in page
