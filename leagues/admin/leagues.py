"""Leagues for staff: the league with its tiers inline (audited), its periods with counts per tier, members and moves.

A cluster's league history on one page: the moves list searched by its exact id (every league, every ended
period: tier, cohort, rank, score, move), and the members list for the period in progress.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from hedge.core.admin import HistoryAdmin, LargeTableAdmin, compact_datetime

from ..models import League, LeagueMember, LeagueMove, LeaguePeriod, LeagueTier
from ..selectors import cohort_id, period_cohorts, period_tiers

COHORTS_SHOWN = 200


class TierFormSet(forms.BaseInlineFormSet):
    """Tiers are levels 1..n without gaps; the top one promotes nobody (there is nowhere to go)."""

    def clean(self):
        super().clean()
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("level")
        ]
        levels = sorted(row["level"] for row in rows)
        if levels and levels != list(range(1, len(levels) + 1)):
            raise ValidationError("Tiers are levels 1, 2, 3, … without gaps (1 is the lowest).")
        top = max(levels, default=0)
        for row in rows:
            if row["level"] == top and top > 1 and (row.get("promote_count") or row.get("promote_percent")):
                raise ValidationError(f"The top tier (level {top}) promotes nobody: leave its promotion empty.")


class TierInline(admin.TabularInline):
    model = LeagueTier
    formset = TierFormSet
    extra = 0
    template = "admin/hedge/narrow_tabular.html"
    fields = ["level", "name", "promote_count", "promote_percent", "demote_count", "demote_percent"]
    verbose_name_plural = (
        "Tiers — level 1 is the lowest. Each zone is a count or a share (percent, rounded up) of a cohort; ties at "
        "a zone's edge go the members' way, and a member in both zones promotes. Changes apply at the next period end."
    )


def _link(model, label: str, **filters) -> str:
    url = reverse(f"admin:leagues_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


@admin.register(League)
class LeagueAdmin(HistoryAdmin):
    list_display = ["key", "name", "leaderboard", "cohort_size", "idle_demotion", "is_active", "periods"]
    list_filter = ["is_active", "idle_demotion"]
    search_fields = ["key", "name"]
    list_select_related = ["leaderboard"]
    inlines = [TierInline]
    fields = ["key", "name", "leaderboard", "cohort_size", "idle_demotion", "is_active", "periods"]
    readonly_fields = ["periods"]

    @admin.display(description="periods")
    def periods(self, league):
        if league.pk is None:
            return "—"
        return _link(LeaguePeriod, "Periods, members and moves", league__id__exact=league.pk)


@admin.register(LeaguePeriod)
class LeaguePeriodAdmin(LargeTableAdmin):
    list_display = ["league", "period_start", "period_end", "cohort_size", "closed", "correction"]
    list_filter = ["league"]
    list_select_related = ["league"]
    fields = [
        "league",
        "period_start",
        "period_end",
        "cohort_size",
        "opened_at",
        "closed",
        "correction",
        "tiers",
        "cohorts",
        "lists",
    ]
    readonly_fields = fields

    @admin.display(description="moves")
    def closed(self, period):
        if period.closed_by_run_id is None:
            return "not yet (the board's final run writes them)"
        return f"from final run {period.closed_by_run_id}, {compact_datetime(period.closed_at)}"

    @admin.display(description="correction")
    def correction(self, period):
        if period.unapplied_correction_run_id is None:
            return "—"
        return (
            f"Final run {period.unapplied_correction_run_id} corrected this period after the next period's cohorts "
            "were filled: the moves were not rewritten (they are those of the run above)."
        )

    @admin.display(description="per tier")
    def tiers(self, period):
        rows = period_tiers(period)
        if not rows:
            return "—"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (r["level"], r["members"], r["cohorts"], r.get("PROMOTE", 0), r.get("STAY", 0), r.get("DEMOTE", 0))
                for r in rows
            ),
        )
        return format_html(
            "<table><tr><th>level</th><th>members</th><th>cohorts</th><th>promoted</th><th>stayed</th>"
            "<th>demoted</th></tr>{}</table>",
            body,
        )

    @admin.display(description="cohorts")
    def cohorts(self, period):
        rows = period_cohorts(period)
        shown = format_html_join(
            ", ",
            "{}",
            (
                (
                    _link(
                        LeagueMember,
                        f"{cohort_id(r['level'], r['cohort'])} ({r['members']})",
                        league__id__exact=period.league_id,
                        period_start=period.period_start.isoformat(),
                        level=r["level"],
                        cohort=r["cohort"],
                    ),
                )
                for r in rows[:COHORTS_SHOWN]
            ),
        )
        more = f" … and {len(rows) - COHORTS_SHOWN} more" if len(rows) > COHORTS_SHOWN else ""
        return format_html("{}{}", shown or "—", more)

    @admin.display(description="lists")
    def lists(self, period):
        filters = {"league__id__exact": period.league_id, "period_start": period.period_start.isoformat()}
        return format_html("{} · {}", _link(LeagueMember, "members", **filters), _link(LeagueMove, "moves", **filters))


@admin.register(LeagueMember)
class LeagueMemberAdmin(LargeTableAdmin):
    list_display = ["cluster_id", "league", "period_start", "level", "cohort", "slot"]
    ordering = ["-period_start", "league", "level", "cohort", "slot"]
    list_filter = ["league", "level"]
    search_fields = ["cluster_id__exact"]  # exact: served by league_members_unique_cluster
    list_select_related = ["league"]
    list_per_page = 100


@admin.register(LeagueMove)
class LeagueMoveAdmin(LargeTableAdmin):
    """Moves at period end; searched by a cluster's exact id, it is the cluster's league history on one page."""

    list_display = ["cluster_id", "league", "period_start", "level", "cohort", "rank", "score", "move", "next_level"]
    ordering = ["-period_start", "league", "level", "cohort", "rank", "cluster_id"]
    list_filter = ["league", "move", "level"]
    search_fields = ["cluster_id__exact"]
    list_select_related = ["league"]
    list_per_page = 100
