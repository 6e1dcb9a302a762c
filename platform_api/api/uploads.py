"""Reading one uploaded file from a multipart body, refusing it early when it is over the limit.

Starlette spools a form to disk before a route sees it, so a declared ``Content-Length`` over the limit
is refused before the body is read at all, and the file itself is read one byte past the limit only.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile  # what request.form() gives (FastAPI's is a subclass)

from platform_api.core.errors import ProblemError

#: Room for the multipart boundaries and part headers around the file in a declared length.
MULTIPART_OVERHEAD = 16 * 1024
#: The OpenAPI request body of a route that takes one file (the route reads the form itself).
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


async def read_one_file(request: Request, limit: int, what: str, *, length_required: bool = False) -> tuple[bytes, str]:
    """The bytes and client file name of the form's ``file`` field; problem+json 411, 413 or 422 otherwise.

    ``what`` names the upload in messages ("this assignment accepts", "course media may be")."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit():
        if length_required:
            raise ProblemError(411, "send the upload with a Content-Length header")
    elif int(declared) > limit + MULTIPART_OVERHEAD:
        raise too_large(int(declared), limit, what)
    try:
        form = await request.form(max_files=1, max_fields=1)
    except Exception as error:  # starlette raises its own types for malformed multipart
        raise ProblemError(422, f"the body is not a usable multipart form: {error}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ProblemError(422, "multipart field 'file' with the file to upload is required")
    content = await upload.read(limit + 1)
    await upload.close()
    if len(content) > limit:
        raise too_large(len(content), limit, what)
    if not content:
        raise ProblemError(422, "the uploaded file is empty")
    return content, upload.filename or ""


def too_large(size: int, limit: int, what: str) -> ProblemError:
    return ProblemError(413, f"the upload is {size} bytes; {what} at most {limit}", max_bytes=limit)
