#!/usr/bin/env python3
"""The web UI in a real browser (headless Chromium driven by Selenium) against the real
`vidx daemon` with the demo model.

It generates the `make demo` library (deploy/make_demo_library.py --demo: 8 H.264 mp4 videos,
which Debian's Chromium plays), starts `vidx daemon` with `web.listen: 127.0.0.1:0`, waits until
everything is indexed, takes the login address from `vidx web --config ...` and then checks:

  * a browser without the token sees the login page, not the search page;
  * opening the login address logs in; a query typed in the search box and sent with Enter
    puts the right video first (`data-path`), for each demo query;
  * the first result's thumbnails have loaded (naturalWidth > 0);
  * clicking a moment opens the player, and the video plays from inside that moment
    (currentTime within data-start..data-end, with a small tolerance); n moves to the next
    moment when there is one; Esc closes the player;
  * "more like this" on a moment puts its own file first;
  * a picture query (a frame of one video, extracted with ffmpeg, chosen in the file input)
    puts that video first;
  * the status page's counts equal `vidx status --json`, and it lists the failed file (the
    library holds one file that is not a video) with its reason;
  * at phone width nothing is wider than the screen; the dark scheme is dark;
  * the browser logged no Content-Security-Policy violation and no uncaught error.

It writes screenshots (search, player, status, phone, dark) to --out and prints the time from
Enter to the first result card in the browser (p50 over the demo queries).

  web_ui_test.py --vidx BUILD/cli/vidx --model models/demo --out DIR
  web_ui_test.py --attach LOGIN_URL --config VIDX_YAML --library DIR --out DIR   (a running daemon)
Exit 0 when every check holds, 1 otherwise.
"""
import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Each fits exactly one video of the demo library (the same queries as deploy/demo.sh).
QUERIES = [
    "a red shape on a light background",
    "a yellow triangle on a striped background",
    "a blue shape on a striped background",
    "a yellow shape on a light background",
]
SEEK_TOLERANCE = 0.6  # seconds: a seek lands on a frame, and playback moves on while we look
WAIT = 30             # seconds for anything the page does


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def right_video(manifest, query):
    """The library file whose scene fits every content word of `query` (as deploy/demo.sh)."""
    words = [w for w in query.split() if w not in ("a", "on", "moving", "background", "shape")]
    hits = [v["file"] for v in manifest["videos"]
            if any(all(w in s["scene"] for w in words) for s in v["segments"])]
    if len(hits) != 1:
        sys.exit(f"bad demo library: {len(hits)} videos fit {query!r}")
    return hits[0]


class Failures:
    def __init__(self):
        self.items = []
        self.skipped = []

    def skip(self, what):
        print("SKIP  " + what, flush=True)
        self.skipped.append(what)

    def check(self, ok, what):
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            self.items.append(what)
        return ok


# ---- the daemon -------------------------------------------------------------------------

class Daemon:
    def __init__(self, vidx, model, work):
        self.vidx, self.work = vidx, work
        self.lib = os.path.join(work, "library")
        self.cfg = os.path.join(work, "vidx.yaml")
        with open(self.cfg, "w") as f:
            f.write(f"state_dir: {work}/state\nlibrary:\n  roots: [{self.lib}]\n"
                    f"  settle_seconds: 0.5\nmodel:\n  path: {model}\n  batch_size: 16\n"
                    f"sampling:\n  fps: 1\ndaemon:\n  socket: {work}/vidx.sock\n"
                    f"web:\n  listen: \"127.0.0.1:0\"\nlogging:\n  level: warn\n")
        self.log = open(os.path.join(work, "daemon.log"), "w")
        self.proc = subprocess.Popen([vidx, "--config", self.cfg, "daemon"],
                                     stdout=self.log, stderr=self.log)

    def wait_indexed(self, want, want_failed, timeout=180):
        deadline = time.time() + timeout
        last = ""
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"the daemon exited with {self.proc.returncode}; see {self.log.name}")
            st = run([self.vidx, "--config", self.cfg, "status", "--json"])
            try:
                s = json.loads(st.stdout)
                f, phase = s["files"], (s.get("daemon") or {}).get("phase")
                if f["failed"] > want_failed:
                    sys.exit(f"{f['failed']} files failed to index: {s['failed_files']}")
                if phase == "idle" and (f["indexed"], f["failed"], f["pending"]) == (want, want_failed, 0):
                    return
                last = st.stdout
            except (ValueError, KeyError):
                last = st.stdout + st.stderr
            if time.time() > deadline:
                sys.exit(f"not indexed within {timeout} s; last status: {last}")
            time.sleep(0.3)

    def login_url(self, timeout=30):
        deadline = time.time() + timeout
        while True:
            r = run([self.vidx, "--config", self.cfg, "web"])
            if r.returncode == 0 and r.stdout.strip().startswith("http"):
                return r.stdout.strip().splitlines()[0]
            if time.time() > deadline:
                sys.exit(f"`vidx web` gave no login address: exit {r.returncode}: {r.stderr.strip()}")
            time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- the browser ------------------------------------------------------------------------

