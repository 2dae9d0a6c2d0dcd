from django.contrib import admin, messages
from django.db import DatabaseError
from django.db.models import F
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from hedge.admin import LargeTableAdmin

from . import selectors
from .errors import LeaderboardError
from .models import LeaderboardDef, LeaderboardEntry, LeaderboardRun
from .services import generate_leaderboard_run

TOP_ENTRIES_SHOWN = 50
RUN_FILTER = "run__id__exact"


def _changelist_link(model, label: str, **filters) -> str:
    url = reverse(f"admin:leaderboards_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


@admin.register(LeaderboardDef)
class LeaderboardDefAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "name",
        "time_window",
        "is_active",
        "max_entries",
        "rank_mode",
        "last_run_status",
        "last_run_at",
        "last_run_rows",
    ]
    list_filter = ["is_active", "time_window", "rank_mode", "category_key"]
    search_fields = ["key", "name", "category_key", "metric_source", "metric_key"]
    actions = ["generate_now", "generate_now_forced"]
    fieldsets = [
        (None, {"fields": ["key", "name", "description", "is_active"]}),
        ("What is ranked", {"fields": ["category_key", "metric_source", "metric_key", "fallback_metric_key"]}),
        ("How", {"fields": ["time_window", "rank_mode", "max_entries"]}),
        (None, {"fields": ["runs", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return selectors.definitions_with_last_run()

    def has_delete_permission(self, request, obj=None):
        # A definition with runs is PROTECTed by them: deactivate it instead (no Delete button).
        if obj is not None and selectors.run_counts([obj.key]):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # Django's page would load every run to list it as protected; count them instead.
        definitions = list(objs)
        run_counts = selectors.run_counts([d.key for d in definitions])
        protected = [
            f"{key}: {count:,} run(s) — deactivate the leaderboard instead" for key, count in run_counts.items()
        ]
        listed = [f"Leaderboard definition: {d}" for d in definitions]
        return listed, {LeaderboardDef._meta.verbose_name_plural: len(definitions)}, set(), protected

    def get_readonly_fields(self, request, obj=None):
        # The key is an identity: runs, URLs and cron lines refer to it.
        return ["key", "runs", "created_at", "updated_at"] if obj else ["runs", "created_at", "updated_at"]

    @admin.display(description="last run", ordering=F("last_run_status").asc(nulls_first=True))
    def last_run_status(self, definition):
        return definition.last_run_status or "—"

    @admin.display(description="last run at", ordering=F("last_run_at").asc(nulls_first=True))
    def last_run_at(self, definition):
        return definition.last_run_at

    @admin.display(description="rows")
    def last_run_rows(self, definition):
        return definition.last_run_rows

    @admin.display(description="runs")
    def runs(self, definition):
        if definition.pk is None:
            return "—"
        return _changelist_link(LeaderboardRun, "runs of this leaderboard", leaderboard__key__exact=definition.key)

    def _generate(self, request, queryset, *, force: bool):
        for key in queryset.order_by("key").values_list("key", flat=True):
            try:
                run = generate_leaderboard_run(key, force=force)
            except LeaderboardError as exc:
                self.message_user(request, f"{key}: {exc}", level=messages.ERROR)
            except DatabaseError as exc:
                # E.g. SQLite's "database is locked" after its busy timeout: report it, go on with the others.
                self.message_user(request, f"{key}: database error: {type(exc).__name__}: {exc}", level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{key}: run {run.pk} {run.status}, {run.row_count} rows "
                    f"(period {run.period_start:%Y-%m-%d %H:%M} – {run.period_end:%Y-%m-%d %H:%M} UTC).",
                    level=messages.SUCCESS,
                )

    @admin.action(description="Generate run now")
    def generate_now(self, request, queryset):
        self._generate(request, queryset, force=False)

    @admin.action(description="Generate run now, also for inactive leaderboards")
    def generate_now_forced(self, request, queryset):
        self._generate(request, queryset, force=True)


@admin.register(LeaderboardRun)
class LeaderboardRunAdmin(LargeTableAdmin):
    list_display = [
        "id",
        "leaderboard",
        "status",
        "period_start",
        "period_end",
        "row_count",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "leaderboard"]
    list_select_related = ["leaderboard"]
    fields = [
        "leaderboard",
        "status",
        "error",
        "period_start",
        "period_end",
        "row_count",
        "challenge",
        "fallback_challenge",
        "created_at",
        "updated_at",
        "finished_at",
        "top_entries",
    ]
    readonly_fields = fields

    @admin.display(description=f"top {TOP_ENTRIES_SHOWN} entries")
    def top_entries(self, run):
        entries = selectors.top_entries(run, limit=TOP_ENTRIES_SHOWN).values_list(
            "position", "rank", "cluster_id", "score", "tiebreaker"
        )
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", entries)
        if not rows:
            return "no entries"
        link = _changelist_link(LeaderboardEntry, f"all {run.row_count} entries", run__id__exact=run.pk)
        return format_html(
            "<table><thead><tr><th>position</th><th>rank</th><th>cluster</th><th>score</th><th>tiebreaker</th>"
            "</tr></thead><tbody>{}</tbody></table><p>{}</p>",
            rows,
            link,
        )


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(LargeTableAdmin):
    """Entries of one run at a time: the list always has a run filter, so the (run, position) index
    serves its order and the (run, cluster_id) index its search; it never sorts every run's entries."""

    list_display = ["run_id", "position", "rank", "cluster_id", "score", "tiebreaker"]
    # Filter by run through the run page's link (?run__id__exact=N); a sidebar filter would list every run.
    search_fields = ["cluster_id__exact"]  # exact, not iexact: UPPER(cluster_id) could not use the index
    list_per_page = 100
    ordering = ["run_id", "position"]
    fields = ["run", "position", "rank", "cluster_id", "score", "tiebreaker", "fallback_value"]
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        if RUN_FILTER in request.GET:
            return super().changelist_view(request, extra_context)
        run_id = selectors.newest_complete_run_id()
        if run_id is None:
            self.message_user(request, "There are no completed runs, so there are no entries to show.")
            return HttpResponseRedirect(reverse("admin:leaderboards_leaderboardrun_changelist"))
        self.message_user(
            request, f"Showing the entries of run {run_id}, the newest completed run; open a run to see its entries."
        )
        query = request.GET.copy()
        query.pop("e", None)  # Django's "bad filter" marker
        query[RUN_FILTER] = str(run_id)
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
