// Live jobs: the list, and one running job (live view, status, test viewers, event log).
import { get, post, blob, follow, rtc, roomPath, jobPath, ApiError } from "./api.js";
import { el, clear, toast, stateBadge, fmtTime, fmtDuration } from "./ui.js";
import { viewersPanel } from "./viewers.js";

const ACTIVE = ["WAITING", "PROCESSING"];

export async function jobsView(view) {
  const render = async () => {
    const { count, smart_live_jobs: jobs } = await get("/smart-live-jobs?limit=50");
    clear(view,
      el("div.page-head", el("h1", "Live jobs"), el("span.muted", `${count} job${count === 1 ? "" : "s"}`)),
      jobs.length === 0 ? el("div.empty.card", el("p", "No live job yet. Start one from a room."), el("a.button", { href: "#/rooms" }, "Rooms"))
        : el("table.list#jobs-table",
          el("thead", el("tr", ["Room", "State", "Started", "Duration", ""].map((h) => el("th", h)))),
          el("tbody", jobs.map((j) => el("tr",
            el("td", el("a", { href: `#/rooms/${j.room_id}` }, j.room_name || j.room_id)),
            el("td", stateBadge(j.state), j.error_info ? el("div.error.small", j.error_info.error_msg) : null),
            el("td.small", fmtTime(j.start_time || j.create_time)),
            el("td.small", fmtDuration(j.duration)),
            el("td", el("a.button.small", { href: `#/live/${j.room_id}/${j.job_id}` }, ACTIVE.includes(j.state) ? "Open live" : "Events")))))));
  };
  await render();
  const timer = setInterval(() => render().catch(() => {}), 3000);
  return () => clearInterval(timer);
}

// Event types by filter group; anything else is "other".
const GROUPS = {
  rules: ["RULE_HIT", "RULE_DROPPED", "INTERACTION_RULE_HIT"],
  replies: ["REPLY_START", "REPLY_COMMAND_FINISH", "COMMAND_REJECTED"],
  script: ["SHOOT_SCRIPT_SWITCH"],
  layers: ["LAYER_SHOW", "LAYER_HIDE"],
  stream: ["RTMP_STREAM_STATE_CHANGE", "JOB_STATE", "RING_OVERFLOW"],
};
const EVENT_NAMES = { 1: "comment", 2: "join", 3: "like", 4: "gift", 6: "viewer count", 10: "script sentence" };
const groupOf = (type) => Object.keys(GROUPS).find((g) => GROUPS[g].includes(type)) || "other";

function summary(type, m) {
  switch (type) {
    case "SHOOT_SCRIPT_SWITCH": return `${m.scene_script_name} · paragraph ${m.shoot_script_sequence_no}${m.shoot_script_title ? ` “${m.shoot_script_title}”` : ""}`;
    case "RTMP_STREAM_STATE_CHANGE": return `${m.output_url}${m.stream_key ? "/" + m.stream_key : ""} → ${m.state}`;
    case "JOB_STATE": return `job ${m.state}${m.error_info ? `: ${m.error_info.error_code} ${m.error_info.error_msg}` : ""}`;
    case "REPLY_START": return `${m.role || ""} says “${m.text}”`;
    case "REPLY_COMMAND_FINISH": return `reply ${m.reply_id} finished${m.reason ? ` (${m.reason})` : ""}`;
    case "COMMAND_REJECTED": return `${m.command} rejected: ${m.error_code} ${m.error_msg}`;
    case "LAYER_SHOW": case "LAYER_HIDE": return `${m.layer_type || "layer"} ${m.layer_id || ""}${m.rule_index ? ` (rule ${m.rule_index})` : ""}`;
    case "RING_OVERFLOW": return `${m.missed} older line(s) were not kept`;
    case "RULE_HIT": {
      const values = m.values && typeof m.values === "object" ? Object.entries(m.values).map(([k, v]) => `${k}=${v}`).join(", ") : "";
      return `rule “${m.rule_name || m.rule_index}” on ${EVENT_NAMES[m.event_type] || `event ${m.event_type}`} → ${m.reply_mode}${values ? ` (${values})` : ""}`;
    }
    case "RULE_DROPPED": return `reply of rule “${m.rule_name || m.rule_index}” dropped: ${m.reason}`;
    default: {
      const rule = m.rule_name || m.rule_index;
      const bits = [rule ? `rule ${rule}` : "", m.reason || "", m.event ? JSON.stringify(m.event.content ?? m.event).slice(0, 120) : ""];
      const s = bits.filter(Boolean).join(" · ");
      return s || JSON.stringify(m).slice(0, 160);
    }
  }
}

