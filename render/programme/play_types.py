"""Play types: where an insert or a reply enters the programme's queue, how the item on air is
cut for it (interaction.md), and a VOLUME_DOWN co-streamer's lines played beside the streamer.

APPEND waits for the end of the current paragraph, INSERT for the end of the sentence being
spoken (the rest of the paragraph waits in the queue), PLAY_NOW cuts at once (a 10 ms fade) and
queues the cut sentence again, or the next one with interaction_config.ignore_current_sentence.
A part of the Programme (core.py), kept apart: the state it moves is declared below.
"""
from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from render.audio import Mix
from render.programme import items as it
from render.spec.enums import PlayType, Role, StreamerAction

DUCK = 10 ** (-12 / 20)  # the streamer under a VOLUME_DOWN co-streamer: about -12 dB


@dataclass
class Side:
    """A co-streamer line playing beside the streamer (streamer_action VOLUME_DOWN)."""

    item: it.Item
    at: int
    src: object


class PlayTypes:
    """The queue's placement and cuts; Programme inherits it and owns the state."""

    room: Any
    queue: deque[it.Item]
    cur: it.Item | None
    cur_at: int
    cur_src: Any
    side: Side | None
    side_waiting: list[tuple[int, int, it.Item]]
    mix: Mix
    spf: int
    _seq: itertools.count

    def _finish(self, item: it.Item, i: int, reason: str | None = None) -> None:
        raise NotImplementedError

    def _reply_start(self, item: it.Item, i: int) -> None:
        raise NotImplementedError

    def _place(self, item: it.Item, play_type: PlayType, i: int) -> None:
        if item.role == Role.CO_STREAMER.value and self._streamer_action() == StreamerAction.VOLUME_DOWN:
            heapq.heappush(self.side_waiting, (self._side_start(play_type, i), next(self._seq), item))
            return
        if play_type == PlayType.PLAY_NOW:
            self._cut_now(i)
            self.queue.appendleft(item)
        elif play_type == PlayType.INSERT:
            self._cut_at_sentence_end(i)
            at = next((n for n, q in enumerate(self.queue) if q.kind == it.PARAGRAPH), len(self.queue))
            self.queue.insert(at, item)
        else:
            at = next((n for n, q in enumerate(self.queue) if q.kind == it.PARAGRAPH and q.first_slice),
                      len(self.queue))
            self.queue.insert(at, item)

    def _continue(self, item: it.Item) -> None:
        """The next part of a streamed reply: right after its previous part."""
        at = max((n + 1 for n, q in enumerate(self.queue) if q.command_id == item.command_id), default=0)
        self.queue.insert(at, item)

    def _clip_frame(self, i: int) -> int | None:
        """The clip frame `cur` plays at frame i, None when it is past its sound (in its gap)."""
        if self.cur is None:
            return None
        k = self.cur.start + (i - self.cur_at)
        return k if k < self.cur.end else None

    def _cut_now(self, i: int) -> None:
        """PLAY_NOW: the current item stops at once (faded); the cut sentence is queued again."""
        cur, k = self.cur, self._clip_frame(i)
        if cur is None:
            return
        self.cur = None
        if k is None:  # in its quiet gap: nothing left to hear
            if cur.is_insert and cur.last_slice:
                self._finish(cur, i)
            return
        if self.cur_src is not None:
            self.mix.fade_out(self.cur_src, i * self.spf)
        sentence = it.sentence_at(cur, k)
        skip = self.room.interaction_config is not None and self.room.interaction_config.ignore_current_sentence
        if sentence is None or skip:
            resume = it.next_sentence_start(cur, k)
        else:
            resume = sentence[0]
        rest = it.resume_from(cur, resume)
        if rest is not None:
            self.queue.appendleft(rest)
        elif cur.is_insert:
            self._finish(cur, i)

    def _cut_at_sentence_end(self, i: int) -> None:
        """INSERT: the current item ends with the sentence being spoken; the rest waits in the queue."""
        cur, k = self.cur, self._clip_frame(i)
        if cur is None or k is None:
            return
        sentence = it.sentence_at(cur, k)
        at = sentence[1] if sentence is not None else k
        if at >= cur.end:
            return
        head, tail = it.split(cur, at)
        self.cur = head
        if self.cur_src is not None:
            self.mix.stop(self.cur_src, (self.cur_at + at - cur.start) * self.spf)
        self.queue.appendleft(tail)

    # ---- the co-streamer beside the streamer ---------------------------------------------------
    def _streamer_action(self) -> StreamerAction | None:
        co = self.room.co_streamer_config
        return co.streamer_action if co is not None else None

    def _side_start(self, play_type: PlayType, i: int) -> int:
        """The frame a VOLUME_DOWN co-streamer line starts: now, at the sentence's end, or after
        the paragraph."""
        k = self._clip_frame(i)
        if play_type == PlayType.PLAY_NOW or self.cur is None or k is None:
            return i
        if play_type == PlayType.INSERT:
            s = it.sentence_at(self.cur, k)
            return i + ((s[1] if s else k) - k)
        n = self.cur_at + self.cur.frames
        for q in self.queue:
            if q.kind == it.PARAGRAPH and q.first_slice:
                break
            n += q.frames
        return n

    def _side_step(self, i: int) -> None:
        if self.side is not None and i - self.side.at >= self.side.item.frames:
            self._finish(self.side.item, i)
            self.side = None
            if self.cur_src is not None:
                self.mix.set_gain(self.cur_src, 1.0)
        if self.side is None and self.side_waiting and self.side_waiting[0][0] <= i:
            _, _, item = heapq.heappop(self.side_waiting)
            samples = item.clip.samples[item.start * self.spf: item.end * self.spf]
            self.side = Side(item, i, self.mix.add(samples, at=i * self.spf))
            if self.cur_src is not None:
                self.mix.set_gain(self.cur_src, DUCK)
            self._reply_start(item, i)
