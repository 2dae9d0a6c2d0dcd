"""The publication hooks: what apps built on final standings are told, inside the publishing transaction."""

import datetime

import pytest
from django.utils import timezone

from leaderboards import signals
from leaderboards.errors import GenerationFailed
from leaderboards.models import LeaderboardRun, RunStatus
from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from tests.factories import LeaderboardDefFactory, given_history

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def yesterday(wins):
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {"alice": 100}, at=today.start - 2 * DAY)
    given_history(wins, {"alice": 105}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="lb_daily", challenge=wins, time_window="DAILY")
    return {"period_start": today.start - DAY, "period_end": today.start}


@pytest.fixture
def heard():
    calls = []

    def listen(sender, **kwargs):
        calls.append((kwargs["run"].pk, kwargs["run"].status, getattr(kwargs.get("superseded"), "pk", None)))

    signals.final_run_published.connect(listen, dispatch_uid="test.heard")
    yield calls
    signals.final_run_published.disconnect(dispatch_uid="test.heard")


def test_a_final_run_is_announced_complete_with_the_run_it_replaced(yesterday, heard):
    first = generate_final_run("lb_daily", **yesterday)
    second = generate_final_run("lb_daily", **yesterday, note="a correction")

    assert heard == [(first.pk, RunStatus.COMPLETE, None), (second.pk, RunStatus.COMPLETE, first.pk)]


def test_a_scheduled_run_is_not_announced(yesterday, heard):
    generate_leaderboard_run("lb_daily")

    assert heard == []


def test_a_receiver_that_fails_rolls_the_publication_back_and_the_failure_is_announced(yesterday):
    failed = []

    def refuse(sender, **kwargs):
        raise RuntimeError("no prizes today")

    def record(sender, run, **kwargs):
        failed.append((run.pk, run.error))

    signals.final_run_published.connect(refuse, dispatch_uid="test.refuse")
    signals.run_failed.connect(record, dispatch_uid="test.record")
    try:
        with pytest.raises(GenerationFailed):
            generate_final_run("lb_daily", **yesterday)
    finally:
        signals.final_run_published.disconnect(dispatch_uid="test.refuse")
        signals.run_failed.disconnect(dispatch_uid="test.record")

    run = LeaderboardRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.entries.count() == 0
    assert failed == [(run.pk, "RuntimeError: no prizes today")]
