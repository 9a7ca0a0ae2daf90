// Rooms: the list, a new room from an example or a template, and one room (editor, still, jobs).
import { get, post, put, del, blob, roomPath, ApiError } from "./api.js";
import { el, clear, toast, field, stateBadge, fmtTime, fmtDuration, locate } from "./ui.js";

export async function roomsView(view) {
  const { count, smart_live_rooms: rooms } = await get("/smart-live-rooms?limit=100");
  clear(view,
    el("div.page-head",
      el("h1", "Rooms"), el("span.muted", `${count} room${count === 1 ? "" : "s"}`),
      el("a.button.primary", { href: "#/new" }, "+ New room")),
    rooms.length === 0
      ? el("div.empty.card", el("p", "No room yet."), el("a.button.primary", { href: "#/new" }, "Create one from the example"))
      : el("table.list#rooms-table",
        el("thead", el("tr", ["Name", "Type", "State", "Last job", "Updated"].map((h) => el("th", h)))),
        el("tbody", rooms.map((r) => el("tr.clickable", { onclick: () => { location.hash = `#/rooms/${r.room_id}`; } },
          el("td", el("a", { href: `#/rooms/${r.room_id}` }, r.room_name || "(unnamed)"),
            el("div.muted.small", r.room_description || r.room_id)),
          el("td", el("span.tag", r.room_type)),
          el("td", stateBadge(r.room_state)),
          el("td", r.last_job_status ? [stateBadge(r.last_job_status), " ", el("span.muted.small", fmtTime(r.last_job_start_time))] : el("span.muted", "never")),
          el("td.muted.small", fmtTime(r.update_time)))))));
}

export async function newRoomView(view) {
  const [{ example_rooms: examples }, templates] = await Promise.all([
    get("/console/example-rooms"),
    get("/smart-live-rooms?limit=100&room_type=TEMPLATE"),
  ]);
  const choices = [
    ...examples.map((x) => ({ label: x.name, kind: `example · ${x.file}`, room: x.room, desc: x.room.room_description })),
    ...templates.smart_live_rooms.map((t) => ({ label: t.room_name, kind: "template", roomId: t.room_id, desc: t.room_description })),
  ];
  const name = el("input#new-name", { placeholder: "room name", required: true });
  const type = el("select#new-type", el("option", { value: "NORMAL" }, "NORMAL"), el("option", { value: "TEMPLATE" }, "TEMPLATE"), el("option", { value: "TEMP" }, "TEMP (deleted after its job)"));
  let chosen = 0;
  const cards = choices.map((c, i) => el("button.choice", {
    type: "button", dataset: { choice: c.label },
    onclick: () => { chosen = i; name.value = `${c.label}`; cards.forEach((x, j) => x.classList.toggle("selected", j === i)); },
  }, el("strong", c.label), el("span.muted.small", c.kind), el("span.small", c.desc || "")));
  if (cards.length) { cards[0].classList.add("selected"); name.value = choices[0].label; }
  const errors = el("div.errors");
  const create = async (ev) => {
    ev.preventDefault();
    const c = choices[chosen];
    const room = c.room ? structuredClone(c.room) : { ...(await get(roomPath(c.roomId))) };
    for (const k of ["room_id", "create_time", "update_time", "room_state"]) delete room[k];
    room.room_name = name.value.trim() || c.label;
    room.room_type = type.value;
    try {
      const { room_id: id } = await post("/smart-live-rooms", room);
      toast(`Room "${room.room_name}" created`, "ok");
      location.hash = `#/rooms/${id}`;
    } catch (e) {
      clear(errors, errorList(e));
    }
  };
  clear(view,
    el("div.page-head", el("a.back", { href: "#/rooms" }, "← Rooms"), el("h1", "New room")),
    el("form.card.narrow", { onsubmit: create },
      el("h3", "Start from"),
      cards.length ? el("div.choices", cards) : el("p.muted", "No example or template room found."),
      el("div.row", field("Name", name), field("Type", type)),
      errors,
      el("div.actions", el("button.primary#create-room", { type: "submit" }, "Create room"))));
}

function errorList(e) {
  if (!(e instanceof ApiError)) return el("p.error", e.message);
  const details = e.details;
  return el("div.error-box",
    el("strong", `${e.code} ${e.msg.split(":")[0]}`),
    details.length ? el("ul", details.map((d) => el("li", el("code", d.path || "(body)"), " ", d.reason))) : el("p", e.msg));
}

