"""Login (OAuth2 password flow), refresh rotation, logout, multi-factor, who am I, one's own password
and accepting an invitation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from platform_api.api.deps import CurrentUser, SessionDep, SettingsDep, permit
from platform_api.core.errors import ProblemError
from platform_api.core.security import TokenError, decode_token, sha256
from platform_api.domain.access.authz import Principal
from platform_api.domain.identity import auth, invitations
from platform_api.domain.identity.models import Role, User
from platform_api.domain.identity.schemas import (
    InvitationAccept,
    MePublic,
    MFAEnable,
    MFASetup,
    MFASetupPublic,
    MFASMSRequest,
    MFAVerify,
    PasswordChange,
    RecoveryCodesPublic,
    RefreshRequest,
    TokenPublic,
)

router = APIRouter(prefix="/v1/auth", tags=["auth"])
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**PROBLEM, "description": "Bad credentials, or `mfa_required` with an `mfa_token`"},
    423: {**PROBLEM, "description": "Account locked"},
    429: {**PROBLEM, "description": "Too many attempts"},
}


def limit_login(request: Request, identity: str | None) -> None:
    """Throttle log-ins per account and, far more loosely, per address (a class logs in from one NAT).

    ``identity`` None throttles by address only: for steps that check no credential of one account.
    """
    address = request.client.host if request.client else "?"
    checks = [(request.app.state.login_address_limiter, f"login-ip:{address}")]
    if identity is not None:
        checks.append((request.app.state.login_limiter, f"login-id:{identity.lower()}"))
    for limiter, key in checks:
        retry = limiter.hit(key)
        if retry is not None:
            raise ProblemError(
                429, "too many login attempts; wait and retry", headers={"Retry-After": str(int(retry) + 1)}
            )


def _pair(pair: auth.TokenPair) -> TokenPublic:
    return TokenPublic(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


def finish_login(request: Request, session: SessionDep, settings: SettingsDep, user: User) -> TokenPublic:
    """Issue tokens, or answer 401 ``mfa_required`` when the account has a second factor."""
    secret = request.app.state.jwt_secret
    if auth.security_of(session, user.id).mfa_enabled:
        session.commit()
        raise ProblemError(
            401,
            "second factor required: POST the code with this mfa_token to /v1/auth/mfa/verify",
            title="MFA required",
            type_="https://pathwise.dev/problems/mfa-required",
            mfa_token=auth.mfa_challenge(settings, secret, user),
        )
    pair = auth.issue_tokens(session, settings, secret, user)
    session.commit()
    return _pair(pair)


@router.post("/token", response_model=TokenPublic, responses=AUTH_ERRORS, summary="Log in with e-mail and password")
def login(
    request: Request, session: SessionDep, settings: SettingsDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenPublic:
    limit_login(request, form.username)
    user = auth.check_password(session, settings, form.username, form.password)
    return finish_login(request, session, settings, user)


def mfa_user(request: Request, session: SessionDep, token: str) -> User:
    try:
        claims = decode_token(request.app.state.jwt_secret, token, kind="mfa")
    except TokenError as error:
        raise ProblemError(401, str(error)) from None
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active:
        raise ProblemError(401, "the account behind this token is not active")
    return user


@router.post("/mfa/verify", response_model=TokenPublic, responses=AUTH_ERRORS, summary="Complete a login with a code")
def mfa_verify(request: Request, session: SessionDep, settings: SettingsDep, body: MFAVerify) -> TokenPublic:
    user = mfa_user(request, session, body.mfa_token)
    limit_login(request, f"mfa:{user.id}")
    auth.verify_second_factor(session, user, body.code)
    pair = auth.issue_tokens(session, settings, request.app.state.jwt_secret, user)
    session.commit()
    return _pair(pair)


@router.post("/mfa/sms", status_code=202, responses=AUTH_ERRORS, summary="Send the current code by SMS")
def mfa_sms(request: Request, session: SessionDep, body: MFASMSRequest) -> dict[str, str]:
    user = mfa_user(request, session, body.mfa_token)
    limit_login(request, f"sms:{user.id}")
    phone, message = auth.send_sms_code(session, user)
    session.commit()
    request.app.state.sms_sender.send(phone, message)
    return {"status": "sent"}


@router.post("/refresh", response_model=TokenPublic, responses=AUTH_ERRORS, summary="Rotate a refresh token")
def refresh(request: Request, session: SessionDep, settings: SettingsDep, body: RefreshRequest) -> TokenPublic:
    pair = auth.rotate_refresh(session, settings, request.app.state.jwt_secret, body.refresh_token)
    session.commit()
    return _pair(pair)


@router.post("/logout", status_code=204, responses=AUTH_ERRORS, summary="Revoke a login's refresh tokens")
def logout(session: SessionDep, body: RefreshRequest) -> Response:
    auth.logout(session, body.refresh_token)
    session.commit()
    return Response(status_code=204)


@router.get("/me", response_model=MePublic, summary="The signed-in user, roles and permissions")
def me(session: SessionDep, principal: Annotated[Principal, permit("self:read")]) -> MePublic:
    roles = dict(session.query(Role.id, Role.name).all())
    perms = sorted({s for g in principal.grants for s in g.scopes})
    return MePublic.model_validate(
        {
            **{c: getattr(principal.user, c) for c in MePublic.model_fields if hasattr(principal.user, c)},
            "roles": sorted({roles[g.role_id] for g in principal.grants}),
            "permissions": perms,
            "mfa_enabled": auth.security_of(session, principal.user.id).mfa_enabled,
        }
    )


@router.post("/mfa/setup", response_model=MFASetupPublic, summary="Start TOTP enrolment")
def mfa_setup(
    session: SessionDep, principal: Annotated[Principal, permit("self:read")], body: MFASetup
) -> MFASetupPublic:
    secret, uri = auth.begin_mfa_setup(session, principal.user, body.phone)
    session.commit()
    return MFASetupPublic(secret=secret, otpauth_uri=uri)


@router.post("/mfa/enable", response_model=RecoveryCodesPublic, summary="Confirm TOTP and get recovery codes")
def mfa_enable(
    session: SessionDep, principal: Annotated[Principal, permit("self:read")], body: MFAEnable
) -> RecoveryCodesPublic:
    codes = auth.enable_mfa(session, principal.user, body.code)
    session.commit()
    return RecoveryCodesPublic(recovery_codes=codes)


@router.post(
    "/password",
    response_model=TokenPublic,
    responses={
        403: {**PROBLEM, "description": "The current password is wrong (counts as a failed login)"},
        409: {**PROBLEM, "description": "The account has no local password: its identity provider manages it"},
        422: {**PROBLEM, "description": "The new password breaks the policy, or equals the current one"},
        423: AUTH_ERRORS[423],
        429: AUTH_ERRORS[429],
    },
    summary="Change your own password",
    description="Every refresh token you hold is revoked; the answer is a new token pair for this client. "
    "Access tokens already issued stay valid until they expire.",
)
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, permit("self:read")],
    body: PasswordChange,
) -> TokenPublic:
    user = principal.user
    limit_login(request, user.email)
    auth.change_password(session, settings, user, body.current_password, body.new_password)
    pair = auth.issue_tokens(session, settings, request.app.state.jwt_secret, user)
    session.commit()
    return _pair(pair)


def invitation_places(request: Request) -> invitations.InvitationPlaces:
    """The accept route and the web app's invitation page, as this request reached the API."""
    return invitations.InvitationPlaces(str(request.url_for("accept_invitation")), f"{request.base_url}invite")


@router.post(
    "/invitations/accept",
    name="accept_invitation",
    response_model=TokenPublic,
    responses={
        404: {**PROBLEM, "description": "No invitation has this token"},
        410: {**PROBLEM, "description": "The invitation was used, replaced by a newer one, or expired"},
        429: AUTH_ERRORS[429],
    },
    summary="Accept an invitation: set your first password and log in",
)
def accept_invitation(
    request: Request, session: SessionDep, settings: SettingsDep, body: InvitationAccept
) -> TokenPublic:
    limit_login(request, f"invitation:{sha256(body.token)}")  # per address, and per token
    user = invitations.accept(session, body.token, body.password)
    return finish_login(request, session, settings, user)


__all__ = ["CurrentUser", "finish_login", "invitation_places", "mfa_user", "router"]
