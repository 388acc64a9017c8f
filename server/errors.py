"""Every error answer has one shape: ``{"error": {"code", "message"}}`` (plus ``fields`` where
inputs or parameters are wrong). FastAPI's own 404, 405 and 422 answers are replaced by it, and a
body that is not JSON at all is a 400 ``bad_request`` (422 is for JSON that does not fit); a 500
is answered by the request middleware and never carries a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

NOT_FOUND_HINT = "list what you can see with GET /api/v1/prompts"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *,
                 headers: dict[str, str] | None = None,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.fields = fields


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def error_response(status: int, code: str, message: str, *,
                   headers: dict[str, str] | None = None,
                   fields: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


def prompt_not_found(ref: str) -> ApiError:
    # The same words whether the prompt is absent or hidden from this caller.
    return ApiError(404, "not_found", f"no prompt {ref!r}; {NOT_FOUND_HINT}")


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


_STATUS_CODES = {
    400: ("bad_request", "the request is malformed"),
    401: ("unauthorized", "missing or unknown API key"),
    404: ("not_found", "no such route; the API is under /api/v1 (see /docs)"),
    405: ("method_not_allowed", "method not allowed on this route"),
    413: ("payload_too_large", "request body too large"),
}


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers,
                          fields=exc.fields)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _STATUS_CODES.get(exc.status_code, ("error", str(exc.detail)))
    if exc.status_code == 413 and isinstance(exc.detail, str):
        message = exc.detail
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed here; allowed: {allowed or 'none'}"
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    malformed = next((item for item in errors if item.get("type") == "json_invalid"), None)
    if malformed is not None:
        why = (malformed.get("ctx") or {}).get("error") or "not JSON"
        loc = malformed.get("loc", ())
        at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return error_response(400, "bad_request", f"the request body is not valid JSON ({why}"
                              f"{at}); send a JSON object with Content-Type: application/json")
    fields: dict[str, str] = {}
    for item in errors:
        loc = [str(part) for part in item.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:] or loc
        fields.setdefault(".".join(loc) or "request", str(item.get("msg", "invalid")))
    detail = "; ".join(f"{name}: {why}" for name, why in fields.items())
    return error_response(422, "invalid_request", f"invalid request: {detail}", fields=fields)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return error_response(503, "repository_unavailable", str(exc), headers={"Retry-After": "5"})


def install(app: FastAPI) -> None:
    from server.records import PromptUnavailable

    app.add_exception_handler(PromptUnavailable, _unavailable)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
