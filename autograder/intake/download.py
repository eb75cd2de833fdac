"""What the TA handed over, as a list of files: an unpacked folder or a zip, read the same way.

Zip members are read into memory on demand, with bounds on each member and on the total,
and never extracted to disk, so a hostile archive cannot write outside anything or fill it.
Hidden files and folders (``.ipynb_checkpoints``, ``.DS_Store``) and macOS's ``__MACOSX``
shadow folder are no one's submission and are left out here, once for every layout.
"""

from __future__ import annotations

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
            paths = {_name(p.relative_to(self.source).as_posix()): p for p in self.source.rglob("*") if p.is_file()}
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
            return member.read_bytes() if member.stat().st_size <= MAX_MEMBER else b""
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


def _name(raw: str) -> str:
    # macOS writes names decomposed (NFD), Windows and the LMSs composed: "é" must be one letter.
    return unicodedata.normalize("NFC", raw.replace("\\", "/"))


def _visible(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)
