"""What the TA handed over, as a list of files: an unpacked folder or a zip, read the same way.

Zip members are read into memory on demand, with bounds on each member and on the total,
and never extracted to disk, so a hostile archive cannot write outside anything or fill it.
Hidden files and folders (``.ipynb_checkpoints``, ``.DS_Store``) and macOS's ``__MACOSX``
shadow folder are no one's submission and are left out here, once for every layout.
"""

from __future__ import annotations

import os
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..errors import UserError

MAX_TOTAL = 2 * 2**30
MAX_MEMBER = 200 * 2**20


@dataclass(frozen=True)
class Entry:
    name: str  # the path inside the download, "/"-separated, NFC-normalised
    size: int
    modified: datetime


class Download:
    """The files of a folder or a zip, by their path inside it."""

    def __init__(self, source: Path | str):
        self.source = Path(source)
        if not self.source.exists():
            raise UserError(f"submissions not found: {self.source} does not exist")
        self._zip = None
        self._read_total = 0
        # Symbolic links in a folder, never followed: one could name a file only the grader's user may
        # read, or another student's notebook. A zip's are never followed either (nothing is extracted).
        self.links: list[str] = []
        if self.source.is_file():
            if not zipfile.is_zipfile(self.source):
                raise UserError(f"{self.source} is neither a folder nor a .zip file")
            try:
                self._zip = zipfile.ZipFile(self.source)
                members = [i for i in self._zip.infolist() if not i.is_dir()]
            except (zipfile.BadZipFile, OSError) as exc:
                raise UserError(f"{self.source}: cannot read the zip file ({exc})") from None
            self._members = {_name(i.filename): i for i in members}
            self.entries = [Entry(n, i.file_size, datetime(*i.date_time)) for n, i in self._members.items()
                            if _visible(n)]
        else:
            paths, links = _files(self.source)
            self.links = sorted(n for n in links if _visible(n))
            self._members = paths
            self.entries = [Entry(n, p.stat().st_size, datetime.fromtimestamp(p.stat().st_mtime))
                            for n, p in paths.items() if _visible(n)]
        self.entries.sort(key=lambda e: e.name)

    def has(self, name: str) -> bool:
        return name in self._members and _visible(name)

    def label(self, name: str) -> str:
        """Where a file came from, for people: "subs/s001.ipynb" or "class.zip:s001.ipynb"."""
        if self._zip is None:
            return str(self._members[name])
        return f"{self.source.name}:{name}"

    def read(self, name: str) -> bytes:
        """The file's bytes; an oversized member reads as empty (graded as empty, with its reason)."""
        member = self._members[name]
        if self._zip is None:
            try:  # O_NOFOLLOW: a file swapped for a link since it was listed is not followed either
                handle = os.open(member, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                return b""
            with open(handle, "rb") as file:
                return file.read() if os.fstat(handle).st_size <= MAX_MEMBER else b""
        if member.file_size > MAX_MEMBER:
            return b""
        self._read_total += member.file_size
        if self._read_total > MAX_TOTAL:
            raise UserError(f"{self.source}: the archive unpacks to more than {MAX_TOTAL // 2**30} GiB")
        try:
            return self._zip.read(member)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise UserError(f"{self.source}: cannot read {name} from the zip file ({exc})") from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The regular files below a folder by their name in it, and the names of the links found there."""
    files, links = {}, []
    for where, folders, names in os.walk(folder, followlinks=False):
        for name in folders + names:
            path = Path(where, name)
            relative = _name(path.relative_to(folder).as_posix())
            if path.is_symlink():
                links.append(relative)
            elif name in names and path.is_file():
                files[relative] = path
    return files, links


def _name(raw: str) -> str:
    # macOS writes names decomposed (NFD), Windows and the LMSs composed: "é" must be one letter.
    return unicodedata.normalize("NFC", raw.replace("\\", "/"))


def _visible(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)
