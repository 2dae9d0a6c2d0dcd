"""The Discord format: what a Discord webhook accepts, within its limits whatever the names, cut never refused."""

import datetime
import json

import pytest
from django.utils import timezone

from events import discord
from events.delivery import Worker
from events.models import EventType
from events.services import record_event
from leaderboards.periods import calendar_period
from leaderboards.services import generate_final_run
from tests.factories import ChallengeFactory, LeaderboardDefFactory, WebhookEndpointFactory, given_history

pytestmark = pytest.mark.django_db

LONG = "Ω" * 3000


def assert_within_discord_limits(message: dict) -> None:
    assert len(message["content"]) <= discord.CONTENT_MAX
    assert 1 <= len(message["embeds"]) <= discord.EMBEDS_MAX
    assert sum(discord.embed_characters(e) for e in message["embeds"]) <= discord.EMBEDS_TOTAL_MAX
    for embed in message["embeds"]:
        assert len(embed.get("title", "")) <= discord.TITLE_MAX
        assert len(embed.get("description", "")) <= discord.DESCRIPTION_MAX
        assert len(embed["fields"]) <= discord.FIELDS_MAX
        assert len(embed.get("footer", {}).get("text", "")) <= discord.FOOTER_MAX
        for field in embed["fields"]:
            assert 1 <= len(field["name"]) <= discord.FIELD_NAME_MAX
            assert 1 <= len(field["value"]) <= discord.FIELD_VALUE_MAX


def test_a_final_run_with_long_names_is_delivered_as_a_discord_message_within_the_limits(receiver, settings):
    settings.PUBLIC_BASE_URL = "https://hedge.example.com/"
    WebhookEndpointFactory(url=receiver.url, format="discord")
    wins = ChallengeFactory(code="wins")
    today = calendar_period("DAILY", now=timezone.now())
    clusters = {f"{n:02d}-" + "x" * 125: n for n in range(1, 13)}  # cluster ids of 128 characters
    given_history(wins, dict.fromkeys(clusters, 0), at=today.start - datetime.timedelta(days=2))
    given_history(wins, clusters, at=today.start - datetime.timedelta(hours=12))
    LeaderboardDefFactory(key="lb_daily", name="N" * 200, challenge=wins, time_window="DAILY")
    run = generate_final_run("lb_daily", period_start=today.start - datetime.timedelta(days=1), period_end=today.start)

    Worker().deliver_due()

    [received] = receiver.received
    message = received.json
    assert_within_discord_limits(message)
    [embed] = message["embeds"]
    assert embed["title"] == "Final standings: " + "N" * 200  # the longest name fits a title
    assert embed["url"] == f"https://hedge.example.com/leaderboards/lb_daily/runs/{run.pk}"
    top = embed["fields"][0]
    assert top["name"] == "Top 10"
    assert top["value"].startswith("**#1** 12-xxx") and top["value"].endswith("…")  # ten 128-character ids: cut
    assert "webhook-signature" in received.headers


def test_without_a_public_base_url_there_is_no_link(receiver, settings):
    settings.PUBLIC_BASE_URL = ""
    message = discord.message(
        "leaderboard.final_published",
        {"key": "k", "name": "Board", "runId": 7, "top": [{"clusterId": "c1", "rank": 1, "score": 5}], "rowCount": 1},
    )

    assert "url" not in message["embeds"][0]
    assert message["embeds"][0]["fields"][0]["value"] == "**#1** c1 — 5"


@pytest.mark.parametrize("event_type", EventType.values)
def test_every_event_type_fits_whatever_its_data(event_type):
    data = {f"key{n}_{LONG[:50]}": LONG for n in range(40)}
    data["top"] = [{"clusterId": LONG, "rank": n, "score": n, "points": n} for n in range(10)]

    message = discord.message(event_type, data)

    assert_within_discord_limits(message)
    assert message["content"]


def test_a_short_message_is_left_as_it_is():
    message = discord.message("etl.failed", {"challengeCode": "wins", "error": "boom"})

    assert message["embeds"][0]["fields"] == [
        {"name": "challengeCode", "value": "wins", "inline": True},
        {"name": "error", "value": "boom", "inline": True},
    ]
    assert "…" not in json.dumps(message, ensure_ascii=False)


def test_cut_ends_with_an_ellipsis_only_when_it_cuts():
    assert discord.cut("abc", 3) == "abc"
    assert discord.cut("abcd", 3) == "ab…"


def test_a_standard_endpoint_gets_the_envelope_not_the_discord_message(receiver):
    WebhookEndpointFactory(url=receiver.url, format="standard")
    event = record_event(EventType.ETL_FAILED, {"challengeCode": "wins", "error": "boom"})

    Worker().deliver_due()

    assert receiver.received[0].body == event.body.encode()
