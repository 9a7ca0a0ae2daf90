"""INTELLIGENT_REPLY robots (interaction.md): a ROBOT asset of the library is a JSON file

    {"name": "Shop assistant", "threshold": 65,
     "qa": [{"questions": ["how much is it", "这个多少钱"], "answer": "..."}],
     "endpoint": {"base_url": "http://127.0.0.1:11434/v1", "model": "qwen2.5", "api_key_env": "ROBOT_KEY",
                  "system_prompt": "...", "timeout": 8}}          # endpoint optional

Embedded: the answer of the most similar question (`similarity`: rapidfuzz token-set ratio
weighed by coverage, 0-100; CJK text is compared character by character); below `threshold`, the rule's own reply text.
Endpoint: an OpenAI-compatible POST {base_url}/chat/completions with stream=true (Ollama,
llama.cpp's server, vLLM); the first complete sentence is yielded as soon as it arrives, the
rest after; a timeout (total, `timeout` s) or an error falls back to the embedded answer.
`answer` / `answer_stream` block: the programme calls them on its speech thread.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from render.errors import CorruptFileError, MediaFileError

log = logging.getLogger(__name__)
DEFAULT_THRESHOLD = 65.0
DEFAULT_TIMEOUT = 8.0
_CJK = re.compile(r"([\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef])")
_PUNCT = re.compile(r"[^\w\s]")
# A sentence ends at CJK 。！？… at once, or at . ! ? followed by a space or the end of the text.
_SENTENCE_END = re.compile(r"[。！？…]+[”」』）)]?|[.!?]+[\"')\]]?(?=\s)")


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key_env: str | None = None
    system_prompt: str | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Robot:
    id: str
    name: str
    threshold: float
    questions: tuple[str, ...]     # normalised, one per question
    answers: tuple[str, ...]       # the answer of each question
    endpoint: Endpoint | None = None

    def best(self, question: str) -> tuple[str | None, float]:
        """(answer, score) of the most similar question; (None, score) below the threshold."""
        if not self.questions or not question:
            return None, 0.0
        found = process.extractOne(normalise(question), self.questions, scorer=similarity)
        if found is None:
            return None, 0.0
        _, score, i = found
        return (self.answers[i] if score >= self.threshold else None), score


def similarity(asked: str, known: str, **_) -> float:
    """Token-set similarity (0-100) of two normalised texts, weighed by how much of the known
    question the asked one covers: "you" alone is no match for "do you ship abroad"."""
    words = known.split()
    if not words:
        return 0.0
    covered = len(set(asked.split()) & set(words)) / len(set(words))
    return fuzz.token_set_ratio(asked, known) * (0.5 + 0.5 * covered)


def normalise(s: str) -> str:
    """Lower case, punctuation as spaces, each CJK character a token of its own."""
    return " ".join(_CJK.sub(r" \1 ", _PUNCT.sub(" ", s.lower())).split())


def parse_robot(data, robot_id: str, where: str) -> Robot:
    if not isinstance(data, dict):
        raise MediaFileError(f"{where}: a robot must be a JSON object with qa, threshold, endpoint?")
    questions, answers = [], []
    for i, item in enumerate(data.get("qa") or []):
        qs = item.get("questions") if isinstance(item, dict) else None
        qs = [qs] if isinstance(qs, str) else qs
        if not isinstance(qs, list) or not all(isinstance(q, str) for q in qs) or \
                not isinstance(item.get("answer"), str) or not item["answer"].strip():
            raise MediaFileError(f"{where}: qa[{i}] needs questions (a list of texts) and an answer")
        for q in qs:
            questions.append(normalise(q))
            answers.append(item["answer"])
    threshold = data.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
        raise MediaFileError(f"{where}: threshold must be a similarity from 0 to 100, not {threshold!r}")
    ep = data.get("endpoint")
    endpoint = None
    if ep is not None:
        if not isinstance(ep, dict) or not isinstance(ep.get("base_url"), str) or not isinstance(ep.get("model"), str):
            raise MediaFileError(f"{where}: endpoint needs base_url and model")
        timeout = ep.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise MediaFileError(f"{where}: endpoint.timeout must be a positive number of seconds")
        endpoint = Endpoint(ep["base_url"].rstrip("/"), ep["model"], ep.get("api_key_env"), ep.get("system_prompt"),
                            float(timeout))
    return Robot(robot_id, str(data.get("name") or robot_id), float(threshold), tuple(questions), tuple(answers),
                 endpoint)


_cache: dict[tuple[Path, float], Robot] = {}
_cache_lock = threading.Lock()


def load_robot(library, robot_id: str, field: str = "trigger.robot_id") -> Robot:
    """The ROBOT asset of that id (AssetNotFoundError naming `field` when absent), parsed once per file version."""
    asset = library.asset(robot_id, "ROBOT", field)
    if asset.path is None:
        raise MediaFileError(f"{field}: robot {robot_id!r} has no file")
    key = (asset.path, asset.path.stat().st_mtime)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    try:
        data = json.loads(asset.path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CorruptFileError(f"{field}: robot file {asset.path} is not readable JSON ({e})") from None
    robot = parse_robot(data, robot_id, f"robot file {asset.path}")
    with _cache_lock:
        _cache[key] = robot
    return robot


def split_sentences(buffer: str, final: bool = False) -> tuple[list[str], str]:
    """(complete sentences, the rest) of streamed text; `final` flushes the rest as a sentence."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(buffer):
        s = buffer[start:m.end()].strip()
        if s:
            out.append(s)
        start = m.end()
    rest = buffer[start:]
    if final and rest.strip():
        out.append(rest.strip())
        rest = ""
    return out, rest


