"""JSON of leagues: camelCase keys, written out directly (the fields document the schema)."""

from __future__ import annotations

from rest_framework import serializers

from hedge.core.api import api_datetime
from leaderboards.models import TimeWindow

from ..selectors import cohort_id

ZONES = {"PROMOTE": "promote", "STAY": "stay", "DEMOTE": "demote"}


def _share(value):
    return None if value is None else float(value)


class LeagueZoneSerializer(serializers.Serializer):
    count = serializers.IntegerField(allow_null=True, help_text="How many of a cohort; null when a share is given.")
    percent = serializers.FloatField(
        allow_null=True, help_text="Or: a share of the cohort's members, in percent (ceil(P/100 x members))."
    )


class LeagueTierSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text="1 is the lowest.")
    name = serializers.CharField()
    promote = LeagueZoneSerializer(help_text="The top of each cohort; the top tier promotes nobody (count 0).")
    demote = LeagueZoneSerializer(help_text="The bottom of each cohort; level 1 demotes nobody (count 0).")

    def to_representation(self, tier):
        top = self.context["top"]
        promote = (
            {"count": 0, "percent": None} if tier.level >= top else _zone(tier.promote_count, tier.promote_percent)
        )
        demote = {"count": 0, "percent": None} if tier.level <= 1 else _zone(tier.demote_count, tier.demote_percent)
        return {"level": tier.level, "name": tier.name, "promote": promote, "demote": demote}


def _zone(count, percent) -> dict:
    if percent is not None:
        return {"count": None, "percent": _share(percent)}
    return {"count": count or 0, "percent": None}


class LeagueSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    leaderboard = serializers.CharField(help_text="The key of the board it follows.")
    timeWindow = serializers.ChoiceField(choices=TimeWindow.values, help_text="The board's.")
    cohortSize = serializers.IntegerField()
    idleDemotion = serializers.BooleanField(help_text="A member who gained nothing in a period drops one tier.")
    tiers = LeagueTierSerializer(many=True, help_text="Lowest first.")

    def to_representation(self, league):
        tiers = list(league.tiers.all())
        tier = LeagueTierSerializer(context={"top": max((t.level for t in tiers), default=0)})
        return {
            "key": league.key,
            "name": league.name,
            "leaderboard": league.leaderboard_id,
            "timeWindow": league.leaderboard.time_window,
            "cohortSize": league.cohort_size,
            "idleDemotion": league.idle_demotion,
            "tiers": [tier.to_representation(t) for t in tiers],
        }


class LeagueTierRefSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()


class LeagueCohortRefSerializer(serializers.Serializer):
    id = serializers.CharField(help_text='"<level>-<cohort>": unique within the league\'s period.')
    size = serializers.IntegerField(help_text="Its members now.")


class LeagueStandingSerializer(serializers.Serializer):
    clusterId = serializers.CharField()
    rank = serializers.IntegerField(help_text="Within the cohort, by the board's rank mode.")
    score = serializers.IntegerField(help_text="0 for a member the run does not rank (gained nothing).")
    zone = serializers.ChoiceField(
        choices=list(ZONES.values()), help_text="Where it stands if the period ended with this run."
    )

    def to_representation(self, standing):
        return {
            "clusterId": standing.cluster_id,
            "rank": standing.rank,
            "score": standing.score,
            "zone": ZONES[standing.move],
        }


class LeagueStandingsSerializer(serializers.Serializer):
    tier = LeagueTierRefSerializer()
    cohort = LeagueCohortRefSerializer()
    runId = serializers.IntegerField(help_text="The board's run the standings come from (its latest).")
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()
    nextResetAt = serializers.DateTimeField(allow_null=True, help_text="When the board's current period ends.")
    standings = LeagueStandingSerializer(many=True, help_text="The cohort's members by rank (ties by board position).")
    you = LeagueStandingSerializer(help_text="The cluster's own row of `standings`.")

    def to_representation(self, now):
        standing = LeagueStandingSerializer()
        return {
            "tier": {"level": now.level, "name": now.tier_name},
            "cohort": {"id": cohort_id(now.level, now.cohort), "size": len(now.standings)},
            "runId": now.run_id,
            "periodStart": api_datetime(now.period_start),
            "periodEnd": api_datetime(now.period_end),
            "nextResetAt": api_datetime(self.context["next_reset_at"]),
            "standings": [standing.to_representation(s) for s in now.standings],
            "you": standing.to_representation(now.you),
        }


class LeagueHistoryItemSerializer(serializers.Serializer):
    periodStart = serializers.DateTimeField()
    periodEnd = serializers.DateTimeField()
    tier = LeagueTierRefSerializer()
    cohort = serializers.CharField(help_text="The cohort's id in that period.")
    rank = serializers.IntegerField(help_text="Within the cohort, in the period's final run.")
    score = serializers.IntegerField()
    move = serializers.ChoiceField(choices=list(ZONES.values()))
    nextTier = LeagueTierRefSerializer(help_text="Where the move put it.")

    def to_representation(self, row):
        return {
            "periodStart": api_datetime(row["period_start"]),
            "periodEnd": api_datetime(row["period_end"]),
            "tier": {"level": row["level"], "name": row["tier_name"] or ""},
            "cohort": cohort_id(row["level"], row["cohort"]),
            "rank": row["rank"],
            "score": row["score"],
            "move": ZONES[row["move"]],
            "nextTier": {"level": row["next_level"], "name": row["next_tier_name"] or ""},
        }


class LeagueClusterErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField(), help_text="Why the path's cluster id is refused.")


class LeagueHistorySerializer(serializers.Serializer):
    league = serializers.CharField()
    clusterId = serializers.CharField()
    results = LeagueHistoryItemSerializer(many=True, help_text="Ended periods, newest first (at most 100).")
