// Helpers shared by the search page (app.js) and the status page (status.js): calls to the
// vidx web API and formatting. No build step, no dependencies; loaded before the page's script.
"use strict";

window.vidx = (function () {
  // An error the API answered with: `message` is the server's sentence, `status` the HTTP code
  // (0 when the server could not be reached at all).
  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  const SESSION_ENDED =
    "You are not logged in (or the daemon made a new token): open the address that " +
    "`vidx web` prints.";

  // fetch() + JSON. Resolves to the parsed body of a 2xx answer; rejects with an ApiError that
  // carries the server's {"error": ...} sentence otherwise.
  async function api(path, options) {
    let response;
    try {
      response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
    } catch (e) {
      throw new ApiError("The vidx daemon could not be reached (is it running?).", 0);
    }
    let body = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      try {
        body = await response.json();
      } catch (e) {
        body = null;
      }
    }
    if (!response.ok) {
      if (response.status === 401) throw new ApiError(SESSION_ENDED, 401);
      const sentence = body && typeof body.error === "string" ? body.error : "";
      throw new ApiError(sentence || `The server answered ${response.status} ${response.statusText}.`,
                         response.status);
    }
    return body;
  }

  // 75.4 -> "1:15", 3725 -> "1:02:05".
  function clock(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds) || seconds < 0) return "–";
    const s = Math.floor(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
  }

  function span(start, end) {
    return end - start >= 1 ? `${clock(start)}–${clock(end)}` : clock(start);
  }

  function bytes(n) {
    if (typeof n !== "number" || !isFinite(n)) return "";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) {
      n /= 1000;
      i++;
    }
    return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
  }

  function date(unix) {
    if (typeof unix !== "number" || !isFinite(unix)) return "";
    return new Date(unix * 1000).toLocaleDateString(undefined,
                                                    { year: "numeric", month: "short", day: "numeric" });
  }

  // el("a", {href: "/x", class: "y", dataset: {file: 3}}, "text", child, ...). Never sets
  // innerHTML: every string becomes a text node.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "dataset") {
        for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
      } else if (key === "text") {
        node.textContent = String(value);
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  return { ApiError, api, clock, span, bytes, date, el, svg };
})();
