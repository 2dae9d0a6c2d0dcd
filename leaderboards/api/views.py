"""Public, anonymous, read-only leaderboard endpoints. Thin: validate, select, serialize.

Every read of a run comes in three shapes (a page of entries, one cluster and its neighbours,
several clusters) for each way of naming the run (`latest`, `runs/{runId}`, `finals/previous`):
the shapes are the *Endpoint classes, the ways RunSource, and the nine views are their products.
Run responses carry an ETag and a Cache-Control header; a request whose If-None-Match still
matches is answered 304 after the run lookup and the read of the display names shown (one query
each: the ETag covers the names, which change without a new run), before any entry is read.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from hedge.core.api import (
    CLUSTER_ID_PATH_PARAMETER,
    NOT_MODIFIED,
    ErrorSerializer,
    cached_response,
    conditional_response,
    etag_of,
    path_cluster_id,
)

from .. import extensions, selectors
from ..extensions import Names
from ..models import LeaderboardRun, is_well_formed_key
from ..periods import next_resets
from .serializers import (
    MAX_IDS,
    AroundQuerySerializer,
    ClusterEntriesSerializer,
    ClusterIdListField,
    ClusterIdsQueryErrorSerializer,
    ClusterIdsQuerySerializer,
    ClusterQueryErrorSerializer,
    ClusterStandingSerializer,
    FinalRunListSerializer,
    FinalRunSummarySerializer,
    FinalsQueryErrorSerializer,
    FinalsQuerySerializer,
    LeaderboardListItemSerializer,
    LeaderboardRunSerializer,
    PageQueryErrorSerializer,
    PageQuerySerializer,
)

_BIGINT_ID = re.compile(r"[0-9]{1,18}")

# Part of every ETag: bump when the JSON of a run changes shape, so no client keeps an old body.
_ETAG_VERSION = "4"

_KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The leaderboard's key. A key no leaderboard can have is a 404 like an unknown one.",
)
_RUN_ID = OpenApiParameter(
    "runId", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="The run's id."
)
_IDS = OpenApiParameter(
    "ids",
    ClusterIdListField.schema,
    OpenApiParameter.QUERY,
    required=True,
    style="form",
    explode=True,
    description=f"The cluster ids, 1..{MAX_IDS}, each taken verbatim: repeated (`ids=a&ids=b`) or, the same, "
    "comma-joined in one parameter (`ids=a,b`); a mix of both, or more than "
    f"{MAX_IDS}, is a 400. Duplicates are answered once. An id containing a comma cannot be asked for here "
    "(use clusters/{clusterId}).",
)
_IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag of a copy the client holds: answered 304 with no body while it is current.",
)
_CACHE_HEADERS = [
    OpenApiParameter(
        "ETag", str, OpenApiParameter.HEADER, response=[200, 304], description="From the run and the parameters."
    ),
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="`public, max-age=N`, N at most API_CACHE_SECONDS (60 by default) and never past the "
        "leaderboard's next reset. Never `immutable`: a run's entries never change, but its body shows the "
        "leaderboard as it is now (name, description, nextResetAt), which staff edits and time change.",
    ),
]


def _no_leaderboard(key: str) -> NotFound:
    return NotFound(f"No active leaderboard {key!r}.")


def _not_found_for_key(key: str, missing: str) -> NotFound:
    if selectors.get_definition(key) is None:
        return _no_leaderboard(key)
    return NotFound(missing)


def _validated(serializer_class, data) -> dict:
    params = serializer_class(data=data)
    params.is_valid(raise_exception=True)
    return params.validated_data


# --- the ways of naming a run ------------------------------------------------------------------


def _latest_run(key: str, run_id: str | None) -> LeaderboardRun:
    run = selectors.latest_complete_run(key)
    if run is None:
        raise _not_found_for_key(key, f"Leaderboard {key!r} has no completed run yet.")
    return run


def _run_by_id(key: str, run_id: str) -> LeaderboardRun:
    run = selectors.published_run(key, int(run_id)) if _BIGINT_ID.fullmatch(run_id) else None
    if run is None:
        raise _not_found_for_key(key, f"Leaderboard {key!r} has no published run {run_id!r}.")
    return run


def _previous_final_run(key: str, run_id: str | None) -> LeaderboardRun:
    run = selectors.previous_final_run(key)
    if run is None:
        raise _not_found_for_key(key, f"Leaderboard {key!r} has no final run of its previous period yet.")
    return run


# --- what the schema shows as examples: one board, its current week and last week's corrected final ---------

_ENTRY_PAYLOAD_EXAMPLE = {"challengeCode": "wins", "fallbackChallengeCode": "streak"}
ENTRY_EXAMPLES = [
    {
        "rank": 1,
        "position": 1,
        "clusterId": "c-19d2",
        "score": 240,
        "tiebreaker": 51,
        "previousRank": 1,
        "rankChange": 0,
        "payload": {**_ENTRY_PAYLOAD_EXAMPLE, "fallbackValue": 51},
        "displayName": "Nightowls",
        "avatarUrl": "https://cdn.example.com/avatars/c-19d2.png",
    },
    {
        "rank": 2,
        "position": 2,
        "clusterId": "c-7f3a",
        "score": 212,
        "tiebreaker": 40,
        "previousRank": 5,
        "rankChange": 3,
        "payload": {**_ENTRY_PAYLOAD_EXAMPLE, "fallbackValue": 40},
        "displayName": "mira.eth",
        "avatarUrl": None,
    },
    {
        "rank": 3,
        "position": 3,
        "clusterId": "c-0b44",
        "score": 198,
        "tiebreaker": 12,
        "previousRank": None,
        "rankChange": None,
        "payload": {**_ENTRY_PAYLOAD_EXAMPLE, "fallbackValue": 12},
        "displayName": None,
        "avatarUrl": None,
    },
]
HEADER_EXAMPLE = {
    "key": "weekly_wins",
    "name": "Wins this week",
    "description": "PvP wins since Monday 00:00 UTC; ties go to the longer win streak.",
    "timeWindow": "WEEKLY",
    "periodStart": "2026-11-23T00:00:00Z",
    "periodEnd": "2026-11-30T00:00:00Z",
    "periodLabel": "Week 48, 2026",
    "runId": 1042,
    "rowCount": 1000,
    "rankedTotal": 3120,
    "generatedAt": "2026-11-27T10:05:03Z",
    "isFinal": False,
    "status": "COMPLETE",
    "supersededBy": None,
    "correctionNote": None,
    "nextResetAt": "2026-11-30T00:00:00Z",
    "checksum": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}
# Last week's final, as corrected: run 1027 was its first final run, replaced by 1031 with a note.
CORRECTION_NOTE_EXAMPLE = "Wins of 20 November were counted twice; recomputed from the corrected import."
FINAL_HEADER_EXAMPLE = {
    **HEADER_EXAMPLE,
    "periodStart": "2026-11-16T00:00:00Z",
    "periodEnd": "2026-11-23T00:00:00Z",
    "periodLabel": "Week 47, 2026",
    "runId": 1031,
    "rankedTotal": 2988,
    "generatedAt": "2026-11-24T09:12:40Z",
    "isFinal": True,
    "checksum": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
}
_SUPERSEDED_HEADER_EXAMPLE = {
    **FINAL_HEADER_EXAMPLE,
    "runId": 1027,
    "generatedAt": "2026-11-23T00:05:02Z",
    "status": "SUPERSEDED",
    "supersededBy": 1031,
    "correctionNote": CORRECTION_NOTE_EXAMPLE,
    "checksum": "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c",
}


@dataclass(frozen=True)
class RunSource:
    """One way the URL names a run: how to find it, how long a copy stays fresh, how the schema says it."""

    name: str
    operation_id: str
    described: str
    # (key, runId from the URL or None) -> the COMPLETE run, or NotFound
    find: Callable[[str, str | None], LeaderboardRun]
    parameters: tuple[OpenApiParameter, ...]
    not_found: str
    # What a client reads about this run in the schema.
    about: str
    # The run headers of its examples, by what the run is ("" for the run it usually names).
    example_headers: tuple[tuple[str, dict], ...]


LATEST = RunSource(
    name="Latest",
    operation_id="latest_run",
    described="the latest completed run",
    find=_latest_run,
    parameters=(_KEY,),
    not_found="Unknown or inactive leaderboard, or no completed run.",
    about="The run is the leaderboard's latest completed one: the standings of the current period so far (or the "
    "final ones, between a period's end and the next run). A new run replaces it every few minutes; follow `next` "
    "(which names the run by id) to page through one run without mixing in a newer one.",
    example_headers=(("", HEADER_EXAMPLE),),
)
BY_ID = RunSource(
    name="Run",
    operation_id="run",
    described="one published run (also one a correction replaced: `status` SUPERSEDED)",
    find=_run_by_id,
    parameters=(_KEY, _RUN_ID),
    not_found="Unknown or inactive leaderboard, or no published run with this id in it.",
    about="The run is the one named by `runId` (from `latestRun.runId` in `/leaderboards`, a `/finals` item or "
    "a page's `next`); its entries never change. A run a correction replaced stays readable here, with "
    "`status` SUPERSEDED and `supersededBy` naming its replacement.",
    example_headers=(("", HEADER_EXAMPLE), ("in a run a correction replaced", _SUPERSEDED_HEADER_EXAMPLE)),
)
PREVIOUS_FINAL = RunSource(
    name="PreviousFinal",
    operation_id="previous_final_run",
    described="the final run of the period before the current one",
    find=_previous_final_run,
    parameters=(_KEY,),
    not_found="Unknown or inactive leaderboard, or no final run of the previous period.",
    about="The run is the final standings of the period just before the current one (yesterday's for a DAILY "
    "board, last week's for WEEKLY, the season that ended last for SEASON): 404 until that final run exists, "
    "never an older period's. On a final run `previousRank` is the cluster's rank in the final run of the period "
    "before that one.",
    example_headers=(("", FINAL_HEADER_EXAMPLE),),
)


def _etag(run: LeaderboardRun, next_reset: datetime.datetime | None, parameters: str, names: Names) -> str:
    """What the body depends on: the run (id and publication, so a reused id differs), its definition's edits,
    the next reset, the question asked, the display names shown (a name set or cleared changes the body).
    Not cached_response's ETag of the body: this one is known before any entry is read, so a 304 reads none."""
    material = "|".join(
        [
            _ETAG_VERSION,
            str(run.id),
            run.finished_at.isoformat(),
            # A correction changes the old run's body (status, supersededBy), not its finished_at.
            run.status,
            run.leaderboard.updated_at.isoformat(),
            next_reset.isoformat() if next_reset else "",
            parameters,
            json.dumps(sorted(names.items())),
        ]
    )
    return etag_of(material)


