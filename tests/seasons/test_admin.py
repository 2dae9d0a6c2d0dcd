import datetime

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hedge.core.admin import CappedCountPaginator
from seasons.admin import seasons as season_admin
from seasons.models import Season, SeasonChallengeWeight, SeasonProgress
from tests.factories import (
    ChallengeFactory,
    ChallengeProgressFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
)
from tests.helpers import form_errors_of, messages_of, season_form

pytestmark = pytest.mark.django_db

SEASONS = "/admin/seasons/season/"
PROGRESS = "/admin/seasons/seasonprogress/"


# --- pages load ----------------------------------------------------------------------------------


def test_season_list_shows_weight_and_progress_cluster_counts_in_a_fixed_number_of_queries(admin_client):
    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(SEASONS)
        assert response.status_code == 200
        return len(captured), response

    season = SeasonFactory(id="S1-TEST", is_active=True)
    SeasonChallengeWeightFactory.create_batch(3, season=season)
    SeasonProgressFactory.create_batch(4, season=season, points=10)
    SeasonProgressFactory(season=season, points=0)
    one_season, response = queries_for_page()
    for _ in range(4):
        other = SeasonFactory()
        SeasonChallengeWeightFactory.create_batch(2, season=other)
        SeasonProgressFactory.create_batch(2, season=other, points=5)
    five_seasons, _ = queries_for_page()

    row = next(r for r in response.context["cl"].result_list if r.pk == "S1-TEST")
    # A cluster with a row counts even with 0 points.
    assert (row.weight_count, row.clusters_with_progress) == (3, 5)
    assert five_seasons == one_season


def test_season_add_and_change_pages_load(admin_client):
    season = SeasonFactory(id="S1-TEST")
    SeasonChallengeWeightFactory(season=season)

    assert admin_client.get(f"{SEASONS}add/").status_code == 200
    response = admin_client.get(f"{SEASONS}S1-TEST/change/")
    assert response.status_code == 200
    assert "id" in response.context["adminform"].readonly_fields


def test_progress_list_loads_filtered_by_season_searched_by_cluster_and_ordered_by_points(admin_client):
    season, other = SeasonFactory(id="S1-TEST"), SeasonFactory()
    for cluster_id, points in [("low", 5), ("high", 500), ("mid", 50)]:
        SeasonProgressFactory(season=season, cluster_id=cluster_id, points=points)
    SeasonProgressFactory(season=other, cluster_id="elsewhere", points=10_000)

    response = admin_client.get(PROGRESS, {"season__id__exact": "S1-TEST"})
    assert response.status_code == 200
    assert [r.cluster_id for r in response.context["cl"].result_list] == ["high", "mid", "low"]
    response = admin_client.get(PROGRESS, {"q": "mid"})
    assert [r.cluster_id for r in response.context["cl"].result_list] == ["mid"]


def test_progress_list_counts_no_further_than_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 3)
    SeasonProgressFactory.create_batch(6)

    response = admin_client.get(PROGRESS)

    assert response.context["cl"].result_count == 4  # "4 results": the cap, plus one to say "more"


