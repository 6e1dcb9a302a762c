"""Single sign-on (OpenID Connect, with authlib) and LDAP / Active Directory login.

Both end like a password login: the same tokens, the same second factor, the same rate
limits; LDAP failures also count towards the account lockout.
"""

from __future__ import annotations

from typing import Annotated, Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from joserfc.errors import JoseError
from sqlalchemy import select

from platform_api.api.deps import SessionDep, SettingsDep
from platform_api.api.routes.auth import AUTH_ERRORS, PROBLEM, finish_login, limit_login
from platform_api.core.config import APISettings, OIDCProvider
from platform_api.core.errors import ProblemError
from platform_api.domain.identity import auth, external, ldap
from platform_api.domain.identity.models import User
from platform_api.domain.identity.schemas import TokenPublic

router = APIRouter(prefix="/v1/auth", tags=["auth"])
SSO_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    400: {**PROBLEM, "description": "The provider's answer does not belong to a login started here"},
    403: {**PROBLEM, "description": "Known to the provider, but refused here (no mapped role, other tenant)"},
    404: {**PROBLEM, "description": "No such provider"},
    502: {**PROBLEM, "description": "The provider could not be reached"},
}


def build_oauth(settings: APISettings) -> OAuth:
    """One authlib client per configured provider; discovery and JWKS are fetched on first use."""
    oauth = OAuth()
    for name, provider in settings.oidc_providers.items():
        oauth.register(
            name,
            server_metadata_url=provider.metadata_url,
            client_id=provider.client_id,
            client_secret=provider.client_secret.get_secret_value(),
            client_kwargs={"scope": provider.scope},
        )
    return oauth


def _provider(request: Request, settings: APISettings, name: str) -> tuple[OIDCProvider, Any]:
    provider = settings.oidc_providers.get(name)
    if provider is None:
        raise ProblemError(404, f"no single sign-on provider named {name!r}")
    return provider, request.app.state.oauth.create_client(name)


@router.get(
    "/oidc/{provider}/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "Redirect to the provider's sign-in page"}, 404: SSO_ERRORS[404]},
    summary="Start single sign-on with an OpenID Connect provider",
)
async def oidc_login(request: Request, settings: SettingsDep, provider: str) -> RedirectResponse:
    config, client = _provider(request, settings, provider)
    redirect_uri = config.redirect_uri or str(request.url_for("oidc_callback", provider=provider))
    try:
        response: RedirectResponse = await client.authorize_redirect(request, redirect_uri)
    except (AuthlibBaseError, OSError) as error:
        raise ProblemError(502, f"the identity provider could not be reached: {error}") from None
    return response


@router.get(
    "/oidc/{provider}/callback",
    response_model=TokenPublic,
    responses=SSO_ERRORS,
    summary="Finish single sign-on: the provider redirects here with a code",
)
async def oidc_callback(request: Request, session: SessionDep, settings: SettingsDep, provider: str) -> TokenPublic:
    config, client = _provider(request, settings, provider)
    limit_login(request, None)  # every user of the provider starts here
    try:
        token = await client.authorize_access_token(request)
    except AuthlibBaseError as error:  # state, provider errors, and claim checks (nonce, issuer, audience, expiry)
        status = 400 if getattr(error, "error", "") in {"mismatching_state", "invalid_request"} else 401
        raise ProblemError(status, f"single sign-on failed: {error.description or error.error}") from None
    except JoseError as error:  # the ID token's signature or format
        raise ProblemError(
            401, f"single sign-on failed: the ID token is invalid ({error.description or error.error})"
        ) from None
    except OSError as error:
        raise ProblemError(502, f"the identity provider could not be reached: {error}") from None
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise ProblemError(401, "single sign-on failed: the provider returned no ID token")
    groups = claims.get(config.groups_claim) or []
    identity = external.ExternalIdentity(
        external_id=f"oidc:{provider}:{claims['sub']}",
        email=str(claims.get("email") or "") if claims.get("email_verified", True) else "",
        display_name=str(claims.get("name") or ""),
        groups=frozenset(str(g) for g in groups) if isinstance(groups, list) else frozenset(),
    )
    user = external.sign_in(session, config, identity)
    return finish_login(request, session, settings, user)


@router.post(
    "/ldap/token", response_model=TokenPublic, responses=SSO_ERRORS, summary="Log in with directory credentials"
)
def ldap_login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenPublic:
    config = settings.ldap
    if config is None:
        raise ProblemError(404, "directory (LDAP) login is not configured")
    limit_login(request, form.username)
    known = session.scalar(select(User).where(User.external_id == f"ldap:{form.username.lower()}"))
    if known is not None:
        auth.ensure_not_locked(session, known)
    try:
        identity = ldap.authenticate(config, form.username, form.password)
    except ldap.InvalidCredentials:
        if known is not None:
            auth.record_failure(session, settings, known)
        raise auth.invalid_credentials() from None
    user = external.sign_in(session, config, identity)
    auth.clear_failures(session, user)
    return finish_login(request, session, settings, user)
