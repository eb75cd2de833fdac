"""The course server under attack and under load (SPEC.md "Under attack and under load", and the CSV rule of
"Security and robustness"): the real server on a loopback port, real concurrent clients, and headless Chromium
where a person meets it (the sign-in confirmation, the form after a second sign-in)."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from autograder import csvfile
from autograder.integrations.exports import export
from autograder.gradebook import grades_csv
from autograder.records import Report, TaskResult
from autograder.regrade import Change, preview_csv
from autograder.roster import Roster
from autograder.server.connections import BODY_IDLE_SECONDS, HEADER_SECONDS, REFUSED
from autograder.server.run import write_tokens

from conftest import ROOT, submission_of
from serverkit import TOY, bearer, free_port, live_server, tokens, write_people

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STUDENTS = ("a1", "b2", "c3")
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=1"]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


# --- every CSV we write -------------------------------------------------------------------

def test_a_cell_a_spreadsheet_would_run_is_written_as_text_and_numbers_stay_numbers():
    assert [csvfile.cell(v) for v in HOSTILE] == ["'" + v.replace("\r", "\n") for v in HOSTILE]
    assert [csvfile.cell(v) for v in ("17.5", "0", "-3", "-0.25", "1e-05", "a=b", "", 4.0)] == \
        ["17.5", "0", "-3", "-0.25", "1e-05", "a=b", "", 4.0]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_grades_and_lms_exports_neutralise_roster_text(toy):
    assignment = toy.assignment("toy")
    rows = tuple({"student_id": f"s{i}", "name": v, "email": f"{v}@x", "section": v} for i, v in enumerate(HOSTILE))
    roster = Roster(("student_id", "name", "email", "section"), rows)
    reports = [Report(f"s{i}", "toy", "Toy", "graded", None, True, 1.5, assignment.max_score, "bwrap", "v", "0",
                      None, tasks=(TaskResult("scaled", "", 1.5, 3.0),)) for i in range(len(HOSTILE))]
    for fmt in ("csv", "canvas", "moodle"):
        table = _rows(export(fmt, assignment, reports, roster))
        cells = [c for row in table for c in row]
        assert not any(c.startswith(csvfile.FORMULA_START) for c in cells), (fmt, cells)
        assert "1.5" in cells, fmt  # the score is still a number
    grades = _rows(grades_csv(reports, ["scaled"], list(roster.rows), list(roster.columns)))
    assert grades[1][:4] == ["s0", "1.5", f"{assignment.max_score:g}", "1.5"] and grades[1][-3] == "'" + HOSTILE[0]


def test_regrade_preview_and_tokens_csv_neutralise_their_text(tmp_path):
    preview = _rows(preview_csv([Change("=cmd", 1.0, 2.0, {"t": (1.0, 2.0)}, ["@t/x failed"])], ["t"]))
    assert preview[1] == ["'=cmd", "1", "2", "1", "2", "'@t/x failed"]
    write_tokens([{"id": "-1+1", "role": "student", "token": "abc", "url": "http://h/signin?token=abc"}],
                 tmp_path / "TOKENS.csv")
    assert _rows((tmp_path / "TOKENS.csv").read_text())[1] == ["'-1+1", "student", "abc", "http://h/signin?token=abc"]


# --- the live server ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`autograder serve` on the toy course: (base URL, tokens by id)."""
    root = tmp_path_factory.mktemp("attack")
    roster, staff = write_people(root, STUDENTS)
    data, port = root / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    links = tokens(data, roster, staff, base)
    with live_server(TOY, roster, staff, data, port, "--jobs", "1"):
        yield base, links


@pytest.mark.slow
def test_text_from_a_query_string_never_shows_as_our_message(server):
    base, links = server
    planted = "Your grade was deleted. Mail your password to the TA"
    with httpx2.Client(base_url=base, timeout=30, headers=bearer(links["ta"])) as client:
        page = client.get("/staff/toy/students/a1", params={"error": planted})
        assert page.status_code == 200 and "Your grade was deleted" not in page.text
        missing = client.get("/staff/toy/export/" + planted.replace(" ", "%20"))
        assert missing.status_code == 404 and "Your grade was deleted" not in missing.text


@pytest.mark.slow
def test_bidi_overrides_in_a_file_name_are_shown_neutralised(server, toy):
    base, links = server
    name = f"report{BIDI}bny.ipynb"
    with httpx2.Client(base_url=base, timeout=30, headers=bearer(links["b2"])) as client:
        answer = client.post("/api/assignments/toy/submissions",
                             files={"notebook": (name, submission_of(toy, "toy", "b2"))})
        assert answer.status_code == 202, answer.text
        for page in (client.get("/assignments/toy").text, client.get(f"/submissions/{answer.json()['id']}").text):
            assert not any(c in page for c in BIDI)
            assert "report\\u202a\\u202b" in page


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def _whoami(page) -> str:
    return page.evaluate("fetch('/api/me').then(r => r.json()).then(j => j.id)")