def test_progress_is_read_only_in_admin(admin_client):
    row = SeasonProgressFactory(points=5)

    assert admin_client.get(f"{PROGRESS}add/").status_code == 403
    assert admin_client.post(f"{PROGRESS}{row.pk}/change/", {"points": 999}).status_code == 403
    assert admin_client.post(f"{PROGRESS}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SeasonProgress.objects.get().points == 5


# --- saving --------------------------------------------------------------------------------------


def test_a_new_season_is_created_with_its_weights_inline(admin_client):
    alpha, beta = ChallengeFactory(code="alpha"), ChallengeFactory(code="beta")

    response = admin_client.post(
        f"{SEASONS}add/", season_form(id="S2-2025", weights=[(None, alpha, 1), (None, beta, 4)])
    )

    assert response.status_code == 302, form_errors_of(response)
    season = Season.objects.get()
    assert season.pk == "S2-2025"
    assert dict(season.weights.values_list("challenge_id", "weight")) == {"alpha": 1, "beta": 4}


def test_inline_weights_are_changed_added_and_deleted_on_the_season_page(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha, beta, gamma = ChallengeFactory(code="alpha"), ChallengeFactory(code="beta"), ChallengeFactory(code="gamma")
    kept = SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=1)
    dropped = SeasonChallengeWeightFactory(season=season, challenge=beta, weight=2)
    data = season_form(season, weights=[(kept, alpha, 5), (dropped, beta, 2), (None, gamma, 3)])
    data["weights-1-DELETE"] = "on"

    response = admin_client.post(f"{SEASONS}S1-TEST/change/", data)

    assert response.status_code == 302, form_errors_of(response)
    assert dict(season.weights.values_list("challenge_id", "weight")) == {"alpha": 5, "gamma": 3}


def test_a_second_active_season_is_a_form_error_naming_and_linking_the_active_one(admin_client):
    SeasonFactory(id="S1-TEST", name="Spring", is_active=True)
    other = SeasonFactory(id="S2-TEST")

    response = admin_client.post(f"{SEASONS}S2-TEST/change/", season_form(other, is_active=True))

    assert response.status_code == 200
    assert form_errors_of(response) == [
        'Season <a href="/admin/seasons/season/S1-TEST/change/">S1-TEST (Spring)</a> is already active;'
        " deactivate it first (one season is active at a time)."
    ]
    assert '<a href="/admin/seasons/season/S1-TEST/change/">S1-TEST (Spring)</a>' in response.content.decode()
    assert list(Season.objects.filter(is_active=True).values_list("pk", flat=True)) == ["S1-TEST"]


def test_a_season_ending_before_it_starts_is_a_form_error(admin_client):
    season = SeasonFactory(id="S1-TEST")
    starts_at = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)

    response = admin_client.post(
        f"{SEASONS}S1-TEST/change/", season_form(season, starts_at=starts_at, ends_at=starts_at)
    )

    assert response.status_code == 200
    assert form_errors_of(response) == ["The season must end after it starts."]
    season.refresh_from_db()
    assert season.starts_at != starts_at


def test_a_bad_season_id_is_a_form_error(admin_client):
    response = admin_client.post(f"{SEASONS}add/", season_form(id="S1 2025!"))

    assert response.status_code == 200
    assert form_errors_of(response) == ["Use letters, digits, '-' and '_' only (e.g. S1-2025)."]
    assert not Season.objects.exists()


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (-2, "Ensure this value is greater than or equal to 1."),
        (1_000_001, "Ensure this value is less than or equal to 1000000."),
    ],
)
def test_a_weight_out_of_range_is_a_form_error(admin_client, weight, message):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")

    response = admin_client.post(f"{SEASONS}S1-TEST/change/", season_form(season, weights=[(None, alpha, weight)]))

    assert response.status_code == 200
    assert form_errors_of(response) == [message]
    assert not SeasonChallengeWeight.objects.exists()


