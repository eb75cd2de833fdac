"""Similar code across a class: normalised tokens, copydetect's winnowing, pairs above a threshold, clusters.

Each student's own code is tokenised with Python's own tokenizer and normalised the way
copydetect normalises it: every name that is not a keyword or a builtin becomes V, every
string S, comments and layout go, so renamed variables and rewritten comments still
match. (copydetect's own tokeniser, Pygments, took ten times as long; ours keeps the line
of every character, which is all the side-by-side view needs.) Its k-grams are hashed
with a fixed rolling hash rather than copydetect's, which uses Python's ``hash()``: that
one is salted per process, and winnowing keeps the smallest hash of each window, so the
same class would get other fingerprints, and other figures, on every run. The hashes are
then winnowed, and two students' overlap found and measured, with copydetect's own
functions (robust winnowing, after Schleimer, Wilkerson and Aiken).

Fingerprints in the stubs every student received, and fingerprints found in more than a
few students' code (what everyone writes: ``np.array(theta, dtype=float)``), are nobody's
in particular and are dropped before two students are compared. A pair is listed when
what they share is at least `THRESHOLD` of either one's remaining code, and at least
`MIN_OVERLAP` tokenised characters.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import importlib.util
import io
import keyword
import sys
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .findings import SideLine, SimilarPair

@functools.lru_cache(maxsize=None)
def _copydetect():
    """copydetect's winnowing functions (its `utils` module), imported when first needed and
    without running the package's __init__, which imports matplotlib's pyplot for copydetect's
    own HTML reports: half a second of a grade run, and as much again to tear down at exit."""
    if "copydetect" not in sys.modules:
        spec = importlib.util.find_spec("copydetect")
        if spec is not None:
            sys.modules["copydetect"] = importlib.util.module_from_spec(spec)  # the package, not run
            try:
                return importlib.import_module("copydetect.utils")
            finally:
                del sys.modules["copydetect"]  # a later `import copydetect` runs the package as usual
    import copydetect.utils

    return copydetect.utils


K = 25  # characters of tokenised code per fingerprint: copydetect's default noise threshold
WINDOW = 6  # copydetect's default: any match of 30 characters is found
THRESHOLD = 0.5
COMMON = 10
MIN_OVERLAP = 150  # tokenised characters shared (about five lines), at the least, for a pair to count at all
SIDE_LINES = 60  # lines of each side shown for one pair
BASE = np.uint64(1_000_003)
KEPT_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Fingerprint:
    raw_code: str
    line_of: np.ndarray  # for each character of the tokenised code, its line (0-based) in raw_code
    hash_idx: dict  # fingerprint → its positions in the tokenised code
    coverage: int  # tokenised characters covered by the fingerprints

    @property
    def hashes(self) -> set:
        return set(self.hash_idx)


def fingerprint(code: str, boilerplate: set | frozenset = frozenset()) -> Fingerprint:
    utils = _copydetect()
    filtered, line_of = normalise(code)
    hashes = _kgram_hashes(filtered)
    selected, positions = utils.winnow(hashes, WINDOW, remove_duplicates=False) if len(hashes) else (hashes, hashes)
    idx: dict[int, list[int]] = defaultdict(list)
    for value, position in zip(selected.tolist(), positions.tolist()):
        if value not in boilerplate:
            idx[value].append(position)
    return Fingerprint(code, line_of, dict(idx), utils.get_token_coverage(idx, K, len(filtered)))


def normalise(code: str) -> tuple[str, np.ndarray]:
    """The code as copydetect compares it (names V, strings S, no comments or layout), with
    each character's line. Code that stops tokenising (an unclosed bracket) counts up to there."""
    out, lines = [], []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in SKIPPED:
                continue
            if token.type == tokenize.NAME:
                text = token.string if token.string in KEPT_NAMES else "V"
            elif token.type == tokenize.STRING:
                text = "S"
            else:
                text = token.string
            out.append(text)
            lines.extend([token.start[0] - 1] * len(text))
    except (tokenize.TokenError, SyntaxError):
        pass
    return "".join(out), np.array(lines, dtype=np.int64)