def run_path(run: LeaderboardRun) -> str:
    """The path that names `run` itself, whichever way it was asked for."""
    return f"/leaderboards/{quote(run.leaderboard.key, safe='')}/runs/{run.id}"


class RunEndpoint(APIView):
    # A read of one run: find it, answer 304 while the client's copy is current, else build the body.
    # (A comment, not a docstring: the schema would show a docstring to clients.)

    source: RunSource
    kind: str

    @staticmethod
    def examples(header: dict) -> list[tuple[str, dict]]:
        """(name, body) of the answers the schema shows, for a run with this header."""
        raise NotImplementedError

    def parameters(self, request, kwargs) -> tuple[dict, str]:
        """The validated parameters, and their canonical text for the ETag. Runs before any query."""
        raise NotImplementedError

    def names(self, run: LeaderboardRun, params: dict) -> Names:
        """The display names of the clusters the body shows (extensions.ClusterNames): one query."""
        raise NotImplementedError

    def body(self, request, run: LeaderboardRun, params: dict, context: dict) -> dict:
        raise NotImplementedError

    def get(self, request, key, **kwargs):
        params, canonical = self.parameters(request, kwargs)
        # A key no leaderboard can have is unknown without asking the database (PostgreSQL refuses a NUL byte).
        if not is_well_formed_key(key):
            raise _no_leaderboard(key)
        run = self.source.find(key, kwargs.get("runId"))
        now = timezone.now()
        resets = next_resets([run.leaderboard.time_window], now=now)
        next_reset = resets[run.leaderboard.time_window]
        names = self.names(run, params)
        etag = _etag(run, next_reset, f"{self.kind}:{canonical}", names)
        context = {"run": run, "next_reset_at": resets, "names": names}
        return conditional_response(
            request, etag, [next_reset], now=now, body=lambda: self.body(request, run, params, context)
        )