export function eventLog() {
  const lines = [];
  const active = new Set(Object.keys(GROUPS).concat("other"));
  const search = el("input#log-search", { placeholder: "filter text", type: "search" });
  const list = el("ol.log#event-log");
  const counter = el("span.muted.small");
  const chips = [...Object.keys(GROUPS), "other"].map((g) => el(`button.chip.on.g-${g}`, {
    type: "button", dataset: { group: g },
    onclick: (ev) => { active.has(g) ? active.delete(g) : active.add(g); ev.target.classList.toggle("on"); redraw(); },
  }, g));
  const visible = (row) => active.has(row.group) && (!search.value || row.text.toLowerCase().includes(search.value.toLowerCase()));
  const rowEl = (row) => el(`li.g-${row.group}`, { dataset: { type: row.type }, title: row.raw },
    el("span.t", row.time === undefined ? "" : `${Number(row.time).toFixed(1)}s`),
    el("span.type", row.type), el("span.msg", row.text));
  function redraw() {
    clear(list, lines.filter(visible).map(rowEl));
    list.scrollTop = list.scrollHeight;
    counter.textContent = `${lines.length} line${lines.length === 1 ? "" : "s"}`;
  }
  search.addEventListener("input", redraw);
  const box = el("section.card.log-card",
    el("div.card-head", el("h3", "Event log"), counter, el("span.grow"), search),
    el("div.chips", chips), list);
  return {
    box,
    add(line) {
      let m = {};
      try { m = typeof line.message === "string" ? JSON.parse(line.message) : (line.message || {}); } catch { m = { text: line.message }; }
      const row = { type: line.event_type, group: groupOf(line.event_type), time: line.time, text: summary(line.event_type, m), raw: JSON.stringify(line), m };
      lines.push(row);
      if (lines.length > 2000) lines.shift();
      const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
      if (visible(row)) list.append(rowEl(row));
      if (list.children.length > 2000) list.firstChild.remove();
      if (stick) list.scrollTop = list.scrollHeight;
      counter.textContent = `${lines.length} line${lines.length === 1 ? "" : "s"}`;
      return row;
    },
  };
}

