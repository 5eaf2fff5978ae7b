// The search page: words, a picture or "more like this" in, result cards with their moments
// out; filters by folder and modification date; paging; keyboard navigation. The player
// overlay is player.js. Routes and fields: docs/web.md and the server's /v1 API.
"use strict";

(function () {
  const { api, ApiError, clock, span, bytes, date, el } = window.vidx;
  const player = window.vidxPlayer;
  const $ = (id) => document.getElementById(id);
  // Files per page: 10, or ?k=N in the address (1..100).
  const PAGE = (() => {
    const k = Number(new URLSearchParams(location.search).get("k"));
    return Number.isInteger(k) && k >= 1 && k <= 100 ? k : 10;
  })();

  const form = $("search-form"), input = $("q"), results = $("results"), more = $("more");
  const message = $("message"), queryLine = $("query-line");

  // The query on screen: {kind: "text", text} | {kind: "like", file, t, name} |
  // {kind: "image", blob, name, url}. `offset` is where the next page starts.
  let query = null;
  let offset = 0;
  let generation = 0;  // bumps on every new search, so a late answer to an old one is dropped
  let answered = 0;    // searches whose answer (or error) is on screen: #results[data-searches]

  // ---- filters ----------------------------------------------------------------------------

  function dayStart(value, plusDays) {
    if (!value) return null;
    const d = new Date(`${value}T00:00:00`);
    if (isNaN(d)) return null;
    d.setDate(d.getDate() + plusDays);
    return Math.floor(d.getTime() / 1000);
  }

  // {folder, modified_after, modified_before}; "before" includes the whole day picked.
  function filters() {
    const f = {};
    if ($("folder").value) f.folder = $("folder").value;
    const after = dayStart($("after").value, 0), before = dayStart($("before").value, 1);
    if (after !== null) f.modified_after = after;
    if (before !== null) f.modified_before = before;
    return f;
  }

  function describeFilters() {
    const parts = [];
    if ($("folder").value) parts.push(`in ${$("folder").value}`);
    if ($("after").value) parts.push(`from ${$("after").value}`);
    if ($("before").value) parts.push(`to ${$("before").value}`);
    $("filter-summary").textContent = parts.length ? `(${parts.join(", ")})` : "";
    return parts.join(", ");
  }

  async function loadFolders() {
    try {
      const doc = await api("/v1/folders");
      const select = $("folder");
      const seen = new Set();
      const add = (path, label) => {
        if (seen.has(path)) return;
        seen.add(path);
        select.append(el("option", { value: path }, label));
      };
      for (const root of doc.roots || []) add(root, `${root} (library root)`);
      for (const folder of doc.folders || []) add(folder, folder);
    } catch (e) {
      // The folder list is a convenience; searching works without it.
    }
  }

  // ---- messages ---------------------------------------------------------------------------

  function say(text, kind, link) {
    message.hidden = !text;
    message.className = `message ${kind || ""}`;
    message.setAttribute("role", kind === "error" ? "alert" : "status");
    message.replaceChildren();
    if (text) message.append(text);
    if (link) message.append(" ", el("a", { href: link.href }, link.text));
  }

  async function showLibraryState() {
    try {
      const s = await api("/v1/status");
      const f = s.files || {};
      if (!f.indexed) {
        const pending = f.pending ? ` ${f.pending} file${f.pending === 1 ? "" : "s"} waiting to be indexed.` : "";
        say(`Nothing indexed yet.${pending}`, "empty", { href: "/status", text: "See the status page." });
      } else if (!query) {
        say(`${f.indexed} file${f.indexed === 1 ? "" : "s"} indexed. Search in words (+ and - for terms ` +
            "that must or must not match), or by a picture: choose one or drop it on the page.", "hint");
      }
    } catch (e) {
      if (!query) say(e.message, "error");
    }
  }

  function describeQuery(q) {
    queryLine.replaceChildren();
    if (!q) return;
    const where = describeFilters();
    const suffix = where ? ` — ${where}` : "";
    if (q.kind === "text") {
      queryLine.append("Results for ", el("q", {}, q.text), suffix);
    } else if (q.kind === "like") {
      queryLine.append("More like ", el("strong", {}, q.name), ` at ${clock(q.t)}`, suffix);
    } else {
      queryLine.append(el("img", { class: "query-picture", src: q.url, alt: "" }), "Picture ",
                       el("strong", {}, q.name), suffix);
    }
  }

  // ---- searching --------------------------------------------------------------------------

  function request(q, from) {
    const f = filters();
    if (q.kind === "image") {
      const params = new URLSearchParams({ k: PAGE, offset: from });
      for (const [k, v] of Object.entries(f)) params.set(k, v);
      return api(`/v1/search/image?${params}`, { method: "POST", body: q.blob,
                                                 headers: { "Content-Type": q.blob.type || "application/octet-stream" } });
    }
    const body = Object.assign({ k: PAGE, offset: from }, f);
    if (q.kind === "text") body.text = q.text;
    else body.like = { file: q.file, t: q.t };
    return api("/v1/search", { method: "POST", headers: { "Content-Type": "application/json" },
                               body: JSON.stringify(body) });
  }

  async function run(q, append) {
    const mine = ++generation;
    if (!append) {
      query = q;
      offset = 0;
      describeQuery(q);
      rememberInUrl(q);
    }
    results.setAttribute("aria-busy", "true");
    more.disabled = true;
    try {
      const doc = await request(q, offset);
      if (mine !== generation) return;
      if (!append) results.replaceChildren();
      const list = doc.results || [];
      const first = results.children.length;
      list.forEach((r, i) => results.append(card(r, first + i)));
      offset += list.length;
      more.hidden = !doc.more;
      if (!append && !list.length) {
        say(describeFilters() ? "No matches with these filters." : "No matches.", "empty");
      } else {
        say("");
      }
    } catch (e) {
      if (mine !== generation) return;
      if (!append) results.replaceChildren();
      more.hidden = true;
      say(e instanceof ApiError ? e.message : String(e), "error");
    } finally {
      if (mine === generation) {
        results.dataset.searches = String(++answered);
        results.setAttribute("aria-busy", "false");
        more.disabled = false;
      }
    }
  }

  function rememberInUrl(q) {
    const url = new URL(location.href);
    url.search = "";
    if (PAGE !== 10) url.searchParams.set("k", PAGE);
    if (q.kind === "text") url.searchParams.set("q", q.text);
    else if (q.kind === "like") url.searchParams.set("like", `${q.file}@${q.t}`);
    history.replaceState(null, "", url);
  }

  function searchText() {
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    run({ kind: "text", text }, false);
  }

  function searchLike(r, t) {
    input.value = "";
    run({ kind: "like", file: r.file, t, name: r.name || r.path }, false);
  }

  function searchPicture(file) {
    if (!file) return;
    if (file.type && !file.type.startsWith("image/")) {
      say(`${file.name} is not a picture.`, "error");
      return;
    }
    if (query && query.kind === "image") URL.revokeObjectURL(query.url);
    input.value = "";
    run({ kind: "image", blob: file, name: file.name || "pasted picture", url: URL.createObjectURL(file) }, false);
  }

  // ---- result cards -----------------------------------------------------------------------

  function card(r, n) {
    const art = el("article", { class: "result", "data-path": r.path, "data-file": r.file, "data-rank": n + 1 });
    const meta = el("p", { class: "meta" },
                    el("span", { class: "score", title: "cosine similarity of the best moment" },
                       `score ${Number(r.score).toFixed(3)}`));
    if (typeof r.probability === "number") {
      meta.append(el("span", { class: "probability" }, `${Math.round(r.probability * 100)}% match`));
    }
    meta.append(el("span", { class: "duration" }, clock(r.duration)));
    if (r.modified) meta.append(el("span", { class: "modified" }, date(r.modified)));
    if (r.size) meta.append(el("span", { class: "size" }, bytes(r.size)));
    if (r.playable === false) meta.append(el("span", { class: "badge" }, "download only"));

    art.append(el("header", {},
                  el("h2", { class: "name", title: r.path }, el("span", { class: "rank" }, `${n + 1}`), r.name || r.path),
                  el("p", { class: "folder", title: r.folder }, r.folder || ""), meta));

    const strip = el("ol", { class: "strip", "aria-label": `Moments of ${r.name}` });
    player.moments(r).forEach((m, i) => {
      const mid = (m.start + m.end) / 2;
      const img = el("img", { src: player.thumbUrl(r, mid, 320), alt: "", loading: "lazy", decoding: "async" });
      img.addEventListener("error", () => img.classList.add("broken"));
      const play = el("button", { type: "button", class: "moment", "data-start": m.start, "data-end": m.end,
                                  "data-index": i, "aria-label": `Play ${r.name} from ${clock(m.start)}` },
                      el("span", { class: "frame" }, img),
                      el("span", { class: "time" }, span(m.start, m.end)));
      play.addEventListener("click", () => player.open(r, i, play, searchLike));
      const like = el("button", { type: "button", class: "like", "data-like": `${r.file}@${mid.toFixed(3)}`,
                                  title: `More like ${r.name} at ${clock(mid)}` }, "More like this");
      like.addEventListener("click", () => searchLike(r, mid));
      strip.append(el("li", {}, play, like));
    });
    art.append(strip);
    return art;
  }

  // ---- keyboard ---------------------------------------------------------------------------

  function cards() {
    return Array.from(results.querySelectorAll("article.result"));
  }

  function focusMoment(cardEl, i) {
    const ms = cardEl.querySelectorAll("button.moment");
    if (!ms.length) return;
    const b = ms[Math.max(0, Math.min(ms.length - 1, i))];
    b.focus();
    b.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function typing(target) {
    return target.closest("input, select, textarea, [contenteditable]") !== null;
  }

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || $("player").open) return;
    if (e.target === input && e.key === "ArrowDown") {
      const c = cards();
      if (c.length) {
        e.preventDefault();
        focusMoment(c[0], 0);
      }
      return;
    }
    if (typing(e.target)) return;
    if (e.key === "/") {
      e.preventDefault();
      input.focus();
      input.select();
      return;
    }
    const here = e.target.closest ? e.target.closest("article.result") : null;
    const c = cards();
    if (!c.length) return;
    const momentEl = e.target.closest ? e.target.closest("li") : null;
    const at = momentEl && here ? Array.from(here.querySelectorAll(".strip > li")).indexOf(momentEl) : 0;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const k = here ? c.indexOf(here) + (e.key === "ArrowDown" ? 1 : -1) : 0;
      if (k < 0) {
        input.focus();
        return;
      }
      focusMoment(c[Math.min(k, c.length - 1)], at);
    } else if (here && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      e.preventDefault();
      focusMoment(here, at + (e.key === "ArrowRight" ? 1 : -1));
    } else if (here && e.key === "m" && momentEl) {
      e.preventDefault();
      momentEl.querySelector("button.like").click();
    }
  });

  // ---- pictures: chooser, drop, paste ------------------------------------------------------

  $("picture").addEventListener("change", (e) => {
    searchPicture(e.target.files[0]);
    e.target.value = "";
  });

  let dragDepth = 0;
  const carriesFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  document.addEventListener("dragenter", (e) => {
    if (!carriesFiles(e)) return;
    dragDepth++;
    document.body.classList.add("dragging");
    $("drop-hint").hidden = false;
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) {
      document.body.classList.remove("dragging");
      $("drop-hint").hidden = true;
    }
  });
  document.addEventListener("dragover", (e) => {
    if (carriesFiles(e)) e.preventDefault();
  });
  document.addEventListener("drop", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    document.body.classList.remove("dragging");
    $("drop-hint").hidden = true;
    searchPicture(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    if (typing(e.target) && e.target !== input) return;
    const item = Array.from((e.clipboardData && e.clipboardData.files) || []).find((f) => f.type.startsWith("image/"));
    if (item) {
      e.preventDefault();
      searchPicture(item);
    }
  });

  // ---- wiring -----------------------------------------------------------------------------

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    searchText();
  });
  more.addEventListener("click", () => {
    if (query) run(query, true);
  });
  for (const id of ["folder", "after", "before"]) {
    $(id).addEventListener("change", () => {
      describeFilters();
      if (query) run(query, false);
    });
  }
  $("clear-filters").addEventListener("click", () => {
    $("folder").value = "";
    $("after").value = "";
    $("before").value = "";
    describeFilters();
    if (query) run(query, false);
  });

  const params = new URLSearchParams(location.search);
  loadFolders();
  if (params.get("q")) {
    input.value = params.get("q");
    searchText();
  } else if (params.get("like")) {
    const [file, t] = params.get("like").split("@");
    if (/^\d+$/.test(file)) run({ kind: "like", file: Number(file), t: Number(t) || 0, name: `file ${file}` }, false);
  }
  showLibraryState();
})();
