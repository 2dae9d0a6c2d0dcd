"""The definition form's Preview: the top 20 and the count its unsaved settings would rank now; nothing written."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from hedge.core import preview as preview_core
from leaderboards.admin import preview as preview_module
from leaderboards.models import LeaderboardDef, LeaderboardRun
from tests.factories import ChallengeFactory, LeaderboardDefFactory, given_history, given_progress
from tests.helpers import definition_form

pytestmark = pytest.mark.django_db

ADD_PREVIEW = reverse("admin:leaderboards_leaderboarddef_preview")


def rows_of(response) -> list[tuple]:
    return [(r.position, r.rank, r.cluster_id, r.score, r.tiebreaker) for r in response.context["preview"].rows]


def test_the_preview_of_an_unsaved_definition_shows_its_top_20_and_how_many_would_be_ranked(
    admin_client, wins, streak, django_assert_num_queries
):
    given_progress(wins, {f"c{n:02d}": n for n in range(1, 31)} | {"tied": 30})
    given_progress(streak, {"tied": 5})

    # 2 session and user; 2 the picked challenges; 6 two check constraints (each in a savepoint); 1 the key is
    # unique; 2 the model's resolution of the challenges; 2 the preview's; 4 its transaction, the top 20, the count.
    # PostgreSQL: 2 more, to set and restore the statement timeout. The same whatever the number of clusters.
    with django_assert_num_queries(19 + (2 if connection.vendor == "postgresql" else 0)):
        response = admin_client.post(ADD_PREVIEW, definition_form(challenge=wins, fallback=streak, max_entries="10"))

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.ranked, preview.kept) == (31, 10)
    assert rows_of(response)[:3] == [(1, 1, "tied", 30, 5), (2, 2, "c30", 30, 0), (3, 3, "c29", 29, 0)]
    assert len(preview.rows) == 20
    assert "31</strong> clusters would be ranked now" in response.content.decode()
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # shown in a frame of the form page
    assert not LeaderboardDef.objects.exists() and not LeaderboardRun.objects.exists()


def test_the_preview_of_a_saved_definition_uses_the_form_values_not_the_stored_ones(admin_client, wins):
    other = ChallengeFactory(code="other", category=wins.category, metric_source="pvp", metric_key="kills")
    given_progress(wins, {"alice": 3})
    given_progress(other, {"bob": 7, "carol": 1})
    definition = LeaderboardDefFactory(key="lb_wins", challenge=wins)
    url = reverse("admin:leaderboards_leaderboarddef_preview", args=[definition.pk])

    response = admin_client.post(url, definition_form(challenge=other, key="lb_wins"))

    assert [row[2] for row in rows_of(response)] == ["bob", "carol"]
    definition.refresh_from_db()
    assert definition.metric_key == "wins"


def test_the_preview_of_a_gains_board_ranks_what_was_gained_in_the_current_period(admin_client, wins):
    now = timezone.now()
    given_history(wins, {"alice": 10, "bob": 50}, at=now - datetime.timedelta(days=400))
    given_history(wins, {"alice": 14}, at=now - datetime.timedelta(seconds=1))

    response = admin_client.post(ADD_PREVIEW, definition_form(challenge=wins, time_window="DAILY"))

    assert [(row[2], row[3]) for row in rows_of(response)] == [("alice", 4)]


def test_an_invalid_form_shows_its_errors_in_the_preview(admin_client, wins):
    response = admin_client.post(ADD_PREVIEW, definition_form(challenge="", key="Bad Key"))

    content = response.content.decode()
    assert response.status_code == 200 and "preview" not in response.context
    assert "Challenge: Pick the challenge the board ranks" in content
    assert "Key: Use lowercase letters" in content


def test_a_season_board_between_seasons_says_why_there_is_nothing_to_preview(admin_client, wins):
    response = admin_client.post(ADD_PREVIEW, definition_form(challenge=wins, time_window="SEASON"))

    assert response.context["unavailable"].startswith("No season is active at")


def test_the_statement_timeout_really_stops_a_slow_preview(admin_client, wins, monkeypatch):
    """A real cancelled statement (PostgreSQL's statement_timeout, SQLite's progress handler), not a mock."""
    given_progress(wins, {"alice": 1})
    monkeypatch.setattr(preview_core, "TIMEOUT_SECONDS", 0.001)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT COUNT(*) FROM n"
    monkeypatch.setitem(preview_module.sql.PREVIEW, "CURRENT_VALUES", slow)

    response = admin_client.post(ADD_PREVIEW, definition_form(challenge=wins))

    assert response.context["unavailable"].startswith("The preview took longer than")


def test_the_preview_needs_a_post_and_a_staff_login(client, admin_client):
    assert admin_client.get(ADD_PREVIEW).status_code == 405
    assert client.post(ADD_PREVIEW, {}).status_code == 302  # to the login page


def test_the_form_page_has_the_preview_button_and_frame(admin_client, wins):
    page = admin_client.get(reverse("admin:leaderboards_leaderboarddef_add")).content.decode()

    assert f'formaction="{ADD_PREVIEW}" formtarget="hedge-preview"' in page
    assert '<iframe name="hedge-preview"' in page
