"""Every ended period gets its final run, whatever ticks cron missed; finals/previous is the period just before."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from leaderboards import services, signals
from leaderboards.errors import GenerationFailed
from leaderboards.models import LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunStatus
from leaderboards.periods import calendar_period
from leaderboards.services import generate_due_final_runs
from tests.factories import LeaderboardDefFactory, LeaderboardRunFactory, SeasonFactory, given_history
from tests.helpers import RANKING, around_statements

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
DEC = {day: datetime.datetime(2025, 12, day, tzinfo=UTC) for day in range(1, 8)}


def board(challenge, *, created_at, key="lb_daily", time_window="DAILY") -> LeaderboardDef:
    definition = LeaderboardDefFactory(key=key, challenge=challenge, time_window=time_window)
    LeaderboardDef.objects.filter(key=key).update(created_at=created_at)  # auto_now_add ignores a given value
    definition.refresh_from_db()
    return definition


def finals(key="lb_daily") -> list[tuple]:
    """(period start, period end) of the published final runs, in the order they were made."""
    runs = LeaderboardRun.objects.filter(leaderboard_id=key, is_final=True, status=RunStatus.COMPLETE)
    return list(runs.order_by("id").values_list("period_start", "period_end"))


def day(start) -> tuple:
    return (start, start + DAY)


@pytest.fixture
def every_day(wins):
    """A DAILY board created on 11-30 at 01:00; alice gains 1 a day and bob 2, from 11-25 to 12-06."""
    given_history(wins, {"alice": 0, "bob": 0}, at=DEC[1] - 7 * DAY)
    moment = DEC[1] - 6 * DAY + datetime.timedelta(hours=12)
    for n in range(1, 13):
        given_history(wins, {"alice": n, "bob": 2 * n}, at=moment)
        moment += DAY
    return board(wins, created_at=DEC[1] - DAY + datetime.timedelta(hours=1))


@pytest.fixture
def heard():
    published = []
    signals.final_run_published.connect(
        lambda sender, run, **kwargs: published.append((run.period_start, run.status)),
        dispatch_uid="test.heard",
        weak=False,
    )
    yield published
    signals.final_run_published.disconnect(dispatch_uid="test.heard")


def test_after_cron_was_down_every_missed_day_gets_its_final_oldest_first(every_day, heard):
    generate_due_final_runs("lb_daily", now=DEC[1] + datetime.timedelta(hours=12))  # the last tick: 11-30's final

    # cron down from 12-01 12:00 to 12-03 01:00
    due = generate_due_final_runs("lb_daily", now=DEC[3] + datetime.timedelta(hours=1))

    assert [(run.period_start, run.period_end) for run in due.runs] == [day(DEC[1]), day(DEC[2])]
    assert finals() == [day(DEC[1] - DAY), day(DEC[1]), day(DEC[2])]
    assert heard == [(DEC[1] - DAY, RunStatus.COMPLETE), (DEC[1], RunStatus.COMPLETE), (DEC[2], RunStatus.COMPLETE)]
    assert due.skipped == []


def test_each_caught_up_final_compares_with_the_final_of_the_day_before_it(every_day):
    generate_due_final_runs("lb_daily", now=DEC[1] + datetime.timedelta(hours=12))

    due = generate_due_final_runs("lb_daily", now=DEC[3] + datetime.timedelta(hours=1))

    for run in due.runs:
        ranks = LeaderboardEntry.objects.filter(run=run).order_by("position")
        assert list(ranks.values_list("cluster_id", "rank", "previous_rank")) == [("bob", 1, 1), ("alice", 2, 2)]


def test_the_next_tick_has_nothing_left_to_catch_up(every_day):
    generate_due_final_runs("lb_daily", now=DEC[3] + datetime.timedelta(hours=1))
    made = finals()

    assert generate_due_final_runs("lb_daily", now=DEC[3] + datetime.timedelta(hours=2)).runs == []
    assert finals() == made
    assert made == [day(DEC[1] - DAY), day(DEC[1]), day(DEC[2])]  # from the day the board was created


def test_a_new_board_catches_up_from_the_day_it_was_created(wins):
    given_history(wins, {"alice": 1}, at=DEC[1] - DAY)
    board(wins, created_at=DEC[2] + datetime.timedelta(hours=10))

    generate_due_final_runs("lb_daily", now=DEC[5] + datetime.timedelta(hours=1))

    assert finals() == [day(DEC[2]), day(DEC[3]), day(DEC[4])]


def test_a_board_created_after_midnight_still_gets_the_final_of_the_day_that_just_ended(wins):
    given_history(wins, {"alice": 1}, at=DEC[1] - DAY)
    board(wins, created_at=DEC[5] + datetime.timedelta(minutes=30))

    generate_due_final_runs("lb_daily", now=DEC[5] + datetime.timedelta(hours=1))

    assert finals() == [day(DEC[4])]


def test_beyond_the_catch_up_limit_the_oldest_periods_are_skipped_and_said_so(every_day, settings):
    settings.LEADERBOARD_FINALS_CATCH_UP = 2
    generate_due_final_runs("lb_daily", now=DEC[1] + datetime.timedelta(hours=1))  # 11-30's final

    due = generate_due_final_runs("lb_daily", now=DEC[6] + datetime.timedelta(hours=1))

    assert finals() == [day(DEC[1] - DAY), day(DEC[4]), day(DEC[5])]
    assert due.skipped == [services.Period(*day(DEC[n])) for n in (1, 2, 3)]
    assert due.skipped_line() == (
        "3 older ended period(s) without final standings skipped, from 2025-12-01 00:00 to 2025-12-04 00:00 UTC"
        " (LEADERBOARD_FINALS_CATCH_UP = 2); generate one with --final --period-start --period-end"
    )
    assert generate_due_final_runs("lb_daily", now=DEC[6] + datetime.timedelta(hours=2)).skipped == []


def test_a_failed_final_stops_the_catch_up_and_the_next_tick_resumes_from_it(every_day):
    def fail_on_12_02(params):
        if LeaderboardRun.objects.get(pk=params["run"]).period_start == DEC[2]:
            raise RuntimeError("the database went away")

    with (
        around_statements(RANKING, before=fail_on_12_02),
        pytest.raises(GenerationFailed, match="the database went away"),
    ):
        generate_due_final_runs("lb_daily", now=DEC[4] + datetime.timedelta(hours=1))
    assert finals()[-1] == day(DEC[1])

    due = generate_due_final_runs("lb_daily", now=DEC[4] + datetime.timedelta(hours=2))

    assert [run.period_start for run in due.runs] == [DEC[2], DEC[3]]


def test_every_season_that_ended_while_cron_was_down_gets_its_final(wins):
    given_history(wins, {"alice": 1}, at=DEC[1] - 30 * DAY)
    given_history(wins, {"alice": 9}, at=DEC[1] + datetime.timedelta(hours=1))
    first = SeasonFactory(id="S1", starts_at=DEC[1], ends_at=DEC[3], is_active=True)
    first.is_active = False  # it was active, then S2 took over: its History says so
    first.save()
    SeasonFactory(id="DRAFT", starts_at=DEC[2], ends_at=DEC[4])  # never active: no final standings
    second = SeasonFactory(id="S2", starts_at=DEC[3], ends_at=DEC[5], is_active=True)
    board(wins, key="lb_season", time_window="SEASON", created_at=DEC[1])

    generate_due_final_runs("lb_season", now=DEC[6])

    assert finals("lb_season") == [(first.starts_at, first.ends_at), (second.starts_at, second.ends_at)]


def test_cron_prints_a_line_per_final_and_one_for_what_it_skipped(wins, settings):
    settings.LEADERBOARD_FINALS_CATCH_UP = 2
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 1}, at=today.start - 10 * DAY)
    board(wins, created_at=today.start - 4 * DAY)
    out = StringIO()

    call_command("generate_leaderboard", "lb_daily", stdout=out)

    made = LeaderboardRun.objects.filter(is_final=True).order_by("id")
    assert [run.period_start for run in made] == [today.start - 2 * DAY, today.start - DAY]
    lines = out.getvalue().splitlines()
    assert [re.match(r"lb_daily +run=(\d+) .*final$", line).group(1) for line in lines[:2]] == [
        str(run.pk) for run in made
    ]
    assert lines[2].startswith("lb_daily                     2 older ended period(s) without final standings skipped")
    assert re.match(r"lb_daily +run=\d+ +COMPLETE", lines[3])


# --- finals/previous: the period immediately before the current one ----------------------------


@pytest.fixture
def today(wins):
    LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    return calendar_period("DAILY", now=timezone.now())


def test_finals_previous_is_a_404_until_yesterday_s_final_exists_even_when_older_ones_do(api, today):
    LeaderboardRunFactory(
        leaderboard_id="lb_daily", is_final=True, period_start=today.start - 2 * DAY, period_end=today.start - DAY
    )

    response = api.get("/leaderboards/lb_daily/finals/previous")

    assert response.status_code == 404
    assert response.json() == {"detail": "Leaderboard 'lb_daily' has no final run of its previous period yet."}


def test_finals_previous_serves_yesterday_s_final_once_it_exists(api, today, django_assert_num_queries):
    LeaderboardRunFactory(
        leaderboard_id="lb_daily", is_final=True, period_start=today.start - 2 * DAY, period_end=today.start - DAY
    )
    yesterday = LeaderboardRunFactory(
        leaderboard_id="lb_daily", is_final=True, period_start=today.start - DAY, period_end=today.start
    )

    with django_assert_num_queries(4):  # the definition, the run, the display names (issue #24), its entries
        body = api.get("/leaderboards/lb_daily/finals/previous").json()

    assert body["leaderboard"]["runId"] == yesterday.pk