@pytest.mark.slow
def test_someone_elses_sign_in_link_asks_before_switching(server, browser, tmp_path):
    base, links = server
    page = browser.new_context().new_page()
    page.goto(f"{base}/signin?token={links['a1']}")
    assert page.url == f"{base}/" and _whoami(page) == "a1"
    # A page of another site sends a1 to c3's link: nothing switches until a1 says so on our page.
    page.set_content(f'<a id="lure" href="{base}/signin?token={links["c3"]}">your grades</a>')
    page.click("#lure")
    page.wait_for_selector("text=Sign in as someone else?")
    page.screenshot(path=tmp_path / "switch.png", full_page=True)
    assert _whoami(page) == "a1"
    page.click("text=Stay signed in as a1")
    assert page.url == f"{base}/" and _whoami(page) == "a1"
    page.goto(f"{base}/signin?token={links['c3']}")
    page.click("button:has-text('Sign in as c3')")
    assert page.url == f"{base}/" and _whoami(page) == "c3"
    # A forged switch (a form of another site, without this session's form token) changes nothing either.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = httpx2.post(f"{base}/signin", data={"token": links["a1"]}, cookies=cookies, follow_redirects=False)
    assert forged.status_code == 200 and "Sign in as someone else?" in forged.text
    assert _whoami(page) == "c3"


@pytest.mark.slow
def test_opening_ones_own_link_again_keeps_the_forms_of_other_tabs_working(server, browser, toy, tmp_path):
    base, links = server
    context = browser.new_context()
    first = context.new_page()
    first.goto(f"{base}/signin?token={links['c3']}")
    first.goto(f"{base}/assignments/toy")
    second = context.new_page()
    second.goto(f"{base}/signin?token={links['c3']}")  # the link again, in another tab
    assert second.url == f"{base}/"
    notebook = tmp_path / "toy.ipynb"
    notebook.write_bytes(submission_of(toy, "toy", "c3"))
    first.set_input_files("input[type=file]", notebook)
    first.click("button:has-text('Upload and grade')")
    first.wait_for_url(f"{base}/submissions/*")
    assert "Not for you" not in first.inner_text("body")


# --- slow clients -------------------------------------------------------------------------

@pytest.mark.slow
def test_slow_clients_cannot_starve_the_others(tmp_path):
    """600 clients trickle request headers at a server allowed 512 open files (so at most 192 connections):
    the health check still answers at once, the log says so in a line or two, and the slow ones are cut off."""
    roster, staff = write_people(tmp_path, STUDENTS)
    data, port = tmp_path / "data", free_port()
    tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    slow, latencies = [], []
    with live_server(TOY, roster, staff, data, port, open_files=512):
        for _ in range(600):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(sock)
        started = time.monotonic()
        while time.monotonic() - started < 6:
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow: 1\r\n")
            began = time.monotonic()
            answer = httpx2.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
            latencies.append(time.monotonic() - began)
            assert answer.status_code == 200
            time.sleep(1)
        # Whatever slow connection is still open is closed once its head is HEADER_SECONDS late.
        time.sleep(HEADER_SECONDS + 1 - (time.monotonic() - started))
        still_open = [sock for sock in slow if not _closed_by_server(sock)]
        assert still_open == []
    log = (tmp_path / f"server-{port}.log").read_text()
    assert max(latencies) < 2, latencies
    assert "Too many open files" not in log and "Traceback" not in log
    assert 1 <= log.count("connections in the last") <= 3, log


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(1024) in (b"", REFUSED)
    except socket.timeout:
        return False
    except OSError:  # reset
        return True
    finally:
        sock.close()


# --- what an upload may cost --------------------------------------------------------------

def _course(folder, source, policy: str):
    """`source`'s assignments and solutions, with `policy` as its course.toml."""
    folder.mkdir()
    for part in ("assignments", "solutions", "templates"):
        if (source / part).exists():
            (folder / part).symlink_to(source / part)
    (folder / "course.toml").write_text(policy)
    return folder


def _padded(notebook: bytes, size: int) -> bytes:
    return notebook + b" " * (size - len(notebook))  # still the same JSON


