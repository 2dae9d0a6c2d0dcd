"""Every operation of the API documents itself for a client: a summary, a description, and examples of its
answers (and of its request body) that have exactly the shape documented, so an example cannot drift from
the serializer it illustrates (a field added to a serializer fails here until its examples show it).
"""

import re

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from hedge.core.schema import SERVICE_AUTHENTICATION
from tests.openapi_shapes import key_mismatches, reachable_components, shown_components

pytestmark = pytest.mark.django_db

_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
_COMPONENTS = _SCHEMA["components"]["schemas"]
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, methods in _SCHEMA["paths"].items()
    for method, operation in methods.items()
]
SUCCESSES = [
    (f"{name} -> {status}", response["content"]["application/json"])
    for name, operation in OPERATIONS
    for status, response in operation["responses"].items()
    if status in {"200", "201"}
]
REQUEST_BODIES = [
    (name, operation["requestBody"]["content"]["application/json"])
    for name, operation in OPERATIONS
    if "requestBody" in operation
]
EXAMPLES = [
    (f"{name}: {example_name}", content["schema"], example["value"])
    for name, content in SUCCESSES + REQUEST_BODIES
    for example_name, example in content.get("examples", {}).items()
]


def _validate(value, schema):
    # References point into #/components, so validate against a document that carries them.
    jsonschema.validate(value, {**schema, "components": _SCHEMA["components"]})


def test_the_document_has_public_and_service_operations_and_each_is_checked_here():
    names = [name for name, _ in OPERATIONS]

    assert sum(" /service/" in name for name in names) == 7
    assert len(names) == 32
    assert len(SUCCESSES) == 33  # two service writes answer 201 (written) and 200 (written before)


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_every_operation_has_a_one_line_summary_and_a_description_of_its_own(name, operation):
    own_description = operation.get("description", "").replace(SERVICE_AUTHENTICATION, "").strip()

    assert operation.get("summary") and "\n" not in operation["summary"], name
    assert len(own_description) >= 40, name


def test_no_two_operations_share_a_summary_or_a_description():
    """Nine run reads once shared one implementation note: each says what it answers."""
    summaries = [operation["summary"] for _, operation in OPERATIONS]
    descriptions = [operation["description"] for _, operation in OPERATIONS]

    assert len(set(summaries)) == len(set(descriptions)) == len(OPERATIONS)


@pytest.mark.parametrize(("name", "content"), SUCCESSES, ids=[name for name, _ in SUCCESSES])
def test_every_success_answer_has_an_example(name, content):
    assert content.get("examples"), name
    # Named in plain words (drf-spectacular makes the name the example's key: no punctuation in it).
    assert all(re.fullmatch(r"[A-Za-z0-9]+", key) for key in content["examples"]), list(content["examples"])


@pytest.mark.parametrize(("name", "content"), REQUEST_BODIES, ids=[name for name, _ in REQUEST_BODIES])
def test_every_request_body_has_an_example(name, content):
    assert content.get("examples"), name


@pytest.mark.parametrize(("name", "schema", "value"), EXAMPLES, ids=[name for name, _, _ in EXAMPLES])
def test_every_example_is_valid_and_has_exactly_the_keys_of_its_shape(name, schema, value):
    _validate(value, schema)
    assert key_mismatches(value, schema, _COMPONENTS) == []


@pytest.mark.parametrize(("name", "content"), SUCCESSES, ids=[name for name, _ in SUCCESSES])
def test_the_examples_of_an_answer_show_every_object_it_can_contain(name, content):
    """A null or an empty list in every example would leave a nested shape unchecked (and unexplained)."""
    shown = set()
    for example in content.get("examples", {}).values():
        shown |= shown_components(example["value"], content["schema"], _COMPONENTS)

    assert reachable_components(content["schema"], _COMPONENTS) - shown == set()


def test_a_drifted_example_is_caught():
    """The checks above can fail: a key missing from a nested object, and one too many."""
    season = {
        "seasonId": "S1-2026",
        "pointsPerLevel": None,
        "maxLevel": 2,
        "levels": [{"level": 1, "pointsRequired": 0}, {"level": 2, "pointsRequired": 500, "reward": "x"}],
    }
    levels = {"$ref": "#/components/schemas/SeasonLevels"}

    assert key_mismatches(season, levels, _COMPONENTS) == ["$.levels[1]: missing [], not documented ['reward']"]
    del season["levels"][1]["reward"], season["levels"][0]["pointsRequired"]
    assert key_mismatches(season, levels, _COMPONENTS) == ["$.levels[0]: missing ['pointsRequired'], not documented []"]
    assert shown_components({**season, "levels": []}, levels, _COMPONENTS) == {"SeasonLevels"}
    assert reachable_components(levels, _COMPONENTS) == {"SeasonLevels", "SeasonLevel"}


def test_every_property_of_a_success_answer_is_required_so_its_examples_show_them_all():
    for name, content in SUCCESSES:
        for component in reachable_components(content["schema"], _COMPONENTS):
            schema = _COMPONENTS[component]
            assert set(schema["required"]) == set(schema["properties"]), (name, component)