def start_browser(chromium, chromedriver, profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--autoplay-policy=no-user-gesture-required",
              "--mute-audio", "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--lang=en-US", f"--user-data-dir={profile}"]:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver


def wait_for(driver, js, what, timeout=WAIT, *args):
    """Polls the JavaScript expression `js` (a function body returning a value) until truthy."""
    deadline = time.time() + timeout
    while True:
        value = driver.execute_script(js, *args)
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def searches_done(driver):
    return int(driver.execute_script(
        "return Number(document.getElementById('results').dataset.searches || 0)"))


def wait_answer(driver, before, what):
    wait_for(driver, f"return Number(document.getElementById('results').dataset.searches || 0) > {before}",
             what)
    err = driver.execute_script(
        "var m = document.getElementById('message');"
        "return m.hidden || !m.classList.contains('error') ? '' : m.textContent")
    if err:
        raise RuntimeError(f"{what}: the page shows an error: {err}")


def first_paths(driver, n=3):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#results [data-path]')).slice(0, arguments[0])"
        ".map(e => e.dataset.path)", n)


# Installed before Enter is pressed: records the keydown time and the time the first result
# card of the new answer is attached to the document.
TIMER_JS = """
window.__t0 = null; window.__t1 = null;
window.addEventListener('keydown', function k(e) {
  if (e.key === 'Enter') { window.__t0 = performance.now(); window.removeEventListener('keydown', k, true); }
}, true);
var obs = new MutationObserver(function (records) {
  for (var r of records) for (var n of r.addedNodes) {
    if (n.nodeType === 1 && n.matches('[data-path]') && window.__t0 !== null && window.__t1 === null) {
      window.__t1 = performance.now(); obs.disconnect(); return;
    }
  }
});
obs.observe(document.getElementById('results'), {childList: true});
"""