_RUN_HEADER_ABOUT = (
    "`leaderboard` describes the board and the run: `isFinal` is true for the final standings of an ended "
    "period (generated once the period is over), false for a run of a period still going on; `nextResetAt` is "
    "when the board's current period ends and it starts again (null for ALL_TIME, and between seasons). In each "
    "entry, `previousRank` is the cluster's rank in the previous run of the same period (null when it was not "
    "there) and `rankChange` = `previousRank - rank` (positive: moved up); `displayName` and `avatarUrl` are "
    "the cluster's public name and avatar as they are now (null when the game set none).\n\n"
    "The answer carries an `ETag`: send it back in `If-None-Match` and, while nothing changed, the answer is a "
    "304 with no body (a bot polling every minute reads next to nothing)."
)


class PageEndpoint(RunEndpoint):
    kind = "page"
    operation_id = "get_{run}_page"
    summary = "{described} of a leaderboard, and a page of its entries by position"
    about = (
        "A page of the run's entries by position: `limit` entries after position `after`. `next` is the URL of "
        "the next page of the same run and `nextAfter` its `after` (both null on the last page)."
    )

    @staticmethod
    def examples(header: dict) -> list[tuple[str, dict]]:
        first, second, _ = ENTRY_EXAMPLES
        url = f"https://hedge.example.com/leaderboards/{header['key']}/runs/{header['runId']}?limit=2&after=2"
        return [
            (
                "a page of two",
                {"leaderboard": header, "entries": [first, second], "next": url, "nextAfter": 2},
            )
        ]

    query = (PageQuerySerializer,)
    response = LeaderboardRunSerializer
    bad_request = OpenApiResponse(PageQueryErrorSerializer, description="`limit` or `after` is malformed.")

    def parameters(self, request, kwargs):
        params = _validated(PageQuerySerializer, request.query_params)
        return params, f"{params['limit']}:{params['after']}"

    def names(self, run, params):
        return extensions.cluster_names().of_page(run.id, params["after"], params["limit"])

    def body(self, request, run, params, context):
        limit, after = params["limit"], params["after"]
        entries = selectors.top_entry_values(run, limit=limit, after=after)
        next_url = next_after = None
        if len(entries) == limit and entries[-1]["position"] < run.row_count:
            next_after = entries[-1]["position"]
            # Pinned to this run: a run published between two pages must not mix two runs in one download.
            query = urlencode({"limit": limit, "after": next_after})
            next_url = request.build_absolute_uri(f"{run_path(run)}?{query}")
        page = {"run": run, "entries": entries, "next": next_url, "next_after": next_after}
        return LeaderboardRunSerializer(page, context=context).data


