"""Boards of season points: a SEASON board that ranks the Challenge Pass points of the season (season_progress)."""

import datetime
import random
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from leaderboards.admin.preview import preview_definition
from leaderboards.errors import InvalidPeriod
from leaderboards.models import LeaderboardDef, LeaderboardRun
from leaderboards.services import generate_final_run, generate_leaderboard_run
from seasons.models import Season, SeasonProgress
from tests.factories import (
    ChallengeFactory,
    ExclusionFactory,
    LeaderboardDefFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    given_history,
    given_points,
)
from tests.helpers import definition_form, standings

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)


SEASON_POINTS = {"category_key": "season", "metric_source": "season", "metric_key": "points", "time_window": "SEASON"}


def season_board(key="lb_season_points", **fields) -> LeaderboardDef:
    return LeaderboardDefFactory(key=key, season_points=True, **fields)


@pytest.fixture
def active(db):
    return SeasonFactory(id="S1", is_active=True)


def test_it_ranks_the_active_seasons_points_ties_going_to_who_reached_them_first_then_cluster_id(active):
    other = SeasonFactory(id="S0", starts_at=active.starts_at - datetime.timedelta(days=60))
    given_points(active, {"late": 500, "b-same": 500}, points_reached_at=T0 + HOUR)
    given_points(active, {"early": 500, "low": 10, "none": 0}, points_reached_at=T0)
    given_points(active, {"top": 900}, points_reached_at=T0 + 2 * HOUR)
    given_points(other, {"elsewhere": 10_000}, points_reached_at=T0)
    season_board(rank_mode="COMPETITION")

    run = generate_leaderboard_run("lb_season_points")

    assert (run.period_start, run.period_end) == (active.starts_at, active.ends_at)
    assert run.challenge is None
    assert run.definition_snapshot["seasonId"] == "S1"
    # (position, rank, cluster, score, tiebreaker): equal points and equal moment share a rank.
    assert standings(run) == [
        (1, 1, "top", 900, 0),
        (2, 2, "early", 500, 0),
        (3, 3, "b-same", 500, 0),
        (4, 3, "late", 500, 0),
        (5, 5, "low", 10, 0),
    ]
    assert set(run.entries.values_list("fallback_value", flat=True)) == {None}


def test_a_row_without_points_reached_at_counts_from_its_last_update(active):
    SeasonProgressFactory(season=active, cluster_id="old", points=50, points_reached_at=None, updated_at=T0)
    given_points(active, {"new": 50}, points_reached_at=T0 + HOUR)
    season_board()

    run = generate_leaderboard_run("lb_season_points")

    assert [c for _, _, c, _, _ in standings(run)] == ["old", "new"]


@pytest.mark.parametrize("rank_mode", ["DENSE", "COMPETITION"])
@pytest.mark.parametrize("max_entries", [0, 7])
def test_random_standings_equal_a_python_reference(active, rank_mode, max_entries):
    rng = random.Random(f"{rank_mode}{max_entries}")
    rows = {f"c{n:03d}": (rng.choice([0, 1, 5, 5, 20, 300]), T0 + rng.choice([0, 1, 1, 2]) * HOUR) for n in range(60)}
    for cluster_id, (points, reached_at) in rows.items():
        given_points(active, {cluster_id: points}, points_reached_at=reached_at)
    excluded = rng.sample(sorted(rows), 5)
    for cluster_id in excluded:
        ExclusionFactory(cluster_id=cluster_id)
    season_board(rank_mode=rank_mode, max_entries=max_entries)

    run = generate_leaderboard_run("lb_season_points")

    ranked = sorted(
        ((points, reached, c) for c, (points, reached) in rows.items() if points > 0 and c not in excluded),
        key=lambda r: (-r[0], r[1], r[2]),
    )
    expected, rank = [], 0
    for position, (points, reached, cluster_id) in enumerate(ranked, start=1):
        if position == 1 or (points, reached) != ranked[position - 2][:2]:
            rank = position if rank_mode == "COMPETITION" else rank + 1
        expected.append((position, rank, cluster_id, points, 0))
    assert standings(run) == (expected[:max_entries] if max_entries else expected)


def test_previous_rank_compares_with_the_previous_run_of_the_season(active):
    given_points(active, {"a": 10, "b": 5}, points_reached_at=T0)
    season_board()
    generate_leaderboard_run("lb_season_points")
    SeasonProgress.objects.filter(cluster_id="b").update(points=20)

    run = generate_leaderboard_run("lb_season_points")

    assert list(run.entries.order_by("position").values_list("cluster_id", "rank", "previous_rank")) == [
        ("b", 1, 2),
        ("a", 2, 1),
    ]


def test_the_public_api_serves_it_with_no_challenge_code(active, client):
    given_points(active, {"a": 10}, points_reached_at=T0)
    season_board()
    generate_leaderboard_run("lb_season_points")

    body = client.get("/leaderboards/lb_season_points/latest").json()

    assert body["leaderboard"]["timeWindow"] == "SEASON"
    assert body["entries"][0]["payload"] == {
        "challengeCode": None,
        "fallbackChallengeCode": None,
        "fallbackValue": None,
    }


