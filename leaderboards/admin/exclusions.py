"""Admin of what makes a board trustworthy: exclusions, how each run was computed, regenerating a final run."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from hedge.admin import HistoryAdmin

from .errors import LeaderboardError
from .exclusions import (
    InvalidExclusion,
    active_q,
    check_expiry,
    checked_reason,
    exclude_clusters,
    expired_q,
    lift_exclusions,
    lifted_q,
    parse_cluster_ids,
    status_at,
    status_of,
)
from .models import Exclusion, LeaderboardDef, LeaderboardRun, RunExclusion, RunStatus
from .services import generate_final_run

EXCLUSIONS_SHOWN = 50
# The most cluster ids one "Add exclusion" form takes (a larger list: several forms, or a script).
MAX_CLUSTER_IDS = 10_000


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


class ExclusionAddForm(forms.ModelForm):
    """Several clusters at once: one id per line, the same scope, reason and expiry for each."""

    cluster_ids = forms.CharField(
        label="Cluster ids",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=f"One per line (up to {MAX_CLUSTER_IDS:,}); blank lines are skipped.",
    )

    class Meta:
        model = Exclusion
        fields = ["leaderboard", "reason", "expires_at"]

    def clean_cluster_ids(self):
        try:
            cluster_ids = parse_cluster_ids(self.cleaned_data["cluster_ids"])
        except InvalidExclusion as exc:
            raise forms.ValidationError(str(exc)) from exc
        if len(cluster_ids) > MAX_CLUSTER_IDS:
            raise forms.ValidationError(f"{len(cluster_ids):,} cluster ids: give at most {MAX_CLUSTER_IDS:,} at once.")
        return cluster_ids

    def clean_reason(self):
        try:
            return checked_reason(self.cleaned_data["reason"])
        except InvalidExclusion as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_expires_at(self):
        try:
            check_expiry(self.cleaned_data.get("expires_at"), now=timezone.now())
        except InvalidExclusion as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data.get("expires_at")

    def _post_clean(self):
        # The exclusions are built by the service (one per cluster id), not from this form's instance.
        pass


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


# --- runs ------------------------------------------------------------------------------------------


class RegenerateFinalRunForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why the final standings are regenerated (e.g. the exclusions it must apply); kept on the new run.",
    )


class RunTrustAdminMixin:
    """The run page's "how was it computed" fields, and regenerating a final run from it."""

    trust_fields = [
        "definition_snapshot_display",
        "exclusions",
        "input_watermark",
        "checksum",
        "requested_by",
        "note",
        "superseded",
        "regenerate",
    ]

    def has_regenerate_permission(self, request, obj=None) -> bool:
        """Regenerating writes a new run of the definition: staff who may generate its runs."""
        return self.admin_site.get_model_admin(LeaderboardDef).has_generate_permission(request)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.has_regenerate_permission(request, obj) else [f for f in fields if f != "regenerate"]

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/regenerate/",
                self.admin_site.admin_view(self.regenerate_view),
                name="leaderboards_leaderboardrun_regenerate",
            )
        ]
        return urls + super().get_urls()

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
