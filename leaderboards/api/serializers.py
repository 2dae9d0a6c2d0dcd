"""Public JSON of leaderboards: camelCase keys, written out field by field."""

import copy

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hedge.core.api import ClusterIdField, DigitsIntegerField, api_datetime
from hedge.core.clusters import CLUSTER_ID_MAX_LENGTH

from .. import extensions
from ..extensions import ClusterName
from ..models import RankMode, TimeWindow
from ..periods import period_label

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_FINALS_LIMIT = 100
DEFAULT_FINALS_LIMIT = 20
MAX_AROUND = 50
MAX_IDS = 100
# Positions and run ids are stored as 32- and 64-bit integers: a larger value can match nothing
# (and would not fit SQLite's parameters).
MAX_POSITION = 2**31 - 1
MAX_RUN_ID = 2**63 - 1
# Why a run has no entry of a cluster (leaderboards.selectors.not_ranked_reason).
NOT_RANKED_REASONS = ["below_cut", "no_score", "excluded"]


DISPLAY_NAME_HELP = (
    "The cluster's public name, set by the game's backend (1..64 characters, no control characters); null when "
    "it has none. Show the clusterId then."
)
AVATAR_URL_HELP = "The cluster's avatar, an https:// URL set by the game's backend; null when it has none."
_NO_NAME = ClusterName(None, None)


PERIOD_LABEL_HELP = (
    'The period as a person names it: "1 December 2026" (DAILY), "Week 48, 2026" (WEEKLY, ISO week), '
    '"December 2026" (MONTHLY), "Season S1-2026" (SEASON), "All time".'
)


def run_period_label(run) -> str:
    """A run of the public API (selectors._public_runs and the run reads name the season of its dates)."""
    return period_label(run.leaderboard.time_window, run.period_start, season_id=run.season_id_of_period)


class LimitQuerySerializer(serializers.Serializer):
    limit = DigitsIntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"How many entries: 1..{MAX_LIMIT}, default {DEFAULT_LIMIT}.",
    )


class PageQuerySerializer(LimitQuerySerializer):
    after = DigitsIntegerField(
        min_value=0,
        max_value=MAX_POSITION,
        default=0,
        help_text="Only entries after this position (keyset pages: the last position of the previous page); "
        "default 0, from the top. The body's `next` is the URL of the next page.",
    )


class AroundQuerySerializer(serializers.Serializer):
    around = DigitsIntegerField(
        min_value=0,
        max_value=MAX_AROUND,
        default=0,
        help_text=f"How many entries above and below the cluster: 0..{MAX_AROUND}, default 0.",
    )


class ClusterIdListField(serializers.Field):
    """`ids=a&ids=b&ids=c` or `ids=a,b,c`: 1..MAX_IDS cluster ids, each taken verbatim; duplicates are answered
    once, in first-seen order.

    Repeated is how generated clients send an array (OpenAPI's `explode: true`); comma-joined is the short
    form for a person. A mix of both, or more than MAX_IDS ids, is refused: an id is never silently dropped.
    """

    # In the schema: a query parameter with style form, explode true (api._IDS).
    schema = {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_IDS,
        "items": {"type": "string", "minLength": 1, "maxLength": CLUSTER_ID_MAX_LENGTH, "pattern": r"^[^,\u0000]+$"},
    }

    default_error_messages = {"invalid": "Not a valid string.", "blank": "This field may not be blank."}

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            values = dictionary.getlist(self.field_name)
            return values if values else serializers.empty
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        values = data if isinstance(data, list) else [data]
        if not all(isinstance(value, str) for value in values):
            self.fail("invalid")
        if values == [""]:
            self.fail("blank")
        if len(values) > 1 and any("," in value for value in values):
            raise serializers.ValidationError(
                "Send the ids either repeated (ids=a&ids=b) or comma-joined in one parameter (ids=a,b), not both."
            )
        ids = values if len(values) > 1 else values[0].split(",")
        if len(ids) > MAX_IDS:
            raise serializers.ValidationError(f"At most {MAX_IDS} ids, got {len(ids)}.")
        for number, cluster_id in enumerate(ids, start=1):
            # ClusterIdField's rules and messages, checked in a loop (100 fields' validation would cost more).
            if cluster_id == "":
                problem = _ONE_ID.error_messages["blank"]
            elif len(cluster_id) > CLUSTER_ID_MAX_LENGTH:
                problem = _ONE_ID.error_messages["max_length"].format(max_length=CLUSTER_ID_MAX_LENGTH)
            elif "\x00" in cluster_id:
                problem = ProhibitNullCharactersValidator.message
            else:
                continue
            raise serializers.ValidationError(f"Id {number}: {problem}")
        return list(dict.fromkeys(ids))


_ONE_ID = ClusterIdField()


