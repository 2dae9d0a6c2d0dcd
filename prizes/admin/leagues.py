"""A league tier's prize table: on the tier's page, reached from the league's tiers.

leagues must not import prizes, so its league admin is re-registered here as a subclass whose tier rows
link to the tier's page (with its prize count), like the definition admin (prizes.admin.definitions). A
tier's zones stay edited on the league's page, where the tiers are checked together; the tier's page edits
its prize rows only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count

from hedge.core.admin import HistoryAdmin
from leagues.admin.leagues import LeagueAdmin, TierInline
from leagues.models import League, LeagueTier

from ..models import LeaderboardPrize


class TierPrizeForm(forms.ModelForm):
    """A rank no cohort can reach is refused (the league's cohort size bounds every cohort rank)."""

    class Meta:
        model = LeaderboardPrize
        fields = ["rank_from", "rank_to", "top_percent", "min_score", "name", "kind", "quantity", "data"]

    def clean(self):
        cleaned = super().clean()
        tier = self.instance.league_tier if self.instance.league_tier_id else None
        size = tier.league.cohort_size if tier is not None else None
        rank_from = cleaned.get("rank_from")
        if size is not None and rank_from is not None and rank_from > size:
            raise ValidationError(
                {"rank_from": f"A cohort of this league holds at most {size} members: rank {rank_from} never wins."}
            )
        return cleaned


class TierPrizeInline(admin.TabularInline):
    model = LeaderboardPrize
    fk_name = "league_tier"
    form = TierPrizeForm
    extra = 0
    template = "admin/hedge/narrow_tabular.html"
    fields = ["rank_from", "rank_to", "top_percent", "min_score", "name", "kind", "quantity", "data"]
    verbose_name = "prize"
    verbose_name_plural = (
        "Prize table of this tier — by rank within each cohort of the tier at period end (as the moves rank it): a "
        "rank range or a top percentage of the cohort's members; ties at the boundary all win, rows stack, and a "
        "member who gained nothing wins nothing. Awarded when the board's final run is published."
    )


@admin.register(LeagueTier)
class LeagueTierAdmin(HistoryAdmin):
    """A tier's prize table (its zones are edited with the other tiers on the league's page)."""

    list_display = ["league", "level", "name", "prize_rows"]
    list_filter = ["league"]
    list_select_related = ["league"]
    fields = ["league", "level", "name", "promote_count", "promote_percent", "demote_count", "demote_percent"]
    readonly_fields = fields
    inlines = [TierPrizeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(prize_count=Count("prizes"))

    @admin.display(description="prize rows", ordering="prize_count")
    def prize_rows(self, tier):
        return tier.prize_count


class PrizeTierInline(TierInline):
    """The league's tiers, each linking to its page and its prize table."""

    show_change_link = True
    fields = [*TierInline.fields, "prize_rows"]
    readonly_fields = ["prize_rows"]

    @admin.display(description="prizes")
    def prize_rows(self, tier):
        if tier.pk is None:
            return "—"
        count = tier.prizes.count()
        return f"{count} row{'s' if count != 1 else ''} (change: the tier's page)"


class PrizeLeagueAdmin(LeagueAdmin):
    """The leagues' league admin, with each tier linking to its prize table (see the module's docstring)."""

    inlines = [PrizeTierInline if inline is TierInline else inline for inline in LeagueAdmin.inlines]


admin.site.unregister(League)
admin.site.register(League, PrizeLeagueAdmin)
