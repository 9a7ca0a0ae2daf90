"""The console driven in a real browser (Debian's Chromium, headless, through Playwright) against a
real server, the real push worker and a real nginx-rtmp: create the showcase room from the
examples, render a still, start a job, watch the live view change and the event log fill, send a
comment, a gift, a script and a layer and see the rules and replies in the log, stop.
On failure the page is saved as a screenshot beside the test's tmp folder (the path is printed)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest

from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, make_settings, push_room

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.rtmp,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian's chromium is not installed (make test installs it)"),
]


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path / "nginx")


@pytest.fixture
def server(tmp_path):
    with ApiServer(make_settings(tmp_path)) as srv:
        yield srv


@pytest.fixture
def page(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pg = browser.new_page(viewport={"width": 1440, "height": 1000})
        pg.set_default_timeout(30_000)
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


@contextlib.contextmanager
def screenshot_on_failure(page, tmp_path: Path):
    try:
        yield
    except BaseException:
        shot = tmp_path / "console-failure.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failing page: {shot}")
        raise


def sign_in(page, url: str) -> None:
    page.goto(f"{url}/console")
    page.wait_for_selector("#signin[open]")
    page.fill("#signin-form input[name=project]", PROJECT)
    page.fill("#signin-form input[name=token]", TOKEN)
    page.click("#signin-ok")
    page.wait_for_selector("#signin", state="hidden")


def create_showcase_and_start(page, nginx, key: str) -> None:
    page.click("text=+ New room")
    page.click("button.choice[data-choice='SmartLive showcase']")
    page.fill("#new-name", "console test room")
    page.click("#create-room")
    page.wait_for_selector("h1:has-text('console test room')")
    page.fill("#job-url", nginx.url)
    page.fill("#job-key", key)
    page.click("#start-job")
    page.wait_for_selector("#live-img", timeout=180_000)


def wait_for_log(page, event_type: str, text: str = "", timeout: float = 60_000) -> str:
    has = f":has-text('{text}')" if text else ""
    return page.wait_for_selector(f"#event-log li[data-type='{event_type}']{has}", timeout=timeout).inner_text()


def stop(page) -> None:
    page.click("#stop-job")
    page.wait_for_selector("#job-state :text('CANCELED')", timeout=60_000)


def test_a_room_from_the_example_goes_live_and_stops(server, nginx, page, tmp_path):
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 401 else None)
    with screenshot_on_failure(page, tmp_path):
        sign_in(page, server.url)
        assert not refused, f"the page called the API without authentication: {refused}"
        page.wait_for_selector("text=No room yet.")
        page.click("text=+ New room")
        page.click("button.choice[data-choice='SmartLive showcase']")
        page.fill("#new-name", "console test room")
        page.click("#create-room")
        page.wait_for_selector("h1:has-text('console test room')")

        page.fill("#still-at", "2")
        page.click("#render-still")
        still = page.wait_for_selector("#still-img", timeout=120_000)
        page.wait_for_function("document.querySelector('#still-img').naturalWidth > 0")
        assert still.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [1080, 1920]

        page.fill("#job-url", nginx.url)
        page.fill("#job-key", "console")
        page.click("#start-job")
        page.wait_for_selector("#live-img", timeout=180_000)
        first = page.get_attribute("#live-img", "data-frame")
        page.wait_for_function(
            f"document.querySelector('#live-img').dataset.frame !== '{first}'", timeout=30_000)
        wait_for_log(page, "RTMP_STREAM_STATE_CHANGE", "CONNECTED")
        wait_for_log(page, "SHOOT_SCRIPT_SWITCH", "Welcome")
        # the paragraph on air comes from the job's RTC channel (live_progress_notify)
        page.wait_for_selector("#paragraph[data-source='rtc']", timeout=30_000)
        assert "Welcome" in page.inner_text("#paragraph")
        assert "CONNECTED" in page.inner_text("#outputs")
        stop(page)
        assert page.is_hidden("#stop-job")
        wait_for_log(page, "JOB_STATE", "CANCELED")


def test_a_comment_hits_a_rule_and_the_reply_shows_in_the_log(server, nginx, page, tmp_path):
    with screenshot_on_failure(page, tmp_path):
        sign_in(page, server.url)
        create_showcase_and_start(page, nginx, "comment")
        page.fill("#viewer-name", "Mia")
        page.fill("#comment-text", "Hello there!")
        page.click("#form-comment button[type=submit]")
        assert "Greeting" in wait_for_log(page, "RULE_HIT")
        assert "Mia" in wait_for_log(page, "REPLY_START", "Mia")
        page.wait_for_selector("#subtitle .tag:text-matches('^(CO_)?STREAMER$')")  # the reply, with its role

        page.click("button.tab[data-tab='Gift']")
        page.fill("#gift-num", "2")
        page.fill("#gift-value", "60")
        page.click("#form-gift button[type=submit]")
        wait_for_log(page, "RULE_HIT", "Big gift banner")
        wait_for_log(page, "LAYER_SHOW")

        page.click("button.tab[data-tab='Speak']")
        page.fill("#insert-text", "A word from the console.")
        page.click("#form-insert button[type=submit]")
        page.wait_for_selector("#viewers-result:has-text('INSERT_PLAY_SCRIPT')")
        wait_for_log(page, "REPLY_START", "A word from the console.")

        page.click("button.tab[data-tab='Layer']")
        page.fill("#layer-content", "Console banner")
        page.click("#form-layer button[type=submit]")
        page.wait_for_selector("#viewers-result:has-text('SHOW_LAYER')")
        wait_for_log(page, "LAYER_SHOW", "TEXT")

        page.click("button.tab[data-tab='Burst']")
        page.fill("#burst-n", "6")
        page.fill("#burst-m", "2")
        page.fill("#burst-text", "hello {i}")
        page.click("#form-burst button[type=submit]")
        page.wait_for_selector("#viewers-result:has-text('burst: 6 comment(s) reported')", timeout=30_000)
        stop(page)
        assert page.inner_text("#subtitle").strip() == "—"  # nothing is speaking once the job stops


def test_a_rule_library_is_made_and_imported_into_a_room(server, page, tmp_path):
    import httpx

    with screenshot_on_failure(page, tmp_path), httpx.Client(
        base_url=f"{server.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, trust_env=False
    ) as c:
        room_id = c.post("/smart-live-rooms", json={"room_name": "rules target"}).json()["room_id"]
        sign_in(page, server.url)
        page.click("[data-nav=rules]")
        page.wait_for_selector("#group-json")
        page.fill("#group-name", "greetings")
        rule = {"rule_name": "hello back", "event_type": 1,
                "hit_condition": {"relation": "OR", "tags": [{"tag": "content", "operation": "NONE",
                                                             "match": "REGEX", "value": "hello"}]},
                "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["Hello {name}!"]}}
        page.fill("#group-json", json.dumps([rule]))
        page.click("#save-group")
        page.wait_for_selector("ul.plain li:has-text('greetings')")
        page.click("ul.plain li a:has-text('greetings')")
        page.select_option("#import-room", room_id)
        page.click("#import-rules")
        page.wait_for_selector("#toasts :text('imported')")
        rules = c.get(f"/smart-live-rooms/{room_id}").json()["interaction_rules"]
        assert [(r["rule_name"], r["group_name"]) for r in rules] == [("hello back", "greetings")]
        assert rules[0]["group_id"] and "rule_id" not in rules[0]


def test_a_server_without_auth_opens_at_once_rooms_come_from_templates_and_errors_show_at_their_paths(
        tmp_path, page):
    import httpx

    with ApiServer(make_settings(tmp_path, no_auth=True)) as srv, screenshot_on_failure(page, tmp_path):
        template = {**push_room("rtmp://127.0.0.1:9/live", "k", room_type="TEMPLATE"), "room_name": "Shop template"}
        assert httpx.post(f"{srv.url}/v1/local/smart-live-rooms", json=template, trust_env=False).status_code == 200
        page.goto(f"{srv.url}/console")
        page.wait_for_selector("#rooms-table")
        assert page.is_hidden("#signin") and "local" in page.inner_text("#project-label")
        page.click("text=+ New room")
        choice = page.wait_for_selector("button.choice[data-choice='Shop template']")
        assert "template" in choice.inner_text()
        choice.click()
        page.fill("#new-name", "from the template")
        page.click("#create-room")
        page.wait_for_selector("h1:has-text('from the template')")
        assert page.inner_text(".page-head .tag") == "NORMAL"

        text = page.input_value("#room-json").replace('"bitrate": 800', '"bitrate": 5', 1)
        page.fill("#room-json", text)
        page.click("#save-room")
        item = page.wait_for_selector(".error-item[data-path='video_config.bitrate']")
        assert "greater than or equal to" in item.inner_text()
        item.click()
        selected = page.evaluate("(() => { const t = document.querySelector('#room-json');"
                                 " return t.value.slice(t.selectionStart, t.selectionEnd); })()")
        assert selected == '"bitrate": 5'
        assert page.inner_text("#editor-status") == "not saved: see the errors"