class ClusterIdsQuerySerializer(serializers.Serializer):
    ids = ClusterIdListField()


class RunSummarySerializer(serializers.Serializer):
    """The leaderboard's latest completed run."""

    runId = serializers.IntegerField(source="latest_run_id")
    periodStart = serializers.DateTimeField(source="latest_period_start")
    periodEnd = serializers.DateTimeField(source="latest_period_end")
    periodLabel = serializers.SerializerMethodField(help_text=PERIOD_LABEL_HELP)
    rowCount = serializers.IntegerField(source="latest_row_count")
    generatedAt = serializers.DateTimeField(source="latest_finished_at")

    def get_periodLabel(self, definition) -> str:
        return period_label(
            definition.time_window, definition.latest_period_start, season_id=definition.latest_season_id
        )


class LeaderboardListItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    challengeCode = serializers.CharField(
        allow_null=True, help_text="The challenge the board ranks; null on a board of season points."
    )
    challengeName = serializers.CharField(allow_null=True, help_text="Its name, as players see it.")
    categoryKey = serializers.CharField(help_text="The challenge category the board belongs to.")
    fallbackChallengeCode = serializers.CharField(
        allow_null=True, help_text="The challenge whose value breaks ties (`payload.fallbackValue`); null without one."
    )
    maxEntries = serializers.IntegerField(
        min_value=0, help_text="How many top positions each run keeps; 0: every cluster."
    )
    rankMode = serializers.ChoiceField(
        choices=RankMode.values, help_text="How ties rank: DENSE (1, 1, 2) or COMPETITION (1, 1, 3)."
    )
    timeWindow = serializers.ChoiceField(choices=TimeWindow.values, source="time_window")
    nextResetAt = serializers.SerializerMethodField()
    latestRun = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_nextResetAt(self, definition):
        return api_datetime(self.context["next_reset_at"][definition.time_window])

    @extend_schema_field(RunSummarySerializer(allow_null=True))
    def get_latestRun(self, definition):
        if definition.latest_run_id is None:
            return None
        return RunSummarySerializer(definition).data

    def get_fields(self):
        # Fields other apps add (leaderboards.extensions), documented here and written by to_representation.
        fields = super().get_fields()
        for extra in extensions.list_item_fields():
            fields[extra.name] = copy.deepcopy(extra.field)
        return fields

    def to_representation(self, definition):
        # Written out directly (the fields above document it), so an added field is never read from the model.
        extras = self.context.get("extras", {}).get(definition.key, {})
        return {
            "key": definition.key,
            "name": definition.name,
            "description": definition.description,
            "challengeCode": definition.challenge_code,
            "challengeName": definition.challenge_name,
            "categoryKey": definition.category_key,
            "fallbackChallengeCode": definition.fallback_challenge_code,
            "maxEntries": definition.max_entries,
            "rankMode": definition.rank_mode,
            "timeWindow": definition.time_window,
            "nextResetAt": self.get_nextResetAt(definition),
            "latestRun": self.get_latestRun(definition),
            **{extra.name: extras.get(extra.name, extra.default()) for extra in extensions.list_item_fields()},
        }


class LeaderboardRunHeaderSerializer(serializers.Serializer):
    """The leaderboard and the run whose entries follow."""

    key = serializers.CharField(source="leaderboard.key")
    name = serializers.CharField(source="leaderboard.name")
    description = serializers.CharField(source="leaderboard.description")
    timeWindow = serializers.ChoiceField(choices=TimeWindow.values, source="leaderboard.time_window")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    periodLabel = serializers.SerializerMethodField(help_text=PERIOD_LABEL_HELP)
    runId = serializers.IntegerField(source="id")
    rowCount = serializers.IntegerField(source="row_count")
    rankedTotal = serializers.IntegerField(
        source="ranked_total",
        help_text="How many clusters the run ranked before keeping the top max_entries (rowCount); "
        "percentiles are over it.",
    )
    generatedAt = serializers.DateTimeField(source="finished_at")
    isFinal = serializers.BooleanField(
        source="is_final",
        help_text="True for the final standings of an ended period; false while the period is still going on.",
    )
    status = serializers.ChoiceField(
        choices=["COMPLETE", "SUPERSEDED"],
        help_text="COMPLETE: the published result. SUPERSEDED: a final run a correction replaced; still readable "
        "here by its id, `supersededBy` names the run to show instead.",
    )
    supersededBy = serializers.IntegerField(
        allow_null=True, help_text="The run that replaced this one (its runId); null unless SUPERSEDED."
    )
    correctionNote = serializers.CharField(
        allow_null=True, help_text="Why the run was replaced (the correction's note); null unless SUPERSEDED."
    )
    nextResetAt = serializers.SerializerMethodField(
        help_text="When the board's current period ends and it starts again; null for ALL_TIME and between seasons."
    )
    checksum = serializers.CharField(
        help_text="SHA-256 (hex) of every entry of the run in position order, one "
        "'position,clusterId,rank,score,tiebreaker\\n' line each (README: verifying a board)."
    )

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_nextResetAt(self, run):
        return api_datetime(self.context["next_reset_at"][run.leaderboard.time_window])

    def get_periodLabel(self, run) -> str:
        return run_period_label(run)

    def to_representation(self, run):
        # Written out directly (the fields above document it): it heads every run response.
        definition = run.leaderboard
        return {
            "key": definition.key,
            "name": definition.name,
            "description": definition.description,
            "timeWindow": definition.time_window,
            "periodStart": api_datetime(run.period_start),
            "periodEnd": api_datetime(run.period_end),
            "periodLabel": run_period_label(run),
            "runId": run.id,
            "rowCount": run.row_count,
            "rankedTotal": run.ranked_total,
            "generatedAt": api_datetime(run.finished_at),
            "isFinal": run.is_final,
            "status": run.status,
            "supersededBy": run.superseded_by_id,
            "correctionNote": run.superseded_by.note if run.superseded_by_id else None,
            "nextResetAt": self.get_nextResetAt(run),
            "checksum": run.checksum,
        }


