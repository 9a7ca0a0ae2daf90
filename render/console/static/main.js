// The console's router: #/rooms, #/rooms/<id>, #/new, #/jobs, #/live/<room>/<job>, #/rules.
import { session, saveSession, get, ApiError } from "./api.js";
import { toast } from "./ui.js";
import { roomsView, newRoomView, roomView } from "./rooms.js";
import { jobsView, liveView } from "./live.js";
import { rulesView } from "./rules.js";

const view = document.getElementById("view");
let cleanup = null;

const routes = [
  [/^#\/rooms\/?$/, () => roomsView(view)],
  [/^#\/new$/, () => newRoomView(view)],
  [/^#\/rooms\/([^/]+)$/, (m) => roomView(view, decodeURIComponent(m[1]))],
  [/^#\/jobs\/?$/, () => jobsView(view)],
  [/^#\/live\/([^/]+)\/([^/]+)$/, (m) => liveView(view, decodeURIComponent(m[1]), decodeURIComponent(m[2]))],
  [/^#\/rules\/?$/, () => rulesView(view)],
];

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  const hash = location.hash || "#/rooms";
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", hash.startsWith(`#/${a.dataset.nav}`) ||
      (a.dataset.nav === "rooms" && (hash.startsWith("#/new") || hash.startsWith("#/rooms"))) ||
      (a.dataset.nav === "jobs" && hash.startsWith("#/live")));
  }
  if (!session.project && !(await openServer())) { signIn(); return; }
  document.getElementById("project-label").textContent = `project ${session.project}`;
  document.getElementById("signin-button").textContent = "Switch project";
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      try {
        cleanup = (await fn(m)) || null;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) toast(e.message, "error");
      }
      return;
    }
  }
  location.hash = "#/rooms";
}

// A server started with --no-auth says so in the page (meta smartlive-auth "off"): sign in to
// project "local" at once, without calling the API unauthenticated to find out.
async function openServer() {
  const meta = document.querySelector('meta[name="smartlive-auth"]');
  if (!meta || meta.content !== "off") return false;
  saveSession("local", "");
  return true;
}

function signIn(message = "") {
  const dlg = document.getElementById("signin");
  const form = document.getElementById("signin-form");
  form.project.value = session.project || "";
  form.token.value = session.token || "";
  document.getElementById("signin-error").textContent = message;
  if (!dlg.open) dlg.showModal();
}

document.getElementById("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  saveSession(form.project.value.trim(), form.token.value.trim());
  try {
    await get("/smart-live-rooms?limit=1");
    document.getElementById("signin").close();
    route();
  } catch (e) {
    document.getElementById("signin-error").textContent = e.message;
  }
});

document.getElementById("signin-button").addEventListener("click", () => signIn());
window.addEventListener("unauthorized", (ev) => signIn(ev.detail.message));
window.addEventListener("hashchange", route);
route();
