"""The admin of leaderboard definitions: the form, Preview, Generate (a run for a period), the runs they keep."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from hedge.core.admin import HistoryAdmin, PreviewAdminMixin, changelist_link, compact_datetime

from .. import selectors
from ..errors import GenerationFailed, LeaderboardError
from ..models import LeaderboardDef, LeaderboardRun
from ..services import generate_final_run, generate_leaderboard_run
from .forms import GenerateRunForm, LeaderboardDefForm
from .preview import preview_definition

# What a definition stores of its challenges; the form fills them from the challenges staff pick.
STORED_METRIC = ["category_key", "metric_source", "metric_key", "fallback_metric_key"]


def _window(definition) -> str:
    return definition.time_window.replace("_", " ").capitalize()


@admin.register(LeaderboardDef)
class LeaderboardDefAdmin(PreviewAdminMixin, HistoryAdmin):
    form = LeaderboardDefForm
    list_display = [
        "key",
        "name",
        "window",
        "active",
        "last_run_status",
        "last_run_at",
        "last_run_rows",
        "keeps",
    ]
    list_filter = ["is_active", "time_window", "rank_mode", "category_key"]
    search_fields = ["key", "name", "category_key", "metric_source", "metric_key"]
    actions = ["generate_now", "generate_now_forced"]
    change_form_template = "admin/leaderboards/leaderboarddef/change_form.html"
    preview_template = "admin/leaderboards/leaderboarddef/preview.html"
    object_tools = ("generate",)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["key", "name", "description", "is_active"]}),
            (
                "What is ranked",
                {"fields": ["challenge", "fallback_challenge", "season_points", "time_window", "rank_mode"]},
            ),
            ("How much", {"fields": ["max_entries"]}),
        ]
        if obj is not None:
            # What the definition stores (and other readers of the table use), filled from the challenges above.
            fieldsets += [
                ("Stored metric", {"fields": STORED_METRIC, "classes": ["collapse"]}),
                (None, {"fields": ["runs", "created_at", "updated_at"]}),
            ]
        return fieldsets

    def get_queryset(self, request):
        return selectors.definitions_with_last_run()

    def get_urls(self):
        return [
            path(
                "<path:object_id>/generate/",
                self.admin_site.admin_view(self.generate_view),
                name="leaderboards_leaderboarddef_generate",
            ),
            *super().get_urls(),
        ]

    # --- what staff may do: each write names its permission (actions, views and buttons ask the same) --------

    def has_generate_permission(self, request, obj=None) -> bool:
        """Generating writes a run of the definition: staff who may change definitions."""
        return self.has_change_permission(request, obj)

    def has_preview_permission(self, request, obj=None) -> bool:
        """The preview only reads: whoever may see the definition (on the add page, whoever may add one)."""
        return self.has_view_permission(request, obj) if obj is not None else self.has_add_permission(request)

    def get_actions(self, request):
        # "Delete selected" would offer what fails for every definition with runs: delete one from its page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

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
        if obj is None:
            return ["runs", "created_at", "updated_at"]
        return ["key", *STORED_METRIC, "runs", "created_at", "updated_at"]

    @admin.display(description="active", boolean=True, ordering="is_active")
    def active(self, definition):
        return definition.is_active

    @admin.display(description="keeps", ordering="max_entries")
    def keeps(self, definition):
        return f"{definition.max_entries:,}" if definition.max_entries else "all"

    @admin.display(description="window", ordering="time_window")
    def window(self, definition):
        return _window(definition)

    @admin.display(description="last run", ordering=F("last_run_status").asc(nulls_first=True))
    def last_run_status(self, definition):
        if not definition.last_run_id:
            return "—"
        url = reverse("admin:leaderboards_leaderboardrun_change", args=[definition.last_run_id])
        return format_html('<a href="{}">{}</a>', url, definition.last_run_status)

    @admin.display(description="at", ordering=F("last_run_at").asc(nulls_first=True))
    def last_run_at(self, definition):
        return compact_datetime(definition.last_run_at)

    @admin.display(description="rows")
    def last_run_rows(self, definition):
        return "—" if definition.last_run_rows is None else f"{definition.last_run_rows:,}"

    @admin.display(description="runs")
    def runs(self, definition):
        # "Generate a run…" is among the page's buttons, shown only to staff who may generate.
        if definition.pk is None:
            return "—"
        return changelist_link(LeaderboardRun, "runs of this leaderboard", leaderboard__key__exact=definition.key)

    # --- preview ---------------------------------------------------------------------------------

    def preview_input(self, request, definition):
        """The top entries the form's (unsaved) settings would rank now."""
        if definition is not None and not self.has_change_permission(request, definition):
            # Staff who may only view see the page read-only: they preview the definition as it is stored.
            return {"form": None}, partial(preview_definition, definition)
        form = self.get_form(request, definition, change=definition is not None)(request.POST, instance=definition)
        return {"form": form}, partial(preview_definition, form.instance) if form.is_valid() else None

    # --- generation ------------------------------------------------------------------------------

    def generate_view(self, request, object_id):
        """A run of this leaderboard for its current period or an explicit one, optionally its final standings."""
        definition = self.get_object(request, unquote(object_id))
        if definition is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_generate_permission(request, definition):
            raise PermissionDenied
        form = GenerateRunForm(request.POST if request.method == "POST" else None, definition=definition)
        if form.is_bound and form.is_valid():
            run = self._generate_for_period(request, definition, form)
            if run is not None:
                return redirect("admin:leaderboards_leaderboardrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Generate a run of {definition.key}",
            "opts": self.opts,
            "original": definition,
            "form": form,
            "definition": definition,
            "window": _window(definition),
        }
        return TemplateResponse(request, "admin/leaderboards/leaderboarddef/generate.html", context)

    def _generate_for_period(self, request, definition, form):
        data = form.cleaned_data
        options = {
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "force": data.get("force", False),
        }
        try:
            if data["final"]:
                run = generate_final_run(definition.key, note=data["note"], requested_by=request.user, **options)
            else:
                run = generate_leaderboard_run(definition.key, **options)
        except GenerationFailed as exc:
            self.message_user(request, f"{definition.key}: {exc}", level=messages.ERROR)
            return exc.run
        except LeaderboardError as exc:
            form.add_error(None, str(exc))
            return None
        except DatabaseError as exc:
            form.add_error(None, f"Database error: {type(exc).__name__}: {exc}")
            return None
        self.message_user(request, _run_report(run), level=messages.SUCCESS)
        return run

    def _generate(self, request, queryset, *, force: bool, action: str):
        definitions = list(queryset.order_by("key"))
        everyone = [d for d in definitions if d.max_entries == 0]
        if everyone and request.POST.get("confirm") != "yes":
            # Ranking every cluster takes seconds at a million clusters: say so before the request waits.
            context = {
                **self.admin_site.each_context(request),
                "title": "Generate runs that rank every cluster?",
                "opts": self.opts,
                "definitions": definitions,
                "everyone": everyone,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/leaderboards/leaderboarddef/generate_confirm.html", context)
        for definition in definitions:
            key = definition.key
            try:
                run = generate_leaderboard_run(key, force=force)
            except LeaderboardError as exc:
                self.message_user(request, f"{key}: {exc}", level=messages.ERROR)
            except DatabaseError as exc:
                # E.g. SQLite's "database is locked" after its busy timeout: report it, go on with the others.
                self.message_user(request, f"{key}: database error: {type(exc).__name__}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, _run_report(run), level=messages.SUCCESS)
        return None

    @admin.action(description="Generate run now", permissions=["generate"])
    def generate_now(self, request, queryset):
        return self._generate(request, queryset, force=False, action="generate_now")

    @admin.action(description="Generate run now, also for inactive leaderboards", permissions=["generate"])
    def generate_now_forced(self, request, queryset):
        return self._generate(request, queryset, force=True, action="generate_now_forced")


def _run_report(run: LeaderboardRun) -> str:
    return (
        f"{run.leaderboard_id}: run {run.pk} {run.status}, {run.row_count:,} rows "
        f"(period {run.period_start:%Y-%m-%d %H:%M} – {run.period_end:%Y-%m-%d %H:%M} UTC)."
    )
