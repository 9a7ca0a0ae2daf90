"""Rooms and jobs in SQLite (one file, stdlib sqlite3; survives restarts).

    store = Store(path)                      # creates the file and the tables if needed
    room = store.create_room(project_id, body)          # dict row, body kept as given
    store.get_room(project_id, room_id)      # NotFoundError (MSS.41000003) for another project's
    job = store.insert_job(project_id, room, spec)      # state WAITING
    store.set_job(job_id, state=..., ...)

Every query is scoped by project_id: one project never sees another's rooms or jobs.
One connection guarded by a lock (the API's threads and the job runner share it).
The database, its WAL and its folder are readable by the owner only (bodies hold stream keys).
Listing rooms reads the summary columns, never the bodies.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from render.errors import NotFoundError
from render.spec.enums import JobState

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    room_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, room_name TEXT NOT NULL,
    room_type TEXT NOT NULL, room_state TEXT NOT NULL DEFAULT 'ENABLE', body TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, room_id TEXT NOT NULL,
    room_name TEXT NOT NULL, room_type TEXT NOT NULL, state TEXT NOT NULL, spec TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, started REAL, ended REAL,
    error_code TEXT, error_msg TEXT, pid INTEGER);
CREATE INDEX IF NOT EXISTS jobs_project ON jobs (project_id, room_id, created);
CREATE TABLE IF NOT EXISTS rule_groups (
    group_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, group_name TEXT NOT NULL,
    rules TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rule_groups_project ON rule_groups (project_id, created);
"""
SUMMARY_COLUMNS = {"room_description": "$.room_description", "view_mode": "$.view_mode"}  # of the body
ROOM_LIST = "room_id, project_id, room_name, room_type, room_state, created, updated, " + ", ".join(SUMMARY_COLUMNS)


def summary_values(body: dict) -> list:
    """The body's values kept in their own columns (strings, or NULL)."""
    return [v if isinstance(v := body.get(k), str) else None for k in SUMMARY_COLUMNS]


