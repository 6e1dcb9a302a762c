"""One essay waiting in the demo course's review queue, so a new instructor has something to review.

A demo learner submits a short answer to the demo lesson's essay, and the real grader scores it: the essay
model (the ``pathwise-essay`` champion) gives a provisional score with its confidence and reasons, and the
grader flags it (the course's own prompt has no hand-scored essays yet, and the answer is short), so it
waits for an instructor as any learner's would. The learner is one the knowledge-tracing model is already
sure of on the lesson's skill and who has no guardian, which keeps them out of the demo's other stories.
"""

from __future__ import annotations

from sqlalchemy import func, select

from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory, transaction, utcnow
from platform_api.demo.quiz import SKILL_CODE
from platform_api.domain.assignments.attempts import add_submission
from platform_api.domain.assignments.autograde import Graders, grade_queued
from platform_api.domain.assignments.models import Assignment, Submission
from platform_api.domain.assignments.storage import BlobStore, sniff
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.identity.models import User
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import GuardianLink
from platform_api.domain.skills.models import Skill

#: The demo lesson's essay item (``platform_api.demo.lesson``).
ESSAY_ITEM = "demo-lesson-essay-equivalent"
ESSAY = "1/2 and 2/4 are the same because you double the top and the bottom."


def ensure_flagged_essay(settings: APISettings) -> str:
    """Submit and grade the demo essay once; says what the grader decided, or why nothing was done."""
    engine = make_engine(settings.db_url)
    factory = make_session_factory(engine)
    store = BlobStore(settings.home / "submissions")
    try:
        with transaction(factory) as session:
            assignment = session.scalar(
                select(Assignment).join(Item, Item.id == Assignment.item_id).where(Item.external_id == ESSAY_ITEM)
            )
            if assignment is None:
                return "no demo essay assignment, nothing to submit"
            if session.scalar(select(Submission.id).where(Submission.assignment_id == assignment.id).limit(1)):
                return "the demo essay assignment already has submissions, reused"
            practised = (
                select(Attempt.user_id, func.count().label("n"))
                .join(Item, Item.id == Attempt.item_id)
                .join(Skill, Skill.id == Item.skill_id)
                .where(Skill.code == SKILL_CODE)
                .group_by(Attempt.user_id)
                .subquery()
            )
            learner = session.execute(
                select(User.id, User.tenant_id, User.email)
                .join(practised, practised.c.user_id == User.id)
                .where(User.id.not_in(select(GuardianLink.learner_id)))
                .order_by(practised.c.n.desc(), User.id)
                .limit(1)
            ).first()
            if learner is None:
                return "no demo learner has practised the lesson's skill, nothing to submit"
            content = ESSAY.encode()
            row = add_submission(
                session,
                assignment,
                learner.id,
                learner.tenant_id,
                attempt_no=1,
                sha256=store.put(content),
                size=len(content),
                file_type=sniff("essay.txt", content, ["text"]).name,
                filename="essay.txt",
                now=utcnow(),
            )
            submission_id = row.id
        graders = Graders(settings.essay_model_uri, settings.mlflow_tracking_uri)
        status = grade_queued(factory, store, graders, submission_id)
        return f"{learner.email} submitted the lesson's essay; the essay model's score is {status!r}"
    finally:
        engine.dispose()
