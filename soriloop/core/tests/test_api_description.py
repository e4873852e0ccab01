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
            assert codes & {200, 201, 204}, (method, path)
            for code in codes - {200, 201, 204}:
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
