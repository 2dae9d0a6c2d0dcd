"""Admin building blocks shared by hedge's apps: tables of millions of rows must stay cheap to browse."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from hedge.core.preview import PreviewUnavailable


def compact_datetime(value: datetime.datetime | None) -> str:
    """A moment as staff read it in a narrow column: "2025-06-01 00:00 UTC" (the admin's time zone, named)."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), "Y-m-d H:i T")


def changelist_link(model, label: str, **filters) -> str:
    """A link to `model`'s admin list, filtered (`run__id__exact=7` -> `?run__id__exact=7`)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


def permitted_object(model_admin, request, object_id: str, permission: str):
    """The admin's object `object_id` when staff have `permission` on it ("view", "change", "recompute", ...).

    A 404 when there is no such object, a 403 when there is but staff may not: what every custom admin view asks first.
    """
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404(f"No such {model_admin.opts.verbose_name}.")
    if not getattr(model_admin, f"has_{permission}_permission")(request, obj):
        raise PermissionDenied
    return obj


class CappedCountPaginator(Paginator):
    """Counts at most CAP + 1 rows: `COUNT(*)` over millions of rows on every page view is not worth it.

    Beyond the cap the changelist shows "10001 results" and the pages up to it; filters and search
    narrow the list down from there.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()


class ReadOnlyAdminMixin:
    """No add, change or delete: for a ModelAdmin or an inline over rows that code writes, not staff.

    `obj` is optional on add because inlines are asked with the parent object and ModelAdmins without.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LargeTableAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A read-only changelist over a table that may hold millions of rows.

    No add, change or delete (the rows are written set-based by services), a capped count, and no
    second count for "show all".
    """

    paginator = CappedCountPaginator
    show_full_result_count = False


class CountedDeleteMixin:
    """A delete confirmation page that counts the rows a delete cascades to instead of listing each.

    Django's default page loads every related row to show it: with a million progress rows that is a
    timeout. List the cascading relations as `(related accessor, label)` in `delete_counts`. The
    delete itself stays Django's, which removes rows without signals or relations of their own with
    one `DELETE ... WHERE ... IN` per relation.
    """

    delete_counts: tuple[tuple[str, str], ...] = ()

    def get_deleted_objects(self, objs, request):
        listed, counts = [], {}
        for obj in objs:
            listed.append(f"{self.model._meta.verbose_name.capitalize()}: {obj}")
            for accessor, label in self.delete_counts:
                counts[label] = counts.get(label, 0) + getattr(obj, accessor).count()
        counts = {label: count for label, count in counts.items() if count}
        listed += [f"{count:,} {label}" for label, count in counts.items()]
        return listed, {self.model._meta.verbose_name_plural: len(objs), **counts}, set(), []


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose page of one past version saves ("Revert") only for staff who may change the object.

    django-simple-history checks only the view permission on that page and then saves whatever form is POSTed,
    so staff who may only look could overwrite a season or a definition through it. An admin that never lets
    staff change its rows (ReadOnlyAdminMixin) never reverts them either.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            allowed = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
            if not allowed:
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class PreviewAdminMixin:
    """A Preview of the change form's unsaved values, in a frame under the form (admin/hedge/preview_frame.html).

    The admin names `preview_template`, `has_preview_permission(request, obj)`, and `preview_input(request, obj)`:
    the template's context (the bound form and formsets, whose errors it shows) and, when they are valid, a
    callable that computes the preview (or raises PreviewUnavailable). `object_tools` names the permissions the
    change form's buttons ask (`"generate"` -> `can_generate` in the template, from `has_generate_permission`).
    """

    preview_template: str
    object_tools: tuple[str, ...] = ()

    def preview_input(self, request, obj) -> tuple[dict, Callable[[], object] | None]:
        raise NotImplementedError

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_preview"
        return [
            path("preview/", view, name=name),
            path("<path:object_id>/preview/", view, name=name),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        extra_context = dict(extra_context or {})
        for permission in self.object_tools:
            extra_context[f"can_{permission}"] = getattr(self, f"has_{permission}_permission")(request, obj)
        if self.has_preview_permission(request, obj):
            url = f"admin:{self.opts.app_label}_{self.opts.model_name}_preview"
            extra_context["preview_url"] = reverse(url, args=[object_id] if object_id else [])
        return super().changeform_view(request, object_id, form_url, extra_context)

    @method_decorator(xframe_options_sameorigin)
    @method_decorator(require_POST)
    def preview_view(self, request, object_id=None):
        obj = permitted_object(self, request, object_id, "preview") if object_id else None
        if obj is None and not self.has_preview_permission(request, None):
            raise PermissionDenied
        context, compute = self.preview_input(request, obj)
        context["invalid"] = compute is None
        if compute is not None:
            try:
                context["preview"] = compute()
            except PreviewUnavailable as exc:
                context["unavailable"] = str(exc)
        return TemplateResponse(request, self.preview_template, context)
