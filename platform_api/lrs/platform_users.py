"""Platform users at the LRS: a signed-in user writes and reads their own statements with the API token.

LRS clients (gradebooks, content players on other servers) hold HTTP Basic credentials. The web
app's video player and activity pages run as the signed-in learner, who holds no LRS credentials
and must not: it sends the platform's Bearer access token instead. Such a writer may only speak
about themselves: every statement's actor must be the platform account of that user
(:func:`features.xapi_vocabulary.learner_agent`: the platform's home page, the user id as name),
its authority is that user. It records what it did (the Video Profile's played, paused, seeked,
completed; progressed, experienced …), never a grader's word: no answers, scores, success flags,
attempt links or voiding, since those move mastery and would let a learner grade themselves.
A reader sees only statements whose actor (or object) is that user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from features.events import VIDEO_VERBS
from features.xapi_vocabulary import Extension, Verb, learner_agent
from platform_api.core.errors import ProblemError
from platform_api.core.security import TokenError, decode_token
from platform_api.domain.access.authz import load_principal
from platform_api.domain.identity.models import User
from platform_api.lrs.mentions import agent_key
from platform_api.lrs.query import StatementQuery
from platform_api.lrs.store import Authority
from platform_api.lrs.validation import VOIDED_VERB

#: What a learner may record about themselves: the xAPI Video Profile and activity life-cycle verbs.
#: Answers, scores and pass/fail are the graders' word (they move mastery), never the learner's.
USER_VERBS = VIDEO_VERBS | {
    Verb.COMPLETED,
    Verb.EXPERIENCED,
    Verb.INITIALIZED,
    Verb.LAUNCHED,
    Verb.PROGRESSED,
    Verb.TERMINATED,
}
#: Context extensions with which the platform ties a statement to a graded attempt or corrects one.
GRADING_EXTENSIONS = (
    Extension.ATTEMPT_ID,
    Extension.REVISES,
    Extension.ASSESSMENT_ID,
    Extension.TRY_NUMBER,
    Extension.PARTIAL_CREDIT,
)
#: The platform permission each LRS scope needs when a user, not a client, calls.
USER_SCOPES = {"statements/write": "attempts:write", "statements/read": "self:read"}


@dataclass(frozen=True)
class PlatformWriter:
    """A signed-in platform user acting at the LRS for themselves."""

    user_id: int
    tenant_id: int
    display_name: str

    @property
    def agent(self) -> dict[str, Any]:
        return learner_agent(self.user_id)

    @property
    def key(self) -> str:
        key = agent_key(self.agent)
        assert key is not None
        return key

    @property
    def authority(self) -> Authority:
        return Authority(agent=learner_agent(self.user_id, self.display_name), tenant_id=self.tenant_id)

    def check_statements(self, items: Sequence[Any], *, batch: bool = False) -> None:
        """403 unless every statement's actor is this user; voiding is refused outright.

        Items that are not objects are left to the statement validation (a 400)."""
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            where = f"statement[{index}]" if batch else "statement"
            actor = item.get("actor")
            if not isinstance(actor, dict) or actor.get("objectType", "Agent") != "Agent" or _key(actor) != self.key:
                raise ProblemError(
                    403,
                    f"{where}.actor must be you: the Agent with account homePage "
                    f"{self.agent['account']['homePage']!r} and name {str(self.user_id)!r}; "
                    "with a platform token you record statements about yourself only.",
                    title="Statement about someone else",
                )
            self._check_claims(item, where)

    @staticmethod
    def _check_claims(item: dict[str, Any], where: str) -> None:
        """Refuse what only graders may say: voiding, answers, scores, success and attempt links."""
        verb = _obj(item.get("verb")).get("id")
        if verb == VOIDED_VERB:
            raise ProblemError(
                403, f"{where} voids a statement; platform users cannot void statements.", title="Voiding refused"
            )
        if verb not in USER_VERBS:
            raise ProblemError(
                403,
                f"{where}.verb {verb!r} is not one a learner records for themselves with a platform token; "
                f"allowed: {', '.join(sorted(USER_VERBS))}. Answers go through the sittings or /v1/sync.",
                title="Verb refused",
            )
        result = _obj(item.get("result"))
        claimed = [name for name in ("score", "success") if name in result]
        if claimed:
            raise ProblemError(
                403,
                f"{where}.result.{claimed[0]} is a grader's claim; platform users cannot record it.",
                title="Grading claim refused",
            )
        extensions = _obj(_obj(item.get("context")).get("extensions"))
        linked = [key for key in GRADING_EXTENSIONS if key in extensions]
        if linked:
            raise ProblemError(
                403,
                f"{where}.context.extensions {linked[0]!r} ties the statement to grading; it is refused here.",
                title="Grading claim refused",
            )

    def narrow(self, query: StatementQuery) -> StatementQuery:
        """Restrict a query to this user's statements (their actor or object), or refuse another agent."""
        if query.related_agents:
            raise ProblemError(403, "related_agents is not available with a platform token; you read your own only.")
        if query.agent is None:
            query.agent = self.key
        elif query.agent != self.key:
            raise ProblemError(403, "With a platform token you may read only your own statements (agent must be you).")
        return query

    def may_see(self, statement: dict[str, Any]) -> bool:
        keys = {_key(statement.get("actor") or {}), _key(statement.get("object") or {})}
        return self.key in keys


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _key(agent: dict[str, Any]) -> str | None:
    return agent_key(agent) if isinstance(agent, dict) else None


def bearer_user(request: Request, scope: str) -> PlatformWriter | None:
    """The platform user behind ``Authorization: Bearer``, or None when the request carries none.

    A bad or expired token, an inactive account or a missing permission is a 401 / 403 problem.
    """
    header = request.headers.get("authorization") or ""
    if not header.startswith("Bearer "):
        return None
    try:
        claims = decode_token(request.app.state.jwt_secret, header[7:].strip(), kind="access")
    except TokenError as error:
        raise ProblemError(
            401, f"The platform token is not usable: {error}.", headers={"WWW-Authenticate": "Bearer"}
        ) from None
    with request.app.state.session_factory() as session:
        user = session.get(User, int(claims["sub"]))
        if user is None or not user.is_active or user.tenant_id != claims.get("tid"):
            raise ProblemError(
                401, "The account behind this token is not active.", headers={"WWW-Authenticate": "Bearer"}
            )
        principal = load_principal(session, user)
        permission = USER_SCOPES.get(scope)
        if permission is None or not principal.holds_anywhere(permission):
            raise ProblemError(
                403,
                f"Your account lacks the {permission or scope!r} permission this LRS request needs "
                "(platform tokens write and read one's own statements only).",
                required_permission=permission or scope,
            )
        return PlatformWriter(user.id, user.tenant_id, user.display_name)