class ClusterEndpoint(RunEndpoint):
    kind = "cluster"
    operation_id = "get_{run}_standing_of_cluster"
    summary = "Where one cluster stands in {described} of a leaderboard, with its neighbours"
    about = (
        "The cluster's entry with `percentile` (the percent of the run's entries ranked strictly behind it), and "
        "up to `around` entries just above and below it. `entry: null` (with no neighbours) means the cluster "
        "is not in this run, and `reason` says why: `no_score` (nothing to rank it by in this run), `below_cut` "
        "(ranked below the board's `maxEntries`) or `excluded` (an exclusion the run applied)."
    )

    @staticmethod
    def examples(header: dict) -> list[tuple[str, dict]]:
        above, entry, below = ENTRY_EXAMPLES
        return [
            (
                "a cluster and its neighbours",
                {
                    "leaderboard": header,
                    "entry": {**entry, "percentile": 99.9},
                    "above": [above],
                    "below": [below],
                    "reason": None,
                },
            ),
            (
                "a cluster not in the run",
                {"leaderboard": header, "entry": None, "above": [], "below": [], "reason": "below_cut"},
            ),
        ]

    query = (CLUSTER_ID_PATH_PARAMETER, AroundQuerySerializer)
    response = ClusterStandingSerializer
    bad_request = OpenApiResponse(ClusterQueryErrorSerializer, description="`clusterId` or `around` is malformed.")

    def parameters(self, request, kwargs):
        cluster_id = path_cluster_id(kwargs)
        around = _validated(AroundQuerySerializer, request.query_params)["around"]
        return {"cluster_id": cluster_id, "around": around}, f"{around}:{cluster_id}"

    def names(self, run, params):
        return extensions.cluster_names().around(run.id, params["cluster_id"], params["around"])

    def body(self, request, run, params, context):
        standing = selectors.cluster_standing(run, params["cluster_id"], around=params["around"])
        data = {
            "run": run,
            "standing": standing,
            "above": standing.above if standing else [],
            "below": standing.below if standing else [],
            "reason": None if standing else selectors.not_ranked_reason(run, params["cluster_id"]),
        }
        return ClusterStandingSerializer(data, context=context).data


