"""Admin building blocks shared by hedge's apps: tables of millions of rows must stay cheap to browse."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin


def compact_datetime(value: datetime.datetime | None) -> str:
    """A moment as staff read it in a narrow column: "2025-06-01 00:00 UTC" (the admin's time zone, named)."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), "Y-m-d H:i T")


def changelist_link(model, label: str, **filters) -> str:
    """A link to `model`'s admin list, filtered (`run__id__exact=7` -> `?run__id__exact=7`)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


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
