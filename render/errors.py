"""The error tree. Every error carries the API error code it is reported with.

    RenderError (code, message; .body() -> {"error_code", "error_msg"}; .http_status)
    ├── UnauthorizedError      MSS.00000001  401
    ├── BodyError              MSS.00000002  400  (ValueError)  body is not JSON
    │   └── BodyTooLargeError    MSS.00000002  413  body over the server's limit
    ├── SpecError              MSS.00000003  400  (ValueError)  invalid parameter(s)
    ├── InternalError          MSS.00000004  500
    ├── AssetNotFoundError     MSS.10001001  400  (LookupError) unknown asset id
    ├── MediaFileError         MSS.10001004  400  (FileNotFoundError) missing/unreachable file
    │   └── CorruptFileError     MSS.10001004  400  a file that is there but cannot be read as its kind
    ├── StateError             MSS.20020001  409  task state does not allow this operation
    ├── NotFoundError          MSS.41000003  404  (LookupError) unknown room or job
    ├── ConcurrencyError       MSS.41000012  403  job concurrency limit exceeded
    ├── BusyError              MSS.00000429  429  too busy now: retry after .retry_after s (Retry-After)
    └── OutputError            MSS.00000004  500  an RTMP/file output failed for good

The code-to-message mapping lives here only (MESSAGES); the CLI and the API both
print ``str(err)`` / ``err.body()``.
"""
from __future__ import annotations

MESSAGES = {
    "MSS.00000001": "Unauthorized",
    "MSS.00000002": "Invalid body",
    "MSS.00000003": "Invalid parameter",
    "MSS.00000004": "Internal Error",
    "MSS.10001001": "Asset not found",
    "MSS.10001004": "File not found",
    "MSS.20020001": "Task state does not allow this operation",
    "MSS.41000003": "Task not found",
    "MSS.41000012": "Job concurrency limit exceeded",
    "MSS.00000429": "Too many requests",
}


class RenderError(Exception):
    """Base of every smartlive error: an API code plus the details."""

    code = "MSS.00000004"
    http_status = 500

    def __init__(self, detail: str = "", *, details: list[str] | None = None):
        self.details = list(details) if details else ([detail] if detail else [])
        super().__init__(self.message)

    @property
    def title(self) -> str:
        return MESSAGES[self.code]

    @property
    def message(self) -> str:
        """`Invalid parameter: a.b: reason; c: reason` -- every detail named."""
        if not self.details:
            return self.title
        return f"{self.title}: " + "; ".join(self.details)

    def lines(self) -> list[str]:
        """One line per violation, each prefixed with the code (CLI stderr format)."""
        if not self.details:
            return [f"{self.code} {self.title}"]
        return [f"{self.code} {self.title}: {d}" for d in self.details]

    def body(self) -> dict:
        return {"error_code": self.code, "error_msg": self.message}


class UnauthorizedError(RenderError):
    code, http_status = "MSS.00000001", 401


class BodyError(RenderError, ValueError):
    code, http_status = "MSS.00000002", 400


class BodyTooLargeError(BodyError):
    code, http_status = "MSS.00000002", 413


class SpecError(RenderError, ValueError):
    code, http_status = "MSS.00000003", 400


class InternalError(RenderError):
    code, http_status = "MSS.00000004", 500


class AssetNotFoundError(RenderError, LookupError):
    code, http_status = "MSS.10001001", 400


class MediaFileError(RenderError, FileNotFoundError):
    code, http_status = "MSS.10001004", 400


class CorruptFileError(MediaFileError):
    """Same code, labelled for what it is: the file exists, but is not readable as its kind."""

    @property
    def title(self) -> str:
        return "File corrupt or unreadable"


class StateError(RenderError):
    code, http_status = "MSS.20020001", 409


class NotFoundError(RenderError, LookupError):
    code, http_status = "MSS.41000003", 404


class ConcurrencyError(RenderError):
    code, http_status = "MSS.41000012", 403


class BusyError(RenderError):
    """Nothing was taken: the caller may send the same again after `retry_after` seconds (the
    API answers 429 with a Retry-After header)."""

    code, http_status = "MSS.00000429", 429

    def __init__(self, detail: str = "", *, retry_after: int = 1, details: list[str] | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, details=details)


class OutputError(RenderError):
    """An output (RTMP server, file) failed for good, after any retries."""

    code, http_status = "MSS.00000004", 500
