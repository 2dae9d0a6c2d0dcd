"""JSON of prizes and awards: camelCase keys, written out directly (the fields document the schema)."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from hedge.core.api import DigitsIntegerField, StrictQuerySerializer, StrictSerializer, api_datetime
from leaderboards.api.serializers import MAX_LIMIT, MAX_POSITION, MAX_RUN_ID
from leaderboards.extensions import ListItemField
from leaderboards.models import LEADERBOARD_KEY_MAX_LENGTH, leaderboard_key_validator
from leagues.selectors import cohort_id

from ..models import REFERENCE_MAX_LENGTH, AwardStatus
from ..selectors import SERVICE_FIELDS, prize_tables

DEFAULT_LIMIT = 100


def _prize(values) -> dict:
    return {"name": values["name"], "kind": values["kind"], "quantity": values["quantity"], "data": values["data"]}


def _percent(value):
    # A JSON number (1, 0.5); Decimal keeps the four stored decimals exact until here.
    return None if value is None else float(value)


class PrizeSerializer(serializers.Serializer):
    """What one prize row wins: either rankFrom..rankTo or topPercent; minScore optional."""

    name = serializers.CharField()
    kind = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    data = serializers.JSONField()

    def to_representation(self, prize):
        return _prize(prize)


class PrizeRowSerializer(PrizeSerializer):
    rankFrom = serializers.IntegerField(allow_null=True, help_text="First winning rank; null for a top percentage.")
    rankTo = serializers.IntegerField(allow_null=True, help_text="Last winning rank (ties included).")
    topPercent = serializers.FloatField(
        allow_null=True, help_text="The top P% of the final run's entries, ties at the boundary included."
    )
    minScore = serializers.IntegerField(allow_null=True, help_text="No prize below this score; null: none.")

    def to_representation(self, prize):
        return {
            "rankFrom": prize["rank_from"],
            "rankTo": prize["rank_to"],
            "topPercent": _percent(prize["top_percent"]),
            "minScore": prize["min_score"],
            **_prize(prize),
        }


def _prize_tables(definitions) -> dict[str, list[dict]]:
    tables = prize_tables([definition.key for definition in definitions])
    row = PrizeRowSerializer()
    return {key: [row.to_representation(prize) for prize in prizes] for key, prizes in tables.items()}


# `prizes` on each item of GET /leaderboards (registered in PrizesConfig.ready()).
PRIZES_LIST_ITEM_FIELD = ListItemField(
    name="prizes",
    field=PrizeRowSerializer(many=True, help_text="The board's prize table, in table order; empty without one."),
    values=_prize_tables,
)


# --- the service API ------------------------------------------------------------------------------


class AwardLeagueSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The league's key.")
    level = serializers.IntegerField(help_text="The tier's level (1 = lowest).")
    cohort = serializers.CharField(help_text="The cohort's id in the league's period (`<level>-<cohort>`).")


def _league(award) -> dict | None:
    if award["league_key"] is None:
        return None
    return {
        "key": award["league_key"],
        "level": award["league_level"],
        "cohort": cohort_id(award["league_level"], award["league_cohort"]),
    }


class ServiceAwardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    leaderboard = serializers.CharField()
    runId = serializers.IntegerField()
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()
    clusterId = serializers.CharField()
    rank = serializers.IntegerField(help_text="The board rank; for a league tier's prize, the rank within the cohort.")
    score = serializers.IntegerField()
    league = AwardLeagueSerializer(
        allow_null=True,
        help_text="A league tier's prize: the league, tier and cohort it was won in; null: the board's.",
    )
    prize = PrizeSerializer(help_text="The prize as it was when the award was written.")
    status = serializers.ChoiceField(choices=AwardStatus.values)
    reference = serializers.CharField(allow_null=True, help_text="The game's payment reference; null until settled.")
    settledAt = serializers.DateTimeField(allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A page's awards share a few periods: each moment is formatted once per page (DRF's
        # timezone handling per value cost more than the page's query).
        self._formatted: dict = {}

    def _moment(self, value):
        if value is None:
            return None
        text = self._formatted.get(value)
        if text is None:
            text = self._formatted[value] = api_datetime(value)
        return text

    def to_representation(self, award):
        if not isinstance(award, Mapping):
            award = {name: getattr(award, name) for name in SERVICE_FIELDS}
        return {
            "id": award["id"],
            "leaderboard": award["leaderboard_key"],
            "runId": award["run_id"],
            "periodStart": self._moment(award["period_start"]),
            "periodEnd": self._moment(award["period_end"]),
            "clusterId": award["cluster_id"],
            "rank": award["rank"],
            "score": award["score"],
            "league": _league(award),
            "prize": _prize(award),
            "status": award["status"],
            "reference": award["reference"],
            "settledAt": api_datetime(award["settled_at"]),
        }


class ServiceAwardListSerializer(serializers.Serializer):
    results = ServiceAwardSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The URL of the next page; null on the last page.")


class ServiceAwardsQuerySerializer(StrictQuerySerializer):
    status = serializers.ChoiceField(
        choices=AwardStatus.values, required=False, help_text="Only awards in this status."
    )
    leaderboard = serializers.RegexField(
        leaderboard_key_validator.regex,
        max_length=LEADERBOARD_KEY_MAX_LENGTH,
        required=False,
        help_text="Only awards of this leaderboard (its key).",
    )
    after = DigitsIntegerField(
        min_value=0, max_value=MAX_RUN_ID, default=0, help_text="Only awards with a greater id (keyset pages)."
    )
    limit = DigitsIntegerField(
        min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, help_text=f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}."
    )


class SettleRequestSerializer(StrictSerializer):
    reference = serializers.CharField(
        max_length=REFERENCE_MAX_LENGTH,
        help_text="The game's payment reference (e.g. a transaction hash), unique across awards. "
        "The same reference again returns the award as it is.",
    )


class SettleRefusalSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=["already_settled", "reference_used", "void"])
    detail = serializers.CharField()


# --- the public run awards ------------------------------------------------------------------------


class PublicAwardSerializer(serializers.Serializer):
    clusterId = serializers.CharField()
    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    score = serializers.IntegerField()
    prize = PrizeSerializer()
    status = serializers.ChoiceField(choices=AwardStatus.values)

    def to_representation(self, award):
        return {
            "clusterId": award["cluster_id"],
            "rank": award["rank"],
            "position": award["position"],
            "score": award["score"],
            "prize": _prize(award),
            "status": award["status"],
        }


class RunAwardsSerializer(serializers.Serializer):
    leaderboard = serializers.CharField(help_text="The leaderboard's key.")
    runId = serializers.IntegerField()
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()
    awards = PublicAwardSerializer(many=True, help_text="By position; a cluster's stacked awards are never split.")
    next = serializers.URLField(allow_null=True, help_text="The URL of the next page; null on the last page.")

    def to_representation(self, page):
        run, award = page["run"], PublicAwardSerializer()
        return {
            "leaderboard": run.leaderboard_id,
            "runId": run.pk,
            "periodStart": api_datetime(run.period_start),
            "periodEnd": api_datetime(run.period_end),
            "awards": [award.to_representation(values) for values in page["awards"]],
            "next": page["next"],
        }


class RunAwardsQuerySerializer(serializers.Serializer):
    limit = DigitsIntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"How many awarded clusters (positions): 1..{MAX_LIMIT}, default {DEFAULT_LIMIT}.",
    )
    after = DigitsIntegerField(
        min_value=0,
        max_value=MAX_POSITION,
        default=0,
        help_text="Only awards after this position (the last position of the previous page); default 0.",
    )