def _kgram_hashes(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - K + 1
    if n <= 0:
        return np.array([], dtype=np.int64)
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64, on purpose
        for j in range(K):
            out = out * BASE + codes[j:j + n]
    return out.view(np.int64)


def common_hashes(prints: dict[str, Fingerprint]) -> set:
    """Fingerprints in more than `COMMON` students' code (MOSS's default), or in more than a
    quarter of a small class: idioms, not anybody's work. A group of up to that many students
    sharing code is still found, as a cluster."""
    counts = Counter(h for fp in prints.values() for h in fp.hashes)
    limit = max(3, min(COMMON, len(prints) // 4))
    return {h for h, n in counts.items() if n > limit}


def without(fp: Fingerprint, drop: set) -> Fingerprint:
    idx = {h: i for h, i in fp.hash_idx.items() if h not in drop}
    return Fingerprint(fp.raw_code, fp.line_of, idx, _copydetect().get_token_coverage(idx, K, len(fp.line_of)))


def similar_pairs(prints: dict[str, Fingerprint]) -> list[SimilarPair]:
    """Every pair above the threshold, most similar first, with their matching lines side by side."""
    by_hash: dict[int, list[str]] = defaultdict(list)
    for sid, fp in sorted(prints.items()):
        for h in fp.hash_idx:
            by_hash[h].append(sid)
    shared = Counter(pair for sids in by_hash.values() for pair in combinations(sids, 2))
    pairs = []
    for (a, b), count in shared.items():
        if count * WINDOW < MIN_OVERLAP // 2:
            continue  # too few shared fingerprints to reach the floor; spares the exact comparison
        fa, fb = prints[a], prints[b]
        utils = _copydetect()
        idx_a, idx_b = utils.find_fingerprint_overlap(fa.hashes, fb.hashes, fa.hash_idx, fb.hash_idx)
        slices_a, slices_b = utils.get_copied_slices(idx_a, K), utils.get_copied_slices(idx_b, K)
        overlap = int(np.sum(slices_a[1] - slices_a[0]))
        sim_a = overlap / fa.coverage if fa.coverage else 0.0
        sim_b = int(np.sum(slices_b[1] - slices_b[0])) / fb.coverage if fb.coverage else 0.0
        if overlap < MIN_OVERLAP or max(sim_a, sim_b) < THRESHOLD:
            continue
        pairs.append(SimilarPair((a, b), round(max(sim_a, sim_b), 3), (round(sim_a, 3), round(sim_b, 3)),
                                 (_side(fa, slices_a), _side(fb, slices_b))))
    pairs.sort(key=lambda p: (-p.score, p.students))
    return pairs


def clusters(pairs: list[SimilarPair]) -> list[tuple[str, ...]]:
    """Groups of three or more students joined by listed pairs."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for pair in pairs:
        a, b = (root(s) for s in pair.students)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for sid in parent:
        groups[root(sid)].append(sid)
    return sorted(tuple(sorted(g)) for g in groups.values() if len(g) >= 3)


def _side(fp: Fingerprint, slices) -> tuple[SideLine, ...]:
    """The code's lines near a match, each marked matching or not; gaps shown as one "…" line."""
    lines = fp.raw_code.splitlines()
    matched = set()
    for start, end in zip(*(np.asarray(s, dtype=int).tolist() for s in slices)):
        matched.update(range(int(fp.line_of[start]), int(fp.line_of[min(end, len(fp.line_of)) - 1]) + 1))
    keep = sorted({i + d for i in matched for d in (-1, 0, 1) if 0 <= i + d < len(lines)})[:SIDE_LINES]
    out, previous = [], -1
    for i in keep:
        if i != previous + 1:
            out.append(SideLine(None, "…", False))
        out.append(SideLine(i + 1, lines[i], i in matched))
        previous = i
    return tuple(out)
