"""Names and Roles: the platform's member list compared with the roster, and the roster CSV updated.

The preview changes nothing. Applying it writes the roster file the server was started with:
added students become new rows at the end (with the platform's name, e-mail, SIS id and user
id, in columns added to the header when missing); dropped students keep their row, marked
`lti_status = dropped`, so that their history stays and `read_roster` leaves them out. A
dropped student who comes back is the same row again. The file is replaced atomically, and
the server reads it again without a restart.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .. import csvfile
from ..roster import DROPPED, STATUS, STUDENT_ID, read_people
from .people import Identity, match, our_role
from .platform import Platform, PlatformError

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ACCEPT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200
NEW_COLUMNS = ("name", "email", "lis_person_sourcedid", "lti_user_id")


@dataclass(frozen=True)
class Change:
    added: list[dict]    # new roster rows (or dropped rows coming back: same student_id)
    dropped: list[dict]  # roster rows no longer among the platform's active learners
    linked: dict[str, str]  # platform user id → student id, for every learner matched
    unclear: list[dict]  # learners who fit several rows: neither added nor linked (a person must look)

    def to_json(self) -> dict:
        return {"added": self.added, "dropped": self.dropped, "unclear": self.unclear}


def members(platform: Platform, url: str) -> list[dict]:
    """Every member of the context, following the `next` links of a paged answer."""
    found: list[dict] = []
    for _ in range(MAX_PAGES):
        answer = platform.service("GET", url, (SCOPE,), ACCEPT)
        page = answer.body.get("members") if isinstance(answer.body, dict) else None
        if not isinstance(page, list):
            raise PlatformError("the membership service did not answer a member list")
        found += [m for m in page if isinstance(m, dict)]
        url = _next_link(answer.headers.get("link", ""))
        if url is None:
            return found
    raise PlatformError(f"the membership list has more than {MAX_PAGES} pages")


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        link = re.match(r'\s*<([^>]+)>\s*;(.*)', part)
        if link and re.search(r'rel\s*=\s*"?next"?', link.group(2)):
            return link.group(1)
    return None


def compare(people: list[dict], rows: list[dict[str, str]], links: dict[str, str]) -> Change:
    """`people`: the platform's members; `rows`: every row of the roster file, dropped ones too;
    `links`: platform user id → student id, as matched before."""
    added, linked, unclear, present = [], {}, [], set()
    taken = {row["student_id"] for row in rows}
    for member in people:
        if our_role(member.get("roles") or []) != "student":
            continue
        identity = Identity.of_member(member)
        found = match(identity, rows, "student_id", links.get(identity.user_id))
        active = member.get("status", "Active") == "Active"
        if found.person is not None:
            if active:
                present.add(found.person)
                linked[identity.user_id] = found.person
                row = next(r for r in rows if r["student_id"] == found.person)
                if row.get(STATUS) == DROPPED:
                    added.append(_row(identity, found.person))
        elif active and found.unclear:
            unclear.append({"user_id": identity.user_id, "name": identity.name, "why": found.why})
        elif active:
            sid = _new_id(identity, taken)
            taken.add(sid)
            linked[identity.user_id] = sid
            added.append(_row(identity, sid))
    dropped = [{"student_id": r["student_id"], "name": r.get("name", "")} for r in rows
               if r.get(STATUS) != DROPPED and r["student_id"] not in present]
    return Change(added, dropped, linked, unclear)


def _row(identity: Identity, sid: str) -> dict:
    return {"student_id": sid, "name": identity.name, "email": identity.email,
            "lis_person_sourcedid": identity.sourcedid, "lti_user_id": identity.user_id}


def _new_id(identity: Identity, taken: set[str]) -> str:
    """The new student's id: their SIS id, else their e-mail address, else one made of the platform's user id."""
    for candidate in (identity.sourcedid, identity.email):
        if candidate and STUDENT_ID.match(candidate) and candidate not in taken:
            return candidate
    base = "lti-" + re.sub(r"[^A-Za-z0-9._-]", "", identity.user_id)[:40]
    sid, n = base, 1
    while sid in taken:
        n += 1
        sid = f"{base}-{n}"
    return sid


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every row of the roster file, dropped ones too."""
    return [dict(row) for row in read_people(path, "student_id", "roster")[1]]


def apply(path: Path, change: Change) -> None:
    columns = list(read_people(path, "student_id", "roster")[0])
    rows = read_rows(path)
    back = {row["student_id"]: row for row in change.added}
    gone = {row["student_id"] for row in change.dropped}
    for row in rows:
        if row["student_id"] in back:
            row[STATUS] = ""
        elif row["student_id"] in gone:
            row[STATUS] = DROPPED
    present = {row["student_id"] for row in rows}
    rows += [row for sid, row in back.items() if sid not in present]
    for column in (*NEW_COLUMNS, STATUS):
        if column not in columns and any(row.get(column) for row in rows):
            columns.append(column)
    out = io.StringIO()
    writer = csvfile.Writer(out)  # a name from the platform never runs as a formula in a spreadsheet
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(out.getvalue(), encoding="utf-8")
    os.replace(partial, path)
