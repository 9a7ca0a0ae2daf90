"""INTELLIGENT_REPLY robots: the shipped fuzzy QA robot (English and Chinese), and an
OpenAI-compatible endpoint played by a local server speaking the real streaming protocol
(SSE `data:` chunks with delays)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from render.assets import AssetLibrary
from render.interaction import Reply, answer, answer_stream
from render.interaction.robot import split_sentences

SHOP = "The gift box is 99 yuan tonight"


def ask(question, robot_id="robot_shop_assistant", fallback="Thanks for asking!"):
    return Reply("id", "4", "robot rule", fallback, None, None, "STREAMER", "INSERT", (), 500, 0.0,
                 question=question, robot_id=robot_id)


@pytest.mark.parametrize("question,starts", [
    ("How much is this?", SHOP), ("what's the price of the red one", SHOP), ("这个多少钱？", "今晚礼盒99元"),
    ("请问包邮吗", "全场包邮"), ("几天能发货呀", "48小时内发货"), ("when will my order ship?", "Orders ship within"),
    ("can I return it?", "Seven-day returns"), ("有优惠券吗", "关注直播间"),
    ("hello everyone", "Thanks for asking!"), ("主播好漂亮", "Thanks for asking!"), ("you", "Thanks for asking!"),
])
def test_embedded_robot_answers_by_similarity(question, starts):
    assert answer(ask(question), AssetLibrary.default()).startswith(starts)


def test_unknown_robot_falls_back_to_the_rule_text():
    assert answer(ask("how much", robot_id="no_such_robot"), AssetLibrary.default()) == "Thanks for asking!"


def test_sentences_split_as_they_complete():
    assert split_sentences("It weighs 3.5 kg. Really! The rest") == (["It weighs 3.5 kg.", "Really!"], " The rest")
    assert split_sentences("你好。今天包邮！还有") == (["你好。", "今天包邮！"], "还有")
    assert split_sentences("Last one", final=True) == (["Last one"], "")


@pytest.fixture
def llm():
    """A chat-completions server; `script` is a list of (delay s, content piece) or an int HTTP status."""
    state = {"script": [], "requests": []}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append((self.path, dict(self.headers), body))
            if isinstance(state["script"], int):
                err = json.dumps(state.get("error_body") or {"error": {"message": "model not loaded"}}).encode()
                self.send_response(state["script"])
                self.send_header("Content-Length", str(len(err)))
                self.end_headers()
                self.wfile.write(err)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                self._chunk(": keep-alive\n\n")
                for delay, piece in state["script"]:
                    time.sleep(delay)
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "model": body["model"],
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self._chunk(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
                self._chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): as a real server sees it

        def _chunk(self, text):
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    yield state
    srv.shutdown()
    srv.server_close()


def endpoint_library(tmp_path, url, timeout=3.0):
    robot = {"name": "LLM shop", "threshold": 65,
             "qa": [{"questions": ["how much is it"], "answer": "It is 99 yuan."}],
             "endpoint": {"base_url": url, "model": "tiny-chat", "api_key_env": "SMARTLIVE_TEST_ROBOT_KEY",
                          "system_prompt": "You sell gift boxes. Answer in one or two sentences.",
                          "timeout": timeout}}
    (tmp_path / "llm.json").write_text(json.dumps(robot), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"assets": [{"id": "robot_llm", "kind": "ROBOT", "file": "llm.json"}]}), encoding="utf-8")
    return AssetLibrary([tmp_path])


def test_endpoint_streams_the_first_sentence_first(llm, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTLIVE_TEST_ROBOT_KEY", "sk-local")
    llm["script"] = [(0.02, "Hello"), (0.02, " there"), (0.02, "! The box"), (1.0, " costs 99"),
                     (0.05, " yuan. 今天"), (0.05, "包邮。")]
    lib = endpoint_library(tmp_path, llm["url"])
    t0 = time.monotonic()
    got = []
    for sentence in answer_stream(ask("how much is it?", "robot_llm"), lib):
        got.append((round(time.monotonic() - t0, 2), sentence))
    assert [s for _, s in got] == ["Hello there!", "The box costs 99 yuan.", "今天包邮。"]
    assert got[0][0] < 0.8 < got[1][0], got  # the first sentence did not wait for the rest
    path, headers, body = llm["requests"][0]
    assert path == "/v1/chat/completions" and headers["Authorization"] == "Bearer sk-local"
    assert body["stream"] is True and body["model"] == "tiny-chat"
    assert body["messages"] == [{"role": "system", "content": "You sell gift boxes. Answer in one or two sentences."},
                                {"role": "user", "content": "how much is it?"}]


def test_endpoint_answer_joins_sentences(llm, tmp_path):
    llm["script"] = [(0, "First. "), (0, "Second"), (0, " one"), (0, "")]
    assert answer(ask("x", "robot_llm"), endpoint_library(tmp_path, llm["url"])) == "First. Second one"


def test_endpoint_timeout_falls_back_to_the_list(llm, tmp_path):
    llm["script"] = [(2.0, "Too late.")]
    lib = endpoint_library(tmp_path, llm["url"], timeout=0.4)
    t0 = time.monotonic()
    assert answer(ask("how much is it", "robot_llm"), lib) == "It is 99 yuan."
    assert time.monotonic() - t0 < 1.5
    assert answer(ask("tell me a story", "robot_llm"), lib) == "Thanks for asking!"  # below the threshold


def test_endpoint_error_falls_back(llm, tmp_path):
    llm["script"] = 503
    assert answer(ask("how much is it", "robot_llm"), endpoint_library(tmp_path, llm["url"])) == "It is 99 yuan."


def test_an_endpoint_error_body_is_scrubbed_before_it_is_logged(llm, tmp_path, monkeypatch, caplog):
    """Issue 24 item 9: an endpoint that echoes the key (or other tokens) does not put them in the log."""
    monkeypatch.setenv("SMARTLIVE_TEST_ROBOT_KEY", "live-key-7f3a9c")
    llm["script"] = 401
    llm["error_body"] = {"error": {"message": "Incorrect API key provided: live-key-7f3a9c",
                                   "hint": "Authorization: Bearer live-key-7f3a9c; your other key sk-proj-abcdef123456",
                                   "api_key": "hunter2hunter2"}}
    with caplog.at_level("WARNING", logger="render.interaction.robot"):
        assert answer(ask("how much is it", "robot_llm"), endpoint_library(tmp_path, llm["url"])) == "It is 99 yuan."
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP 401" in logged and "Incorrect API key provided: ***" in logged
    for secret in ("live-key-7f3a9c", "sk-proj-abcdef123456", "hunter2hunter2"):
        assert secret not in logged


def test_empty_endpoint_answer_falls_back(llm, tmp_path):
    llm["script"] = [(0, ""), (0, "  ")]
    assert answer(ask("how much is it", "robot_llm"), endpoint_library(tmp_path, llm["url"])) == "It is 99 yuan."


def test_unreachable_endpoint_falls_back(tmp_path):
    lib = endpoint_library(tmp_path, "http://127.0.0.1:9/v1", timeout=1.0)
    assert answer(ask("how much is it", "robot_llm"), lib) == "It is 99 yuan."
