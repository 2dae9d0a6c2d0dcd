"""Extension points: how apps built on leaderboards (prizes) add to what leaderboards shows.

`leaderboards` imports none of those apps. An app registers from its AppConfig.ready():

    register_list_item_field(ListItemField(name="prizes", field=PrizeSerializer(many=True), values=prize_tables))

and each item of `GET /leaderboards` gains `name`: `values(definitions)` is called once per request
with every definition listed (one query for all of them, never one per definition) and returns
{definition key: value}; a definition it leaves out gets `default()`. `field` documents the value in
the API schema (it is not used to write it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

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
