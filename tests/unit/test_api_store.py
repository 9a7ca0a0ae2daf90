"""The store's summary columns: filled on create/update, and for a database of an older version."""
from __future__ import annotations

import json
import sqlite3
import stat

from render.api.store import Store

OLD_SCHEMA = """
CREATE TABLE rooms (
    room_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, room_name TEXT NOT NULL,
    room_type TEXT NOT NULL, room_state TEXT NOT NULL DEFAULT 'ENABLE', body TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX rooms_project ON rooms (project_id, created);
"""


def test_an_older_database_gains_the_summary_columns(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    body = {"room_name": "old", "room_description": "kept", "view_mode": ["not", "a", "string"]}
    db.execute("INSERT INTO rooms VALUES ('r1', 'p', 'old', 'NORMAL', 'ENABLE', ?, 1, 1)", (json.dumps(body),))
    db.commit()
    db.close()
    path.chmod(0o644)
    store = Store(path)
    count, rows = store.list_rooms("p")
    assert count == 1 and rows[0]["room_description"] == "kept" and rows[0]["view_mode"] is None
    assert "body" not in rows[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.update_room("p", "r1", {"room_name": "new", "view_mode": "LANDSCAPE"})
    _, rows = store.list_rooms("p")
    assert rows[0]["room_name"] == "new" and rows[0]["view_mode"] == "LANDSCAPE" and rows[0]["room_description"] is None
    plan = store._all("EXPLAIN QUERY PLAN SELECT room_id, view_mode FROM rooms WHERE project_id = 'p' ORDER BY created")
    assert "COVERING INDEX" in plan[0]["detail"]
    store.close()


def test_the_room_list_honours_live_state(tmp_path):
    """live_state keeps rooms by the state of their latest job (NULL: none yet), comma-separated."""
    import time

    import pytest

    from render.api.app import live_states
    from render.errors import SpecError

    store = Store(tmp_path / "s.db")
    store.create_room("p", {"room_name": "idle"})
    live = store.create_room("p", {"room_name": "live"})
    done = store.create_room("p", {"room_name": "done"})
    job = store.insert_job("p", live, live["body"])
    store.set_job(job["job_id"], state="PROCESSING", started=time.time())
    old = store.insert_job("p", done, done["body"])
    store.set_job(old["job_id"], state="PROCESSING")
    store.end_job(old["job_id"], "SUCCEED")

    def names(value):
        return sorted(r["room_name"] for r in store.list_rooms("p", live_state=live_states(value))[1])

    assert names(None) == ["done", "idle", "live"]
    assert names("PROCESSING") == ["live"]
    assert names("NULL") == ["idle"]
    assert names("SUCCESS,NULL") == ["done", "idle"]
    with pytest.raises(SpecError, match="live_state"):
        live_states("RUNNING")
    store.close()
