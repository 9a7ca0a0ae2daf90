"""How many inserted lines a live holds at once (issue 24 item 3).

    bound = InsertBound(MAX_INSERTS)
    bound.admit(cmd)       # any thread, before its speech starts; StateError when full
    bound.release(cid)     # the frame thread, when the insert ends (heard, dropped, cleaned up, refused)

3,000 INSERT_PLAY_SCRIPT calls used to take a worker from 178 to 787 MB: each one's speech is
made as it arrives and waited in the programme. An insert counts from the moment it is submitted
until its REPLY_COMMAND_FINISH; beyond MAX_INSERTS the command is refused with
MSS.20020001 (the task's state does not allow it now) naming the bound and how to free room.
Rule replies are not counted here: the rules engine's own reply queue bounds them.
"""
from __future__ import annotations

import threading

from render.errors import StateError

MAX_INSERTS = 100


class InsertBound:
    def __init__(self, limit: int = MAX_INSERTS):
        self.limit = limit
        self._open: set[str] = set()
        self._lock = threading.Lock()

    def admit(self, cmd) -> None:
        if not cmd.is_insert or not cmd.command_id:
            return
        with self._lock:
            if len(self._open) >= self.limit:
                raise StateError(f"{cmd.name}: {len(self._open)} inserted lines are waiting or playing, at most "
                                 f"{self.limit}; wait for their REPLY_COMMAND_FINISH or send CLEAN_UP_INSERT_COMMAND")
            self._open.add(cmd.command_id)

    def release(self, command_id: str | None) -> None:
        with self._lock:
            self._open.discard(command_id)

    def __len__(self) -> int:
        return len(self._open)
