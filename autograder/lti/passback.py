"""Assignment and Grade Services: each student's standing score posted to the platform's gradebook.

One line item per assignment and course context, found by its resourceId (the assignment's
name) or created. What should stand in the platform is computed from the server's standing
(the counting attempt, overrides, the late penalty, exactly what the class table shows) and
recorded per student; only a change of it is posted, so nothing is posted twice for the same
state, and a change made any way (an override, a regrade applied, a chosen attempt, an
extension, a due date passing) posts again. When it is posted follows the assignment's
policy `release`: "graded" as soon as an attempt counts, "after_due" once the due date has
passed (everyone, a missing attempt as 0), "manual" when staff release the assignment. A
failed post is kept, shown to staff and retried with growing pauses, never dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

from .ltistore import Context, LtiStore, Passback
from .platform import Platform, PlatformError

LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
TAG = "optim-autograder"
RETRY_FIRST, RETRY_MOST = 30.0, 3600.0  # seconds between tries of a failed post: doubling, capped
log = logging.getLogger("autograder.lti")


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Gradebook:
    """The passback of one server: `reconcile` records what should stand, `post` sends what changed."""

    def __init__(self, service, store: LtiStore, platform: Platform | None):
        self.service = service
        self.store = store
        self.platform = platform

    def released(self, assignment: str, policy, standing, at: dt.datetime) -> bool:
        """`policy`: the assignment's, with the student's extension applied (their own due date)."""
        if self.store.released(assignment):
            return True
        if policy.release == "graded":
            return standing.counting is not None
        if policy.release == "after_due":
            return policy.due is not None and at > policy.due
        return False

    def reconcile(self) -> int:
        """Record the score that should stand for every linked student; how many changed."""
        at = dt.datetime.now(dt.timezone.utc)
        tables: dict[str, dict] = {}  # each assignment's class table, read once a round
        changed = 0
        for context in self.store.contexts():
            if not context.lineitems_url:
                continue
            for student, sub in self.store.students_of(context.id).items():
                for assignment in self.service.assignments:
                    if assignment not in tables:
                        tables[assignment] = {row.student_id: row
                                              for row in self.service.class_table(assignment, checks=False)}
                    standing = tables[assignment].get(student)  # None: no longer on the roster
                    if standing is None or not self.released(assignment, standing.rules.policy, standing, at):
                        continue
                    wanted = {"user_id": sub, "score": standing.report.score, "max_score": standing.report.max_score}
                    changed += self.store.want(context.id, assignment, student, wanted, now_text())
        return changed

    def post(self) -> tuple[int, int]:
        """Post every score that is pending or due for a retry: (posted, failed)."""
        contexts = {c.id: c for c in self.store.contexts()}
        done = failed = 0
        for item in self.store.due(time.time()):
            context = contexts.get(item.context_id)
            try:
                if self.platform is None or context is None or not context.lineitems_url:
                    raise PlatformError("the course has no LTI registration or grade service any more")
                self._post(context, item)
            except PlatformError as exc:
                pause = min(RETRY_MOST, RETRY_FIRST * 2 ** item.tries)
                self.store.failed(item, str(exc), time.time() + pause, now_text())
                log.warning("passback of %s for %s failed (try %d, again in %.0f s): %s", item.assignment,
                            item.student_id, item.tries + 1, pause, exc)
                failed += 1
            else:
                self.store.posted(item, now_text())
                done += 1
        return done, failed

    def _post(self, context: Context, item: Passback) -> None:
        line_item = self.line_item(context, item.assignment)
        score = {"userId": item.wanted["user_id"], "scoreGiven": item.wanted["score"],
                 "scoreMaximum": item.wanted["max_score"], "activityProgress": "Completed",
                 "gradingProgress": "FullyGraded", "timestamp": now_text()}
        self.platform.service("POST", _beside(line_item, "scores"), (SCORE,), "application/json", score, SCORE_TYPE)

    def line_item(self, context: Context, assignment: str) -> str:
        """The URL of the assignment's line item in `context`: remembered, found by resourceId, or created."""
        known = self.store.line_item(context.id, assignment)
        if known:
            return known
        scopes = (LINEITEM,)
        listing = self.platform.service("GET", _with_query(context.lineitems_url, resource_id=assignment), scopes,
                                        CONTAINER_TYPE)
        items = listing.body if isinstance(listing.body, list) else []
        found = next((i["id"] for i in items if isinstance(i, dict) and i.get("resourceId") == assignment
                      and isinstance(i.get("id"), str)), None)
        if found is None:
            definition = self.service.assignments[assignment]
            created = self.platform.service("POST", context.lineitems_url, scopes, LINEITEM_TYPE,
                                            line_item_json(assignment, definition), LINEITEM_TYPE)
            found = created.body.get("id") if isinstance(created.body, dict) else None
            if not isinstance(found, str):
                raise PlatformError("the platform created a line item but did not say where (no id)")
        self.store.save_line_item(context.id, assignment, found)
        return found


def line_item_json(name: str, definition) -> dict:
    """The line item of an assignment, as AGS and Deep Linking both describe it."""
    return {"scoreMaximum": definition.max_score, "label": definition.title, "resourceId": name, "tag": TAG}


def _beside(url: str, leaf: str) -> str:
    """`leaf` appended to the path of a line item URL, its query kept (AGS: {lineitem}/scores)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + leaf))


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit(parts._replace(query=query))
