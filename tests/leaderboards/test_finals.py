"""Final runs: the standings of every ended period, generated once by cron, replaceable, kept, served."""

import datetime
import re
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from leaderboards.errors import InvalidPeriod
from leaderboards.models import LeaderboardRun, RunStatus
from leaderboards.periods import calendar_period, period_label
from leaderboards.services import generate_final_run, generate_leaderboard_run, prune_leaderboard_runs
from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory, SeasonFactory, given_history
from tests.helpers import iso, run_command, standings

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)


@pytest.fixture
def daily(wins, streak):
    """A DAILY board with gains yesterday (alice +5, bob +2) and today (bob +10)."""
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 100, "bob": 100}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 105, "bob": 102}, at=today.start - DAY / 2)
    given_history(wins, {"bob": 112}, at=timezone.now() - datetime.timedelta(seconds=1))
    LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    return today


def test_cron_generates_the_final_run_of_the_day_that_ended_then_todays_run(daily):
    out, _ = run_command("generate_leaderboard", "--all")

    final, current = LeaderboardRun.objects.order_by("id")
    assert (final.is_final, final.period_start, final.period_end) == (True, daily.start - DAY, daily.start)
    assert [(c, s) for _, _, c, s, _ in standings(final)] == [("alice", 5), ("bob", 2)]
    assert (current.is_final, current.period_start) == (False, daily.start)
    assert [(c, s) for _, _, c, s, _ in standings(current)] == [("bob", 10)]
    assert re.search(rf"lb_daily +run={final.pk} +COMPLETE +rows=2 .*final", out)


def test_the_next_tick_does_not_generate_the_final_run_again(daily):
    run_command("generate_leaderboard", "--all")

    run_command("generate_leaderboard", "--all")

    assert LeaderboardRun.objects.filter(is_final=True).count() == 1
    assert LeaderboardRun.objects.filter(is_final=False).count() == 2


def test_an_all_time_board_has_no_final_runs(wins):
    LeaderboardDefFactory(key="lb_all", challenge=wins)

    run_command("generate_leaderboard", "lb_all")

    assert not LeaderboardRun.objects.filter(is_final=True).exists()
    with pytest.raises(InvalidPeriod, match="no periods"):
        generate_final_run("lb_all", period_start=timezone.now() - DAY, period_end=timezone.now())


def test_the_last_ended_season_gets_its_final_run_between_seasons(wins, streak):
    now = timezone.now()
    season = SeasonFactory(starts_at=now - 10 * DAY, ends_at=now - DAY, is_active=True)
    given_history(wins, {"a": 1}, at=season.starts_at - DAY)
    given_history(wins, {"a": 9}, at=season.starts_at + DAY)
    LeaderboardDefFactory(key="lb_season", challenge=wins, time_window="SEASON")

    out, _ = run_command("generate_leaderboard", "--all")

    final = LeaderboardRun.objects.get()
    assert (final.is_final, final.period_start, final.period_end) == (True, season.starts_at, season.ends_at)
    assert standings(final) == [(1, 1, "a", 8, 0)]
    assert "SKIPPED" in out


def test_a_final_run_for_any_past_period_from_the_command(daily):
    out, _ = run_command(
        "generate_leaderboard",
        "lb_daily",
        "--final",
        "--period-start",
        (daily.start - DAY).isoformat(),
        "--period-end",
        daily.start.isoformat(),
    )

    final = LeaderboardRun.objects.get()
    assert final.is_final and final.is_backfill
    assert "final" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--final"], "--final needs --period-start and --period-end"),
        (["--final", "--period-start", "2025-01-01T00:00Z"], "give both --period-start and --period-end"),
    ],
)
def test_the_command_refuses_a_final_run_without_a_period(daily, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_leaderboard", "lb_daily", *args, stdout=StringIO(), stderr=StringIO())


def test_a_period_that_has_not_ended_has_no_final_run(daily):
    with pytest.raises(InvalidPeriod, match="a final run needs a period that has ended"):
        generate_final_run("lb_daily", period_start=daily.start, period_end=daily.end)
    assert not LeaderboardRun.objects.exists()


def test_regenerating_a_final_run_supersedes_the_old_one_which_is_served_only_by_id(daily, api, wins):
    yesterday = {"period_start": daily.start - DAY, "period_end": daily.start}
    old = generate_final_run("lb_daily", **yesterday)
    given_history(wins, {"carol": 40}, at=daily.start - DAY / 4)  # a late correction of yesterday

    new = generate_final_run("lb_daily", **yesterday, note="carol's late correction")

    old.refresh_from_db()
    assert (old.status, new.status) == (RunStatus.SUPERSEDED, RunStatus.COMPLETE)
    assert standings(new)[0][2] == "carol"
    assert api.get(f"/leaderboards/lb_daily/runs/{old.pk}").json()["leaderboard"]["status"] == "SUPERSEDED"
    assert [run["runId"] for run in api.get("/leaderboards/lb_daily/finals").json()["results"]] == [new.pk]
    assert api.get("/leaderboards/lb_daily/finals/previous").json()["leaderboard"]["runId"] == new.pk


def test_the_database_refuses_two_published_final_runs_of_one_period(daily):
    yesterday = {"period_start": daily.start - DAY, "period_end": daily.start}
    run = generate_final_run("lb_daily", **yesterday)

    with pytest.raises(IntegrityError), transaction.atomic():
        LeaderboardRunFactory(leaderboard=run.leaderboard, is_final=True, **yesterday)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="readers in another connection while it publishes")
