"""Generating from the admin: a run for an explicit period (or final standings), and the warning before long runs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leaderboards.models import LeaderboardDef, LeaderboardRun, RunStatus
from tests.factories import LeaderboardDefFactory, given_history, given_progress
from tests.helpers import messages_of

pytestmark = pytest.mark.django_db

DEF_CHANGELIST = reverse("admin:leaderboards_leaderboarddef_changelist")


def generate_url(definition) -> str:
    return reverse("admin:leaderboards_leaderboarddef_generate", args=[definition.pk])


@pytest.fixture
def daily(wins):
    return LeaderboardDefFactory(key="lb_daily_wins", challenge=wins, time_window="DAILY")


def test_the_definition_page_links_to_the_generate_form(admin_client, daily):
    page = admin_client.get(reverse("admin:leaderboards_leaderboarddef_change", args=[daily.pk])).content.decode()

    assert f'href="{generate_url(daily)}"' in page


def test_a_run_of_an_explicit_period_is_a_backfill_and_the_page_goes_to_it(admin_client, wins, daily):
    given_history(wins, {"alice": 1}, at=datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC))
    given_history(wins, {"alice": 4}, at=datetime.datetime(2025, 3, 2, 12, tzinfo=datetime.UTC))

    response = admin_client.post(
        generate_url(daily), {"period_start": "2025-03-02T00:00", "period_end": "2025-03-03T00:00"}
    )

    run = LeaderboardRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:leaderboards_leaderboardrun_change", args=[run.pk])
    assert (run.status, run.is_backfill, run.is_final, run.row_count) == (RunStatus.COMPLETE, True, False, 1)
    assert run.period_start == datetime.datetime(2025, 3, 2, tzinfo=datetime.UTC)
    assert messages_of(response) == [
        ("success", f"lb_daily_wins: run {run.pk} COMPLETE, 1 rows (period 2025-03-02 00:00 – 2025-03-03 00:00 UTC).")
    ]


def test_without_dates_the_current_period_is_generated(admin_client, wins, daily):
    admin_client.post(generate_url(daily), {})

    run = LeaderboardRun.objects.get()
    assert (run.is_backfill, run.period_end - run.period_start) == (False, datetime.timedelta(days=1))


def test_final_standings_of_an_ended_period(admin_client, wins, daily):
    admin_client.post(
        generate_url(daily), {"period_start": "2025-03-02T00:00", "period_end": "2025-03-03T00:00", "final": "on"}
    )

    assert LeaderboardRun.objects.get().is_final is True


def test_replacing_published_final_standings_needs_a_note_and_records_who_and_why(admin_client, daily):
    period = {"period_start": "2025-03-02T00:00", "period_end": "2025-03-03T00:00", "final": "on"}
    admin_client.post(generate_url(daily), period)

    refused = admin_client.post(generate_url(daily), period)
    replaced = admin_client.post(generate_url(daily), {**period, "note": "cheater excluded"})

    assert "needs a note" in " ".join(str(e) for e in refused.context["form"].non_field_errors())
    assert replaced.status_code == 302
    old, new = LeaderboardRun.objects.order_by("id")
    assert (old.status, old.superseded_by_id) == (RunStatus.SUPERSEDED, new.pk)
    assert (new.note, new.requested_by.username) == ("cheater excluded", "admin")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period_start": "2025-03-02T00:00"}, "Give both period_start and period_end, or neither."),
        (
            {"period_start": "2025-03-03T00:00", "period_end": "2025-03-02T00:00"},
            "period_start (2025-03-03T00:00:00+00:00) must be before period_end (2025-03-02T00:00:00+00:00).",
        ),
        ({"final": "on"}, "A final run needs period_start and period_end."),
        ({"period_start": "yesterday", "period_end": "2025-03-02T00:00"}, "Enter a valid date/time."),
    ],
)
def test_an_invalid_period_is_a_form_error_and_writes_nothing(admin_client, daily, data, message):
    response = admin_client.post(generate_url(daily), data)

    assert response.status_code == 200
    assert message in [str(e) for errors in response.context["form"].errors.values() for e in errors]
    assert not LeaderboardRun.objects.exists()


def test_a_final_run_of_a_period_that_has_not_ended_is_refused(admin_client, daily):
    later = timezone.now() + datetime.timedelta(days=2)

    response = admin_client.post(
        generate_url(daily),
        {"period_start": "2025-03-02T00:00", "period_end": later.strftime("%Y-%m-%dT%H:%M"), "final": "on"},
    )

    [error] = response.context["form"].non_field_errors()
    assert "a final run needs a period that has ended" in error
    assert not LeaderboardRun.objects.exists()


def test_a_refused_generation_is_shown_on_the_form(admin_client, wins):
    season_board = LeaderboardDefFactory(key="lb_season", challenge=wins, time_window="SEASON")

    response = admin_client.post(generate_url(season_board), {})

    [error] = response.context["form"].non_field_errors()
    assert error.startswith("No season is active at")


def test_an_inactive_leaderboard_needs_the_force_box(admin_client, wins):
    paused = LeaderboardDefFactory(key="lb_paused", challenge=wins, is_active=False)

    refused = admin_client.post(generate_url(paused), {})
    forced = admin_client.post(generate_url(paused), {"force": "on"})

    assert refused.context["form"].non_field_errors() == [
        "Leaderboard 'lb_paused' is inactive; activate it or force the run."
    ]
    assert forced.status_code == 302 and LeaderboardRun.objects.count() == 1


def test_a_board_that_ranks_everyone_is_generated_only_after_a_warning(admin_client, wins):
    given_progress(wins, {"alice": 3})
    everyone = LeaderboardDefFactory(key="lb_everyone", challenge=wins, max_entries=0)
    top = LeaderboardDefFactory(key="lb_top", challenge=wins)
    selected = {"action": "generate_now", "_selected_action": [everyone.pk, top.pk]}

    warning = admin_client.post(DEF_CHANGELIST, selected)
    confirmed = admin_client.post(DEF_CHANGELIST, {**selected, "confirm": "yes"})

    assert warning.status_code == 200
    assert "rank every cluster" in warning.content.decode() and "lb_everyone" in warning.content.decode()
    assert confirmed.status_code == 302
    assert sorted(LeaderboardRun.objects.values_list("leaderboard_id", flat=True)) == ["lb_everyone", "lb_top"]


def test_the_generate_form_warns_when_the_board_ranks_everyone(admin_client, wins):
    everyone = LeaderboardDefFactory(key="lb_everyone", challenge=wins, max_entries=0)

    assert "This leaderboard ranks every cluster." in admin_client.get(generate_url(everyone)).content.decode()


def test_messages_keep_the_keys_case(admin_client, wins):
    given_progress(wins, {"alice": 3})
    LeaderboardDefFactory(key="lb_ready", challenge=wins)

    response = admin_client.post(
        DEF_CHANGELIST, {"action": "generate_now", "_selected_action": [LeaderboardDef.objects.get().pk]}, follow=True
    )

    assert '<li class="success">lb_ready: run ' in response.content.decode()
