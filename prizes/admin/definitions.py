"""The prize table on the leaderboard definition's page, and its preview.

leaderboards must not import prizes, so its definition admin is re-registered here as a subclass
that adds the prize table inline, the rank-mode note and the prize preview: a subclass rather than
a hook in leaderboards, because an admin page is configured by its ModelAdmin class and everything
else on the page (forms, actions, generation, permissions) stays leaderboards' own, inherited.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.forms.formsets import all_valid
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from hedge.core.admin import HistoryAdmin, permitted_object
from leaderboards.admin.definitions import LeaderboardDefAdmin
from leaderboards.models import LeaderboardDef, LeaderboardRun, RunStatus
from leaderboards.selectors import LATEST_ORDER

from ..models import LeaderboardPrize
from ..selectors import preview_prizes

# How many final runs the preview offers to compute against (newest first).
PREVIEW_FINAL_RUNS = 20

RANK_MODE_NOTE = (
    " Prizes go by rank and ties are never split: with Dense ranks a prize for ranks 1–3 can pay more than "
    "three clusters (every cluster tied at rank 1, 2 or 3)."
)


class PrizeInline(admin.TabularInline):
    model = LeaderboardPrize
    extra = 0
    template = "admin/hedge/narrow_tabular.html"
    fields = ["rank_from", "rank_to", "top_percent", "min_score", "name", "kind", "quantity", "data"]
    verbose_name = "prize"
    verbose_name_plural = (
        "Prize table — each row is a rank range (from–to) or a top percentage; ties at the boundary all win, "
        "and a cluster wins every row it qualifies for (rows stack). Awarded when a final run is published."
    )


class PrizeDefinitionAdmin(LeaderboardDefAdmin):
    """The leaderboards' definition admin, with its prize table (see the module's docstring)."""

    inlines = [*LeaderboardDefAdmin.inlines, PrizeInline]
    change_form_template = "admin/prizes/leaderboarddef/change_form.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "rank_mode" in form.base_fields and RANK_MODE_NOTE not in form.base_fields["rank_mode"].help_text:
            form.base_fields["rank_mode"].help_text += RANK_MODE_NOTE
        return form

    def get_urls(self):
        return [
            path(
                "<path:object_id>/prizes/preview/",
                self.admin_site.admin_view(self.prize_preview_view),
                name="leaderboards_leaderboarddef_prize_preview",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id:
            extra_context["prize_preview_url"] = reverse(
                "admin:leaderboards_leaderboarddef_prize_preview", args=[object_id]
            )
            key = LeaderboardDef.objects.filter(pk=unquote(object_id)).values_list("key", flat=True).first()
            extra_context["prize_preview_runs"] = preview_runs(key) if key else []
        return super().changeform_view(request, object_id, form_url, extra_context)

    @method_decorator(xframe_options_sameorigin)
    @method_decorator(require_POST)
    def prize_preview_view(self, request, object_id):
        """What the form's (unsaved) prize table would award in the chosen run: per row and per kind.

        The table is written inside a transaction that is rolled back, so the preview reads it with
        the very statement that awards (nothing is kept).
        """
        definition = permitted_object(self, request, object_id, "change")
        runs = preview_runs(definition.key)
        chosen = request.POST.get("_prize_preview_run", "")
        run = next((r for r in runs if str(r.pk) == chosen), runs[0] if runs else None)
        formsets, _ = self._create_formsets(request, definition, change=True)
        prize_formsets = [formset for formset in formsets if formset.model is LeaderboardPrize]
        context = {"formsets": prize_formsets, "invalid": not all_valid(prize_formsets), "form": None}
        if run is None:
            context["unavailable"] = "This leaderboard has no completed run to preview its prizes against yet."
        elif not context["invalid"]:
            with transaction.atomic():
                for formset in prize_formsets:
                    formset.save()
                context["preview"] = preview_prizes(definition.key, run)
                transaction.set_rollback(True)
        return TemplateResponse(request, "admin/prizes/leaderboarddef/prize_preview.html", context)


def preview_runs(key: str) -> list[LeaderboardRun]:
    """The runs a prize preview can use: the board's current run first, then its newest final runs."""
    complete = LeaderboardRun.objects.filter(leaderboard_id=key, status=RunStatus.COMPLETE)
    current = complete.filter(is_final=False).order_by(*LATEST_ORDER).first()
    finals = list(complete.filter(is_final=True).order_by("-period_end", "-id")[:PREVIEW_FINAL_RUNS])
    return [current, *finals] if current is not None else finals


@admin.register(LeaderboardPrize)
class LeaderboardPrizeAdmin(HistoryAdmin):
    """Every board's and league tier's prize rows, with each row's history (edited on the definition's or the tier's
    page)."""

    list_display = ["leaderboard", "league_tier", "places", "min_score", "name", "kind", "quantity"]
    list_filter = ["leaderboard", "kind"]
    list_select_related = ["leaderboard", "league_tier"]
    search_fields = ["leaderboard__key", "league_tier__league__key", "name", "kind"]

    @admin.display(description="places")
    def places(self, prize):
        return prize.places


admin.site.unregister(LeaderboardDef)
admin.site.register(LeaderboardDef, PrizeDefinitionAdmin)