def _stream_chat(ep: Endpoint, question: str, out: queue.Queue, cancel: threading.Event) -> None:
    """Worker: posts the chat request, puts each complete sentence, then None (done) or an exception."""
    import httpx

    headers = {"Accept": "text/event-stream"}
    key = os.environ.get(ep.api_key_env) if ep.api_key_env else None
    if key:
        headers["Authorization"] = f"Bearer {key}"
    messages = ([{"role": "system", "content": ep.system_prompt}] if ep.system_prompt else []) + \
        [{"role": "user", "content": question}]
    body = {"model": ep.model, "stream": True, "messages": messages}
    buffer = ""
    try:
        with httpx.stream("POST", f"{ep.base_url}/chat/completions", json=body, headers=headers,
                          timeout=httpx.Timeout(ep.timeout)) as r:
            if r.status_code != 200:
                r.read()
                raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
            for line in r.iter_lines():
                if cancel.is_set():
                    return
                if not line.startswith("data:"):
                    continue  # SSE comments, event names, keep-alives
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    raise RuntimeError(f"endpoint error: {chunk['error']}")
                for choice in chunk.get("choices") or []:
                    buffer += (choice.get("delta") or {}).get("content") or ""
                sentences, buffer = split_sentences(buffer)
                for s in sentences:
                    out.put(s)
        sentences, _ = split_sentences(buffer, final=True)
        for s in sentences:
            out.put(s)
        out.put(None)
    except Exception as e:  # noqa: BLE001 (any failure of the endpoint means: fall back)
        out.put(e)


def fallback(robot: Robot | None, question: str, default: str | None) -> str | None:
    found = robot.best(question)[0] if robot is not None else None
    return found if found is not None else default


def answer_stream(reply, library) -> Iterator[str]:
    """The sentences of the robot's answer to reply.question, as they become ready (blocking)."""
    question = reply.question or ""
    try:
        robot = load_robot(library, reply.robot_id or "", f"interaction_rules[{reply.rule_index}].trigger.robot_id")
    except Exception as e:  # noqa: BLE001 (a missing robot must not stop the show: validate warned)
        log.warning("robot %r: %s; the rule's reply text is used", reply.robot_id, e)
        robot = None
    if robot is None or robot.endpoint is None or not question:
        text = fallback(robot, question, reply.text)
        if text:
            yield text
        return
    ep = robot.endpoint
    out: queue.Queue = queue.Queue()
    cancel = threading.Event()
    threading.Thread(target=_stream_chat, args=(ep, question, out, cancel), name="robot", daemon=True).start()
    deadline = time.monotonic() + ep.timeout
    said = False
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                item = out.get(timeout=max(left, 0.0)) if left > 0 else out.get_nowait()
            except queue.Empty:
                log.warning("robot %s: no complete answer within %.1f s", robot.id, ep.timeout)
                break
            if item is None:  # the stream ended: an empty answer falls back too
                break
            if isinstance(item, Exception):
                log.warning("robot %s: endpoint failed (%s)", robot.id, item)
                break
            said = True
            yield item
    finally:
        cancel.set()
    if not said:
        text = fallback(robot, question, reply.text)
        if text:
            yield text


def answer(reply, library) -> str:
    """The whole answer (blocking): the robot's, else the list's, else the rule's reply text;
    "" when there is none of them (nothing to say)."""
    parts = list(answer_stream(reply, library))
    out = ""
    for p in parts:
        out += (" " if out and not _CJK.match(out[-1]) and not _CJK.match(p[0]) else "") + p
    return out
