"""Awards for staff: read-only (written by publication, settled through the service API), with the final
run's totals and CSV on the run's page, and the "paid, no longer entitled" list.

The run's page is leaderboards' run admin, re-registered here as a subclass that adds an "awards"
field (leaderboards must not import prizes; see prizes.admin.definitions).
"""

from __future__ import annotations

import re

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from hedge.core.admin import LargeTableAdmin, compact_datetime
from leaderboards.admin.runs import LeaderboardRunAdmin
from leaderboards.models import LeaderboardRun

from ..exports import run_awards_csv
from ..models import LeaderboardAward
from ..selectors import PAID_NO_LONGER_ENTITLED, run_award_totals

NO_LONGER_ENTITLED = "no_longer_entitled"
# A run id in a URL: digits that fit a bigint (a longer number would upset the database, not find a run).
_RUN_ID = re.compile(r"[0-9]{1,18}")


class EntitlementFilter(admin.SimpleListFilter):
    title = "entitlement"
    parameter_name = "entitlement"

    def lookups(self, request, model_admin):
        return [(NO_LONGER_ENTITLED, "Paid, no longer entitled")]

    def queryset(self, request, queryset):
        if self.value() == NO_LONGER_ENTITLED:
            return queryset.filter(PAID_NO_LONGER_ENTITLED)
        return queryset


def _awards_link(label: str, **filters) -> str:
    url = reverse("admin:prizes_leaderboardaward_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


@admin.register(LeaderboardAward)
class LeaderboardAwardAdmin(LargeTableAdmin):
    list_display = [
        "id",
        "leaderboard_key",
        "period",
        "run",
        "league",
        "position",
        "rank",
        "cluster_id",
        "name",
        "kind",
        "quantity",
        "status",
        "reference",
        "settled",
        "correction",
    ]
    list_filter = ["status", "kind", EntitlementFilter, "leaderboard_key", "period_start"]
    search_fields = ["cluster_id__exact"]  # exact: served by leaderboard_awards_cluster_idx
    list_per_page = 100
    fields = [
        "leaderboard_key",
        "run_id",
        "period_start",
        "period_end",
        "cluster_id",
        "league",
        "rank",
        "position",
        "score",
        "prize",
        "name",
        "kind",
        "quantity",
        "data",
        "status",
        "created_at",
        "reference",
        "settled_at",
        "api_key",
        "voided_at",
        "voided_by_run_id",
        "disentitled_by_run_id",
        "correction",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The note of the correcting run, for "paid, no longer entitled" (one subquery, not one query per row).
        note = LeaderboardRun.objects.filter(pk=OuterRef("disentitled_by_run_id")).values("note")[:1]
        return super().get_queryset(request).annotate(correction_note=Subquery(note))

    def get_urls(self):
        return [
            path(
                "run/<path:run_id>/awards.csv",
                self.admin_site.admin_view(self.run_csv_view),
                name="prizes_leaderboardaward_run_csv",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="period", ordering="period_start")
    def period(self, award):
        return f"{compact_datetime(award.period_start)} – {compact_datetime(award.period_end)}"

    @admin.display(description="run", ordering="run_id")
    def run(self, award):
        url = reverse("admin:leaderboards_leaderboardrun_change", args=[award.run_id])
        return format_html('<a href="{}">{}</a>', url, award.run_id)

    @admin.display(description="league (tier-cohort)")
    def league(self, award):
        """A league tier's prize: its rank is within this cohort; "—": the board's rank."""
        if award.league_key is None:
            return "—"
        return f"{award.league_key} {award.league_level}-{award.league_cohort}"

    @admin.display(description="settled", ordering="settled_at")
    def settled(self, award):
        return compact_datetime(award.settled_at) if award.settled_at else "—"

    @admin.display(description="correction")
    def correction(self, award):
        if award.disentitled_by_run_id is None:
            return "—"
        url = reverse("admin:leaderboards_leaderboardrun_change", args=[award.disentitled_by_run_id])
        return format_html(
            'Paid, no longer entitled under <a href="{}">run {}</a>: {}',
            url,
            award.disentitled_by_run_id,
            getattr(award, "correction_note", "") or "",
        )

    def run_csv_view(self, request, run_id):
        """Every award of one run as CSV, streamed (view permission: a read)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = LeaderboardRun.objects.filter(pk=int(run_id)).first() if _RUN_ID.fullmatch(run_id) else None
        if run is None:
            raise Http404("No such run.")
        return run_awards_csv(run)


class PrizeRunAdmin(LeaderboardRunAdmin):
    """The leaderboards' run admin, with the run's awards: totals per kind and status, browse, CSV."""

    fields = list(LeaderboardRunAdmin.fields)
    fields.insert(fields.index("entries") + 1 if "entries" in fields else len(fields), "awards")
    readonly_fields = fields

    @admin.display(description="awards")
    def awards(self, run):
        if run.pk is None or not run.is_final:
            return "— (only final runs award prizes)"
        totals = run_award_totals(run.pk)
        if not totals:
            return "none (no prize table when it was published)"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((t["kind"], t["status"], t["awards"], t["quantity"]) for t in totals),
        )
        download = reverse("admin:prizes_leaderboardaward_run_csv", args=[run.pk])
        return format_html(
            "<table class='hedge-award-totals'><thead><tr><th>kind</th><th>status</th><th>awards</th>"
            "<th>total quantity</th></tr></thead><tbody>{}</tbody></table>"
            '<p>{} · <a href="{}" class="hedge-download">Download CSV</a> · {}</p>',
            rows,
            _awards_link("browse", run_id=run.pk),
            download,
            _awards_link(
                "paid, no longer entitled", entitlement=NO_LONGER_ENTITLED, leaderboard_key=run.leaderboard_id
            ),
        )


admin.site.unregister(LeaderboardRun)
admin.site.register(LeaderboardRun, PrizeRunAdmin)