export async function roomView(view, roomId) {
  const room = await get(roomPath(roomId));
  const body = { ...room };
  for (const k of ["room_id", "create_time", "update_time", "room_state"]) delete body[k];
  let saved = JSON.stringify(body, null, 2);

  // --- editor -------------------------------------------------------------------------------
  const editor = el("textarea#room-json.code", { spellcheck: "false", wrap: "off" });
  editor.value = saved;
  const status = el("span.muted.small#editor-status", "saved");
  const problems = el("div#room-errors");
  const showErrors = (e) => {
    if (!(e instanceof ApiError)) { clear(problems, el("p.error", e.message)); return; }
    const text = editor.value;
    clear(problems, el("div.error-box",
      el("strong", `${e.code} ${e.msg.split(":")[0]}`),
      el("ul", (e.details.length ? e.details : [{ path: "", reason: e.msg }]).map((d) => {
        const at = d.path ? locate(text, d.path) : null;
        return el("li.error-item", {
          dataset: { path: d.path },
          title: at ? "show in the editor" : "",
          onclick: () => { if (at) { editor.focus(); editor.setSelectionRange(at[0], at[1]); scrollTo(editor, at[0]); } },
        }, el("code", d.path || "(body)"), " ", d.reason, at ? el("span.line", ` line ${lineOf(text, at[0])}`) : null);
      }))));
  };
  const parse = () => {
    try { return JSON.parse(editor.value); } catch (e) { clear(problems, el("p.error", `The room is not valid JSON: ${e.message}`)); return null; }
  };
  editor.addEventListener("input", () => { status.textContent = editor.value === saved ? "saved" : "unsaved changes"; });
  const save = async () => {
    const data = parse();
    if (!data) return;
    try {
      await put(roomPath(roomId), data);
      saved = editor.value;
      status.textContent = "saved";
      clear(problems);
      title.textContent = data.room_name || "(unnamed)";
      toast("Room saved", "ok");
      fillScenes(data);
    } catch (e) {
      status.textContent = "not saved: see the errors";
      showErrors(e);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete the room "${room.room_name}"?`)) return;
    try { await del(roomPath(roomId)); toast("Room deleted", "ok"); location.hash = "#/rooms"; } catch (e) { toast(e.message, "error"); }
  };

  // --- still --------------------------------------------------------------------------------
  const scene = el("select#still-scene");
  const at = el("input#still-at", { type: "number", min: "0", step: "0.5", value: "1" });
  const img = el("img#still-img", { alt: "" });
  const stillBox = el("div.still", el("span.muted", "Render a still to see a scene."));
  const fillScenes = (data) => clear(scene, (data.scene_scripts || []).map((s, i) => el("option", { value: String(i) }, `${i}: ${s.script_name || "scene"}`)));
  fillScenes(body);
  const renderStill = async () => {
    const data = parse();
    if (!data) return;
    clear(stillBox, el("span.spinner"), el("span.muted", " rendering…"));
    try {
      const png = await blob("POST", "/console/still", { room: data, scene: Number(scene.value || 0), at: Number(at.value || 0) });
      img.src = URL.createObjectURL(png);
      clear(stillBox, img);
    } catch (e) {
      clear(stillBox, errorList(e));
      if (e instanceof ApiError) showErrors(e);
    }
  };

  // --- jobs ---------------------------------------------------------------------------------
  const outUrl = el("input#job-url", { placeholder: "rtmp://127.0.0.1:1935/live", value: (body.output_urls || [])[0] || "" });
  const outKey = el("input#job-key", { placeholder: "stream key", value: (body.stream_keys || [])[0] || "" });
  const jobsBox = el("div#jobs");
  const start = async (ev) => {
    ev.preventDefault();
    const startBody = {};
    if (outUrl.value.trim()) { startBody.output_urls = [outUrl.value.trim()]; startBody.stream_keys = [outKey.value.trim()]; }
    try {
      const { job_id: jobId } = await post(`${roomPath(roomId)}/smart-live-jobs`, startBody);
      toast("Live job started", "ok");
      location.hash = `#/live/${roomId}/${jobId}`;
    } catch (e) {
      toast(e.message, "error");
    }
  };
  const refreshJobs = async () => {
    try {
      const { smart_live_jobs: jobs } = await get(`${roomPath(roomId)}/smart-live-jobs?limit=10`);
      clear(jobsBox, jobs.length === 0 ? el("p.muted", "No job yet.") : el("table.list.compact",
        el("tbody", jobs.map((j) => el("tr",
          el("td", stateBadge(j.state)),
          el("td.small", fmtTime(j.start_time || j.create_time)),
          el("td.small", fmtDuration(j.duration)),
          el("td", ["WAITING", "PROCESSING"].includes(j.state)
            ? el("a.button.small", { href: `#/live/${roomId}/${j.job_id}` }, "Open live")
            : (j.error_info ? el("span.error.small", { title: j.error_info.error_msg }, j.error_info.error_code) : "")))))));
    } catch { /* shown next time */ }
  };
  refreshJobs();
  const timer = setInterval(refreshJobs, 3000);

  const title = el("h1", room.room_name || "(unnamed)");
  clear(view,
    el("div.page-head", el("a.back", { href: "#/rooms" }, "← Rooms"), title, el("span.tag", room.room_type), stateBadge(room.room_state),
      el("span.grow"), el("button.danger.ghost", { onclick: remove }, "Delete")),
    el("div.grid-room",
      el("section.card.editor-card",
        el("div.card-head", el("h3", "Room JSON"), status, el("span.grow"), el("button.primary#save-room", { onclick: save }, "Save")),
        problems, editor),
      el("div.stack",
        el("section.card",
          el("div.card-head", el("h3", "Preview still")),
          el("div.row", field("Scene", scene), field("At (s)", at), el("button#render-still", { onclick: renderStill }, "Render")),
          stillBox),
        el("section.card",
          el("div.card-head", el("h3", "Live jobs")),
          el("form.row", { onsubmit: start }, field("Output URL", outUrl), field("Stream key", outKey),
            el("button.primary#start-job", { type: "submit" }, "Start live")),
          jobsBox))));
  return () => clearInterval(timer);
}

function lineOf(text, pos) {
  return text.slice(0, pos).split("\n").length;
}

function scrollTo(textarea, pos) {
  const lines = lineOf(textarea.value, pos);
  const lh = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (lines - 5) * lh);
}