class ClustersEndpoint(RunEndpoint):
    kind = "clusters"
    operation_id = "get_{run}_entries_of_clusters"
    summary = "Several clusters' entries in {described} of a leaderboard (a friends list)"
    about = (
        "The entries of the clusters asked for in `ids`, by position; `missing` lists, in the order asked, "
        "the ids that have no entry in this run."
    )

    @staticmethod
    def examples(header: dict) -> list[tuple[str, dict]]:
        return [
            (
                "two found and one missing",
                {"leaderboard": header, "entries": ENTRY_EXAMPLES[1:], "missing": ["c-0000"]},
            )
        ]

    query = (_IDS,)
    response = ClusterEntriesSerializer
    bad_request = OpenApiResponse(ClusterIdsQueryErrorSerializer, description="`ids` is missing or malformed.")

    def parameters(self, request, kwargs):
        ids = _validated(ClusterIdsQuerySerializer, request.query_params)["ids"]
        # Length-prefixed, so no id can make two different lists read the same.
        return {"ids": ids}, ",".join(f"{len(cluster_id)}:{cluster_id}" for cluster_id in ids)

    def names(self, run, params):
        return extensions.cluster_names().of_clusters(params["ids"])

    def body(self, request, run, params, context):
        entries = selectors.entries_of_clusters(run, params["ids"])
        found = {entry["cluster_id"] for entry in entries}
        missing = [cluster_id for cluster_id in params["ids"] if cluster_id not in found]
        return ClusterEntriesSerializer({"run": run, "entries": entries, "missing": missing}, context=context).data


def _examples(shape: type[RunEndpoint], source: RunSource) -> list[OpenApiExample]:
    """The shape's examples for the run the source usually names, and its first one for each other run it can."""
    (_, header), *others = source.example_headers
    examples = [OpenApiExample(name, value=body, response_only=True) for name, body in shape.examples(header)]
    for what, other in others:
        name, body = shape.examples(other)[0]
        examples.append(OpenApiExample(f"{name} {what}", value=body, response_only=True))
    return examples