def test_a_weight_of_a_million_is_saved(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")

    response = admin_client.post(f"{SEASONS}S1-TEST/change/", season_form(season, weights=[(None, alpha, 1_000_000)]))

    assert response.status_code == 302, form_errors_of(response)
    assert list(season.weights.values_list("weight", flat=True)) == [1_000_000]


def test_the_same_challenge_twice_in_the_inline_is_a_form_error(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")

    response = admin_client.post(
        f"{SEASONS}S1-TEST/change/", season_form(season, weights=[(None, alpha, 1), (None, alpha, 2)])
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data for challenge." in form_errors_of(response)
    assert not SeasonChallengeWeight.objects.exists()


def test_a_new_weight_for_an_already_weighted_challenge_is_a_form_error(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")
    existing = SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=1)

    response = admin_client.post(
        f"{SEASONS}S1-TEST/change/", season_form(season, weights=[(existing, alpha, 1), (None, alpha, 7)])
    )

    assert response.status_code == 200
    assert form_errors_of(response)
    assert list(season.weights.values_list("weight", flat=True)) == [1]


# --- scoring changes and seasons that have ended -------------------------------------------------

RECOMPUTE_WARNING = (
    "Season S1-TEST changed how its points are computed: its stored points and levels are out of date (shown on"
    " its page, and as stale in /progress) until it is recomputed: run “Recompute progress” on it, or the next ETL"
    " run recomputes every cluster of it. Meanwhile a claim recomputes its cluster first."
)


def test_changing_points_per_level_warns_to_recompute_and_recomputes_nothing(admin_client):
    season = SeasonFactory(id="S1-TEST", is_active=True, points_per_level=1000)
    SeasonProgressFactory(season=season, cluster_id="c1", points=2680, level=2)

    response = admin_client.post(f"{SEASONS}S1-TEST/change/", season_form(season, points_per_level=300))

    assert response.status_code == 302, form_errors_of(response)
    assert ("warning", RECOMPUTE_WARNING) in messages_of(response)
    assert season.progress.get().level == 2


@pytest.mark.parametrize("change", ["weight changed", "weight added", "weight deleted"])
def test_changing_the_weights_warns_to_recompute(admin_client, change):
    season = SeasonFactory(id="S1-TEST")
    SeasonProgressFactory(season=season, cluster_id="c1", points=5)
    alpha, beta = ChallengeFactory(code="alpha"), ChallengeFactory(code="beta")
    row = SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=1)
    weights = {
        "weight changed": [(row, alpha, 2)],
        "weight added": [(row, alpha, 1), (None, beta, 1)],
        "weight deleted": [(row, alpha, 1)],
    }[change]
    data = season_form(season, weights=weights)
    if change == "weight deleted":
        data["weights-0-DELETE"] = "on"

    response = admin_client.post(f"{SEASONS}S1-TEST/change/", data)

    assert response.status_code == 302, form_errors_of(response)
    assert ("warning", RECOMPUTE_WARNING) in messages_of(response)


def test_changing_the_scoring_of_a_season_without_progress_does_not_warn(admin_client):
    season = SeasonFactory(id="S1-TEST", is_active=False, points_per_level=1000)
    alpha = ChallengeFactory(code="alpha")

    response = admin_client.post(
        f"{SEASONS}S1-TEST/change/", season_form(season, points_per_level=300, weights=[(None, alpha, 2)])
    )

    assert response.status_code == 302, form_errors_of(response)
    assert [level for level, _ in messages_of(response)] == ["success"]


def test_changing_only_the_name_does_not_warn(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")
    row = SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=1)

    response = admin_client.post(
        f"{SEASONS}S1-TEST/change/", season_form(season, name="Renamed", weights=[(row, alpha, 1)])
    )

    assert response.status_code == 302, form_errors_of(response)
    assert [level for level, _ in messages_of(response)] == ["success"]


@pytest.fixture
def ended(db):
    """A season that ended and was finalized (its final recompute ran)."""
    now = timezone.now()
    season = SeasonFactory(
        id="S0", starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=1), finalized_at=now
    )
    alpha = ChallengeFactory(code="alpha")
    return season, SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=1)


def test_scoring_of_a_season_that_has_ended_is_shown_read_only(admin_client, ended):
    response = admin_client.get(f"{SEASONS}S0/change/")

    assert response.status_code == 200
    assert "points_per_level" in response.context["adminform"].readonly_fields
    # Weights, the level curve and the rewards.
    inlines = response.context["inline_admin_formsets"]
    assert [(i.has_add_permission, i.has_change_permission, i.has_delete_permission) for i in inlines] == [
        (False, False, False)
    ] * 3


def test_posting_new_scoring_for_a_season_that_has_ended_changes_none_of_it(admin_client, ended):
    season, row = ended
    beta = ChallengeFactory(code="beta")
    data = season_form(season, name="Renamed", points_per_level=5, weights=[(row, row.challenge, 9), (None, beta, 4)])

    response = admin_client.post(f"{SEASONS}S0/change/", data)

    assert response.status_code == 302, form_errors_of(response)
    season.refresh_from_db()
    assert (season.name, season.points_per_level) == ("Renamed", 1000)
    assert dict(season.weights.values_list("challenge_id", "weight")) == {"alpha": 1}
    assert [level for level, _ in messages_of(response)] == ["success"]


# --- deleting ------------------------------------------------------------------------------------


def test_the_delete_page_counts_progress_rows_in_a_fixed_number_of_queries(admin_client):
    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(f"{SEASONS}S1-TEST/delete/")
        assert response.status_code == 200
        # Django's own page loads every progress row of the season (in one query) to list it.
        progress_sql = [q["sql"] for q in captured if "season_progress" in q["sql"]]
        assert progress_sql and all("COUNT(" in sql.upper() for sql in progress_sql), progress_sql
        return len(captured), response

    season = SeasonFactory(id="S1-TEST")
    SeasonChallengeWeightFactory.create_batch(2, season=season)
    SeasonProgressFactory.create_batch(2, season=season)
    few, _ = queries_for_page()
    SeasonProgressFactory.create_batch(40, season=season)
    many, response = queries_for_page()

    assert many == few
    assert "42 season progress rows" in response.context["deleted_objects"]
    assert "2 weights" in response.context["deleted_objects"]


