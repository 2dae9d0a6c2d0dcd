"""Whether a JSON value has exactly the shape an OpenAPI schema documents: every required key, no other.

jsonschema checks types and required keys but lets a body carry keys the schema never names; these
helpers compare key sets object by object, so a documented shape, its examples and the real answers
cannot drift apart. (Every property of a success answer is required; only the 400 bodies, which name
the parameters that were refused, have optional ones.)
"""

from __future__ import annotations

_REF = "#/components/schemas/"


def resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].removeprefix(_REF)]
    return schema


def key_mismatches(value, schema: dict, components: dict, at: str = "$") -> list[str]:
    """Where `value` lacks a required key of the object it stands for, or has one it does not document."""
    schema = resolve(schema, components)
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            options = [option for option in schema[combinator] if option != {"type": "null"}]
            if value is None and len(options) < len(schema[combinator]):
                return []
            found = [key_mismatches(value, option, components, at) for option in options]
            return [] if any(not problems for problems in found) else found[0]
    if "allOf" in schema:
        return [problem for part in schema["allOf"] for problem in key_mismatches(value, part, components, at)]
    properties = schema.get("properties")
    if properties is not None and isinstance(value, dict):
        problems = []
        missing = sorted(set(schema.get("required", [])) - set(value))
        extra = sorted(set(value) - set(properties))
        if missing or extra:
            problems.append(f"{at}: missing {missing}, not documented {extra}")
        for key in set(properties) & set(value):
            problems += key_mismatches(value[key], properties[key], components, f"{at}.{key}")
        return problems
    if "items" in schema and isinstance(value, list):
        return [
            problem
            for index, item in enumerate(value)
            for problem in key_mismatches(item, schema["items"], components, f"{at}[{index}]")
        ]
    return []


def shown_components(value, schema: dict, components: dict) -> set[str]:
    """The object components `value` gives an instance of (a null or an empty list shows none)."""
    shown: set[str] = set()
    _walk_shown(value, schema, components, shown)
    return shown


def _walk_shown(value, schema: dict, components: dict, shown: set[str]) -> None:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix(_REF)
        schema = components[name]
        if "properties" in schema and isinstance(value, dict):
            shown.add(name)
    for combinator in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(combinator, []):
            _walk_shown(value, option, components, shown)
    if isinstance(value, dict):
        for key, prop in schema.get("properties", {}).items():
            if key in value:
                _walk_shown(value[key], prop, components, shown)
    if isinstance(value, list) and "items" in schema:
        for item in value:
            _walk_shown(item, schema["items"], components, shown)


def reachable_components(schema: dict, components: dict) -> set[str]:
    """Every object component (one with properties) a response of `schema` can contain."""
    visited: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].removeprefix(_REF)
                if name not in visited:
                    visited.add(name)
                    stack.append(components[name])
                continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return {name for name in visited if "properties" in components[name]}
