"""The OpenAPI description names what each operation really answers and takes."""

from soriloop.api import api

SCHEMA = api.get_openapi_schema(path_prefix="/api/v1")


def _op(method: str, path: str) -> dict:
    return SCHEMA["paths"][f"/api/v1{path}"][method]


def test_every_operation_documents_its_errors_with_the_envelope() -> None:
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {401, 422} <= codes, (method, path)
            assert codes & {200, 201, 202, 204}, (method, path)
            for code in codes - {200, 201, 202, 204}:  # 202: accepted, done by a job
                body = operation["responses"][code]["content"]["application/json"]["schema"]
                assert body["$ref"].endswith("/ErrorOut"), (method, path, code)


def test_status_codes_and_filters_are_the_real_ones() -> None:
    assert {200, 201, 400, 403, 413} <= set(_op("post", "/feedback")["responses"])
    assert 204 in _op("delete", "/feedback/{feedback_id}")["responses"]
    assert 404 in _op("get", "/feedback/{feedback_id}")["responses"]
    for path in ("/feedback", "/metrics"):
        names = {p["name"] for p in _op("get", path)["parameters"]}
        assert {"channel", "date_from", "date_to", "customer", "q", "has_text"} <= names, path
    ok = _op("get", "/feedback")["responses"][200]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/FeedbackPage")


def _resolved(schema: dict) -> dict:
    """A parameter's schema with a lone ``allOf`` (how an enum class is referenced) opened."""
    if len(schema.get("allOf", [])) == 1:
        return {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
    return schema


def test_every_query_parameter_states_what_it_takes_and_never_null() -> None:
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                where = (method, path, parameter["name"])
                schema = _resolved(parameter["schema"])
                assert "anyOf" not in schema, where  # one type, and null is not it
                inner = _resolved(schema.get("items", schema))
                kind = inner.get("type")
                if kind == "string":
                    assert {"enum", "pattern", "format"} & set(inner), where
                elif kind in ("integer", "number"):
                    assert "minimum" in inner, where
                else:
                    assert kind == "boolean", where


def test_the_bodies_state_the_rules_the_server_enforces() -> None:
    import zoneinfo

    schemas = SCHEMA["components"]["schemas"]
    feedback = schemas["FeedbackIn"]
    kinds = {
        branch["properties"]["score_kind"]["const"]: branch["properties"]["score"]
        for branch in feedback["anyOf"]
        if "score_kind" in branch.get("required", [])
    }
    assert kinds["nps"] == {"type": "number", "multipleOf": 1, "minimum": 0, "maximum": 10}
    assert kinds["stars"]["multipleOf"] == 0.5
    text_only = next(b for b in feedback["anyOf"] if b["required"] == ["text"])
    assert text_only["properties"]["score"] == {"type": "null"}
    assert "pattern" in feedback["properties"]["received_at"]["anyOf"][0]
    zones = schemas["WorkspacePatch"]["properties"]["timezone"]["anyOf"][0]["enum"]
    assert set(zones) == zoneinfo.available_timezones()
    assert 409 in _op("patch", "/feedback/{feedback_id}/analysis")["responses"]