class EntryPayloadSerializer(serializers.Serializer):
    challengeCode = serializers.CharField(allow_null=True, help_text="null on a board of season points.")
    fallbackChallengeCode = serializers.CharField(allow_null=True)
    fallbackValue = serializers.IntegerField(allow_null=True)


class LeaderboardEntrySerializer(serializers.Serializer):
    """One ranked cluster; `payload` names what was ranked (the run's challenges) and the fallback value."""

    # The fields document the shape; to_representation writes it out directly, because it runs for every
    # entry of every response (up to 1000) and per-field serialization would cost more than the query.

    rank = serializers.IntegerField()
    position = serializers.IntegerField()
    clusterId = serializers.CharField()
    score = serializers.IntegerField()
    tiebreaker = serializers.IntegerField()
    previousRank = serializers.IntegerField(
        allow_null=True, help_text="The cluster's rank in the previous run of the same period; null when absent."
    )
    rankChange = serializers.IntegerField(
        allow_null=True, help_text="previousRank - rank: positive = moved up; null when previousRank is null."
    )
    payload = EntryPayloadSerializer()
    displayName = serializers.CharField(allow_null=True, help_text=DISPLAY_NAME_HELP)
    avatarUrl = serializers.URLField(allow_null=True, help_text=AVATAR_URL_HELP)

    def to_representation(self, entry):
        run = self.context["run"]
        rank, previous_rank = entry["rank"], entry["previous_rank"]
        name = self.context.get("names", {}).get(entry["cluster_id"], _NO_NAME)
        return {
            "rank": rank,
            "position": entry["position"],
            "clusterId": entry["cluster_id"],
            "score": entry["score"],
            "tiebreaker": entry["tiebreaker"],
            "previousRank": previous_rank,
            "rankChange": None if previous_rank is None else previous_rank - rank,
            "payload": {
                "challengeCode": run.challenge.code if run.challenge else None,
                "fallbackChallengeCode": run.fallback_challenge.code if run.fallback_challenge else None,
                "fallbackValue": entry["fallback_value"],
            },
            "displayName": name.display_name,
            "avatarUrl": name.avatar_url,
        }


class ClusterEntrySerializer(LeaderboardEntrySerializer):
    """The entry of the cluster asked for, with where it stands in the whole run."""

    percentile = serializers.FloatField(
        min_value=0,
        max_value=100,
        help_text="Percent of the clusters the run ranked (rankedTotal, before the cut) that rank strictly "
        "behind this cluster (ties are not behind), 0..100, rounded down to one decimal.",
    )

    def to_representation(self, standing):
        return {**super().to_representation(standing.entry), "percentile": standing.percentile}


class LeaderboardRunSerializer(serializers.Serializer):
    """A run of a leaderboard and a page of its entries by position."""

    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entries = LeaderboardEntrySerializer(many=True)
    next = serializers.URLField(
        allow_null=True,
        help_text="The URL of the next page of this same run (`/leaderboards/{key}/runs/{runId}?limit=...&after=...`, "
        "even when this page was read through `latest` or `finals/previous`, so a run published meanwhile never "
        "mixes into one download); null on the last page.",
    )
    nextAfter = serializers.IntegerField(
        allow_null=True,
        help_text="The `after` of the next page (the last position on this one), for clients that build URLs "
        "themselves; null on the last page.",
    )

    def to_representation(self, page):
        return {
            "leaderboard": _header(page["run"], self.context),
            "entries": _entries(page["entries"], self.context),
            "next": page["next"],
            "nextAfter": page["next_after"],
        }


