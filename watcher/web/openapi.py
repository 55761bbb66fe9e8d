"""The API's OpenAPI 3.1 document, built from the operations (watcher/web/api.py) and
their pydantic response models: the description is the code, not a second copy.

Built on the first request for it: most daemons never serve it."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from watcher.web.api import OPERATIONS, Operation
from watcher.web.schemas import Problem

_REFS = "#/components/schemas/{model}"


def _ref(model: type[Any]) -> dict[str, str]:
    return {"$ref": _REFS.format(model=model.__name__)}


def _json(schema: dict[str, str], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(op: Operation) -> dict[str, Any]:
    responses = {"200": _json(_ref(op.model), "Successful Response"), "400": _json(_ref(Problem), "Bad Request")}
    if op.may_be_missing:
        responses["404"] = _json(_ref(Problem), "Not Found")
    name = op.endpoint.__name__
    return {"tags": ["api"], "summary": op.summary, "operationId": name,
            **({"description": op.endpoint.__doc__.strip()} if op.endpoint.__doc__ else {}),
            "parameters": [{"name": p.name, "in": p.where, "required": p.required, "schema": p.schema}
                           for p in op.params],
            "responses": responses}


def document(*, title: str, version: str, description: str) -> dict[str, Any]:
    models = sorted({op.model for op in OPERATIONS} | {Problem}, key=lambda model: model.__name__)
    _, schemas = models_json_schema([(model, "serialization") for model in models], ref_template=_REFS)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "description": description, "version": version},
        "paths": {op.documented_path: {"get": _operation(op)} for op in OPERATIONS},
        "components": {"schemas": schemas.get("$defs", {})},
    }