def test_deleting_a_season_in_admin_removes_it_with_its_weights_and_progress(admin_client):
    season, kept = SeasonFactory(id="S1-TEST"), SeasonFactory(id="S2-TEST")
    for each in (season, kept):
        SeasonChallengeWeightFactory.create_batch(2, season=each)
        SeasonProgressFactory.create_batch(3, season=each)

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.post(f"{SEASONS}S1-TEST/delete/", {"post": "yes"})

    assert response.status_code == 302
    # Counted for the page, then removed with one DELETE: no progress row is loaded.
    progress_sql = [q["sql"].upper() for q in captured if '"season_progress"' in q["sql"]]
    assert ["COUNT(" in sql or sql.split(" ", 1)[0] for sql in progress_sql] == [True, "DELETE"], progress_sql
    assert list(Season.objects.values_list("pk", flat=True)) == ["S2-TEST"]
    assert set(SeasonChallengeWeight.objects.values_list("season_id", flat=True)) == {"S2-TEST"}
    assert set(SeasonProgress.objects.values_list("season_id", flat=True)) == {"S2-TEST"}
    assert SeasonProgress.objects.count() == 3


# --- the action ----------------------------------------------------------------------------------


def test_recompute_progress_action_recomputes_and_reports_the_counts(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")
    SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=3)
    for cluster_id, value in [("c1", 100), ("c2", 400)]:
        ChallengeProgressFactory(cluster_id=cluster_id, challenge=alpha, value=value)
    SeasonProgressFactory(season=season, cluster_id="c1", points=300, level=0)
    SeasonProgressFactory(season=season, cluster_id="gone", points=50)

    response = admin_client.post(SEASONS, {"action": "recompute_progress", "_selected_action": ["S1-TEST"]})

    assert response.status_code == 302
    assert [text for _, text in messages_of(response)] == [
        "Recomputed season S1-TEST: 3 clusters computed, 1 inserted, 1 updated, 1 unchanged."
    ]
    assert dict(season.progress.values_list("cluster_id", "points")) == {"c1": 300, "c2": 1200, "gone": 0}


def test_recompute_progress_action_leaves_a_finalized_season_alone(admin_client):
    now = timezone.now()
    SeasonFactory(
        id="S0", starts_at=now - datetime.timedelta(days=60), ends_at=now - datetime.timedelta(days=1), finalized_at=now
    )

    response = admin_client.post(SEASONS, {"action": "recompute_progress", "_selected_action": ["S0"]})

    messages = [text for _, text in messages_of(response)]
    assert len(messages) == 1 and messages[0].startswith("Season S0 was not recomputed: season S0 ended at")


@pytest.mark.parametrize(
    "error", [DatabaseError("bigint out of range"), ValueError("bad")], ids=["database error", "value error"]
)
def test_recompute_progress_action_reports_a_failed_season_and_goes_on_with_others(admin_client, monkeypatch, error):
    real = season_admin.recompute_season

    def recompute(season, **kwargs):
        if season.pk == "S1-BAD":
            raise error
        return real(season, **kwargs)

    monkeypatch.setattr(season_admin, "recompute_season", recompute)
    SeasonFactory(id="S1-BAD")
    SeasonFactory(id="S2-OK")

    response = admin_client.post(SEASONS, {"action": "recompute_progress", "_selected_action": ["S1-BAD", "S2-OK"]})

    assert response.status_code == 302
    assert sorted(messages_of(response)) == [
        ("error", f"Season S1-BAD was not recomputed: {error}"),
        ("success", "Recomputed season S2-OK: 0 clusters computed, 0 inserted, 0 updated, 0 unchanged."),
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL refuses a bigint overflow; SQLite turns value x weight into a float and raises nothing",
)
def test_recompute_progress_action_reports_points_beyond_64_bits_without_a_500(admin_client):
    season = SeasonFactory(id="S1-TEST")
    alpha = ChallengeFactory(code="alpha")
    SeasonChallengeWeightFactory(season=season, challenge=alpha, weight=10)
    # No accepted value can overflow any more (MAX_PROGRESS_VALUE, checked by the table): to see the
    # action's answer to a real overflow, the bound is lifted inside this test's own transaction.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE challenge_progress DROP CONSTRAINT challenge_progress_value_at_most_max")
    ChallengeProgressFactory(cluster_id="c1", challenge=alpha, value=2**62)
    SeasonProgressFactory(season=season, cluster_id="c1", points=7)

    response = admin_client.post(SEASONS, {"action": "recompute_progress", "_selected_action": ["S1-TEST"]})

    assert response.status_code == 302
    ((level, message),) = messages_of(response)
    assert level == "error"
    assert message.startswith("Season S1-TEST was not recomputed: bigint out of range")
    assert list(season.progress.values_list("points", flat=True)) == [7]