def test_the_final_run_of_an_ended_season_ranks_its_final_points_computed_first(db):
    """Progress after the season's end never reaches its final standings, whenever the final run is made."""
    now = timezone.now()
    ended = SeasonFactory(
        id="S-ENDED", is_active=True, scoring="GAINS", starts_at=now - 10 * 24 * HOUR, ends_at=now - 2 * HOUR
    )
    wins = ChallengeFactory(code="wins")
    SeasonChallengeWeightFactory(season=ended, challenge=wins, weight=2)
    given_history(wins, {"a": 1, "b": 1}, at=ended.starts_at - HOUR)
    given_history(wins, {"a": 4, "b": 6}, at=ended.starts_at + HOUR)
    given_history(wins, {"a": 100}, at=ended.ends_at + HOUR)  # after the end
    season_board()

    out = StringIO()
    call_command("generate_leaderboard", "--all", stdout=out, stderr=StringIO())

    final = LeaderboardRun.objects.get(is_final=True)
    assert (final.period_start, final.period_end) == (ended.starts_at, ended.ends_at)
    assert [(c, s) for _, _, c, s, _ in standings(final)] == [("b", 10), ("a", 6)]
    assert Season.objects.get(pk="S-ENDED").finalized_at is not None
    assert "SKIPPED" in out.getvalue()  # no season is active now: no current run


def test_cron_never_finalizes_a_season_that_was_never_active(db):
    now = timezone.now()
    real = SeasonFactory(id="S-REAL", is_active=True, starts_at=now - 20 * 24 * HOUR, ends_at=now - 5 * 24 * HOUR)
    real.is_active = False  # deactivated once it ended: it was active, its History says so
    real.save()
    draft = SeasonFactory(id="S-DRAFT", starts_at=now - 10 * 24 * HOUR, ends_at=now - 2 * HOUR)  # never active
    season_board()

    call_command("generate_leaderboard", "--all", stdout=StringIO(), stderr=StringIO())

    final = LeaderboardRun.objects.get(is_final=True)
    assert (final.period_start, final.period_end) == (real.starts_at, real.ends_at)
    assert Season.objects.get(pk="S-REAL").finalized_at is not None
    assert Season.objects.get(pk=draft.pk).finalized_at is None


def test_a_final_run_for_a_period_that_is_no_seasons_dates_is_refused_and_writes_nothing(active):
    season_board()
    start = active.starts_at - datetime.timedelta(days=40)

    with pytest.raises(InvalidPeriod, match="No season runs exactly"):
        generate_final_run("lb_season_points", period_start=start, period_end=start + datetime.timedelta(days=1))

    assert not LeaderboardRun.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_window": "DAILY"}, "time_window"),
        ({"metric_key": "wins"}, "metric_key"),
        ({"fallback_metric_key": "wins"}, "fallback_metric_key"),
        ({"category_key": "pvp"}, "category_key"),
    ],
)
def test_a_board_of_season_points_must_say_so_consistently(db, fields, field):
    definition = LeaderboardDef(
        key="lb_bad",
        name="Bad",
        **(SEASON_POINTS | fields),
    )

    with pytest.raises(ValidationError) as caught:
        definition.full_clean()
    assert field in caught.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        definition.save()


def test_staff_create_one_by_ticking_rank_season_points_and_preview_it(admin_client, active):
    given_points(active, {"a": 10, "b": 30}, points_reached_at=T0)
    data = definition_form(challenge="", key="lb_pass", season_points="on", time_window="SEASON")

    response = admin_client.post(reverse("admin:leaderboards_leaderboarddef_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    definition = LeaderboardDef.objects.get(key="lb_pass")
    assert (definition.category_key, definition.metric_source, definition.metric_key) == ("season", "season", "points")
    preview = preview_definition(definition)
    assert (preview.season_id, preview.ranked) == ("S1", 2)
    assert [(r.cluster_id, r.score) for r in preview.rows] == [("b", 30), ("a", 10)]
    page = admin_client.post(reverse("admin:leaderboards_leaderboarddef_preview"), data | {"key": "lb_unsaved"})
    assert "the season points of S1" in page.content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"time_window": "DAILY"}, "time_window"), ({"challenge": "wins"}, "challenge")],
)
def test_the_form_names_what_does_not_fit_a_board_of_season_points(admin_client, active, fields, field):
    ChallengeFactory(code="wins")
    data = definition_form(challenge="", key="lb_pass", season_points="on", time_window="SEASON") | fields

    response = admin_client.post(reverse("admin:leaderboards_leaderboarddef_add"), data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not LeaderboardDef.objects.exists()


def test_the_form_asks_for_a_challenge_when_season_points_is_not_ticked(admin_client, db):
    response = admin_client.post(reverse("admin:leaderboards_leaderboarddef_add"), definition_form(challenge=""))

    assert "Pick the challenge" in str(response.context["adminform"].form.errors["challenge"])
