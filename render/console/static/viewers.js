// Test viewers: report comments, likes, joins and gifts; send INSERT_PLAY_SCRIPT and SHOW_LAYER.
import { post, jobPath } from "./api.js";
import { el, clear, toast, field } from "./ui.js";

const TYPES = { comment: 1, join: 2, like: 3, gift: 4, viewers: 6 };

export function viewersPanel(roomId, jobId, room) {
  const base = jobPath(roomId, jobId);
  const name = el("input#viewer-name", { value: `viewer_${Math.floor(1000 + Math.random() * 9000)}` });
  const level = el("input#viewer-level", { type: "number", min: "0", value: "3" });
  const user = () => ({ userId: name.value, name: name.value, level: Number(level.value || 0) });
  const last = el("div.small.muted#viewers-result", "");

  const report = async (kind, extra) => {
    const content = kind === "viewers" ? extra : { user: user(), ...extra };
    const event = { timestamp: Date.now(), type: TYPES[kind], content: JSON.stringify(content) };
    const res = await post(`${base}/live-event-report`, { total: 1, events: [event] });
    return res;
  };
  const guarded = (fn) => async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector("button[type=submit]") || ev.submitter;
    if (button) button.disabled = true;
    try {
      const what = await fn();
      last.textContent = `${new Date().toLocaleTimeString()} · ${what}`;
    } catch (e) {
      toast(e.message, "error");
      last.textContent = e.message;
    } finally {
      if (button) button.disabled = false;
    }
  };

  const commentText = el("input#comment-text", { value: "How much is it?", placeholder: "comment text" });
  const likeCount = el("input#like-count", { type: "number", min: "1", value: "1" });
  const viewerCount = el("input#viewer-count", { type: "number", min: "0", value: "1280" });
  const giftName = el("input#gift-name", { value: "rose" });
  const giftNum = el("input#gift-num", { type: "number", min: "1", value: "1" });
  const giftValue = el("input#gift-value", { type: "number", min: "0", value: "10" });

  const scriptText = el("textarea#insert-text", { rows: "2" }, "Thanks for watching, everyone!");
  const playType = el("select#insert-play-type", ["PLAY_NOW", "INSERT", "APPEND"].map((v) => el("option", v)));
  const playRole = el("select#insert-role", ["STREAMER", "CO_STREAMER"].map((v) => el("option", v)));

  const layerType = el("select#layer-type", ["TEXT", "IMAGE"].map((v) => el("option", v)));
  const layerContent = el("input#layer-content", { value: "Special offer tonight!" });
  const layerDx = el("input#layer-dx", { type: "number", value: "60" });
  const layerDy = el("input#layer-dy", { type: "number", value: "300" });
  const layerSeconds = el("input#layer-seconds", { type: "number", min: "1", value: "5" });
  layerType.addEventListener("change", () => {
    layerContent.placeholder = layerType.value === "TEXT" ? "text" : "image asset id or URL";
    layerContent.value = "";
  });

  const burstN = el("input#burst-n", { type: "number", min: "1", max: "500", value: "10" });
  const burstM = el("input#burst-m", { type: "number", min: "0", value: "5" });
  const burstText = el("input#burst-text", { value: "comment {i}: how much?" });
  const burstProgress = el("progress#burst-progress", { max: "1", value: "0" });

  const command = (cmd, params) => post(`${base}/command`, { command: cmd, params });

  const layerConfig = () => {
    const seconds = Number(layerSeconds.value || 5);
    const common = { layer_type: layerType.value, position: { dx: Number(layerDx.value), dy: Number(layerDy.value), layer_index: 50 } };
    if (layerType.value === "TEXT") {
      return { ...common, text_config: { text_context: layerContent.value, font_size: 48, font_color: "#FFFFFF", display_duration: seconds } };
    }
    // an asset id of the library or a URL: the server resolves either
    return { ...common, image_config: { image_url: layerContent.value.trim(), display_duration: seconds } };
  };

  let bursting = false;
  const burst = async () => {
    if (bursting) return "a burst is already running";
    const n = Math.max(1, Math.min(500, Number(burstN.value || 1)));
    const seconds = Math.max(0, Number(burstM.value || 0));
    bursting = true;
    burstProgress.max = n;
    let sent = 0, failed = 0;
    try {
      for (let i = 1; i <= n; i++) {
        const due = ((i - 1) * seconds * 1000) / n;
        await new Promise((r) => setTimeout(r, Math.max(0, due - (performance.now() - t0))));
        try { await report("comment", { content: burstText.value.replaceAll("{i}", String(i)) }); sent++; } catch { failed++; }
        burstProgress.value = i;
      }
    } finally {
      bursting = false;
    }
    return `burst: ${sent} comment(s) reported${failed ? `, ${failed} refused` : ""}`;
  };
  let t0 = 0;

  const tabs = [
    ["Comment", el("form.form#form-comment", { onsubmit: guarded(async () => { await report("comment", { content: commentText.value }); return `comment “${commentText.value}” reported`; }) },
      field("Text", commentText), el("button.primary", { type: "submit" }, "Send comment"))],
    ["Gift", el("form.form#form-gift", { onsubmit: guarded(async () => {
      const num = Number(giftNum.value || 1), value = Number(giftValue.value || 0);
      await report("gift", { gift: { giftName: giftName.value, giftNum: num, giftValue: value, totalValue: num * value } });
      return `gift ${num} × ${giftName.value} reported`;
    }) }, el("div.row", field("Gift", giftName), field("Count", giftNum), field("Value each", giftValue)), el("button.primary", { type: "submit" }, "Send gift"))],
    ["Audience", el("div.form",
      el("form.row#form-like", { onsubmit: guarded(async () => { await report("like", { count: Number(likeCount.value || 1) }); return `${likeCount.value} like(s) reported`; }) },
        field("Likes", likeCount), el("button", { type: "submit" }, "Send like")),
      el("form.row#form-join", { onsubmit: guarded(async () => { await report("join", {}); return `${name.value} joined`; }) },
        el("button", { type: "submit" }, "Viewer joins")),
      el("form.row#form-viewers", { onsubmit: guarded(async () => {
        await report("viewers", { numberOfViewers: Number(viewerCount.value || 0) });
        return `viewer count ${viewerCount.value} reported`;
      }) }, field("Viewers watching", viewerCount), el("button", { type: "submit" }, "Report count")))],
    ["Speak", el("form.form#form-insert", { onsubmit: guarded(async () => {
      const res = await command("INSERT_PLAY_SCRIPT", { text_config: { text: scriptText.value }, play_type: playType.value, play_role: playRole.value });
      return `INSERT_PLAY_SCRIPT ${res.command_id}: ${res.result}`;
    }) }, field("Text (plain or SSML)", scriptText), el("div.row", field("Play", playType), field("Role", playRole)), el("button.primary", { type: "submit" }, "Insert script"))],
    ["Layer", el("form.form#form-layer", { onsubmit: guarded(async () => {
      const res = await command("SHOW_LAYER", { layer_config: layerConfig() });
      return `SHOW_LAYER ${res.command_id}: ${res.result}`;
    }) }, el("div.row", field("Type", layerType), field("Content", layerContent)),
      el("div.row", field("dx", layerDx), field("dy", layerDy), field("Seconds", layerSeconds)), el("button.primary", { type: "submit" }, "Show layer"))],
    ["Burst", el("form.form#form-burst", { onsubmit: guarded(() => { t0 = performance.now(); return burst(); }) },
      el("div.row", field("Comments", burstN), field("Over (s)", burstM)), field("Text ({i} = number)", burstText), burstProgress,
      el("button.primary", { type: "submit" }, "Start burst"))],
  ];
  const body = el("div.tab-body");
  const buttons = tabs.map(([label, form], i) => el("button.tab", {
    type: "button", dataset: { tab: label },
    onclick: () => { buttons.forEach((b, j) => b.classList.toggle("on", i === j)); clear(body, form); },
  }, label));
  buttons[0].classList.add("on");
  clear(body, tabs[0][1]);

  return el("section.card.viewers-card",
    el("div.card-head", el("h3", "Test viewer")),
    el("div.row", field("Viewer", name), field("Level", level)),
    el("div.tabs", buttons), body, last);
}
