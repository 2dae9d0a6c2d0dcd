"""The admin of leaderboard runs and their entries: read-only, browsed one run at a time."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from hedge.core.admin import LargeTableAdmin, changelist_link, compact_datetime, permitted_object

from .. import selectors
from ..errors import LeaderboardError
from ..models import Exclusion, LeaderboardDef, LeaderboardEntry, LeaderboardRun, RunExclusion, RunStatus
from ..services import generate_final_run
from .charts import score_histogram_svg
from .exports import run_entries_csv
from .forms import RegenerateFinalRunForm

TOP_ENTRIES_SHOWN = 50
EXCLUSIONS_SHOWN = 50
RUN_FILTER = "run__id__exact"


@admin.register(LeaderboardRun)
class LeaderboardRunAdmin(LargeTableAdmin):
    """A run read-only: how it was computed (definition, exclusions, input watermark, checksum), its scores and
    entries, and regenerating a final run from it."""

    list_display = ["id", "leaderboard", "status", "is_final", "period", "row_count", "created"]
    list_filter = ["status", "is_final", "leaderboard"]
    list_select_related = ["leaderboard"]
    fields = [
        "leaderboard",
        "status",
        "error",
        "period_start",
        "period_end",
        "is_final",
        "generated_for",
        "row_count",
        "entries",
        "challenge",
        "fallback_challenge",
        "exclusions_applied",
        "created_at",
        "updated_at",
        "finished_at",
        "definition_snapshot_display",
        "exclusions",
        "input_watermark",
        "checksum",
        "requested_by",
        "note",
        "superseded",
        "regenerate",
        "score_histogram",
        "top_entries",
    ]
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/entries.csv",
                self.admin_site.admin_view(self.entries_csv_view),
                name="leaderboards_leaderboardrun_entries_csv",
            ),
            path(
                "<path:object_id>/regenerate/",
                self.admin_site.admin_view(self.regenerate_view),
                name="leaderboards_leaderboardrun_regenerate",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="generated for")
    def generated_for(self, run):
        # is_backfill is also set on a final run of an explicit period; staff read "backfill" as "served as latest".
        if run.is_final:
            return "The final standings of an ended period (never served as the latest run)."
        if run.is_backfill:
            return "An explicit period (a backfill): served as latest only while the board has no scheduled run."
        return "The period of the time window (a scheduled run)."

    @admin.display(description="period")
    def period(self, run):
        return f"{compact_datetime(run.period_start)} – {compact_datetime(run.period_end)}"

    @admin.display(description="rows", ordering="row_count")
    def row_count(self, run):
        return f"{run.row_count:,}"

    @admin.display(description="created", ordering="created_at")
    def created(self, run):
        return compact_datetime(run.created_at)

    @admin.display(description="entries")
    def entries(self, run):
        if run.pk is None:
            return "—"
        download = reverse("admin:leaderboards_leaderboardrun_entries_csv", args=[run.pk])
        return format_html(
            '{} · <a href="{}" class="hedge-download">Download CSV</a>',
            changelist_link(LeaderboardEntry, "browse", run__id__exact=run.pk),
            download,
        )

    @admin.display(description="scores")
    def score_histogram(self, run):
        return score_histogram_svg(run)

    @admin.display(description=f"top {TOP_ENTRIES_SHOWN} entries")
    def top_entries(self, run):
        entries = selectors.top_entries(run, limit=TOP_ENTRIES_SHOWN).values_list(
            "position", "rank", "cluster_id", "score", "tiebreaker"
        )
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", entries)
        if not rows:
            return "no entries"
        link = changelist_link(LeaderboardEntry, f"all {run.row_count} entries", run__id__exact=run.pk)
        return format_html(
            "<table><thead><tr><th>position</th><th>rank</th><th>cluster</th><th>score</th><th>tiebreaker</th>"
            "</tr></thead><tbody>{}</tbody></table><p>{}</p>",
            rows,
            link,
        )

    def entries_csv_view(self, request, object_id):
        """Every entry of the run as CSV, streamed."""
        return run_entries_csv(permitted_object(self, request, object_id, "view"))

    def has_regenerate_permission(self, request, obj=None) -> bool:
        """Regenerating writes a new run of the definition: staff who may generate its runs."""
        return self.admin_site.get_model_admin(LeaderboardDef).has_generate_permission(request)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_regenerate_permission(request, obj) else [f for f in fields if f != "regenerate"]

    @admin.display(description="definition used")
    def definition_snapshot_display(self, run):
        if not run.definition_snapshot:
            return "— (generated before runs recorded it)"
        return format_html("<pre>{}</pre>", json.dumps(run.definition_snapshot, indent=2, sort_keys=True))

    @admin.display(description="exclusions applied")
    def exclusions(self, run):
        if not run.exclusions_applied:
            return "none"
        applied = Exclusion.objects.filter(pk__in=RunExclusion.objects.filter(run=run).values("exclusion_id")).order_by(
            "cluster_id"
        )[:EXCLUSIONS_SHOWN]
        items = format_html_join(", ", "{} ({})", ((e.cluster_id, e.leaderboard_id or "everything") for e in applied))
        url = reverse("admin:leaderboards_exclusion_changelist")
        link = format_html(
            '<a href="{}?{}">all {}</a>', url, urlencode({"applied_by_run": run.pk}), run.exclusions_applied
        )
        return format_html("{}: {} — {}", run.exclusions_applied, items, link)

    @admin.display(description="superseded by")
    def superseded(self, run):
        if run.superseded_by_id is None:
            return "—"
        new = run.superseded_by
        who = new.requested_by or "a command"
        url = reverse("admin:leaderboards_leaderboardrun_change", args=[new.pk])
        return format_html('<a href="{}">run {}</a>, regenerated by {}: {}', url, new.pk, who, new.note)

    @admin.display(description="regenerate")
    def regenerate(self, run):
        if not (run.is_final and run.status == RunStatus.COMPLETE):
            return "— (only a published final run can be regenerated)"
        url = reverse("admin:leaderboards_leaderboardrun_regenerate", args=[run.pk])
        return format_html('<a class="button" href="{}">Regenerate this final run…</a>', url)

    def regenerate_view(self, request, object_id):
        if not self.has_regenerate_permission(request):
            raise PermissionDenied
        run = get_object_or_404(LeaderboardRun.objects.select_related("leaderboard"), pk=object_id)
        change_url = reverse("admin:leaderboards_leaderboardrun_change", args=[run.pk])
        if not (run.is_final and run.status == RunStatus.COMPLETE):
            self.message_user(request, f"Run {run.pk} is not a published final run.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = RegenerateFinalRunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                new = generate_final_run(
                    run.leaderboard_id,
                    period_start=run.period_start,
                    period_end=run.period_end,
                    note=form.cleaned_data["note"],
                    requested_by=request.user,
                )
            except (LeaderboardError, DatabaseError) as exc:
                self.message_user(request, f"Run {run.pk} was not regenerated: {exc}", messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.message_user(
                request,
                f"Run {new.pk} ({new.row_count} rows) replaces final run {run.pk}, now SUPERSEDED.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:leaderboards_leaderboardrun_change", args=[new.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Regenerate final run {run.pk} of {run.leaderboard_id}",
            "opts": self.model._meta,
            "original": run,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/leaderboards/leaderboardrun/regenerate.html", context)


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(LargeTableAdmin):
    """Entries of one run at a time: the list always has a run filter, so the (run, position) index
    serves its order and the (run, cluster_id) index its search; it never sorts every run's entries."""

    list_display = ["position", "rank", "cluster_id", "score", "tiebreaker", "fallback_value", "previous_rank"]
    # Filter by run through the run page's link (?run__id__exact=N); a sidebar filter would list every run.
    search_fields = ["cluster_id__exact"]  # exact, not iexact: UPPER(cluster_id) could not use the index
    list_per_page = 100
    ordering = ["run_id", "position"]
    fields = ["run", "position", "rank", "cluster_id", "score", "tiebreaker", "fallback_value", "previous_rank"]
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied  # before the redirect below, which names the newest run
        if RUN_FILTER in request.GET:
            run = _run_of_filter(request.GET[RUN_FILTER])
            if run is not None:
                # The list never names its run otherwise: say which leaderboard and period it is.
                extra_context = {
                    **(extra_context or {}),
                    "title": f"Entries of {run.leaderboard_id}, run {run.pk}",
                    "subtitle": f"{run.leaderboard.name} · period {compact_datetime(run.period_start)} – "
                    f"{compact_datetime(run.period_end)} · {run.status}",
                }
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


def _run_of_filter(value: str) -> LeaderboardRun | None:
    if not value.isdigit():
        return None
    return LeaderboardRun.objects.select_related("leaderboard").filter(pk=int(value)).first()
