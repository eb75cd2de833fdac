"""Gradescope's "Export Submissions": a folder per submission and ``submission_metadata.yml``.

The export (``assignment_<id>_export/``) holds ``submission_<id>/`` folders with the files
as submitted, and a YAML file mapping each folder to its submitters (``:name:``, ``:sid:``,
``:email:``) and its time (``:created_at:``). Gradescope writes it from Ruby, with symbol
keys and, in places, Ruby type tags; it is read with PyYAML's safe loader, taught to read
any tag as the plain mapping, list or string it tags (never to build an object from it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath

import yaml

from .download import Download
from .matcher import Candidate

NAME = "Gradescope submissions export"
RULE = "a student in several submissions: the latest :created_at: counts"
METADATA = "submission_metadata.yml"


class _Loader(yaml.SafeLoader):
    """Safe loading, with Ruby's tags (``!ruby/object:...``) read as plain data."""


def _untagged(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _untagged)


def recognises(names: list[str]) -> bool:
    return any(PurePosixPath(n).name == METADATA and len(PurePosixPath(n).parts) <= 2 for n in names)


def candidates(download: Download, assignment: str, due) -> tuple[list[Candidate], list[str]]:
    meta_name = min((e.name for e in download.entries if PurePosixPath(e.name).name == METADATA), key=len)
    top = PurePosixPath(meta_name).parent
    try:
        metadata = yaml.load(download.read(meta_name), Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        return [], [f"{meta_name}: not readable YAML ({str(exc).splitlines()[0]}); nothing could be matched"]
    if not isinstance(metadata, dict):
        return [], [f"{meta_name}: not a mapping of submissions; nothing could be matched"]
    found, problems = [], []
    for entry in download.entries:
        if entry.name == meta_name:
            continue
        path = PurePosixPath(entry.name)
        folder = path.relative_to(top).parts[0] if path.is_relative_to(top) and path.parent != top else None
        record = metadata.get(folder) if folder else None
        if not entry.name.endswith(".ipynb"):
            problems.append(f"{entry.name}: not a notebook, ignored")
        elif not isinstance(record, dict):
            problems.append(f"{entry.name}: its folder is not in {METADATA}, ignored")
        else:
            when = _time(record.get(":created_at"))
            for person in record.get(":submitters") or [{}]:
                person = person if isinstance(person, dict) else {}
                keys = tuple((identity, str(person[field])) for identity, field in
                             (("student_id", ":sid"), ("email", ":email"), ("name", ":name")) if person.get(field))
                found.append(Candidate(entry.name, keys, (when.timestamp() if when else float("-inf"),), submitted_at=when,
                                       late=due is not None and when is not None and _after(when, due)))
    return found, problems


def _time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def _after(when: datetime, due: datetime) -> bool:
    if (when.tzinfo is None) != (due.tzinfo is None):  # one without a zone: compare wall-clock times
        when, due = when.replace(tzinfo=None), due.replace(tzinfo=None)
    return when > due
