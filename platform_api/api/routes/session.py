"""The browser flavour of login: the refresh token lives in an HttpOnly cookie, never in script reach.

``POST /v1/auth/token`` hands both tokens to the caller, which suits native clients. A web page
that keeps a refresh token in JavaScript memory or storage loses it to any injected script, so the
web app signs in here instead: the access token comes back in the body (kept in memory only) and
the refresh token is set as an ``HttpOnly; SameSite=Strict`` cookie whose path is
``/v1/auth/session``, so the browser sends it to these routes and nowhere else.

Rotation and reuse detection are the ones ``/v1/auth/refresh`` uses (:func:`auth.rotate_refresh`):
a replayed cookie revokes the whole login. Refreshing and signing out also need the header
``X-Pathwise-CSRF: 1``: a cross-site form cannot set a custom header, and a cross-site script
would need a CORS pre-flight this API never grants, so the header proves the request came from
the app's own pages even if a browser ignored SameSite.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from platform_api.api.deps import SessionDep, SettingsDep
from platform_api.api.routes.auth import AUTH_ERRORS, PROBLEM, limit_login, mfa_user
from platform_api.core.errors import ProblemError
from platform_api.core.security import sha256
from platform_api.domain.identity import auth, invitations
from platform_api.domain.identity.models import User
from platform_api.domain.identity.schemas import InvitationAccept, MFAVerify

router = APIRouter(prefix="/v1/auth/session", tags=["auth"])

COOKIE = "pathwise_refresh"
COOKIE_PATH = "/v1/auth/session"
CSRF_HEADER = "X-Pathwise-CSRF"
CSRF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**PROBLEM, "description": "No session cookie, or it is unknown, expired or was already used"},
    403: {**PROBLEM, "description": f"The {CSRF_HEADER}: 1 header is missing"},
}


class SessionPublic(BaseModel):
    """An access token for the page's memory; the refresh token travels only in the cookie."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token stays valid; refresh before then")


def _set_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _clearing_headers(request: Request) -> dict[str, str]:
    """A Set-Cookie that deletes the session cookie, for a problem answer (which has no Response object)."""
    response = Response()
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return {"Set-Cookie": response.headers["set-cookie"]}


def _start(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, user: User
) -> SessionPublic:
    pair = auth.issue_tokens(session, settings, request.app.state.jwt_secret, user)
    session.commit()
    _set_cookie(request, response, pair.refresh_token, settings.refresh_token_ttl_s)
    return SessionPublic(access_token=pair.access_token, expires_in=pair.expires_in)


def require_csrf_header(request: Request) -> None:
    if request.headers.get(CSRF_HEADER) != "1":
        raise ProblemError(
            403,
            f"This request needs the header {CSRF_HEADER}: 1, which the web app sends and a cross-site form cannot.",
            title="Missing CSRF header",
        )


CsrfChecked = Depends(require_csrf_header)


