// Rule libraries (/smart-live-interaction-rule-groups): list, edit, import into a room.
import { get, post, put, del, roomPath, ApiError } from "./api.js";
import { el, clear, toast, field, fmtTime } from "./ui.js";

const GROUPS = "/smart-live-interaction-rule-groups";

export async function rulesView(view) {
  let groups;
  try {
    groups = await get(`${GROUPS}?limit=100`);
  } catch (e) {
    clear(view, el("div.page-head", el("h1", "Rule libraries")),
      el("div.card.empty", el("p.error", e.message),
        e instanceof ApiError && e.status === 404 ? el("p.muted", "This server has no rule-group endpoints yet.") : null));
    return;
  }
  const list = groups.interaction_rule_groups || groups.groups || [];
  const editor = el("textarea#group-json.code", { spellcheck: "false", wrap: "off", rows: "18" });
  const nameInput = el("input#group-name", { placeholder: "library name" });
  const errors = el("div");
  const rooms = el("select#import-room");
  let current = null;

  const { smart_live_rooms: roomList } = await get("/smart-live-rooms?limit=100");
  clear(rooms, roomList.map((r) => el("option", { value: r.room_id }, r.room_name)));

  const open = async (g) => {
    current = g ? await get(`${GROUPS}/${encodeURIComponent(g.group_id)}`) : null;
    nameInput.value = current ? current.group_name : "";
    editor.value = JSON.stringify(current ? current.interaction_rules || [] : [], null, 2);
    clear(errors);
  };
  const rules = () => {
    try {
      const r = JSON.parse(editor.value);
      if (!Array.isArray(r)) throw new Error("the rules must be a JSON array");
      return r;
    } catch (e) { clear(errors, el("p.error", e.message)); return null; }
  };
  const save = async () => {
    const r = rules();
    if (!r) return;
    const body = { group_name: nameInput.value.trim(), interaction_rules: r };
    try {
      if (current) await put(`${GROUPS}/${encodeURIComponent(current.group_id)}`, body);
      else current = { ...body, group_id: (await post(GROUPS, body)).group_id };
      toast("Library saved", "ok");
      rulesView(view);
    } catch (e) { clear(errors, el("p.error", e.message)); }
  };
  const remove = async () => {
    if (!current || !confirm(`Delete the library "${current.group_name}"?`)) return;
    try { await del(`${GROUPS}/${encodeURIComponent(current.group_id)}`); toast("Library deleted", "ok"); rulesView(view); } catch (e) { toast(e.message, "error"); }
  };
  const importInto = async () => {
    const r = rules();
    if (!r || !rooms.value) return;
    try {
      const room = await get(roomPath(rooms.value));
      for (const k of ["room_id", "create_time", "update_time", "room_state"]) delete room[k];
      const tagged = r.map(({ rule_id: _id, create_time: _c, update_time: _u, ...rule }) => ({
        ...rule, group_id: current ? current.group_id : undefined, group_name: nameInput.value.trim() || undefined,
      }));
      room.interaction_rules = [...(room.interaction_rules || []).filter((x) => !current || x.group_id !== current.group_id), ...tagged];
      await put(roomPath(rooms.value), room);
      toast(`${r.length} rule(s) imported into “${room.room_name}”`, "ok");
    } catch (e) { clear(errors, el("p.error", e.message)); }
  };

  clear(view,
    el("div.page-head", el("h1", "Rule libraries"), el("span.muted", `${list.length}`),
      el("button.primary", { onclick: () => open(null) }, "+ New library")),
    el("div.grid-rules",
      el("section.card",
        list.length === 0 ? el("p.muted", "No library yet.") : el("ul.plain", list.map((g) => el("li",
          el("a", { href: "#/rules", onclick: (ev) => { ev.preventDefault(); open(g); } }, g.group_name),
          el("div.muted.small", g.interaction_rules ? `${g.interaction_rules.length} rule(s) · ` : "", fmtTime(g.update_time || g.create_time)))))),
      el("section.card",
        el("div.card-head", field("Name", nameInput), el("span.grow"), el("button.primary#save-group", { onclick: save }, "Save"), el("button.ghost.danger", { onclick: remove }, "Delete")),
        el("p.muted.small", "The interaction rules of the library, as a room's interaction_rules (create doc, tables 15-23)."),
        editor, errors,
        el("div.row", field("Import into room", rooms), el("button#import-rules", { onclick: importInto }, "Import")))));
  open(list[0] || null);
}