export async function liveView(view, roomId, jobId) {
  const room = await get(roomPath(roomId));
  let job = await get(jobPath(roomId, jobId));

  const picture = el("img#live-img", { alt: "live view" });
  const placeholder = el("div.live-placeholder", el("span.spinner"), el("span", " waiting for the first picture…"));
  const screen = el("div.screen", placeholder);
  const meta = el("div.live-meta.small.muted#live-meta", "");
  const stateEl = el("span#job-state");
  const durationEl = el("span#job-duration.mono");
  const paragraphEl = el("div#paragraph.quote", el("span.muted", "—"));
  const subtitleEl = el("div#subtitle.quote", el("span.muted", "—"));
  const outputsEl = el("ul#outputs.outputs");
  const outputs = new Map((room.output_urls || []).map((u, i) => [`${u}/${(room.stream_keys || [])[i] || ""}`, "—"]));
  const drawOutputs = () => clear(outputsEl, outputs.size === 0 ? el("li.muted", "—")
    : [...outputs].map(([name, st]) => el("li", el("span.mono.small", name), " ", stateBadge(st))));
  drawOutputs();

  const stopBtn = el("button.danger#stop-job", {
    onclick: async () => {
      stopBtn.disabled = true;
      try { await post(`${jobPath(roomId, jobId)}/stop`); toast("Stopping the live job…"); } catch (e) { toast(e.message, "error"); stopBtn.disabled = false; }
    },
  }, "Stop live");

  let speaking = null; // reply_id of the reply being spoken
  const drawJob = () => {
    clear(stateEl, stateBadge(job.state));
    durationEl.textContent = fmtDuration(job.duration);
    stopBtn.hidden = !ACTIVE.includes(job.state);
    if (!ACTIVE.includes(job.state)) { speaking = null; clear(subtitleEl, el("span.muted", "—")); }
    if (!ACTIVE.includes(job.state) && !picture.isConnected) clear(screen, el("div.live-placeholder", `The job is ${job.state}: no live picture.`));
    if (job.error_info) clear(meta, el("span.error", `${job.error_info.error_code} ${job.error_info.error_msg}`));
  };
  drawJob();

  const paragraphText = (sceneName, seq) => {
    const scene = (room.scene_scripts || []).find((s) => s.script_name === sceneName);
    const para = scene && scene.shoot_scripts.find((p) => String(p.sequence_no) === String(seq));
    return para && para.text_config ? para.text_config.text : "";
  };

  const log = eventLog();
  const onLine = (line) => {
    const row = log.add(line);
    const m = row.m;
    if (line.event_type === "RTMP_STREAM_STATE_CHANGE") {
      outputs.set(`${m.output_url}/${m.stream_key || ""}`, m.state);
      drawOutputs();
    } else if (line.event_type === "REPLY_START") {
      speaking = m.reply_id;
      clear(subtitleEl, el("span.tag", m.role || "reply"), " ", m.text);
    } else if (line.event_type === "REPLY_COMMAND_FINISH" && m.reply_id === speaking) {
      speaking = null;
      clear(subtitleEl, el("span.muted", "—"));
    } else if (line.event_type === "JOB_STATE") {
      job = { ...job, state: m.state, error_info: m.error_info };
      drawJob();
    }
  };
  const stream = follow(jobId, onLine, { onEnd: () => { pollJob(); } });
  // the paragraph on air: from the job's RTC channel (live_progress_notify)
  const progress = rtc(roomId, jobId, (msg) => {
    if (msg.message_type !== "live_progress_notify" || msg.data.reply_id) return;
    const d = msg.data;
    clear(paragraphEl, el("strong", `${d.script_name} · ${d.shoot_script_sequence_no}`), " ", paragraphText(d.script_name, d.shoot_script_sequence_no));
    paragraphEl.dataset.source = "rtc";
  });

  // the picture: a few times a second while the job runs
  let frames = 0;
  let lastFrame = null;
  let busy = false;
  const pollPicture = async () => {
    if (busy || !ACTIVE.includes(job.state)) return;
    busy = true;
    try {
      const info = await get(`/console/jobs/${encodeURIComponent(jobId)}/live-view-info`);
      if (info.frame !== null && info.frame !== lastFrame) {
        const jpg = await blob("GET", `/console/jobs/${encodeURIComponent(jobId)}/live-view`);
        const old = picture.src;
        picture.src = URL.createObjectURL(jpg);
        if (old) URL.revokeObjectURL(old);
        if (!picture.isConnected) clear(screen, picture);
        lastFrame = info.frame;
        frames++;
        picture.dataset.frame = String(info.frame);
        meta.textContent = `frame ${info.frame} · ${Number(info.time).toFixed(1)} s`;
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) meta.textContent = e.message;
    } finally {
      busy = false;
    }
  };
  const pollJob = async () => {
    try { job = await get(jobPath(roomId, jobId)); drawJob(); } catch { /* next time */ }
  };
  const picTimer = setInterval(pollPicture, 250);
  const jobTimer = setInterval(pollJob, 2000);

  clear(view,
    el("div.page-head", el("a.back", { href: `#/rooms/${roomId}` }, `← ${room.room_name || "room"}`), el("h1", "Live"),
      stateEl, durationEl, el("span.grow"), stopBtn),
    el("div.grid-live",
      el("section.card.screen-card", screen, meta),
      el("div.stack",
        el("section.card.status-card",
          el("h4", "Paragraph"), paragraphEl,
          el("h4", "Reply speaking"), subtitleEl,
          el("h4", "Outputs"), outputsEl),
        viewersPanel(roomId, jobId, room)),
      log.box));
  return () => { stream.stop(); progress.stop(); clearInterval(picTimer); clearInterval(jobTimer); };
}