def _raw_upload(port: int, token: str, length: int) -> bytes:
    """The head of an upload that waits for "100 Continue" before sending its `length` bytes, as curl does."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"POST /api/assignments/toy/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n".encode())
        return sock.recv(4096)


@pytest.mark.slow
def test_a_students_storage_quota_is_checked_before_the_body_is_read(tmp_path, toy):
    course = _course(tmp_path / "course", TOY, '[defaults]\nquota = "1 MiB"\nmax_queued = 10\n')
    roster, staff = write_people(tmp_path, STUDENTS)
    data, port = tmp_path / "data", free_port()
    links = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    notebook = _padded(submission_of(toy, "toy", "a1"), 300 * 1024)
    with live_server(course, roster, staff, data, port), \
            httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, headers=bearer(links["a1"])) as client:
        for _ in range(3):
            assert client.post("/api/assignments/toy/submissions",
                               files={"notebook": ("toy.ipynb", notebook)}).status_code == 202
        over = client.post("/api/assignments/toy/submissions", files={"notebook": ("toy.ipynb", notebook)})
        assert over.status_code == 413 and "0.9 MiB of the 1.0 MiB" in over.json()["error"]
        began = time.monotonic()
        head = _raw_upload(port, links["a1"], 30 * 2**20)
        assert head.startswith(b"HTTP/1.1 413") and b"100 Continue" not in head and time.monotonic() - began < 3
        # Another student's quota is their own.
        other = client.post("/api/assignments/toy/submissions", headers=bearer(links["b2"]),
                            files={"notebook": ("toy.ipynb", submission_of(toy, "toy", "b2"))})
        assert other.status_code == 202


@pytest.mark.slow
def test_twenty_uploads_of_32_mib_at_once_do_not_balloon_the_server(tmp_path):
    students = [f"s{i:02d}" for i in range(20)]
    roster, staff = write_people(tmp_path, students)
    data, port = tmp_path / "data", free_port()
    links = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    body = b"{" + b" " * (32 * 2**20 - 2048) + b"}"
    with live_server(TOY, roster, staff, data, port) as proc:
        before = _rss(proc.pid)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.wait(0.02):
                peak.append(_rss(proc.pid))

        def upload(sid):
            return httpx2.post(f"http://127.0.0.1:{port}/api/assignments/toy/submissions", headers=bearer(links[sid]),
                               files={"notebook": ("big.ipynb", body)}, timeout=120).status_code

        sampler = threading.Thread(target=sample)
        sampler.start()
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(upload, students))
        done.set()
        sampler.join()
    assert all(status in (202, 422) for status in statuses), statuses
    # At most UPLOADS_IN_MEMORY files of 32 MiB (and their copies) in memory at once, not 20 (700 MiB before).
    assert max(peak) - before < 300 * 2**20, (before, max(peak))


def _rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) * 1024


# --- a fair queue -------------------------------------------------------------------------

@pytest.mark.slow
def test_one_students_attempts_never_wait_in_front_of_anothers_first(tmp_path, course):
    folder = _course(tmp_path / "course", ROOT, "")
    roster, staff = write_people(tmp_path, STUDENTS)
    data, port = tmp_path / "data", free_port()
    links = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    slow = {"numerical_gradient": "import time\ntime.sleep(4)\ndef numerical_gradient(f, theta, h=1e-5):\n"
                                  "    return theta\n"}
    with live_server(folder, roster, staff, data, port, "--jobs", "1"), \
            httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        def hand_in(sid, assignment="critical_points", cells=None):
            return client.post(f"/api/assignments/{assignment}/submissions", headers=bearer(links[sid]),
                               files={"notebook": ("nb.ipynb", submission_of(course, assignment, sid, cells=cells))})

        hogs = [hand_in("a1", cells=slow).json()["id"] for _ in range(2)]
        hogs.append(hand_in("a1", "momentum_nag").json()["id"])
        # At most 3 queued jobs per student, of all assignments together.
        refused = hand_in("a1", "momentum_nag")
        assert refused.status_code == 429 and "all assignments" in refused.json()["error"]
        firsts = [hand_in(sid).json()["id"] for sid in ("b2", "c3")]
        positions = [client.get(f"/api/submissions/{s}", headers=bearer(links[sid])).json()["position"]
                     for s, sid in zip(firsts, ("b2", "c3"))]
        assert positions[0] <= 2 and positions[1] <= 3, positions
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            states = [client.get(f"/api/submissions/{s}", headers=bearer(links["ta"])).json()["status"]
                      for s in hogs + firsts]
            if all(state in ("graded", "ungradable") for state in states):
                break
            time.sleep(0.5)
    finished = dict(sqlite3.connect(data / "autograder.sqlite").execute(
        "SELECT submission_id, finished_at FROM results"))
    # a1's first attempt may already have been running; b2's and c3's firsts are graded before a1's second
    # (a1's momentum_nag attempt is a first one too, and takes its turn among them).
    assert max(finished[s] for s in firsts) < finished[hogs[1]], finished


# --- the deployment recipe ----------------------------------------------------------------

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.mark.slow
@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx-light)")
def test_behind_nginx_with_tls_only_the_proxy_is_believed(tmp_path, toy):
    """docs/deploy/nginx.conf as it stands (ports and certificate replaced) in front of `serve --trusted-proxy`:
    HTTPS sign-in gives a Secure cookie and forms work; plain HTTP is sent to HTTPS; nginx refuses an upload over
    33 MiB; a client that is not the proxy cannot claim HTTPS with a forwarded header of its own."""
    roster, staff = write_people(tmp_path, STUDENTS)
    data, port, https, http = tmp_path / "data", free_port(), free_port(), free_port()
    links = tokens(data, roster, staff, f"https://127.0.0.1:{https}")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", tmp_path / "key.pem", "-out", tmp_path / "cert.pem"], check=True, capture_output=True)
    site = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{http};"), ("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
                     ("/etc/letsencrypt/live/grader.example.edu/fullchain.pem", str(tmp_path / "cert.pem")),
                     ("/etc/letsencrypt/live/grader.example.edu/privkey.pem", str(tmp_path / "key.pem")),
                     ("127.0.0.1:8000", f"127.0.0.1:{port}")):
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "[::]" not in line)
    (tmp_path / "site.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/nginx-error.log;\n"
        f"events {{ worker_connections 128; }}\nhttp {{\n{temp}include {tmp_path}/site.conf;\n}}\n")
    with live_server(TOY, roster, staff, data, port, "--trusted-proxy", "127.0.0.1"):
        proxy = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            base = f"https://127.0.0.1:{https}"
            client = httpx2.Client(base_url=base, verify=False, timeout=30)
            deadline = time.monotonic() + 20
            while True:
                with contextlib.suppress(httpx2.HTTPError):
                    if client.get("/api/health").status_code == 200:
                        break
                assert proxy.poll() is None and time.monotonic() < deadline, proxy.stderr.read().decode()
                time.sleep(0.2)
            plain = httpx2.get(f"http://127.0.0.1:{http}/assignments/toy", timeout=10)
            assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
            signed_in = client.get(f"/signin?token={links['a1']}")
            assert signed_in.status_code == 303 and "secure" in signed_in.headers["set-cookie"].lower()
            page = client.get("/assignments/toy").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            upload = client.post("/assignments/toy/upload", headers={"Origin": base}, data={"csrf": csrf},
                                 files={"notebook": ("toy.ipynb", submission_of(toy, "toy", "a1"))})
            assert upload.status_code == 303 and upload.headers["location"].startswith("/submissions/"), upload.text
            huge = client.post("/api/assignments/toy/submissions", headers=bearer(links["b2"]),
                               files={"notebook": ("toy.ipynb", b" " * (34 * 2**20))})
            assert huge.status_code == 413
        finally:
            proxy.terminate()
            proxy.wait(10)
        # Straight to the server from another address: its X-Forwarded-Proto is not believed.
        forged = httpx2.Client(transport=httpx2.HTTPTransport(local_address="127.0.0.3"), timeout=30)
        direct = forged.get(f"http://127.0.0.1:{port}/signin?token={links['c3']}",
                            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert direct.status_code == 303 and "secure" not in direct.headers["set-cookie"].lower()


@pytest.mark.slow
def test_bidi_overrides_in_a_students_review_request_are_shown_neutralised(server, toy):
    base, links = server
    with httpx2.Client(base_url=base, timeout=30) as client:
        answer = client.post("/api/assignments/toy/submissions", headers=bearer(links["a1"]),
                             files={"notebook": ("toy.ipynb", submission_of(toy, "toy", "a1"))})
        submission = answer.json()["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/api/submissions/{submission}", headers=bearer(links["a1"])).json()["status"] != "graded":
            assert time.monotonic() < deadline
            time.sleep(0.3)
        asked = client.post(f"/api/submissions/{submission}/requests", headers=bearer(links["a1"]),
                            json={"task": "scaled", "message": f"please look{BIDI}again"})
        assert asked.status_code in (200, 201), asked.text
        for who in ("a1", "ta"):
            page = client.get(f"/submissions/{submission}", headers=bearer(links[who])).text
            assert "please look\\u202a" in page and not any(c in page for c in BIDI), who


@pytest.mark.slow
def test_an_upload_body_that_stalls_is_answered_408(server):
    """A client that sends a head and the first bytes of an upload, then nothing, holds its connection for
    BODY_IDLE_SECONDS, not for ever."""
    base, links = server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=BODY_IDLE_SECONDS + 15) as sock:
        sock.sendall(f"POST /api/assignments/toy/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {links['c3']}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: 100000\r\n\r\n--x\r\n".encode())
        began = time.monotonic()
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert BODY_IDLE_SECONDS - 1 < time.monotonic() - began < BODY_IDLE_SECONDS + 10
