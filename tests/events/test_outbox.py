"""The outbox: each change writes one event, in its own transaction, through the product's real code path."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from events.models import Delivery, Event, EventType
from events.services import record_event
from hedge.challenges.etl import run_challenge_etl
from hedge.challenges.models import MAX_PROGRESS_VALUE
from leaderboards import signals as leaderboard_signals
from leaderboards.errors import GenerationFailed
from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run, generate_leaderboard_run
from prizes.models import LeaderboardAward
from prizes.services import settle_award
from seasons.services import claim_reward, grant_premium, recompute_season
from tests.events.conftest import events_of
from tests.factories import (
    APIKeyFactory,
    ChallengeFactory,
    ChallengeProgressFactory,
    LeaderboardDefFactory,
    LeaderboardPrizeFactory,
    SeasonChallengeWeightFactory,
    SeasonFactory,
    SeasonProgressFactory,
    SeasonRewardFactory,
    StaffUserFactory,
    WebhookEndpointFactory,
    given_curve,
    given_history,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def yesterday(wins):
    """A daily board whose yesterday had 12 clusters gaining 1..12 wins."""
    today = calendar_period("DAILY", now=timezone.now())
    given_history(wins, {f"c{n:02d}": 0 for n in range(1, 13)}, at=today.start - 2 * DAY)
    given_history(wins, {f"c{n:02d}": n for n in range(1, 13)}, at=today.start - DAY / 2)
    LeaderboardDefFactory(key="lb_daily", name="Daily wins", challenge=wins, time_window="DAILY", max_entries=0)
    return {"period_start": today.start - DAY, "period_end": today.start}


def test_a_final_run_writes_one_event_with_its_top_ten_whatever_its_size(yesterday):
    run = generate_final_run("lb_daily", **yesterday)

    [envelope] = events_of(EventType.FINAL_PUBLISHED)
    assert set(envelope) == {"id", "type", "timestamp", "data"}
    assert envelope["id"].startswith("msg_") and envelope["timestamp"].endswith("Z")
    data = envelope["data"]
    assert data == {
        "key": "lb_daily",
        "name": "Daily wins",
        "timeWindow": "DAILY",
        "runId": run.pk,
        "periodStart": yesterday["period_start"].isoformat().replace("+00:00", "Z"),
        "periodEnd": yesterday["period_end"].isoformat().replace("+00:00", "Z"),
        "rowCount": 12,
        "checksum": run.checksum,
        "top": [{"clusterId": f"c{n:02d}", "rank": 13 - n, "score": n} for n in range(12, 2, -1)],
        "awardCount": 0,  # the board has no prize table
    }
    assert Event.objects.count() == 1


def test_a_regenerated_final_run_also_says_what_it_superseded_who_asked_and_why(yesterday):
    staff = StaffUserFactory(username="ops")
    first = generate_final_run("lb_daily", **yesterday)
    second = generate_final_run("lb_daily", **yesterday, note="cheater excluded", requested_by=staff)

    [superseded] = events_of(EventType.FINAL_SUPERSEDED)
    assert superseded["data"] == {
        "key": "lb_daily",
        "oldRunId": first.pk,
        "newRunId": second.pk,
        "periodStart": yesterday["period_start"].isoformat().replace("+00:00", "Z"),
        "periodEnd": yesterday["period_end"].isoformat().replace("+00:00", "Z"),
        "note": "cheater excluded",
        "requestedBy": "ops",
    }
    assert [e["data"]["runId"] for e in events_of(EventType.FINAL_PUBLISHED)] == [first.pk, second.pk]


def test_a_scheduled_run_writes_no_event(yesterday):
    generate_leaderboard_run("lb_daily")

    assert Event.objects.count() == 0


def test_a_publication_rolled_back_leaves_no_event_and_its_failure_is_one(yesterday):
    def refuse(sender, **kwargs):
        raise RuntimeError("the vault is closed")

    # Connected after the events app's receiver: its event is written, then rolled back with the run.
    leaderboard_signals.final_run_published.connect(refuse, dispatch_uid="test.refuse")
    try:
        with pytest.raises(GenerationFailed):
            generate_final_run("lb_daily", **yesterday)
    finally:
        leaderboard_signals.final_run_published.disconnect(dispatch_uid="test.refuse")

    assert events_of(EventType.FINAL_PUBLISHED) == []
    [failed] = events_of(EventType.RUN_FAILED)
    assert failed["data"]["key"] == "lb_daily"
    assert failed["data"]["error"] == "RuntimeError: the vault is closed"
    assert failed["data"]["isFinal"] is True


def test_an_event_recorded_in_a_transaction_that_rolls_back_is_gone_with_its_deliveries(db):
    WebhookEndpointFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(EventType.ETL_COMPLETED, {"rowsChanged": 1})
        assert Delivery.objects.count() == 1
        raise RuntimeError("the change failed")

    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)


def test_a_final_run_with_prizes_writes_one_awards_event_with_count_and_totals_and_counts_them(yesterday):
    LeaderboardPrizeFactory(leaderboard_id="lb_daily", rank_from=1, rank_to=3, kind="token", quantity=100)
    LeaderboardPrizeFactory(leaderboard_id="lb_daily", rank_from=1, rank_to=1, kind="badge", quantity=1)

    run = generate_final_run("lb_daily", **yesterday)

    [created] = events_of(EventType.AWARDS_CREATED)
    assert created["data"] == {"key": "lb_daily", "runId": run.pk, "count": 4, "totals": {"badge": 1, "token": 300}}
    [published] = events_of(EventType.FINAL_PUBLISHED)
    assert published["data"]["awardCount"] == 4


def test_a_settled_award_is_one_event_naming_the_key_that_settled_it(yesterday):
    LeaderboardPrizeFactory(leaderboard_id="lb_daily", rank_from=1, rank_to=1, name="Gold", kind="token", quantity=5)
    run = generate_final_run("lb_daily", **yesterday)
    award = LeaderboardAward.objects.get(run_id=run.pk)
    api_key = APIKeyFactory(name="game-backend")

    settle_award(award.pk, reference="0xabc", api_key=api_key)
    settle_award(award.pk, reference="0xabc", api_key=api_key)  # idempotent: no second event

    [settled] = events_of(EventType.AWARD_SETTLED)
    assert settled["data"] == {
        "awardId": award.pk,
        "key": "lb_daily",
        "runId": run.pk,
        "clusterId": "c12",
        "rank": 1,
        "name": "Gold",
        "kind": "token",
        "quantity": 5,
        "settledAt": settled["data"]["settledAt"],
        "reference": "0xabc",
        "apiKey": "game-backend",
    }
    assert settled["data"]["settledAt"].endswith("Z")


def test_a_season_finalized_once_after_its_end_writes_its_top_ten_and_cluster_count(db):
    now = timezone.now()
    season = SeasonFactory(id="S9", name="Summer", starts_at=now - 40 * DAY, ends_at=now - DAY)
    challenge = ChallengeFactory(code="pts")
    SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=2)
    given_history(challenge, {f"c{n:02d}": n for n in range(1, 14)}, at=now - 3 * DAY)

    recompute_season(season, now=now)

    [finalized] = events_of(EventType.SEASON_FINALIZED)
    data = finalized["data"]
    assert (data["seasonId"], data["name"], data["clusterCount"]) == ("S9", "Summer", 13)
    assert data["top"][:2] == [
        {"clusterId": "c13", "points": 26, "level": 0},
        {"clusterId": "c12", "points": 24, "level": 0},
    ]
    assert len(data["top"]) == 10


def test_a_running_season_recompute_writes_no_event(db):
    season = SeasonFactory(is_active=True)
    recompute_season(season)

    assert Event.objects.count() == 0


def test_a_recompute_that_cannot_store_a_cluster_reports_it(db):
    season = SeasonFactory(id="S-HEAVY", is_active=True)
    for n in range(10):
        challenge = ChallengeFactory(code=f"ch{n}")
        SeasonChallengeWeightFactory(season=season, challenge=challenge, weight=1_000_000)
        ChallengeProgressFactory(cluster_id="whale", challenge=challenge, value=MAX_PROGRESS_VALUE)

    recompute_season(season)

    [failed] = events_of(EventType.SEASON_RECOMPUTE_FAILED)
    assert failed["data"]["seasonId"] == "S-HEAVY"
    assert failed["data"]["failedClusters"] == 1
    assert "64-bit" in failed["data"]["error"]


def test_the_etl_reports_each_failing_challenge_then_its_completion(db):
    ChallengeFactory(code="good", metric_source="ok")
    ChallengeFactory(code="bad", metric_source="broken")

    def broken(challenge):
        raise ConnectionError("indexer unreachable")
        yield

    run_challenge_etl(extractors={"ok": lambda c: [("c1", 5), ("c2", 7)], "broken": broken})

    [failed] = events_of(EventType.ETL_FAILED)
    assert failed["data"]["challengeCode"] == "bad"
    assert failed["data"]["metricSource"] == "broken"
    assert failed["data"]["error"] == "ConnectionError: indexer unreachable"
    [completed] = events_of(EventType.ETL_COMPLETED)
    assert completed["data"]["rowsChanged"] == 2
    assert completed["data"]["failed"] == 1
    assert [(c["challengeCode"], c["status"], c["inserted"]) for c in completed["data"]["challenges"]] == [
        ("bad", "failed", 0),
        ("good", "ok", 2),
    ]


@pytest.fixture
def pass_season(db):
    season = SeasonFactory(id="S1", is_active=True, points_per_level=100)
    given_curve(season, [100, 200, 300])
    SeasonRewardFactory(season=season, track="FREE", level=2, name="Bronze", kind="badge")
    SeasonRewardFactory(season=season, track="PREMIUM", level=2, name="Gold", kind="token", quantity=5)
    SeasonProgressFactory(season=season, cluster_id="c1", points=250)
    return season


def test_a_new_claim_and_a_new_premium_grant_are_events_and_repeats_are_not(pass_season):
    key = APIKeyFactory(name="game-backend")

    grant_premium(pass_season, cluster_id="c1", reference="pay-1", source="stripe", api_key=key)
    grant_premium(pass_season, cluster_id="c1", reference="pay-1", source="stripe", api_key=key)
    claim_reward(pass_season, cluster_id="c1", track="PREMIUM", level=2, api_key=key)
    claim_reward(pass_season, cluster_id="c1", track="PREMIUM", level=2, api_key=key)

    [granted] = events_of(EventType.PREMIUM_GRANTED)
    assert granted["data"] | {"grantedAt": None} == {
        "seasonId": "S1",
        "clusterId": "c1",
        "reference": "pay-1",
        "source": "stripe",
        "grantedAt": None,
        "apiKey": "game-backend",
    }
    [claimed] = events_of(EventType.REWARD_CLAIMED)
    assert claimed["data"]["rewards"] == [
        {"name": "Gold", "description": "", "kind": "token", "quantity": 5, "data": {}}
    ]
    assert (claimed["data"]["track"], claimed["data"]["level"], claimed["data"]["pointsAtClaim"]) == ("PREMIUM", 2, 250)


def test_deliveries_go_to_the_active_endpoints_that_want_the_type(db):
    everything = WebhookEndpointFactory(name="all")
    staff = WebhookEndpointFactory(name="staff", event_types="etl.failed,leaderboard.run_failed")
    WebhookEndpointFactory(name="off", is_active=False)
    # '_' is a LIKE wildcard: a type that differs only there must not match.
    lookalike = WebhookEndpointFactory(name="lookalike", event_types="leaderboard.runXfailed")

    record_event(EventType.RUN_FAILED, {"key": "lb"})
    record_event(EventType.ETL_COMPLETED, {"rowsChanged": 0})

    sent = sorted(Delivery.objects.values_list("event__type", "endpoint__name"))
    assert sent == [("etl.completed", "all"), ("leaderboard.run_failed", "all"), ("leaderboard.run_failed", "staff")]
    assert not Delivery.objects.filter(endpoint__in=[lookalike]).exists()
    assert everything.deliveries.count() == 2 and staff.deliveries.count() == 1


def test_recording_an_event_costs_two_statements_and_a_notify_whatever_the_endpoints(db, django_assert_num_queries):
    for _ in range(5):
        WebhookEndpointFactory()
    notify = 1 if connection.vendor == "postgresql" else 0

    # the event; its deliveries in one INSERT ... SELECT; (PostgreSQL) the NOTIFY that wakes the workers
    with django_assert_num_queries(2 + notify):
        record_event(EventType.ETL_COMPLETED, {"rowsChanged": 3})

    assert Delivery.objects.count() == 5