def run_endpoint(shape: type[RunEndpoint], source: RunSource) -> type[RunEndpoint]:
    """The view of `shape` for runs named by `source`, with its own operation in the schema."""

    def get(self, request, key, **kwargs):
        return shape.get(self, request, key, **kwargs)

    documented = extend_schema(
        operation_id=shape.operation_id.format(run=source.operation_id),
        summary=shape.summary.format(described=source.described).capitalize() + ".",
        description=f"{shape.about}\n\n{source.about}\n\n{_RUN_HEADER_ABOUT}",
        examples=_examples(shape, source),
        parameters=[*source.parameters, *shape.query, _IF_NONE_MATCH, *_CACHE_HEADERS],
        responses={
            200: shape.response,
            304: NOT_MODIFIED,
            400: shape.bad_request,
            404: OpenApiResponse(ErrorSerializer, description=source.not_found),
        },
    )(get)
    return type(f"{source.name}{shape.__name__}", (shape,), {"source": source, "get": documented})


LatestPageView = run_endpoint(PageEndpoint, LATEST)
LatestClusterView = run_endpoint(ClusterEndpoint, LATEST)
LatestClustersView = run_endpoint(ClustersEndpoint, LATEST)
RunPageView = run_endpoint(PageEndpoint, BY_ID)
RunClusterView = run_endpoint(ClusterEndpoint, BY_ID)
RunClustersView = run_endpoint(ClustersEndpoint, BY_ID)
PreviousFinalPageView = run_endpoint(PageEndpoint, PREVIOUS_FINAL)
PreviousFinalClusterView = run_endpoint(ClusterEndpoint, PREVIOUS_FINAL)
PreviousFinalClustersView = run_endpoint(ClustersEndpoint, PREVIOUS_FINAL)


# --- runs as lists ------------------------------------------------------------------------------


_LIST_CACHE = [_IF_NONE_MATCH, *_CACHE_HEADERS]


