// The status page: GET /v1/status every 2 s, shown as counts, generations, reindex progress,
// failed files with their reasons, the model and the library roots.
"use strict";

(function () {
  const { api, el } = window.vidx;
  const $ = (id) => document.getElementById(id);
  const PERIOD_MS = 2000;

  function text(id, value) {
    $(id).textContent = value === null || value === undefined || value === "" ? "none" : String(value);
  }

  function count(attr, value) {
    const node = document.querySelector(`[data-${attr}]`);
    const n = typeof value === "number" ? value : 0;
    node.textContent = String(n);
    node.setAttribute(`data-${attr}`, String(n));
  }

  function render(s) {
    const files = s.files || {};
    count("indexed", files.indexed);
    count("failed", files.failed);
    count("pending", files.pending);
    count("vectors", s.vectors);
    document.querySelector(".count.failed").classList.toggle("bad", (files.failed || 0) > 0);

    const gen = s.generation || {};
    text("gen-active", gen.active);
    text("gen-building", gen.building);
    text("fingerprint", s.fingerprint);

    const d = s.daemon || null;
    text("phase", d ? d.phase : "no daemon (read from the state directory)");
    text("serving", d ? (d.serving === null ? "nothing yet" : `generation ${d.serving}`) : null);
    text("rate", d && d.video_seconds_per_second ? `${d.video_seconds_per_second.toFixed(1)} video-seconds/s` : null);
    text("searches", d ? d.searches : null);

    const r = d && d.reindex;
    $("reindex").hidden = !r;
    if (r) {
      const bar = $("reindex-bar");
      bar.max = Math.max(1, r.total || 0);
      bar.value = r.done || 0;
      const pct = r.total ? Math.floor((100 * r.done) / r.total) : 0;
      $("reindex-label").textContent =
          `Reindexing into generation ${r.generation}: ${r.done} of ${r.total} files (${pct}%)`;
    }

    const notes = $("notes");
    notes.replaceChildren();
    const labels = { last_error: "Indexing paused", reload_error: "Reload refused", serving_note: "Note" };
    for (const key of Object.keys(labels)) {
      if (d && d[key]) notes.append(el("p", { class: `note ${key === "serving_note" ? "" : "bad"}` },
                                       el("strong", {}, `${labels[key]}: `), d[key]));
    }

    const failed = s.failed_files || [];
    $("failed-empty").hidden = failed.length > 0;
    $("failed-table").hidden = failed.length === 0;
    // A reason usually starts with the path already; the table shows it once.
    const reason = (f) => (f.error.startsWith(`${f.path}: `) ? f.error.slice(f.path.length + 2) : f.error);
    $("failed-rows").replaceChildren(...failed.map((f) =>
        el("tr", { "data-path": f.path }, el("td", { class: "mono" }, f.path), el("td", {}, reason(f)))));

    const m = s.model || {};
    text("model-path", m.path);
    text("model-family", m.family);
    text("model-sha", m.checkpoint_sha256);
    text("model-fingerprint", m.fingerprint);

    const roots = (s.library && s.library.roots) || [];
    $("roots").replaceChildren(...(roots.length ? roots.map((p) => el("li", {}, p))
                                                : [el("li", { class: "muted" }, "no library roots configured")]));
    if (!files.indexed && !files.pending && !files.failed) {
      say("Nothing indexed yet: the daemon has found no videos under the library roots.", "empty");
    } else {
      say("");
    }
  }

  function say(message, kind) {
    const box = $("message");
    box.hidden = !message;
    box.className = `message ${kind || ""}`;
    box.textContent = message;
  }

  async function refresh() {
    try {
      render(await api("/v1/status"));
      document.body.dataset.loaded = "true";
      $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      say(e.message, "error");
      $("updated").textContent = `last attempt ${new Date().toLocaleTimeString()} failed`;
    }
    setTimeout(refresh, PERIOD_MS);
  }

  refresh();
})();
