"""The platform's roles as ours, and a person of the platform matched to our roster or staff list.

A match is never a guess: each identifying claim the platform sends (its user id, the SIS id
`lis person_sourcedid`, the e-mail address, the login name) is looked up in the columns of
the roster that hold the same thing. The person is found when the claims that find anyone
all find the same one row; a claim that fits several rows, or claims that point at different
people, match nobody, and the person is told so.
"""

from __future__ import annotations

from dataclasses import dataclass

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
# Context roles (and the institution roles some platforms send alone), after the LIS prefix; a bare
# "Instructor" (the short form LTI still allows for context roles) reads as membership#Instructor.
STAFF_ROLES = ("membership#Instructor", "membership/Instructor#", "membership#ContentDeveloper",
               "membership#Administrator", "institution/person#Instructor",
               "institution/person#Administrator")
LEARNER_ROLES = ("membership#Learner", "membership/Learner#", "institution/person#Student",
                 "institution/person#Learner")
# Which roster columns may hold each identifying claim (the first present is read).
COLUMNS = {
    "user_id": ("lti_user_id", "canvas_user_id"),
    "sourcedid": ("lis_person_sourcedid", "sis_user_id", "student_id"),
    "email": ("email",),
    "username": ("username", "sis_login_id", "login_id"),
}
CASELESS = ("email", "username")


def our_role(roles: list[str]) -> str | None:
    """staff, student, or None for a role we have no place for (a guest, an observer)."""
    kinds = [role[len(LIS):] if role.startswith(LIS) else f"membership#{role}" for role in roles]
    if any(kind.startswith(STAFF_ROLES) for kind in kinds):
        return "staff"
    if any(kind.startswith(LEARNER_ROLES) for kind in kinds):
        return "student"
    return None


@dataclass(frozen=True)
class Identity:
    """What the platform says about a person, from a launch or a membership list."""

    user_id: str
    sourcedid: str = ""
    email: str = ""
    username: str = ""
    name: str = ""

    @classmethod
    def of_launch(cls, claims: dict) -> Identity:
        lis = claims.get("https://purl.imsglobal.org/spec/lti/claim/lis") or {}
        ext = claims.get("https://purl.imsglobal.org/spec/lti/claim/ext") or {}
        custom = claims.get("https://purl.imsglobal.org/spec/lti/claim/custom") or {}
        username = (_text(ext, "user_username") or _text(custom, "canvas_user_login_id")
                    or _text(custom, "username") or _text(claims, "preferred_username"))
        return cls(_text(claims, "sub"), _text(lis, "person_sourcedid"), _text(claims, "email"), username,
                   _text(claims, "name"))

    @classmethod
    def of_member(cls, member: dict) -> Identity:
        return cls(_text(member, "user_id"), _text(member, "lis_person_sourcedid"), _text(member, "email"),
                   _text(member, "ext_user_username") or _text(member, "username"), _text(member, "name"))


def _text(table, key: str) -> str:
    value = table.get(key) if isinstance(table, dict) else None
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Match:
    person: str | None
    why: str  # which claims found them, or why nobody
    unclear: bool = False  # the claims fit several people: a person must look


def match(identity: Identity, rows: list[dict[str, str]], key: str, known: str | None = None) -> Match:
    """The row (its `key` column) that `identity` names; `known`: the person this platform user id was
    matched to before (kept by us), which counts as one more claim."""
    found: dict[str, set[str]] = {}
    for claim, columns in COLUMNS.items():
        value = getattr(identity, claim)
        column = next((c for c in columns if rows and c in rows[0]), None)
        if not value or column is None:
            continue
        same = (lambda a, b: a.casefold() == b.casefold()) if claim in CASELESS else (lambda a, b: a == b)
        hits = {row[key] for row in rows if row.get(column) and same(row[column], value)}
        if hits:
            found[f"{claim} ({column})"] = hits
    if known is not None and any(row[key] == known for row in rows):
        found["an earlier launch"] = {known}
    if not found:
        return Match(None, "none of the platform's details (user id, SIS id, e-mail, login name) is on the list")
    ambiguous = [claim for claim, hits in found.items() if len(hits) > 1]
    if ambiguous:
        return Match(None, f"the {ambiguous[0]} fits {len(found[ambiguous[0]])} people on the list", True)
    people = {next(iter(hits)) for hits in found.values()}
    if len(people) > 1:
        return Match(None, "the platform's details point at different people on the list ("
                     + ", ".join(f"{claim} → {next(iter(hits))}" for claim, hits in found.items()) + ")", True)
    return Match(people.pop(), "matched by " + ", ".join(found))
