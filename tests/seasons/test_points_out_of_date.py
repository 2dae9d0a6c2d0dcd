"""A season whose settings changed after it was computed: out of date until recomputed, and claims use fresh points.

Its dates, scoring, weights, points per level or level curve changed in the admin: the admin says so,
the season's page and /progress show it ("stale": true), a claim decides on the cluster's fresh points,
and the next recompute of the whole season (the admin's action, or the next post-ETL hook) clears it.
"""

import datetime

import pytest
from django.utils import timezone

from hedge.challenges.signals import ProgressChange, notify_progress_changed
from seasons.errors import ClaimRefused
from seasons.models import RewardClaim, Season, SeasonProgress
from seasons.services import claim_reward, mark_points_stale, recompute_season
from tests.factories import (
    APIKeyFactory,
    ChallengeFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonRewardFactory,
    given_history,
)
from tests.helpers import messages_of

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
SEASONS = "/admin/seasons/season/"


@pytest.fixture
def season():
    """S1, running for a week, LIFETIME: c1's 250 points of `wins` were all earned before it started (level 2)."""
    now = timezone.now()
    season = SeasonFactory(
        id="S1", is_active=True, starts_at=now - 7 * DAY, ends_at=now + 7 * DAY, points_per_level=100
    )
    wins = ChallengeFactory(code="wins")
    SeasonChallengeWeightFactory(season=season, challenge=wins, weight=1)
    given_history(wins, {"c1": 250}, at=now - 30 * DAY)
    SeasonRewardFactory(season=season, track="FREE", level=2, name="Free 2")
    recompute_season(season)
    return Season.objects.get(pk="S1")


def change_form(season, **changes) -> dict:
    values = {"starts_at": season.starts_at, "ends_at": season.ends_at, "scoring": season.scoring, **changes}
    data = {
        "name": season.name,
        "starts_at_0": values["starts_at"].strftime("%Y-%m-%d"),
        "starts_at_1": values["starts_at"].strftime("%H:%M:%S"),
        "ends_at_0": values["ends_at"].strftime("%Y-%m-%d"),
        "ends_at_1": values["ends_at"].strftime("%H:%M:%S"),
        "points_per_level": season.points_per_level,
        "scoring": values["scoring"],
        "is_active": "on",
    }
    for prefix in ("weights", "levels", "rewards"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data


def stale_in_progress(client) -> bool:
    return client.get("/seasons/S1/progress", {"clusterId": "c1"}).json()["stale"]


@pytest.mark.parametrize(
    "changes",
    [{"scoring": "GAINS"}, {"starts_at": "later"}, {"ends_at": "later"}],
    ids=["scoring", "start", "end"],
)
def test_changing_how_points_are_computed_marks_the_season_out_of_date_until_recomputed(admin_client, season, changes):
    later = {"starts_at": season.starts_at + DAY, "ends_at": season.ends_at + DAY}
    changes = {name: later[name] if value == "later" else value for name, value in changes.items()}
    assert not stale_in_progress(admin_client)

    response = admin_client.post(f"{SEASONS}S1/change/", change_form(season, **changes))

    assert response.status_code == 302
    warnings = [text for level, text in messages_of(response) if level == "warning"]
    assert len(warnings) == 1 and "out of date" in warnings[0]
    assert stale_in_progress(admin_client)
    assert "Yes, since" in admin_client.get(f"{SEASONS}S1/change/").content.decode()

    recompute_season(Season.objects.get(pk="S1"))

    assert not stale_in_progress(admin_client)
    assert "Yes, since" not in admin_client.get(f"{SEASONS}S1/change/").content.decode()


def test_renaming_a_season_leaves_its_points_current(admin_client, season):
    data = change_form(season) | {"name": "Renamed"}

    admin_client.post(f"{SEASONS}S1/change/", data)

    assert Season.objects.get(pk="S1").points_stale_since is None


def test_a_claim_on_an_out_of_date_season_is_decided_on_the_cluster_s_fresh_points(season):
    Season.objects.filter(pk="S1").update(scoring="GAINS")  # c1 gained nothing inside the season
    mark_points_stale(season)

    with pytest.raises(ClaimRefused) as refused:
        claim_reward(Season.objects.get(pk="S1"), cluster_id="c1", track="FREE", level=2, api_key=APIKeyFactory())

    assert refused.value.reason == "level_not_reached"
    assert SeasonProgress.objects.get(cluster_id="c1").points == 0  # recomputed first
    assert not RewardClaim.objects.exists()


def test_a_claim_on_a_current_season_is_decided_on_its_stored_points(season):
    written = claim_reward(season, cluster_id="c1", track="FREE", level=2, api_key=APIKeyFactory())

    assert (written.created, written.row.points_at_claim) == (True, 250)


def test_a_claim_on_an_ended_season_out_of_date_is_refused_until_the_season_is_recomputed(season):
    mark_points_stale(season)
    after_end = season.ends_at + DAY

    with pytest.raises(ClaimRefused) as refused:
        claim_reward(
            Season.objects.get(pk="S1"), cluster_id="c1", track="FREE", level=2, api_key=APIKeyFactory(), now=after_end
        )

    assert refused.value.reason == "stale"


def test_the_next_post_etl_hook_recomputes_every_cluster_of_an_out_of_date_season(season):
    Season.objects.filter(pk="S1").update(scoring="GAINS")
    mark_points_stale(season)
    other = ChallengeFactory(code="kills")
    SeasonChallengeWeightFactory(season=season, challenge=other, weight=1)
    given_history(other, {"c3": 1}, at=season.starts_at - DAY)  # its history began before the season
    given_history(other, {"c2": 5}, at=timezone.now())

    notify_progress_changed(None, ProgressChange("etl", timezone.now(), frozenset({"kills"})))

    assert dict(SeasonProgress.objects.values_list("cluster_id", "points")) == {"c1": 0, "c2": 5}
    assert Season.objects.get(pk="S1").points_stale_since is None


def test_a_season_never_computed_has_nothing_out_of_date(db):
    season = SeasonFactory(id="S2")

    assert mark_points_stale(season) is False
    assert Season.objects.get(pk="S2").points_stale_since is None


def test_activating_a_running_season_never_computed_says_the_next_etl_run_computes_every_cluster(admin_client):
    now = timezone.now()
    season = SeasonFactory(id="S1", starts_at=now - 7 * DAY, ends_at=now + 7 * DAY)

    response = admin_client.post(f"{SEASONS}S1/change/", change_form(season))

    infos = [text for level, text in messages_of(response) if level == "info"]
    assert infos == [
        "Season S1 has not been computed yet: the first ETL run while it is active and running computes every"
        " cluster (or run “Recompute progress” on it now)."
    ]
