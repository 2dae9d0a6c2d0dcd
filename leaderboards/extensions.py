"""Extension points: how apps built on leaderboards (prizes) add to what leaderboards shows.

`leaderboards` imports none of those apps. An app registers from its AppConfig.ready():

    register_list_item_field(ListItemField(name="prizes", field=PrizeSerializer(many=True), values=prize_tables))

and each item of `GET /leaderboards` gains `name`: `values(definitions)` is called once per request
with every definition listed (one query for all of them, never one per definition) and returns
{definition key: value}; a definition it leaves out gets `default()`. `field` documents the value in
the API schema (it is not used to write it).

Display names (issue #24): every entry of a run read carries `displayName` and `avatarUrl`, which
another app (profiles) owns and provides by registering a ClusterNames. Each of its readers is one
query for all the clusters a response shows, and selects them as the entries do, so the run reads
can fold the names into their ETag before reading any entry. Without one, every name is null.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from rest_framework import serializers


@dataclass(frozen=True)
class ListItemField:
    name: str
    field: serializers.Field
    values: Callable[[list], dict[str, Any]]
    default: Callable[[], Any] = list


_LIST_ITEM_FIELDS: dict[str, ListItemField] = {}


def register_list_item_field(extra: ListItemField) -> None:
    """Add `extra.name` to every item of GET /leaderboards (registering the same name again replaces it)."""
    _LIST_ITEM_FIELDS[extra.name] = extra


def list_item_fields() -> Iterable[ListItemField]:
    return _LIST_ITEM_FIELDS.values()


def list_item_values(definitions: list) -> dict[str, dict[str, Any]]:
    """{definition key: {field name: value}} of every registered field, one call of each field's `values`."""
    found = {extra.name: extra.values(definitions) if definitions else {} for extra in list_item_fields()}
    return {
        definition.key: {
            extra.name: found[extra.name][definition.key] if definition.key in found[extra.name] else extra.default()
            for extra in list_item_fields()
        }
        for definition in definitions
    }


class ClusterName(NamedTuple):
    """What a response shows next to a cluster id: its public display name and avatar (either may be None)."""

    display_name: str | None
    avatar_url: str | None


# {cluster id: ClusterName} of the clusters shown that have a name or an avatar.
Names = dict[str, ClusterName]


@dataclass(frozen=True)
class ClusterNames:
    # (run id, after, limit): the clusters of a page of entries (leaderboards.sql.ENTRIES_PAGE).
    of_page: Callable[[int, int, int], Names]
    # (run id, cluster id, around): a cluster and its neighbours (leaderboards.sql.CLUSTER_NEIGHBOURHOOD).
    around: Callable[[int, str, int], Names]
    # (cluster ids): these clusters.
    of_clusters: Callable[[list[str]], Names]


def _none(*args) -> Names:
    return {}


_NAMES = [ClusterNames(of_page=_none, around=_none, of_clusters=_none)]


def register_cluster_names(names: ClusterNames) -> None:
    """Where the display names of entries come from (the last registered wins)."""
    _NAMES[1:] = [names]


def cluster_names() -> ClusterNames:
    return _NAMES[-1]
