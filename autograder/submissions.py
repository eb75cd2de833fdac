"""Finding each student's submitted notebook: a flat folder, nbgrader's layout, or a zip of either.

Flat: ``<student_id>.ipynb``. nbgrader: ``<student_id>/<assignment>/<any>.ipynb``. A zip
holds either layout, optionally under one top folder. Zip members are read into memory
with a bound on their total size, never extracted to disk.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import UserError
from .records import Submission

MAX_ZIP_TOTAL = 2 * 2**30
MAX_MEMBER = 200 * 2**20


@dataclass(frozen=True)
class Found:
    by_student: dict[str, Submission]
    problems: list[str]  # for the TA: ambiguous or unexpected files


def find_submissions(source: Path | str, assignment: str, roster_ids: list[str]) -> Found:
    source = Path(source)
    if not source.exists():
        raise UserError(f"submissions not found: {source} does not exist")
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise UserError(f"{source} is neither a folder nor a .zip file")
        files = _zip_files(source)
    else:
        files = {str(p.relative_to(source).as_posix()): p for p in sorted(source.rglob("*.ipynb")) if p.is_file()}
    return _match(files, source, assignment, roster_ids)


def _zip_files(path: Path) -> dict[str, bytes]:
    out, total = {}, 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or not name.endswith(".ipynb") or "__MACOSX" in name:
                    continue
                if info.file_size > MAX_MEMBER:
                    out[name] = b""  # graded as an empty file, with its reason, rather than read
                    continue
                total += info.file_size
                if total > MAX_ZIP_TOTAL:
                    raise UserError(f"{path}: the archive unpacks to more than {MAX_ZIP_TOTAL // 2**30} GiB")
                out[name] = archive.read(info)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"{path}: cannot read the zip file ({exc})") from None
    return out


def _match(files: dict, source: Path, assignment: str, roster_ids: list[str]) -> Found:
    roster = set(roster_ids)
    candidates: dict[str, list[str]] = {}
    unknown: list[str] = []
    for name in files:
        parts = PurePosixPath(name).parts
        if any(p.startswith(".") for p in parts):
            continue  # .ipynb_checkpoints and other hidden copies
        student = _student_of(parts, assignment, roster)
        if student is None:
            unknown.append(name)
        else:
            candidates.setdefault(student, []).append(name)
    found, problems = {}, []
    for student, names in sorted(candidates.items()):
        chosen = sorted(names)[0]
        if len(names) > 1:
            problems.append(f"{student}: several notebooks ({', '.join(sorted(names))}); graded {chosen}")
        data = files[chosen]
        if isinstance(data, Path):
            label, data = str(data), data.read_bytes()
        else:
            label = f"{source.name}:{chosen}"
        found[student] = Submission(label, data)
    problems += [f"{name}: not a roster student's submission, ignored" for name in sorted(unknown)]
    return Found(found, problems)


def _student_of(parts: tuple[str, ...], assignment: str, roster: set[str]) -> str | None:
    # Flat (maybe under one top folder): .../<student_id>.ipynb
    stem = PurePosixPath(parts[-1]).stem
    if stem in roster and len(parts) <= 2:
        return stem
    # nbgrader: [top/]<student_id>/<assignment>/<any>.ipynb
    if len(parts) >= 3 and parts[-2] == assignment and parts[-3] in roster:
        return parts[-3]
    return None
