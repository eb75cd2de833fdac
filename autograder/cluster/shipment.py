"""The course as it travels to cluster workers: the files grading reads, named by their digest.

A worker needs `assignments/`, `solutions/` and `templates/` and nothing else of the course
folder: never the roster, the secret or anyone's submission. The client takes a snapshot of
those three folders; a worker writes it once into a private cache folder named by its digest,
shared by the worker processes of one machine, and checks the digest of what arrived and of
what is on disk before grading with it. So workers need no shared file system, and a damaged
or stale copy is never used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SHIPPED = ("assignments", "solutions", "templates")
CACHE_ENV = "AUTOGRADER_CACHE"


class DamagedCourse(Exception):
    """The course files a worker received or holds do not match their digest."""


@dataclass(frozen=True)
class CourseFiles:
    files: tuple[tuple[str, bytes], ...]  # (path relative to the course, content), sorted by path

    @classmethod
    def of(cls, root: Path | str) -> "CourseFiles":
        # Every file that `grader_version.grader_key` may read (all but __pycache__), so that a
        # worker computes the client's grader key from its copy.
        root = Path(root)
        files = [(path.relative_to(root).as_posix(), path.read_bytes())
                 for top in SHIPPED if (root / top).is_dir()
                 for path in (root / top).rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts]
        return cls(tuple(sorted(files)))

    def digest(self) -> str:
        """Computed afresh on every call: a digest that travelled with the files would prove nothing."""
        digest = hashlib.sha256()
        for path, data in self.files:
            digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.files)


def default_cache() -> Path:
    """$AUTOGRADER_CACHE, else a folder of this user's in the machine's temporary folder."""
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / f"optim-autograder-{os.getuid()}")


def materialise(files: CourseFiles, digest: str, cache: Path) -> Path:
    """The course folder `cache/courses/<digest>`, written once per machine and verified on every use."""
    if files.digest() != digest:
        raise DamagedCourse(f"the course files arrived damaged (digest {files.digest()[:16]}, expected {digest[:16]})")
    courses = _private_folder(cache) / "courses"
    courses.mkdir(mode=0o700, exist_ok=True)
    target = courses / digest
    if target.is_dir() and CourseFiles.of(target).digest() != digest:
        shutil.rmtree(target)  # a damaged copy (a crash while it was cleaned up, a disk error)
    if not target.is_dir():
        contents = [(_relative(name), data) for name, data in files.files]
        staging = Path(tempfile.mkdtemp(prefix=f".{digest[:16]}-", dir=courses))
        for relative, data in contents:
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            os.rename(staging, target)
        except OSError:  # another worker process of this machine was first
            shutil.rmtree(staging)
    if CourseFiles.of(target).digest() != digest:
        raise DamagedCourse(f"the course copy in {target} does not match its digest")
    return target


def _private_folder(path: Path) -> Path:
    """The solutions are in there: nobody else may read it or plant files in it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.stat()
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise DamagedCourse(f"the course cache {path} must belong to this user alone (mode 0700); "
                            f"set ${CACHE_ENV} to a private folder")
    return path


def _relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or path.parts[:1] not in [(top,) for top in SHIPPED]:
        raise DamagedCourse(f"the course files hold a path outside the course: {name[:200]!r}")
    return path
