"""The OpenAPI document as generated clients need it: what drf-spectacular cannot say per view.

A postprocessing hook (SPECTACULAR_SETTINGS) that, over the whole document:
- declares the public operations with no security (`security: []`), so a generated public call needs no
  authenticated client, and states the key on each service operation;
- documents on every public operation the 429 of the rate limit and on every operation the 503 of a
  database that is down, both with `Retry-After` and the `Error` body;
- gives every service 400 a body that names the fields (`{"field": ["message"]}`);
- writes a nullable enum as `oneOf [enum, null]`, not a `NullEnum` component of its own;
- makes every nullable property of a response required, so a client reads `null`, never a missing key.
"""

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView

from hedge.core.api import RETRY_AFTER_SECONDS

SERVICE_PREFIX = "/service/"
_ERROR = {"$ref": "#/components/schemas/Error"}
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": f"Seconds to wait before trying again ({RETRY_AFTER_SECONDS} when the database is down).",
    }
}
_THROTTLED = {
    "description": "Too many requests from this address (API_THROTTLE_RATE, 600 a minute by default): wait "
    "`Retry-After` seconds. Not a 304: there is no body to reuse.",
    "headers": _RETRY_AFTER,
    "content": {"application/json": {"schema": _ERROR}},
}
_UNAVAILABLE = {
    "description": "The database is down or took too long to answer: try again after `Retry-After` seconds.",
    "headers": _RETRY_AFTER,
    "content": {"application/json": {"schema": _ERROR}},
}
_MESSAGES = {"type": "array", "items": {"type": "string"}}
SERVICE_AUTHENTICATION = (
    "**Authentication:** a service key, sent as `Authorization: Api-Key <key>` (the `Api-Key` prefix, a space, "
    "the key made in the admin under API keys). Without a valid key: 401."
)


def postprocess(result, generator, request, public):
    """drf-spectacular's POSTPROCESSING_HOOKS entry (after its enum hook)."""
    request_bodies = set()
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("503", _UNAVAILABLE)
            if path.startswith(SERVICE_PREFIX):
                operation["description"] = f"{SERVICE_AUTHENTICATION}\n\n{operation.get('description', '')}".strip()
                if "400" in responses and "content" not in responses["400"]:
                    responses["400"]["content"] = {"application/json": {"schema": _field_errors(operation, result)}}
            else:
                operation["security"] = []
                responses.setdefault("429", _THROTTLED)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body:
                request_bodies.add(body["$ref"].rsplit("/", 1)[1])
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        for schema in _walk(component):
            _null_as_type(schema)
        if name not in request_bodies and component.get("type") == "object":
            nullable = [key for key, prop in component.get("properties", {}).items() if _is_nullable(prop)]
            if nullable:
                component["required"] = sorted({*component.get("required", []), *nullable})
    schemas.pop("NullEnum", None)
    return result


def _field_errors(operation: dict, result: dict) -> dict:
    """The 400 body of a service operation: each parameter or body field it names, with its messages."""
    names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        component = result["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        names += list(component.get("properties", {}))
    return {
        "type": "object",
        "description": "Each field or parameter that was refused, with why (`Unknown field.` names a field the "
        'operation does not take); or `{"detail": "..."}` when the body is not JSON at all.',
        "properties": {**dict.fromkeys(names, _MESSAGES), "detail": {"type": "string"}},
        "additionalProperties": _MESSAGES,
    }


def _walk(schema):
    """Every schema object inside `schema`, itself first."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _null_as_type(schema: dict) -> None:
    for key in ("oneOf", "anyOf"):
        if key in schema:
            schema[key] = [
                {"type": "null"} if option == {"$ref": "#/components/schemas/NullEnum"} else option
                for option in schema[key]
            ]


def _is_nullable(prop: dict) -> bool:
    kind = prop.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(option == {"type": "null"} for option in prop.get("oneOf", []) + prop.get("anyOf", []))


# --- serving the document --------------------------------------------------------------------------


class ViewableJsonRenderer(OpenApiJsonRenderer):
    """JSON as `application/json`, which a browser shows (the OpenAPI media types make it download)."""

    media_type = "application/json"
    format = "json"


class ViewableYamlRenderer(OpenApiYamlRenderer):
    """YAML as text (`?format=yaml`), which a browser shows."""

    media_type = "text/plain"
    format = "yaml"


class SchemaView(SpectacularAPIView):
    """The OpenAPI document: JSON by default, `?format=yaml` for YAML, both shown in a browser.

    `&download` (any value) makes it a file download (hedge-api.json or hedge-api.yaml). Clients asking
    for the OpenAPI media types (`Accept: application/vnd.oai.openapi`) still get them.
    """

    renderer_classes = [
        ViewableJsonRenderer,
        ViewableYamlRenderer,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
        OpenApiJsonRenderer,
        OpenApiJsonRenderer2,
    ]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if "download" in request.query_params and response.status_code == 200:
            extension = "yaml" if request.accepted_renderer.format == "yaml" else "json"
            response["Content-Disposition"] = f'attachment; filename="hedge-api.{extension}"'
        return response