class ClusterStandingSerializer(serializers.Serializer):
    """Where one cluster stands in a run: its entry (null when it has none) and its neighbours."""

    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entry = ClusterEntrySerializer(allow_null=True, source="standing")
    above = LeaderboardEntrySerializer(many=True, help_text="Up to `around` entries just above it, by position.")
    below = LeaderboardEntrySerializer(many=True, help_text="Up to `around` entries just below it, by position.")
    reason = serializers.ChoiceField(
        choices=NOT_RANKED_REASONS,
        allow_null=True,
        help_text="Why `entry` is null (null when it is not): `excluded` (an exclusion the run applied names "
        "the cluster), `below_cut` (the run ranked more clusters than it kept, rankedTotal > rowCount, and this "
        "one is not among those kept), `no_score` (the run kept every cluster it ranked, so it had no score).",
    )

    def to_representation(self, found):
        standing = found["standing"]
        return {
            "leaderboard": _header(found["run"], self.context),
            "entry": None
            if standing is None
            else ClusterEntrySerializer(context=self.context).to_representation(standing),
            "reason": found.get("reason"),
            "above": _entries(found["above"], self.context),
            "below": _entries(found["below"], self.context),
        }


class ClusterEntriesSerializer(serializers.Serializer):
    """The entries of several clusters in a run, and the ids that have none."""

    leaderboard = LeaderboardRunHeaderSerializer(source="run")
    entries = LeaderboardEntrySerializer(many=True, help_text="The entries found, by position.")
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="The ids asked for that have no entry in the run, in the order asked."
    )

    def to_representation(self, found):
        return {
            "leaderboard": _header(found["run"], self.context),
            "entries": _entries(found["entries"], self.context),
            "missing": list(found["missing"]),
        }


# The run responses write their bodies directly, as the entries do: the fields above document them.


def _header(run, context) -> dict:
    return LeaderboardRunHeaderSerializer(context=context).to_representation(run)


def _entries(entries, context) -> list[dict]:
    entry = LeaderboardEntrySerializer(context=context)
    return [entry.to_representation(values) for values in entries]


class FinalRunSummarySerializer(serializers.Serializer):
    runId = serializers.IntegerField(source="id")
    periodStart = serializers.DateTimeField(source="period_start")
    periodEnd = serializers.DateTimeField(source="period_end")
    periodLabel = serializers.SerializerMethodField(help_text=PERIOD_LABEL_HELP)
    rowCount = serializers.IntegerField(source="row_count")
    generatedAt = serializers.DateTimeField(source="finished_at")
    isFinal = serializers.BooleanField(source="is_final")
    supersedes = serializers.SerializerMethodField()
    correctedAt = serializers.SerializerMethodField()
    correctionNote = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.ListField(
            child=serializers.IntegerField(),
            help_text="The runs this one replaced (a correction), oldest first; each stays readable by its id.",
        )
    )
    def get_supersedes(self, run):
        return self.context.get("supersedes", {}).get(run.pk, [])

    @extend_schema_field(
        serializers.DateTimeField(allow_null=True, help_text="When the correction was published; null if none.")
    )
    def get_correctedAt(self, run):
        return api_datetime(run.finished_at) if self.get_supersedes(run) else None

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Why the earlier run was replaced; null if none.")
    )
    def get_correctionNote(self, run):
        return run.note if self.get_supersedes(run) else None

    def get_periodLabel(self, run) -> str:
        return run_period_label(run)


class FinalRunListSerializer(serializers.Serializer):
    results = FinalRunSummarySerializer(many=True)
    next = serializers.URLField(allow_null=True)


class FinalsQuerySerializer(serializers.Serializer):
    limit = DigitsIntegerField(
        min_value=1,
        max_value=MAX_FINALS_LIMIT,
        default=DEFAULT_FINALS_LIMIT,
        help_text=f"How many final runs: 1..{MAX_FINALS_LIMIT}, default {DEFAULT_FINALS_LIMIT}.",
    )
    before = DigitsIntegerField(
        min_value=1,
        max_value=MAX_RUN_ID,
        required=False,
        help_text="A run id from the previous page: only final runs after it.",
    )


class PageQueryErrorSerializer(serializers.Serializer):
    limit = serializers.ListField(child=serializers.CharField(), required=False)
    after = serializers.ListField(child=serializers.CharField(), required=False)


class ClusterQueryErrorSerializer(serializers.Serializer):
    clusterId = serializers.ListField(child=serializers.CharField(), required=False)
    around = serializers.ListField(child=serializers.CharField(), required=False)


class ClusterIdsQueryErrorSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.CharField())


class FinalsQueryErrorSerializer(serializers.Serializer):
    limit = serializers.ListField(child=serializers.CharField(), required=False)
    before = serializers.ListField(child=serializers.CharField(), required=False)
