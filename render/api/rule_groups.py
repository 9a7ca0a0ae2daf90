"""Rule libraries (interaction.md, Rule libraries): the nine operations of
/v1/{project_id}/smart-live-interaction-rule-groups, stored in SQLite beside the rooms, and the
import of a group into a room's (or a REWRITE_INTERACTION_RULES command's) rules.

    install_rule_groups(router, store, parse_body, raw_body, settings)   # from create_app
    rules = expand_groups(store, project_id, rules, "interaction_rules")   # a rule {group_id} -> the group's rules
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import ValidationError

from render.api.media import check_refs_media
from render.api.settings import Settings
from render.api.store import Store, iso
from render.errors import NotFoundError, SpecError
from render.spec.load import _reason, json_path
from render.spec.models import LiveRoomInteractionRuleInfo
from render.spec.references import one_rule_refs

RULE_FIELDS = ("rule_index", "rule_name", "enabled", "event_type", "hit_condition", "trigger", "review_config",
               "enabled_scenes")


def check_rule(rule, where: str, settings: Settings | None = None) -> dict:
    """A rule as given, validated as a room's rule would be (SpecError naming `where.<field>`),
    its media held to the server's policy when `settings` are given (render.api.media)."""
    if not isinstance(rule, dict):
        raise SpecError(f"{where}: must be a JSON object (an interaction rule)")
    try:
        parsed = LiveRoomInteractionRuleInfo.model_validate(rule)
    except ValidationError as e:
        raise SpecError(details=[f"{where}.{json_path(err['loc'])}: {_reason(err)}" for err in e.errors()]) from None
    if settings is not None:
        check_refs_media(one_rule_refs(parsed, where), settings)
    return {k: rule[k] for k in RULE_FIELDS if rule.get(k) is not None}


def new_rule(rule: dict, taken: list[dict]) -> dict:
    """A stored rule: the fields plus rule_id, a rule_index unique in its group, and times."""
    now = time.time()
    indexes = {r.get("rule_index") for r in taken}
    if not rule.get("rule_index"):
        n = len(taken) + 1
        while str(n) in indexes:
            n += 1
        rule = {**rule, "rule_index": str(n)}
    return {**rule, "rule_id": uuid.uuid4().hex, "created": now, "updated": now}


def rule_view(rule: dict) -> dict:
    out = {k: v for k, v in rule.items() if k not in ("created", "updated")}
    return {**out, "create_time": iso(rule["created"]), "update_time": iso(rule["updated"])}


def group_view(row: dict, *, detail: bool = True) -> dict:
    out = {"group_id": row["group_id"], "group_name": row["group_name"],
           "create_time": iso(row["created"]), "update_time": iso(row["updated"])}
    if detail:
        out["interaction_rules"] = [rule_view(r) for r in row["rules"]]
    return out