def text_search(driver, query):
    """Types `query`, presses Enter, waits for the answer; returns Enter-to-first-card ms."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    box = driver.find_element(By.CSS_SELECTOR, "input[name=q]")
    box.clear()
    box.send_keys(query)
    driver.execute_script(TIMER_JS)
    before = searches_done(driver)
    box.send_keys(Keys.ENTER)
    wait_answer(driver, before, f"the answer to {query!r}")
    wait_for(driver, "return window.__t1 !== null", f"the first card for {query!r}")
    return driver.execute_script("return window.__t1 - window.__t0")


def browser_problems(driver):
    """CSP violations and uncaught errors the browser logged (favicon-style 404s are not ours)."""
    bad = []
    for entry in driver.get_log("browser"):
        msg = entry.get("message", "")
        if "Content Security Policy" in msg or "Refused to" in msg or "Uncaught" in msg:
            bad.append(msg)
        elif entry.get("level") == "SEVERE" and "/assets/" in msg and "404" in msg:
            bad.append(msg)
    return bad


def dark_background(driver):
    rgb = driver.execute_script(
        "var c = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);"
        "return c.slice(0, 3);")
    return sum(rgb) / 3 < 80, rgb


# ---- the checks -------------------------------------------------------------------------

def check_all(driver, base, login, cfg, vidx, lib, manifest, out, work, fail):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    shot = lambda name: driver.save_screenshot(os.path.join(out, name))  # noqa: E731

    # Without the token: the login page, for the search page and the status page alike.
    for path in ("/", "/status"):
        driver.get(base + path)
        has_q = driver.execute_script("return !!document.querySelector('input[name=q]')")
        counts = driver.execute_script("return !!document.querySelector('[data-indexed]')")
        body = driver.find_element(By.TAG_NAME, "body").text.lower()
        fail.check(not has_q and not counts and ("token" in body or "log" in body),
                   f"without the token {path} shows the login page ({body[:60]!r})")
    shot("login.png")

    driver.get(login)
    wait_for(driver, "return !!document.querySelector('input[name=q]')", "the search page after login")
    fail.check(urllib.parse.urlparse(driver.current_url).path == "/",
               f"the login address lands on / (at {driver.current_url})")

    # Text queries, the right file first; Enter-to-first-card timings.
    timings, answers = [], {}
    for q in QUERIES:
        ms = text_search(driver, q)
        timings.append(ms)
        got = first_paths(driver)
        want = right_video(manifest, q)
        answers[q] = driver.execute_script(
            "var c = document.querySelector('#results [data-path]');"
            "return {file: c.dataset.file, path: c.dataset.path, moments: Array.from("
            "c.querySelectorAll('[data-start]')).map(m => [Number(m.dataset.start), Number(m.dataset.end)])}")
        fail.check(bool(got) and os.path.basename(got[0]) == want,
                   f"{q!r}: {want} first (got {[os.path.basename(p) for p in got]}, {ms:.0f} ms)")
    for _ in range(2):  # a few more samples for the median
        for q in QUERIES:
            timings.append(text_search(driver, q))
    p50 = statistics.median(timings)
    print(f"search-to-first-result in the browser: p50 {p50:.0f} ms, max {max(timings):.0f} ms "
          f"over {len(timings)} queries", flush=True)

    # Thumbnails of the first card (the page is showing the last query's answer).
    try:
        n = wait_for(driver, """
            var imgs = document.querySelectorAll('#results [data-path]:first-child img');
            if (!imgs.length) return 0;
            for (var i of imgs) if (!i.complete || i.naturalWidth === 0) return 0;
            return imgs.length;""", "the first result's thumbnails")
        fail.check(n > 0, f"the first result's {n} thumbnail(s) loaded (naturalWidth > 0)")
    except TimeoutError as e:
        states = driver.execute_script(
            "return Array.from(document.querySelectorAll('#results [data-path]:first-child img'))"
            ".map(i => [i.src, i.complete, i.naturalWidth])")
        # What the server says about the first one, so a failure says why.
        answer = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.text().then(t => done([r.status, t.slice(0, 300)])))"
            ".catch(x => done([0, String(x)]))", states[0][0] if states else base + "/v1/thumb")
        fail.check(False, f"{e}: {states}; the server answers {answer}")

    # Keyboard: ArrowDown from the search box to the first moment, down and up between
    # results, Enter on a focused moment opens the player, Esc closes it.
    where = ("var a = document.activeElement, c = a && a.closest('#results [data-path]');"
             "return c ? [Array.from(c.parentNode.children).indexOf(c), a.hasAttribute('data-start')] : null")
    box = driver.find_element(By.CSS_SELECTOR, "input[name=q]")
    box.send_keys(Keys.ARROW_DOWN)
    at_first = driver.execute_script(where)
    driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    at_second = driver.execute_script(where)
    driver.switch_to.active_element.send_keys(Keys.ARROW_UP)
    back = driver.execute_script(where)
    fail.check(at_first == [0, True] and at_second == [1, True] and back == [0, True],
               f"arrow keys move between results' moments ({at_first}, {at_second}, {back})")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    try:
        wait_for(driver, "return document.getElementById('player').open", "Enter to open the player", 5)
        fail.check(True, "Enter on a focused moment opens the player")
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_for(driver, "return !document.getElementById('player').open", "Esc to close the player", 5)
        refocused = driver.execute_script(where)
        fail.check(refocused == [0, True], f"closing the player gives focus back to the moment ({refocused})")
    except TimeoutError as e:
        fail.check(False, str(e))
    shot("search.png")

    # The player: pick the demo answer whose moment starts latest, so the seek is real.
    q = max(QUERIES, key=lambda k: answers[k]["moments"][0][0] if answers[k]["moments"] else -1)
    text_search(driver, q)
    target = driver.find_element(By.CSS_SELECTOR, "#results [data-path]:first-child [data-start]")
    start, end = float(target.get_attribute("data-start")), float(target.get_attribute("data-end"))
    target.click()
    try:
        wait_for(driver, """var v = document.querySelector('dialog[open] video');
                            return v && !v.hidden && v.readyState >= 2 && !v.paused && v.currentTime > 0""",
                 "the video to play")
        t = driver.execute_script("return document.querySelector('dialog[open] video').currentTime")
        fail.check(start - SEEK_TOLERANCE <= t <= end + SEEK_TOLERANCE,
                   f"the video plays from the moment {start:.2f}-{end:.2f} s (currentTime {t:.2f})")
    except TimeoutError as e:
        err = driver.execute_script(
            "var v = document.querySelector('video'); return [v.error && v.error.code, v.readyState,"
            " v.networkState, v.currentSrc, document.getElementById('fallback-reason').textContent]")
        fail.check(False, f"{e}: {err}")
    marks = driver.execute_script("return document.querySelectorAll('#timeline .mark').length")
    fail.check(marks >= 1, f"the timeline marks the file's {marks} moment(s)")
    time.sleep(0.3)
    shot("player.png")
    if marks > 1:
        driver.find_element(By.TAG_NAME, "body").send_keys("n")
        wait_for(driver, "return document.querySelector('#timeline .mark.current').dataset.index === '1'",
                 "n to move to the second moment")
        fail.check(True, "n moves to the next moment")
    driver.find_element(By.CSS_SELECTOR, "dialog[open] video").send_keys(Keys.ESCAPE)
    closed = wait_for(driver, "return !document.getElementById('player').open && "
                              "document.getElementById('video').paused", "Esc to close the player", 5)
    fail.check(bool(closed), "Esc closes the player and pauses the video")

    # More like this: the source file comes first.
    src = driver.find_element(By.CSS_SELECTOR, "#results [data-path]:first-child")
    src_file = src.get_attribute("data-file")
    before = searches_done(driver)
    src.find_element(By.CSS_SELECTOR, "[data-like]").click()
    wait_answer(driver, before, "the answer to more like this")
    got = driver.execute_script("var c = document.querySelector('#results [data-path]');"
                                "return c && c.dataset.file")
    fail.check(got == src_file, f"more like this puts its file first (file {src_file}, first {got})")

    # A picture query: a frame from the middle of one video's second segment.
    video = manifest["videos"][3]
    seg = video["segments"][-1]
    picture = os.path.join(work, "frame.png")
    r = run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-ss", str((seg["start"] + seg["end"]) / 2),
             "-i", os.path.join(lib, video["file"]), "-frames:v", "1", picture])
    if not fail.check(r.returncode == 0, f"ffmpeg extracted a frame of {video['file']}"):
        print(r.stderr)
    else:
        try:
            picture_queries(driver, picture, video, fail)
        except (TimeoutError, RuntimeError) as e:
            fail.check(False, str(e))

    for section in (lambda: paging_and_filters(driver, base, fail),
                    lambda: status_pages(driver, base, cfg, vidx, out, fail)):
        try:
            section()
        except (TimeoutError, RuntimeError) as e:
            fail.check(False, str(e))


def picture_queries(driver, picture, video, fail):
    """The picture chosen in the file input, then dropped on the page: its video comes first."""
    from selenium.webdriver.common.by import By
    before = searches_done(driver)
    driver.find_element(By.ID, "picture").send_keys(picture)
    wait_answer(driver, before, "the answer to the picture query")
    got = first_paths(driver)
    fail.check(bool(got) and os.path.basename(got[0]) == video["file"],
               f"the picture query puts {video['file']} first "
               f"(got {[os.path.basename(p) for p in got]})")
    # The same picture dropped on the page (a synthetic drop event carrying the file).
    text_search(driver, QUERIES[0])
    with open(picture, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    before = searches_done(driver)
    driver.execute_script("""
        var bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        var dt = new DataTransfer();
        dt.items.add(new File([bytes], 'frame.png', {type: 'image/png'}));
        for (var type of ['dragenter', 'dragover', 'drop'])
          document.getElementById('results').dispatchEvent(
              new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));""", data)
    wait_answer(driver, before, "the answer to the dropped picture")
    got = first_paths(driver)
    fail.check(bool(got) and os.path.basename(got[0]) == video["file"],
               f"a dropped picture puts {video['file']} first (got {[os.path.basename(p) for p in got]})")


def paging_and_filters(driver, base, fail):
    from selenium.webdriver.common.by import By
    # Paging: 3 files a page, "Show more" appends the next 3, the same as one page of 10.
    driver.get(base + "/?k=10&q=" + urllib.parse.quote(QUERIES[1]))
    wait_for(driver, "return document.querySelectorAll('#results [data-path]').length", "a page of 10")
    ten = first_paths(driver, 10)
    driver.get(base + "/?k=3&q=" + urllib.parse.quote(QUERIES[1]))
    wait_for(driver, "return document.querySelectorAll('#results [data-path]').length", "a page of 3")
    page1 = first_paths(driver, 10)
    more_shown = driver.execute_script("return !document.getElementById('more').hidden")
    if fail.check(len(page1) == 3 and more_shown, f"a page of 3 files with Show more ({len(page1)}, {more_shown})"):
        before = searches_done(driver)
        driver.find_element(By.ID, "more").click()
        wait_answer(driver, before, "the second page")
        both = first_paths(driver, 10)
        fail.check(both == ten[:6], f"Show more appends the next files in order ({len(both)} shown)")

    # Filters: modified before 2000 matches nothing and says so; clearing brings the files back.
    driver.execute_script("document.getElementById('filters').open = true")
    before = searches_done(driver)
    driver.execute_script("var b = document.getElementById('before'); b.value = '2000-01-01';"
                          "b.dispatchEvent(new Event('change', {bubbles: true}))")
    wait_answer(driver, before, "the search with a date filter")
    empty = driver.execute_script("return [document.querySelectorAll('#results [data-path]').length,"
                                  " document.getElementById('message').textContent]")
    fail.check(empty[0] == 0 and "No matches" in empty[1],
               f"modified before 2000-01-01 finds nothing and says so ({empty})")
    folder = driver.execute_script("var o = document.querySelector('#folder option[value]:not([value=\"\"])');"
                                   "return o && o.value")
    before = searches_done(driver)
    driver.execute_script("document.getElementById('before').value = '';"
                          "var f = document.getElementById('folder'); f.value = arguments[0];"
                          "f.dispatchEvent(new Event('change', {bubbles: true}))", folder or "")
    wait_answer(driver, before, "the search with a folder filter")
    inside = first_paths(driver, 10)
    fail.check(bool(folder) and len(inside) == 3 and all(p.startswith(folder.rstrip("/") + "/") for p in inside),
               f"the folder filter ({folder}) keeps files under it ({len(inside)} shown)")



def status_pages(driver, base, cfg, vidx, out, fail):
    """The status page against `vidx status --json`; phone width; the dark scheme; the log."""
    from selenium.webdriver.common.by import By
    shot = lambda name: driver.save_screenshot(os.path.join(out, name))  # noqa: E731
    driver.get(base + "/status")
    wait_for(driver, "return document.body.dataset.loaded === 'true'", "the status page to load")
    shown = driver.execute_script(
        "var g = k => document.querySelector('[data-' + k + ']').textContent.trim();"
        "return {indexed: g('indexed'), failed: g('failed'), pending: g('pending')}")
    st = json.loads(run([vidx, "--config", cfg, "status", "--json"]).stdout)
    want = {k: str(st["files"][k]) for k in ("indexed", "failed", "pending")}
    fail.check(shown == want, f"the status page counts {shown} equal vidx status --json {want}")
    rows = driver.execute_script("return Array.from(document.querySelectorAll('#failed-rows tr'))"
                                 ".map(r => [r.dataset.path, r.cells[1].textContent])")
    want_rows = sorted(f["path"] for f in st["failed_files"])
    fail.check(sorted(r[0] for r in rows) == want_rows and all(r[1] for r in rows),
               f"the status page lists the failed files with their reasons ({rows})")
    model = st.get("model") or {}
    if model.get("checkpoint_sha256"):
        sha = driver.find_element(By.ID, "model-sha").text
        fail.check(sha == model["checkpoint_sha256"], "the status page shows the checkpoint sha256")
    shot("status.png")

    # Phone width: one column, nothing wider than the screen.
    driver.set_window_size(390, 844)
    driver.get(base + "/?q=" + urllib.parse.quote(QUERIES[0]))
    wait_for(driver, "return document.querySelector('#results [data-path]')", "results at phone width")
    time.sleep(0.5)
    sizes = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    fail.check(sizes[0] <= sizes[1] + 1, f"at phone width the page fits the screen (scroll width "
                                         f"{sizes[0]}, window {sizes[1]})")
    shot("phone.png")
    driver.get(base + "/status")
    wait_for(driver, "return document.body.dataset.loaded === 'true'", "the status page at phone width")
    sizes = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    fail.check(sizes[0] <= sizes[1] + 1, f"the status page fits the phone screen ({sizes})")
    shot("phone-status.png")

    # Dark scheme.
    driver.set_window_size(1280, 900)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.get(base + "/?q=" + urllib.parse.quote(QUERIES[2]))
    wait_for(driver, "return document.querySelector('#results [data-path]')", "results in the dark scheme")
    wait_for(driver, """var imgs = document.querySelectorAll('#results [data-path]:first-child img');
                        return imgs.length && Array.from(imgs).every(i => i.complete)""", "thumbnails", 15)
    dark, rgb = dark_background(driver)
    fail.check(dark, f"the dark scheme has a dark background ({rgb})")
    shot("dark.png")
    driver.get(base + "/status")
    wait_for(driver, "return document.body.dataset.loaded === 'true'", "the status page (dark)")
    shot("dark-status.png")

    problems = browser_problems(driver)
    fail.check(not problems, f"no CSP violation or uncaught error in the browser log {problems}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vidx", help="the vidx binary (starts its own daemon)")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "demo"))
    ap.add_argument("--out", required=True, help="screenshots go here")
    ap.add_argument("--attach", metavar="LOGIN_URL", help="use a running daemon instead")
    ap.add_argument("--config", help="with --attach: its configuration (for vidx status --json)")
    ap.add_argument("--library", help="with --attach: its library, made by make_demo_library.py --demo")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    for tool in (args.chromium, args.chromedriver, shutil.which("ffmpeg")):
        if not tool or not os.path.exists(tool):
            sys.exit(f"missing {tool or 'ffmpeg'}: install chromium, chromium-driver and ffmpeg")
    try:
        import selenium  # noqa: F401
    except ImportError:
        sys.exit("missing the Python selenium package (Debian python3-selenium)")
    os.makedirs(args.out, exist_ok=True)
    out = os.path.abspath(args.out)

    work = tempfile.mkdtemp(prefix="vidx-web-ui-")
    daemon = driver = None
    fail = Failures()
    t0 = time.time()
    try:
        if args.attach:
            if not (args.config and args.library):
                sys.exit("--attach needs --config and --library")
            vidx = os.path.abspath(args.vidx or os.path.join(ROOT, "build", "cli", "vidx"))
            login, cfg, lib = args.attach, args.config, args.library
            manifest = json.load(open(os.path.join(lib, "manifest.json")))
        else:
            if not args.vidx:
                sys.exit("--vidx is required (or --attach)")
            vidx = os.path.abspath(args.vidx)
            lib = os.path.join(work, "library")
            gen = run([sys.executable, os.path.join(ROOT, "deploy", "make_demo_library.py"), lib, "--demo"])
            if gen.returncode != 0:
                sys.exit(f"generating the demo library failed: {gen.stderr}")
            manifest_path = os.path.join(lib, "manifest.json")
            manifest = json.load(open(manifest_path))
            os.rename(manifest_path, os.path.join(work, "manifest.json"))
            with open(os.path.join(lib, "notavideo.mp4"), "wb") as f:  # for the failed-files list
                f.write(b"this is not a video\n" * 200)
            daemon = Daemon(vidx, os.path.abspath(args.model), work)
            daemon.wait_indexed(len(manifest["videos"]), 1)
            login = daemon.login_url()
            cfg = daemon.cfg
            print(f"library of {len(manifest['videos'])} videos indexed in {time.time() - t0:.1f}s", flush=True)
        u = urllib.parse.urlparse(login)
        base = f"{u.scheme}://{u.netloc}"
        driver = start_browser(args.chromium, args.chromedriver, os.path.join(work, "profile"))
        try:
            check_all(driver, base, login, cfg, vidx, lib, manifest, out, work, fail)
        except (TimeoutError, RuntimeError) as e:
            fail.check(False, str(e))
            try:
                driver.save_screenshot(os.path.join(out, "failure.png"))
                print("browser log:", json.dumps(driver.get_log("browser"), indent=1))
            except Exception:  # the browser may be gone; the failure is reported already
                pass
    finally:
        if driver is not None:
            driver.quit()
        if daemon is not None:
            daemon.stop()
            if fail.items:
                print("daemon log:\n" + open(daemon.log.name).read()[-4000:])
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots in {out}; total {time.time() - t0:.1f}s")
    skipped = f" ({len(fail.skipped)} skipped: {'; '.join(fail.skipped)})" if fail.skipped else ""
    print(("PASS" if not fail.items else f"FAIL ({len(fail.items)} checks)") + skipped)
    return 0 if not fail.items else 1


if __name__ == "__main__":
    sys.exit(main())
