// The smartlive API as the console calls it: X-Auth-Token, JSON in and out, errors as objects.
const KEY = "smartlive.console";

export const session = JSON.parse(localStorage.getItem(KEY) || "{}");

export function saveSession(project, token) {
  session.project = project;
  session.token = token;
  localStorage.setItem(KEY, JSON.stringify(session));
}

export class ApiError extends Error {
  constructor(status, body) {
    const code = (body && body.error_code) || `HTTP ${status}`;
    const msg = (body && body.error_msg) || "no answer";
    super(`${code} ${msg}`);
    this.status = status;
    this.code = code;
    this.msg = msg;
  }

  // "Invalid parameter: a.b[0].c: reason; d: reason" -> [{path, reason}]
  get details() {
    const rest = this.msg.replace(/^[^:]*?:\s/, "");
    if (rest === this.msg) return [];
    return rest.split(/;\s(?=[\w\[\]().]+:\s)/).map((part) => {
      const m = part.match(/^([\w\[\]().]+):\s([\s\S]*)$/);
      return m ? { path: m[1], reason: m[2] } : { path: "", reason: part };
    });
  }
}

function headers(extra = {}) {
  const h = { ...extra };
  if (session.token) h["X-Auth-Token"] = session.token;
  return h;
}

export function url(path) {
  return `/v1/${encodeURIComponent(session.project || "")}${path}`;
}

export async function call(method, path, body, { raw = false } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetch(url(path), init);
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    const err = new ApiError(res.status, data);
    if (res.status === 401) window.dispatchEvent(new CustomEvent("unauthorized", { detail: err }));
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const get = (p) => call("GET", p);
export const post = (p, b) => call("POST", p, b);
export const put = (p, b) => call("PUT", p, b);
export const del = (p) => call("DELETE", p);

export async function blob(method, path, body) {
  const res = await call(method, path, body, { raw: true });
  return res.blob();
}

export const roomPath = (roomId) => `/smart-live-rooms/${encodeURIComponent(roomId)}`;
export const jobPath = (roomId, jobId) => `${roomPath(roomId)}/smart-live-jobs/${encodeURIComponent(jobId)}`;

// Server-sent events over fetch (so the token goes in a header): calls onLine(line, id) for each
// event line, reconnects with ?after=<last id> until the server says "end" or stop() is called.
export function follow(jobId, onLine, { onEnd = () => {}, onState = () => {} } = {}) {
  let after = 0;
  let stopped = false;
  let controller = null;

  async function once() {
    controller = new AbortController();
    const res = await fetch(url(`/console/jobs/${encodeURIComponent(jobId)}/events?after=${after}`),
      { headers: headers({ Accept: "text/event-stream" }), signal: controller.signal });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    onState("open");
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buf += value;
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let id = null, data = "", event = "message";
        for (const ln of block.split("\n")) {
          if (ln.startsWith("id: ")) id = Number(ln.slice(4));
          else if (ln.startsWith("data: ")) data += ln.slice(6);
          else if (ln.startsWith("event: ")) event = ln.slice(7);
        }
        if (event === "end") return true;
        if (id !== null) after = id;
        if (data && event === "message") onLine(JSON.parse(data), id);
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        if (await once()) { onEnd(); return; }
      } catch (e) {
        if (stopped) return;
        onState("error", e);
        if (e instanceof ApiError && e.status !== 503) { onEnd(e); return; }
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  })();

  return { stop() { stopped = true; if (controller) controller.abort(); } };
}

// The job's RTC channel (a WebSocket under the job's URL): onMessage({message_type, data}) for
// each live_progress_notify / reply_command_finish_notify. The token goes as the first message
// (a browser cannot set headers on a WebSocket). Reconnects until stop() or the server ends it (1000).
export function rtc(roomId, jobId, onMessage) {
  let stopped = false;
  let ws = null;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}${url(jobPath(roomId, jobId))}/rtc-events`);
    ws.onopen = () => { if (session.token) ws.send(JSON.stringify({ "x-auth-token": session.token })); };
    ws.onmessage = (ev) => { try { onMessage(JSON.parse(ev.data)); } catch { /* not JSON */ } };
    ws.onclose = (ev) => { if (!stopped && ev.code !== 1000 && ev.code !== 1008) setTimeout(open, 2000); };
  };
  open();
  return { stop() { stopped = true; if (ws) ws.close(); } };
}
