"""The admin of exclusions: clusters kept off a leaderboard, or off every leaderboard and the season pass."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from hedge.core.admin import HistoryAdmin

from ..exclusions import (
    InvalidExclusion,
    active_q,
    exclude_clusters,
    expired_q,
    lift_exclusions,
    lifted_q,
    status_at,
    status_of,
)
from ..models import Exclusion, RunExclusion
from .forms import ExclusionAddForm


class ExclusionStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("lifted", "Lifted"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        condition = {"active": active_q, "lifted": lifted_q, "expired": expired_q}.get(self.value())
        return queryset.filter(condition(timezone.now())) if condition else queryset


class ExclusionScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("everything", "Every leaderboard and the season pass"), ("one", "One leaderboard")]

    def queryset(self, request, queryset):
        if self.value() == "everything":
            return queryset.filter(leaderboard__isnull=True)
        if self.value() == "one":
            return queryset.filter(leaderboard__isnull=False)
        return queryset


class AppliedByRunFilter(admin.SimpleListFilter):
    """The exclusions one run applied (?applied_by_run=ID, linked from the run's page); not in the sidebar."""

    title = "applied by run"
    parameter_name = "applied_by_run"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return False

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit() or len(value) > 18:
            return queryset.none()
        return queryset.filter(pk__in=RunExclusion.objects.filter(run_id=int(value)).values("exclusion_id"))


@admin.register(Exclusion)
class ExclusionAdmin(HistoryAdmin):
    list_display = [
        "cluster_id",
        "scope",
        "status",
        "short_reason",
        "created_by",
        "created_at",
        "expires_at",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = [ExclusionStatusFilter, ExclusionScopeFilter, AppliedByRunFilter, "leaderboard"]
    list_select_related = ["leaderboard", "created_by", "lifted_by"]
    search_fields = ["cluster_id"]
    actions = ["lift"]
    fields = [
        "cluster_id",
        "leaderboard",
        "reason",
        "status",
        "created_by",
        "created_at",
        "expires_at",
        "lifted_at",
        "lifted_by",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ExclusionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["cluster_ids", "leaderboard", "reason", "expires_at"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Who, what and when stay as recorded; lift with the action. Reason and expiry can be corrected.
        editable = {"reason", "expires_at"} if self.status(obj) == "active" else set()
        return [name for name in self.fields if name not in editable]

    def has_delete_permission(self, request, obj=None):
        return False  # exclusions are kept: lift one instead

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            result = exclude_clusters(
                form.cleaned_data["cluster_ids"],
                leaderboard=form.cleaned_data["leaderboard"],
                reason=form.cleaned_data["reason"],
                expires_at=form.cleaned_data["expires_at"],
                created_by=request.user,
            )
        except InvalidExclusion as exc:  # the form checked the same: only a race gets here
            self.message_user(request, f"Nothing was excluded: {exc}", messages.ERROR)
            return
        request._exclusion_result = result

    def log_addition(self, request, obj, message):
        return None  # each new exclusion has its history row (who, when); one log entry could name only one

    def response_add(self, request, obj, post_url_continue=None):
        result = getattr(request, "_exclusion_result", None)
        if result is not None:
            scope = (
                f"leaderboard {result.created[0].leaderboard_id}"
                if result.created and result.created[0].leaderboard_id
                else "every leaderboard and the season pass"
            )
            if result.created:
                self.message_user(
                    request,
                    f"Excluded {len(result.created)} cluster(s) from {scope}. Published runs do not change: the "
                    "next run of each board leaves them out (regenerate a final run to correct an ended period).",
                    messages.SUCCESS,
                )
            if result.already_excluded:
                shown = ", ".join(result.already_excluded[:20])
                more = f" and {len(result.already_excluded) - 20} more" if len(result.already_excluded) > 20 else ""
                self.message_user(
                    request,
                    f"Already excluded, left as they were: {shown}{more}.",
                    messages.WARNING,
                )
        return HttpResponseRedirect(reverse("admin:leaderboards_exclusion_changelist"))

    @admin.display(description="scope", ordering="leaderboard")
    def scope(self, exclusion):
        return exclusion.leaderboard_id or "everything"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(status_now=status_at(timezone.now()))

    @admin.display(description="status")
    def status(self, exclusion):
        # Annotated by get_queryset; a past version's page (its history) shows the exclusion's status now.
        return getattr(exclusion, "status_now", None) or status_of(exclusion, now=timezone.now())

    @admin.display(description="reason")
    def short_reason(self, exclusion):
        return exclusion.reason if len(exclusion.reason) <= 60 else f"{exclusion.reason[:57]}..."

    @admin.action(description="Lift selected exclusions", permissions=["change"])
    def lift(self, request, queryset):
        lifted = lift_exclusions(queryset, lifted_by=request.user)
        skipped = queryset.count() - lifted
        self.message_user(
            request,
            f"Lifted {lifted} exclusion(s)"
            + (f"; {skipped} were no longer active" if skipped else "")
            + ". The next run of each board ranks those clusters again.",
            messages.SUCCESS if lifted else messages.WARNING,
        )