def group_body(data: dict, settings: Settings | None = None) -> tuple[str, list[dict]]:
    name = data.get("group_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise SpecError("group_name: a non-empty name of at most 256 characters is required")
    rules = data.get("interaction_rules") or []
    if not isinstance(rules, list):
        raise SpecError("interaction_rules: must be a list of interaction rules")
    stored: list[dict] = []
    for i, rule in enumerate(rules):
        stored.append(new_rule(check_rule(rule, f"interaction_rules[{i}]", settings), stored))
    return name, stored


def expand_groups(store: Store, project_id: str, rules, where: str) -> list | None:
    """Rules where an entry with `group_id` imports that group: it is replaced by the group's
    rules, each carrying group_id and group_name (an unknown group: SpecError naming it).
    An entry with its own event_type or trigger stays a rule of its own."""
    if not isinstance(rules, list) or not any(isinstance(r, dict) and r.get("group_id") for r in rules):
        return rules
    out = []
    for i, rule in enumerate(rules):
        if not (isinstance(rule, dict) and rule.get("group_id")) or rule.get("event_type") or rule.get("trigger"):
            out.append(rule)
            continue
        try:
            group = store.get_rule_group(project_id, str(rule["group_id"]))
        except NotFoundError:
            raise SpecError(f"{where}[{i}].group_id: no interaction rule group {rule['group_id']}") from None
        for r in group["rules"]:
            imported = {k: r[k] for k in RULE_FIELDS if r.get(k) is not None}
            out.append({**imported, "group_id": group["group_id"], "group_name": group["group_name"]})
    return out


def _epoch(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SpecError(f"{name}: {value!r} is not a time like 2026-11-24T09:00:00Z") from None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


def install_rule_groups(r: APIRouter, store: Store, parse_body, raw_body, settings: Settings | None = None) -> None:
    """The routes; with `settings`, the rules' media are held to the server's policy (400 naming the field)."""
    groups = "/smart-live-interaction-rule-groups"
    one = groups + "/{group_id}"
    tags = ["interaction rule groups"]

    @r.post(groups, summary="Create an interaction rule group", tags=tags)
    def create_group(project_id: str, body: bytes = Depends(raw_body)):
        name, rules = group_body(parse_body(body), settings)
        return {"group_id": store.create_rule_group(project_id, name, rules)["group_id"]}

    def listing(project_id, offset, limit, group_name, create_since, create_until, detail):
        count, rows = store.list_rule_groups(
            project_id, offset=offset, limit=limit, group_name=group_name,
            since=_epoch(create_since, "create_since"), until=_epoch(create_until, "create_until"))
        return {"count": count, "interaction_rule_groups": [group_view(g, detail=detail) for g in rows]}

    @r.get(groups, summary="List interaction rule groups (with their rules)", tags=tags)
    def list_groups(project_id: str, offset: int = Query(0, ge=0), limit: int = Query(10, ge=1, le=100),
                    group_name: str | None = None, create_since: str | None = None,
                    create_until: str | None = None):
        return listing(project_id, offset, limit, group_name, create_since, create_until, True)

    @r.get(groups + "-summary", summary="List interaction rule groups (names only)", tags=tags)
    def list_group_summaries(project_id: str, offset: int = Query(0, ge=0),
                             limit: int = Query(10, ge=1, le=100), group_name: str | None = None,
                             create_since: str | None = None, create_until: str | None = None):
        return listing(project_id, offset, limit, group_name, create_since, create_until, False)

    @r.get(one, summary="Show an interaction rule group", tags=tags)
    def show_group(project_id: str, group_id: str):
        return group_view(store.get_rule_group(project_id, group_id))

    @r.put(one, summary="Update an interaction rule group (name and all its rules)", tags=tags)
    def update_group(project_id: str, group_id: str, body: bytes = Depends(raw_body)):
        name, rules = group_body(parse_body(body), settings)

        def change(row):
            row["group_name"], row["rules"] = name, rules

        return group_view(store.change_rule_group(project_id, group_id, change))

    @r.delete(one, status_code=204, summary="Delete an interaction rule group", tags=tags)
    def delete_group(project_id: str, group_id: str):
        store.delete_rule_group(project_id, group_id)
        return Response(status_code=204)

    @r.post(one + "/rules", summary="Add a rule to a group", tags=tags)
    def create_rule(project_id: str, group_id: str, body: bytes = Depends(raw_body)):
        rule = check_rule(parse_body(body), "(body)", settings)
        made = {}

        def change(row):
            if rule.get("rule_index") in {x.get("rule_index") for x in row["rules"]}:
                raise SpecError(f"rule_index: {rule['rule_index']!r} is already a rule of group {group_id}")
            made.update(new_rule(rule, row["rules"]))
            row["rules"].append(made)

        store.change_rule_group(project_id, group_id, change)
        return rule_view(made)

    def rule_at(row: dict, rule_id: str) -> int:
        for i, x in enumerate(row["rules"]):
            if x["rule_id"] == rule_id:
                return i
        raise NotFoundError(f"rule_id: no rule {rule_id} in interaction rule group {row['group_id']}")

    @r.put(one + "/rules/{rule_id}", summary="Update a rule of a group", tags=tags)
    def update_rule(project_id: str, group_id: str, rule_id: str, body: bytes = Depends(raw_body)):
        rule = check_rule(parse_body(body), "(body)", settings)
        done = {}

        def change(row):
            i = rule_at(row, rule_id)
            old = row["rules"][i]
            keep = {"rule_id": rule_id, "rule_index": rule.get("rule_index") or old["rule_index"],
                    "created": old["created"], "updated": time.time()}
            done.update(rule, **keep)
            row["rules"][i] = done

        store.change_rule_group(project_id, group_id, change)
        return rule_view(done)

    @r.delete(one + "/rules/{rule_id}", status_code=204, summary="Delete a rule of a group", tags=tags)
    def delete_rule(project_id: str, group_id: str, rule_id: str):
        store.change_rule_group(project_id, group_id, lambda row: row["rules"].pop(rule_at(row, rule_id)))
        return Response(status_code=204)
