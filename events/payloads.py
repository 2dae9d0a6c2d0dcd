"""The `data` of each event type, built from the rows of the change (camelCase keys, as in the public API).

Each builder reads what it needs inside the transaction of the change, so `data` is what committed
with it. The README documents every type with an example.
"""

from __future__ import annotations

import datetime

TOP_SIZE = 10


def iso(moment: datetime.datetime | None) -> str | None:
    """A moment as the API writes it: ISO 8601 in UTC with a Z."""
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def final_published(run) -> dict:
    from leaderboards.models import LeaderboardEntry

    definition = run.leaderboard
    # Uses leaderboard_entries_unique_position (run, position): ten index reads, whatever the run's size.
    top = LeaderboardEntry.objects.filter(run_id=run.pk).order_by("position")[:TOP_SIZE]
    return {
        "key": definition.key,
        "name": definition.name,
        "timeWindow": definition.time_window,
        "runId": run.pk,
        "periodStart": iso(run.period_start),
        "periodEnd": iso(run.period_end),
        "rowCount": run.row_count,
        "checksum": run.checksum,
        "top": [{"clusterId": e.cluster_id, "rank": e.rank, "score": e.score} for e in top],
        "awardCount": award_count(run),
    }


def award_count(run) -> int:
    """How many awards the run made (prizes' receiver of the same hook runs before ours)."""
    from prizes.models import LeaderboardAward

    return LeaderboardAward.objects.filter(run_id=run.pk).count()


def final_superseded(run, superseded) -> dict:
    requested_by = run.requested_by
    return {
        "key": run.leaderboard_id,
        "oldRunId": superseded.pk,
        "newRunId": run.pk,
        "periodStart": iso(run.period_start),
        "periodEnd": iso(run.period_end),
        "note": run.note,
        "requestedBy": requested_by.get_username() if requested_by is not None else None,
    }


def run_failed(run) -> dict:
    return {
        "key": run.leaderboard_id,
        "runId": run.pk,
        "periodStart": iso(run.period_start),
        "periodEnd": iso(run.period_end),
        "isFinal": run.is_final,
        "error": run.error,
    }


def awards_created(run, *, count: int, totals: dict) -> dict:
    return {
        "key": run.leaderboard_id,
        "runId": run.pk,
        "count": count,
        "totals": {str(kind): quantity for kind, quantity in sorted(totals.items())},
    }


def award_settled(award, *, api_key) -> dict:
    return {
        "awardId": award.pk,
        "key": award.leaderboard_key,
        "runId": award.run_id,
        "clusterId": award.cluster_id,
        "rank": award.rank,
        "name": award.name,
        "kind": award.kind,
        "quantity": award.quantity,
        "settledAt": iso(award.settled_at),
        "reference": award.reference,
        "apiKey": api_key.name if api_key is not None else None,
    }


def season_finalized(season, *, finalized_at: datetime.datetime) -> dict:
    from seasons.models import SeasonProgress

    ranked = SeasonProgress.objects.filter(season_id=season.pk, points__gt=0)
    # Uses season_progress_rank_idx (season, points desc, cluster_id).
    top = ranked.order_by("-points", "cluster_id").values_list("cluster_id", "points", "level")[:TOP_SIZE]
    return {
        "seasonId": season.pk,
        "name": season.name,
        "startsAt": iso(season.starts_at),
        "endsAt": iso(season.ends_at),
        "finalizedAt": iso(finalized_at),
        "clusterCount": ranked.count(),
        "top": [{"clusterId": c, "points": p, "level": lvl} for c, p, lvl in top],
    }


def season_recompute_failed(season, *, error: str, failed_clusters: int | None) -> dict:
    return {"seasonId": season.pk, "name": season.name, "error": error, "failedClusters": failed_clusters}


def etl_failed(outcome, *, started_at: datetime.datetime) -> dict:
    return {
        "challengeCode": outcome.code,
        "metricSource": outcome.metric_source,
        "error": outcome.error,
        "startedAt": iso(started_at),
    }


def etl_completed(result) -> dict:
    challenges = [
        {
            "challengeCode": o.code,
            "status": o.status,
            "inserted": o.result.inserted,
            "updated": o.result.updated,
            "unchanged": o.result.unchanged,
        }
        for o in result.outcomes
    ]
    total = result.total
    return {
        "startedAt": iso(result.started_at),
        "challenges": challenges,
        "rowsChanged": total.inserted + total.updated,
        "failed": len(result.failed),
        "hookErrors": list(result.hook_errors),
    }


def reward_claimed(claim) -> dict:
    return {
        "seasonId": claim.season_id,
        "clusterId": claim.cluster_id,
        "track": claim.track,
        "level": claim.level,
        "claimedAt": iso(claim.claimed_at),
        "levelAtClaim": claim.level_at_claim,
        "pointsAtClaim": claim.points_at_claim,
        "rewards": claim.rewards,
        "apiKey": claim.api_key.name,
    }


def premium_granted(grant) -> dict:
    return {
        "seasonId": grant.season_id,
        "clusterId": grant.cluster_id,
        "reference": grant.reference,
        "source": grant.source,
        "grantedAt": iso(grant.granted_at),
        "apiKey": grant.api_key.name,
    }


def test_event(endpoint, *, requested_by) -> dict:
    return {
        "endpointId": endpoint.pk,
        "endpointName": endpoint.name,
        "requestedBy": requested_by.get_username() if requested_by is not None else None,
        "message": "A test event sent from the hedge admin; nothing changed.",
    }


def league_period_closed(league, period, *, counts: dict) -> dict:
    """Promoted, stayed and demoted per tier (tiers without members are left out), lowest tier first."""
    names = dict(league.tiers.values_list("level", "name"))
    return {
        "key": league.key,
        "leaderboard": league.leaderboard_id,
        "periodStart": iso(period.period_start),
        "periodEnd": iso(period.period_end),
        "runId": period.closed_by_run_id,
        "tiers": [
            {
                "level": level,
                "name": names.get(level, ""),
                "promoted": moves["PROMOTE"],
                "stayed": moves["STAY"],
                "demoted": moves["DEMOTE"],
            }
            for level, moves in sorted(counts.items())
        ],
    }