@router.post(
    "",
    response_model=SessionPublic,
    responses=AUTH_ERRORS,
    summary="Browser log-in: access token in the body, refresh token in an HttpOnly cookie",
    description=(
        "Same form fields, throttling and lock-out as `POST /v1/auth/token`. The answer carries only the "
        f"access token; the refresh token is set as the `{COOKIE}` cookie (HttpOnly, SameSite=Strict, "
        f"path `{COOKIE_PATH}`, Secure over https). When the account has a second factor the answer is the "
        "same 401 `mfa_required` problem with an `mfa_token`; the web app then posts the code to "
        "`POST /v1/auth/session/mfa` (not `/v1/auth/mfa/verify`, which answers with both tokens in JSON)."
    ),
)
def start_session(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> SessionPublic:
    limit_login(request, form.username)
    user = auth.check_password(session, settings, form.username, form.password)
    return _start_or_ask_second_factor(request, response, session, settings, user)


def _start_or_ask_second_factor(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, user: User
) -> SessionPublic:
    if auth.security_of(session, user.id).mfa_enabled:
        session.commit()
        raise ProblemError(
            401,
            "second factor required: POST the code with this mfa_token to /v1/auth/session/mfa",
            title="MFA required",
            type_="https://pathwise.dev/problems/mfa-required",
            mfa_token=auth.mfa_challenge(settings, request.app.state.jwt_secret, user),
        )
    return _start(request, response, session, settings, user)


@router.post(
    "/mfa",
    response_model=SessionPublic,
    responses=AUTH_ERRORS,
    summary="Browser log-in, second step: the code for the mfa_token; sets the session cookie",
    description="Same checks and throttling as `POST /v1/auth/mfa/verify`; answers like `POST /v1/auth/session`.",
)
def session_mfa(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, body: MFAVerify
) -> SessionPublic:
    user = mfa_user(request, session, body.mfa_token)
    limit_login(request, f"mfa:{user.id}")
    auth.verify_second_factor(session, user, body.code)
    return _start(request, response, session, settings, user)


@router.post(
    "/invitation",
    response_model=SessionPublic,
    responses={
        404: {**PROBLEM, "description": "No invitation has this token"},
        410: {**PROBLEM, "description": "The invitation was used, replaced by a newer one, or expired"},
        429: AUTH_ERRORS[429],
    },
    summary="Browser invitation: set your first password and start a session (cookie), in one step",
    description=(
        "What the web app's `/invite` page posts. Same checks and throttling as "
        "`POST /v1/auth/invitations/accept`; answers like `POST /v1/auth/session`."
    ),
)
def session_invitation(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep, body: InvitationAccept
) -> SessionPublic:
    limit_login(request, f"invitation:{sha256(body.token)}")
    user = invitations.accept(session, body.token, body.password)
    return _start_or_ask_second_factor(request, response, session, settings, user)


@router.post(
    "/refresh",
    response_model=SessionPublic,
    responses=CSRF_ERRORS,
    summary="New access token from the session cookie (rotates the cookie)",
    description=(
        f"Needs the `{COOKIE}` cookie and the header `{CSRF_HEADER}: 1`. The cookie is rotated on every call; "
        "presenting an already used one revokes every token of that login (reuse detection) and answers 401. "
        "A 401 also deletes the cookie: the web app then shows the log-in page."
    ),
    dependencies=[CsrfChecked],
)
def refresh_session(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Cookie(alias=COOKIE, include_in_schema=False)] = None,
) -> SessionPublic:
    if not token:
        raise ProblemError(401, "No session cookie was sent; log in again.", headers=_clearing_headers(request))
    try:
        pair = auth.rotate_refresh(session, settings, request.app.state.jwt_secret, token)
    except ProblemError as error:
        raise ProblemError(
            401, _sentence(error.detail) + " Log in again.", headers=_clearing_headers(request)
        ) from None
    session.commit()
    _set_cookie(request, response, pair.refresh_token, settings.refresh_token_ttl_s)
    return SessionPublic(access_token=pair.access_token, expires_in=pair.expires_in)


@router.delete(
    "",
    status_code=204,
    responses={403: CSRF_ERRORS[403]},
    summary="Log out of the browser session: revokes the cookie's login and deletes the cookie",
    description=f"Needs the header `{CSRF_HEADER}: 1`. Without a cookie (or with an unknown one) it still answers 204.",
    dependencies=[CsrfChecked],
)
def end_session(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Cookie(alias=COOKIE, include_in_schema=False)] = None,
) -> Response:
    if token:
        try:
            auth.logout(session, token)
            session.commit()
        except ProblemError:  # an unknown token: there is nothing left to revoke
            session.rollback()
    response = Response(status_code=204)
    response.headers["Set-Cookie"] = _clearing_headers(request)["Set-Cookie"]
    return response


def _sentence(detail: str) -> str:
    text = detail.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."