def iso(t: float | None) -> str | None:
    """Epoch seconds -> `2026-11-24T09:10:00Z` (UTC), as the API family writes times."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in ("", "-wal", "-shm", "-journal"):  # SQLite gives its WAL the database's mode
            f = self.path.with_name(self.path.name + name)
            if name == "":
                os.close(os.open(f, os.O_RDWR | os.O_CREAT, 0o600))
            if f.exists():
                os.chmod(f, 0o600)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(SCHEMA)
            have = {r[1] for r in self._db.execute("PRAGMA table_info(rooms)")}
            for column, path in SUMMARY_COLUMNS.items():  # a database of an older version
                if column not in have:
                    self._db.execute(f"ALTER TABLE rooms ADD COLUMN {column} TEXT")
                    self._db.execute(f"UPDATE rooms SET {column} = json_extract(body, ?)"
                                     f" WHERE json_type(body, ?) = 'text'", (path, path))
            # a covering index: a listing page never reads the rows, whose bodies may be megabytes
            self._db.execute("CREATE INDEX IF NOT EXISTS rooms_list ON rooms (project_id, created, room_id, "
                             "room_name, room_type, room_state, updated, " + ", ".join(SUMMARY_COLUMNS) + ")")
            self._db.execute("DROP INDEX IF EXISTS rooms_project")  # rooms_list's prefix

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _all(self, sql: str, args=()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def _one(self, sql: str, args=()) -> dict | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _exec(self, sql: str, args=()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # rooms -------------------------------------------------------------------------------
    def create_room(self, project_id: str, body: dict) -> dict:
        now = time.time()
        room_id = str(uuid.uuid4())
        self._exec(
            "INSERT INTO rooms (room_id, project_id, room_name, room_type, body, created, updated, "
            + ", ".join(SUMMARY_COLUMNS) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                room_id,
                project_id,
                body["room_name"],
                body.get("room_type") or "NORMAL",
                json.dumps(body, ensure_ascii=False),
                now,
                now,
                *summary_values(body),
            ),
        )
        return self.get_room(project_id, room_id)

    def get_room(self, project_id: str, room_id: str) -> dict:
        row = self._one("SELECT * FROM rooms WHERE project_id = ? AND room_id = ?", (project_id, room_id))
        if row is None:
            raise NotFoundError(f"room_id: no room {room_id} in project {project_id}")
        row["body"] = json.loads(row["body"])
        return row

    def list_rooms(
        self,
        project_id: str,
        *,
        offset: int = 0,
        limit: int = 10,
        room_name: str | None = None,
        room_type: str | None = None,
        live_state: list[str] | None = None,
    ) -> tuple[int, list[dict]]:
        """`live_state`: the states of the room's latest job to keep (NULL: rooms with no job)."""
        where, args = ["project_id = ?"], [project_id]
        if live_state:
            last = ("(SELECT j.state FROM jobs j WHERE j.project_id = rooms.project_id AND j.room_id = rooms.room_id"
                    " ORDER BY j.created DESC, j.rowid DESC LIMIT 1)")
            states = [s for s in live_state if s != "NULL"]
            conds = [f"{last} IN ({', '.join('?' * len(states))})"] if states else []
            if "NULL" in live_state:
                conds.append(f"{last} IS NULL")
            where.append("(" + " OR ".join(conds) + ")")
            args.extend(states)
        if room_name:
            where.append("instr(lower(room_name), lower(?)) > 0")
            args.append(room_name)
        if room_type:
            where.append("room_type = ?")
            args.append(room_type)
        return self._page("rooms", where, args, limit, offset, columns=ROOM_LIST)

    def update_room(self, project_id: str, room_id: str, body: dict) -> dict:
        n = self._exec(
            "UPDATE rooms SET body = ?, room_name = ?, room_type = ?, updated = ?, "
            + ", ".join(f"{c} = ?" for c in SUMMARY_COLUMNS) + " WHERE project_id = ? AND room_id = ?",
            (
                json.dumps(body, ensure_ascii=False),
                body["room_name"],
                body.get("room_type") or "NORMAL",
                time.time(),
                *summary_values(body),
                project_id,
                room_id,
            ),
        )
        if not n:
            raise NotFoundError(f"room_id: no room {room_id} in project {project_id}")
        return self.get_room(project_id, room_id)

    def delete_room(self, project_id: str, room_id: str) -> None:
        if not self._exec("DELETE FROM rooms WHERE project_id = ? AND room_id = ?", (project_id, room_id)):
            raise NotFoundError(f"room_id: no room {room_id} in project {project_id}")

    def last_job(self, project_id: str, room_id: str) -> dict | None:
        return self._one(
            "SELECT * FROM jobs WHERE project_id = ? AND room_id = ? ORDER BY created DESC,"
            " rowid DESC LIMIT 1",
            (project_id, room_id),
        )

    # jobs --------------------------------------------------------------------------------
    def insert_job(self, project_id: str, room: dict, spec: dict) -> dict:
        now = time.time()
        job_id = str(uuid.uuid4())
        self._exec(
            "INSERT INTO jobs (job_id, project_id, room_id, room_name, room_type, state, spec, created,"
            " updated) VALUES (?, ?, ?, ?, ?, 'WAITING', ?, ?, ?)",
            (
                job_id,
                project_id,
                room["room_id"],
                room["room_name"],
                room["room_type"],
                json.dumps(spec, ensure_ascii=False),
                now,
                now,
            ),
        )
        return self.job(job_id)

    def job(self, job_id: str) -> dict | None:
        return self._one("SELECT * FROM jobs WHERE job_id = ?", (job_id,))

    def get_job(self, project_id: str, room_id: str | None, job_id: str) -> dict:
        row = self.job(job_id)
        if (
            row is None
            or row["project_id"] != project_id
            or (room_id is not None and row["room_id"] != room_id)
        ):
            where = f" in room {room_id}" if room_id else ""
            raise NotFoundError(f"job_id: no job {job_id}{where} in project {project_id}")
        return row

    def list_jobs(
        self,
        project_id: str,
        *,
        room_id: str | None = None,
        state: str | None = None,
        room_name: str | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[int, list[dict]]:
        where, args = ["project_id = ?"], [project_id]
        if room_id:
            where.append("room_id = ?")
            args.append(room_id)
        if state:
            states = [s.strip() for s in state.split(",") if s.strip()]
            where.append(f"state IN ({','.join('?' * len(states))})")
            args += states
        if room_name:
            where.append("instr(lower(room_name), lower(?)) > 0")
            args.append(room_name)
        return self._page("jobs", where, args, limit, offset)

    def _page(self, table: str, where: list[str], args: list, limit: int, offset: int,
              columns: str = "*") -> tuple[int, list[dict]]:
        """(total matching, one page newest first) of rooms or jobs under the given conditions."""
        cond = " AND ".join(where)
        count = self._one(f"SELECT count(*) AS n FROM {table} WHERE {cond}", args)["n"]
        rows = self._all(f"SELECT {columns} FROM {table} WHERE {cond}"
                         " ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?", args + [limit, offset])
        return count, rows

    def active_jobs(self, room_id: str | None = None) -> list[dict]:
        sql = "SELECT * FROM jobs WHERE state IN ('WAITING', 'PROCESSING')"
        return self._all(sql + " AND room_id = ?", (room_id,)) if room_id else self._all(sql)

    def set_job(self, job_id: str, **fields) -> None:
        fields["updated"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in fields)
        self._exec(f"UPDATE jobs SET {cols} WHERE job_id = ?", (*fields.values(), job_id))

    def end_job(
        self,
        job_id: str,
        state: JobState,
        error_code: str | None = None,
        error_msg: str | None = None,
        only_if_active: bool = True,
        ended: float | None = None,
    ) -> bool:
        """Move a job to an end state (once); False if it had already ended. `ended`: when it
        ended, if not now (a job of a server that went down)."""
        now = time.time()
        guard = " AND state IN ('WAITING', 'PROCESSING')" if only_if_active else ""
        return bool(
            self._exec(
                "UPDATE jobs SET state = ?, ended = ?, updated = ?, error_code = ?, error_msg = ?,"
                f" pid = NULL WHERE job_id = ?{guard}",
                (state, now if ended is None else ended, now, error_code, error_msg, job_id),
            )
        )

    def fail_orphans(self, down_at: float | None = None, keep=()) -> list[str]:
        """Jobs a previous server left WAITING/PROCESSING (it died at `down_at`, epoch s, if
        known), but those in `keep` (attached again): FAILED, ended then. Returns their ids."""
        ids = [r["job_id"] for r in self.active_jobs() if r["job_id"] not in keep]
        when = f" at {iso(down_at)}" if down_at else ""
        for job_id in ids:
            self.end_job(
                job_id,
                JobState.FAILED,
                "MSS.00000004",
                f"Internal Error: the server stopped{when} while this job was running",
                ended=down_at,
            )
        return ids

    # rule groups (interaction.md, Rule libraries) ----------------------------------------
    def create_rule_group(self, project_id: str, group_name: str, rules: list[dict]) -> dict:
        now = time.time()
        group_id = uuid.uuid4().hex
        self._exec(
            "INSERT INTO rule_groups (group_id, project_id, group_name, rules, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (group_id, project_id, group_name, json.dumps(rules, ensure_ascii=False), now, now),
        )
        return self.get_rule_group(project_id, group_id)

    def get_rule_group(self, project_id: str, group_id: str) -> dict:
        row = self._one("SELECT * FROM rule_groups WHERE project_id = ? AND group_id = ?", (project_id, group_id))
        if row is None:
            raise NotFoundError(f"group_id: no interaction rule group {group_id} in project {project_id}")
        row["rules"] = json.loads(row["rules"])
        return row

    def list_rule_groups(
        self,
        project_id: str,
        *,
        offset: int = 0,
        limit: int = 10,
        group_name: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> tuple[int, list[dict]]:
        where, args = ["project_id = ?"], [project_id]
        if group_name:
            where.append("instr(lower(group_name), lower(?)) > 0")
            args.append(group_name)
        if since is not None:
            where.append("created >= ?")
            args.append(since)
        if until is not None:
            where.append("created <= ?")
            args.append(until)
        count, rows = self._page("rule_groups", where, args, limit, offset)
        for r in rows:
            r["rules"] = json.loads(r["rules"])
        return count, rows

    def change_rule_group(self, project_id: str, group_id: str, change) -> dict:
        """Read-modify-write of one group under the store's lock: `change(row)` edits
        row["group_name"] / row["rules"] in place (or raises); the row is saved and returned."""
        with self._lock:
            row = self.get_rule_group(project_id, group_id)
            change(row)
            self._exec(
                "UPDATE rule_groups SET group_name = ?, rules = ?, updated = ? WHERE group_id = ?",
                (row["group_name"], json.dumps(row["rules"], ensure_ascii=False), time.time(), group_id),
            )
            return self.get_rule_group(project_id, group_id)

    def delete_rule_group(self, project_id: str, group_id: str) -> None:
        if not self._exec("DELETE FROM rule_groups WHERE project_id = ? AND group_id = ?", (project_id, group_id)):
            raise NotFoundError(f"group_id: no interaction rule group {group_id} in project {project_id}")
