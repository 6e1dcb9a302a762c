"""Course media (images, video, notebooks) for the content pages, behind authentication."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from platform_api.api.deps import SessionDep, oauth2_scheme, permit, principal_from_token
from platform_api.api.uploads import UPLOAD_BODY, read_one_file
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal, load_principal
from platform_api.domain.access.targets import course_target
from platform_api.domain.content.models import Course
from platform_api.domain.identity.models import User
from platform_api.domain.learning.media import (
    KEY,
    UploadRefused,
    add_media,
    check_signature,
    media_store,
    signed_url,
    sniff_upload,
    upload_key,
)
from platform_api.domain.learning.models import MediaAsset

router = APIRouter(prefix="/v1", tags=["content"])
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _signed_reader(request: Request, session: SessionDep, key: str, user_id: int, expires: int, sig: str) -> Principal:
    reason = check_signature(request.app.state.jwt_secret, key, user_id, expires, sig)
    if reason is not None:
        raise ProblemError(401, reason)
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ProblemError(401, "The account this media URL was signed for is not active.")
    return load_principal(session, user)


@router.get(
    "/media/{key}",
    response_class=FileResponse,
    summary="A media file of a course (image, video, notebook); Bearer token or signed URL; supports Range",
    description=(
        "Authenticate with `Authorization: Bearer`, or use the signed `media_url` / `media_urls` the activity "
        "API and the course tree give (`?u=&exp=&sig=`, valid for `media_url_ttl_s`), since `<video src>` and "
        "`<img src>` send no header. Either way the user must be able to read the course the file belongs to. "
        "`Range: bytes=...` answers 206 with that part (video seeking)."
    ),
    responses={
        200: {"content": {"video/webm": {}, "image/png": {}, "application/x-ipynb+json": {}}},
        206: {"description": "The requested byte range"},
        401: {**PROBLEM, "description": "No token, or a bad or expired signature"},
        403: {**PROBLEM, "description": "The user may not read this media's course"},
        404: {**PROBLEM, "description": "No such media"},
    },
)
def get_media(
    request: Request,
    session: SessionDep,
    key: Annotated[str, Path(max_length=120)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
    u: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="signed URL: the reader")] = None,
    exp: Annotated[int | None, Query(ge=0, le=2**40, description="signed URL: expiry, unix seconds")] = None,
    sig: Annotated[str | None, Query(max_length=128, description="signed URL: HMAC-SHA256")] = None,
) -> FileResponse:
    if u is not None or exp is not None or sig is not None:
        if u is None or exp is None or sig is None:
            raise ProblemError(401, "A signed media URL needs all of u, exp and sig.")
        principal = _signed_reader(request, session, key, u, exp, sig)
    else:
        principal = principal_from_token(request, session, token)
    row = session.get(MediaAsset, key) if KEY.match(key) else None
    if row is None:
        raise ProblemError(404, f"media {key!r} not found")
    if not principal.can("courses:read", course_target(session, principal, row.course_id)):
        raise ProblemError(
            403, f"Media {key!r} belongs to a course you cannot read.", required_permission="courses:read"
        )
    path = media_store(request.app.state.settings.home).path_of(row.sha256)
    if not path.is_file():
        raise ProblemError(404, f"the file of media {key!r} is missing from the media store")
    return FileResponse(path, media_type=row.content_type, headers={"Cache-Control": "private, max-age=300"})


class MediaPublic(BaseModel):
    key: str = Field(description="what activity metadata names (metadata.media) and GET /v1/media/{key} serves")
    course_id: int
    content_type: str
    size: int
    url: str = Field(description="a signed URL for the uploader, ready for <img src>")


@router.post(
    "/courses/{course_id}/media",
    response_model=MediaPublic,
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    summary="Upload an image, video, PDF or Jupyter notebook into the course's media store (multipart 'file')",
    responses={
        413: {**PROBLEM, "description": "Larger than the media_max_bytes setting"},
        415: {**PROBLEM, "description": "A type not accepted, or content that does not match its extension"},
        422: {**PROBLEM, "description": "No file, an empty file, or a notebook that is not nbformat 4"},
    },
)
async def upload_media(
    request: Request,
    session: SessionDep,
    course_id: int,
    principal: Annotated[Principal, permit("course.structure:write", "course")],
) -> MediaPublic:
    """The type is sniffed from the bytes (the extension must agree); the same bytes under the same name
    in the same course give the same key, so a repeated upload replaces nothing."""
    limit = request.app.state.settings.media_max_bytes
    content, filename = await read_one_file(request, limit, "course media may be")
    try:
        content_type = sniff_upload(filename, content)
    except UploadRefused as refused:
        raise ProblemError(refused.status, str(refused)) from None
    return await run_in_threadpool(_store, request, session, principal, course_id, filename, content, content_type)


def _store(
    request: Request,
    session: SessionDep,
    principal: Principal,
    course_id: int,
    filename: str,
    content: bytes,
    content_type: str,
) -> MediaPublic:
    if session.get(Course, course_id) is None:
        raise ProblemError(404, f"course {course_id} not found")
    key = upload_key(filename, course_id, content)
    existing = session.get(MediaAsset, key)  # a key made to collide must not take another course's media over
    if existing is not None and existing.course_id != course_id:
        raise ProblemError(409, f"media {key!r} already belongs to another course")
    row = add_media(session, request.app.state.settings.home, key, course_id, content, content_type)
    session.commit()
    url = signed_url(request.app.state.jwt_secret, key, principal.user.id, request.app.state.settings.media_url_ttl_s)
    return MediaPublic(key=row.key, course_id=course_id, content_type=content_type, size=row.size, url=url)