class LeaderboardListView(APIView):
    @extend_schema(
        operation_id="list_leaderboards",
        summary="Active leaderboards, each with what it ranks and its latest completed run (or null).",
        description="Every active leaderboard by key: what it ranks (`challengeCode`, `challengeName`, "
        "`categoryKey`, the tie-breaking `fallbackChallengeCode`), how (`rankMode`, `maxEntries`), over which "
        "period (`timeWindow`, `nextResetAt`), and its latest completed run (`latestRun`, with a `periodLabel` "
        'such as "Week 48, 2026"), null before the first. With `If-None-Match` a client\'s copy that is still '
        "current is answered 304.",
        parameters=_LIST_CACHE,
        responses={200: LeaderboardListItemSerializer(many=True), 304: NOT_MODIFIED},
        examples=[
            OpenApiExample(
                "a weekly board",
                response_only=True,
                # One item: drf-spectacular shows an example of a list answer as a list of it.
                value={
                    "key": HEADER_EXAMPLE["key"],
                    "name": HEADER_EXAMPLE["name"],
                    "description": HEADER_EXAMPLE["description"],
                    "challengeCode": "wins",
                    "challengeName": "PvP wins",
                    "categoryKey": "pvp_competition",
                    "fallbackChallengeCode": "streak",
                    "maxEntries": 1000,
                    "rankMode": "DENSE",
                    "timeWindow": "WEEKLY",
                    "nextResetAt": HEADER_EXAMPLE["nextResetAt"],
                    "latestRun": {
                        name: HEADER_EXAMPLE[name]
                        for name in ("runId", "periodStart", "periodEnd", "periodLabel", "rowCount", "generatedAt")
                    },
                    "prizes": [
                        {
                            "rankFrom": 1,
                            "rankTo": 3,
                            "topPercent": None,
                            "minScore": 10,
                            "name": "Gold crate",
                            "kind": "item",
                            "quantity": 1,
                            "data": {"sku": "crate_gold"},
                        },
                        {
                            "rankFrom": None,
                            "rankTo": None,
                            "topPercent": 10.0,
                            "minScore": None,
                            "name": "HDG",
                            "kind": "token",
                            "quantity": 50,
                            "data": {"token": "HDG"},
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request):
        definitions = list(selectors.active_definitions_with_latest_run())
        now = timezone.now()
        resets = next_resets([d.time_window for d in definitions], now=now)
        context = {"next_reset_at": resets, "extras": extensions.list_item_values(definitions)}
        body = LeaderboardListItemSerializer(definitions, many=True, context=context).data
        return cached_response(request, body, resets.values(), now=now)


class LeaderboardFinalsView(APIView):
    @extend_schema(
        operation_id="list_final_runs",
        summary="The final runs of a leaderboard's ended periods, newest period first.",
        description="One item per ended period that has its final standings (`isFinal`), newest period first, "
        "each with its `periodLabel`; read one with `/leaderboards/{key}/runs/{runId}`. `next` is the URL of the "
        "next (older) page, null on the last. With `If-None-Match` a copy that is still current is answered 304.",
        parameters=[_KEY, FinalsQuerySerializer, *_LIST_CACHE],
        examples=[
            OpenApiExample(
                "two final runs and the newer one corrected",
                response_only=True,
                value={
                    "results": [
                        {
                            "runId": FINAL_HEADER_EXAMPLE["runId"],
                            "periodStart": FINAL_HEADER_EXAMPLE["periodStart"],
                            "periodEnd": FINAL_HEADER_EXAMPLE["periodEnd"],
                            "periodLabel": FINAL_HEADER_EXAMPLE["periodLabel"],
                            "rowCount": FINAL_HEADER_EXAMPLE["rowCount"],
                            "generatedAt": FINAL_HEADER_EXAMPLE["generatedAt"],
                            "isFinal": True,
                            "supersedes": [_SUPERSEDED_HEADER_EXAMPLE["runId"]],
                            "correctedAt": FINAL_HEADER_EXAMPLE["generatedAt"],
                            "correctionNote": CORRECTION_NOTE_EXAMPLE,
                        },
                        {
                            "runId": 1019,
                            "periodStart": "2026-11-09T00:00:00Z",
                            "periodEnd": "2026-11-16T00:00:00Z",
                            "periodLabel": "Week 46, 2026",
                            "rowCount": 1000,
                            "generatedAt": "2026-11-16T00:05:01Z",
                            "isFinal": True,
                            "supersedes": [],
                            "correctedAt": None,
                            "correctionNote": None,
                        },
                    ],
                    "next": "https://hedge.example.com/leaderboards/weekly_wins/finals?limit=2&before=1019",
                },
            )
        ],
        responses={
            200: FinalRunListSerializer,
            304: NOT_MODIFIED,
            400: OpenApiResponse(FinalsQueryErrorSerializer, description="`limit` or `before` is malformed."),
            404: OpenApiResponse(ErrorSerializer, description="Unknown or inactive leaderboard."),
        },
    )
    def get(self, request, key):
        params = _validated(FinalsQuerySerializer, request.query_params)
        limit, before = params["limit"], params.get("before")
        definition = selectors.get_definition(key) if is_well_formed_key(key) else None
        if definition is None:
            raise _no_leaderboard(key)
        runs = list(selectors.final_runs(key, before=before)[: limit + 1])
        next_url = None
        if len(runs) > limit:
            runs = runs[:limit]
            query = urlencode({"limit": limit, "before": runs[-1].pk})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        context = {"supersedes": selectors.superseded_run_ids([run.pk for run in runs])}
        body = {"results": FinalRunSummarySerializer(runs, many=True, context=context).data, "next": next_url}
        # Until the period ends, the list cannot change but by a correction, which the ETag shows.
        now = timezone.now()
        next_reset = next_resets([definition.time_window], now=now)[definition.time_window]
        return cached_response(request, body, [next_reset], now=now)
