from django.contrib import admin, messages
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from . import selectors
from .errors import LeaderboardError
from .models import LeaderboardDef, LeaderboardEntry, LeaderboardRun
from .services import generate_leaderboard_run

TOP_ENTRIES_SHOWN = 50


class ReadOnlyAdmin(admin.ModelAdmin):
    """Runs and entries are written only by generation; staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
class LeaderboardRunAdmin(ReadOnlyAdmin):
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
class LeaderboardEntryAdmin(ReadOnlyAdmin):
    list_display = ["run_id", "position", "rank", "cluster_id", "score", "tiebreaker"]
    # Filter by run through the run page's link (?run__id__exact=N); a sidebar filter would list every run.
    search_fields = ["=cluster_id"]
    show_full_result_count = False  # a COUNT(*) over every run's entries on each page is not worth it
    list_per_page = 100
    # Newest runs first; the (run, position) index serves it.
    ordering = ["-run_id", "position"]
    fields = ["run", "position", "rank", "cluster_id", "score", "tiebreaker", "payload", "created_at"]
    readonly_fields = fields