def test_a_reader_sees_the_old_final_run_or_the_new_one_never_neither_nor_both(daily):
    yesterday = {"period_start": daily.start - DAY, "period_end": daily.start}
    generate_final_run("lb_daily", **yesterday)
    seen, done = set(), threading.Event()

    def read():
        try:
            while not done.is_set():
                seen.add(
                    LeaderboardRun.objects.filter(
                        leaderboard_id="lb_daily", is_final=True, status=RunStatus.COMPLETE
                    ).count()
                )
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(5):
            generate_final_run("lb_daily", **yesterday, note="again")
    finally:
        done.set()
        reader.join()

    assert seen == {1}


def test_the_latest_run_is_never_a_final_run(daily):
    current = generate_leaderboard_run("lb_daily")
    generate_final_run("lb_daily", period_start=daily.start - DAY, period_end=daily.start)  # newer id

    from leaderboards.selectors import latest_complete_run

    assert latest_complete_run("lb_daily").pk == current.pk


def test_prune_keeps_final_runs_unless_told_to_drop_old_ones(daily):
    for back in range(1, 4):
        generate_final_run("lb_daily", period_start=daily.start - back * DAY, period_end=daily.start - (back - 1) * DAY)
    superseded = generate_final_run(
        "lb_daily", period_start=daily.start - DAY, period_end=daily.start, note="a correction"
    )
    for _ in range(3):
        generate_leaderboard_run("lb_daily")

    prune_leaderboard_runs(keep=1)
    assert LeaderboardRun.objects.filter(is_final=True).count() == 4  # 3 periods + 1 superseded
    assert LeaderboardRun.objects.filter(is_final=False).count() == 1

    now = timezone.now()
    prune_leaderboard_runs(keep=1, finals_older_than=now - (daily.start - DAY - datetime.timedelta(hours=1)), now=now)
    periods = set(LeaderboardRun.objects.filter(is_final=True).values_list("period_end", flat=True))
    assert periods == {daily.start, daily.start - DAY}
    assert LeaderboardRun.objects.filter(pk=superseded.pk).exists()


def test_the_prune_command_takes_finals_older_than(daily):
    generate_final_run("lb_daily", period_start=daily.start - 5 * DAY, period_end=daily.start - 4 * DAY)

    call_command("prune_leaderboard_runs", "--finals-older-than", "2", stdout=StringIO())

    assert not LeaderboardRun.objects.filter(is_final=True).exists()


# --- API -----------------------------------------------------------------------------------------


@pytest.fixture
def finals(daily):
    runs = [
        generate_final_run("lb_daily", period_start=daily.start - back * DAY, period_end=daily.start - (back - 1) * DAY)
        for back in (3, 1, 2)
    ]
    generate_leaderboard_run("lb_daily")
    return sorted(runs, key=lambda run: run.period_end, reverse=True)


def test_finals_are_listed_newest_period_first_in_pages(api, finals, django_assert_num_queries):
    # the definition, the page of runs, the runs they replaced
    with django_assert_num_queries(3):
        first = api.get("/leaderboards/lb_daily/finals?limit=2").json()

    assert [run["runId"] for run in first["results"]] == [finals[0].pk, finals[1].pk]
    assert first["results"][0] == {
        "runId": finals[0].pk,
        "periodStart": finals[0].period_start.isoformat().replace("+00:00", "Z"),
        "periodEnd": finals[0].period_end.isoformat().replace("+00:00", "Z"),
        "periodLabel": period_label("DAILY", finals[0].period_start),
        "rowCount": finals[0].row_count,
        "generatedAt": finals[0].finished_at.isoformat().replace("+00:00", "Z"),
        "isFinal": True,
        "supersedes": [],
        "correctedAt": None,
        "correctionNote": None,
    }
    assert first["next"] == f"http://testserver/leaderboards/lb_daily/finals?limit=2&before={finals[1].pk}"
    second = api.get(first["next"]).json()
    assert ([run["runId"] for run in second["results"]], second["next"]) == ([finals[2].pk], None)


def test_the_previous_final_run_is_served_like_latest(api, finals, django_assert_num_queries):
    with django_assert_num_queries(4):  # the definition, the run, the display names (issue #24), its entries
        body = api.get("/leaderboards/lb_daily/finals/previous/?limit=5").json()

    assert body["leaderboard"]["runId"] == finals[0].pk
    assert body["leaderboard"]["isFinal"] is True
    assert body["leaderboard"]["nextResetAt"] == iso(calendar_period("DAILY", now=timezone.now()).end)
    assert [entry["clusterId"] for entry in body["entries"]] == ["alice", "bob"]


def test_no_previous_final_run_yet_is_a_json_404(api, daily):
    response = api.get("/leaderboards/lb_daily/finals/previous")

    assert response.status_code == 404
    assert response.json() == {"detail": "Leaderboard 'lb_daily' has no final run of its previous period yet."}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "before=x", "before=", "limit=1.5"])
def test_bad_finals_parameters_are_a_400_naming_the_parameter(api, daily, query):
    response = api.get(f"/leaderboards/lb_daily/finals?{query}")

    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}


def test_finals_of_an_unknown_leaderboard_are_a_404(api, db):
    assert api.get("/leaderboards/nope/finals").status_code == 404
