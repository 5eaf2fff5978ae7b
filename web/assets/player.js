// The player overlay of the search page: a <dialog> with a <video> that starts at a moment, the
// file's moments on a timeline under it, keys n/p (PageDown/PageUp) between moments and Esc
// to close. When the browser cannot play the file (`playable` false, or the <video> raises an
// error) it shows the moments' thumbnails and a download link instead.
"use strict";

window.vidxPlayer = (function () {
  const { clock, span, el, svg } = window.vidx;
  const $ = (id) => document.getElementById(id);
  const dialog = $("player"), video = $("video"), fallback = $("player-fallback");
  const marks = $("timeline-moments"), playhead = $("playhead"), timeline = $("timeline");

  let result = null;       // the search result shown
  let index = 0;           // the moment shown (index into result.moments)
  let pendingSeek = null;  // seconds to seek to once the metadata has loaded
  let opener = null;       // the element to give focus back to on close
  let onLike = null;       // called with (result, seconds) by "More like this"

  function moments(r) {
    if (r.moments && r.moments.length) return r.moments;
    return [{ start: 0, end: r.duration || 0, score: r.score }];
  }

  function duration() {
    if (isFinite(video.duration) && video.duration > 0) return video.duration;
    return result && result.duration > 0 ? result.duration : 1;
  }

  function thumbUrl(r, seconds, width) {
    return `/v1/thumb?file=${encodeURIComponent(r.file)}&t=${seconds.toFixed(3)}&w=${width}`;
  }

  function drawTimeline() {
    marks.replaceChildren();
    const d = duration();
    moments(result).forEach((m, i) => {
      const x = Math.max(0, Math.min(1000, (m.start / d) * 1000));
      const w = Math.max(6, ((m.end - m.start) / d) * 1000);
      const mark = svg("rect", { class: "mark", x: x.toFixed(1), y: 4, width: w.toFixed(1), height: 16,
                                 "data-index": i, "data-start": m.start, "data-end": m.end });
      const title = svg("title");
      title.textContent = `Moment ${i + 1}: ${span(m.start, m.end)}`;
      mark.append(title);
      if (i === index) mark.classList.add("current");
      marks.append(mark);
    });
  }

  function showMomentLabel() {
    const list = moments(result);
    const m = list[index];
    $("player-moment").textContent =
        `Moment ${index + 1} of ${list.length} · ${span(m.start, m.end)} · score ${m.score.toFixed(3)}`;
    $("prev-moment").disabled = index <= 0;
    $("next-moment").disabled = index >= list.length - 1;
    for (const mark of marks.children) mark.classList.toggle("current", Number(mark.dataset.index) === index);
    for (const t of $("fallback-thumbs").children) t.classList.toggle("current", Number(t.dataset.index) === index);
  }

  function showFallback(reason) {
    video.pause();
    video.hidden = true;
    playhead.setAttribute("visibility", "hidden");
    fallback.hidden = false;
    $("fallback-reason").textContent = reason;
    const strip = $("fallback-thumbs");
    strip.replaceChildren();
    moments(result).forEach((m, i) => {
      const img = el("img", { src: thumbUrl(result, (m.start + m.end) / 2, 640), alt: `Frame at ${clock(m.start)}`,
                              decoding: "async" });
      const b = el("button", { type: "button", class: "moment", "data-start": m.start, "data-end": m.end,
                               "data-index": i }, el("span", { class: "frame" }, img),
                    el("span", { class: "time" }, span(m.start, m.end)));
      b.addEventListener("click", () => go(i));
      strip.append(b);
    });
    showMomentLabel();
  }

  // Shows moment i: seeks the video there (after the metadata when it is still loading).
  function go(i) {
    const list = moments(result);
    index = Math.max(0, Math.min(list.length - 1, i));
    const start = list[index].start;
    if (!video.hidden) {
      if (video.readyState >= 1) {
        video.currentTime = start;
        video.play().catch(() => {});
      } else {
        pendingSeek = start;
      }
    }
    showMomentLabel();
  }

  function open(r, i, from, likeCallback) {
    result = r;
    opener = from || null;
    onLike = likeCallback || null;
    index = 0;
    $("player-title").textContent = r.name || r.path;
    $("player-title").title = r.path;
    $("player-folder").textContent = r.folder || "";
    const download = $("download");
    download.href = `/v1/media/${encodeURIComponent(r.file)}`;
    download.setAttribute("download", r.name || "video");
    if (!dialog.open) dialog.showModal();
    if (r.playable === false) {
      video.removeAttribute("src");
      video.load();
      video.dataset.file = "";
      index = i;
      drawTimeline();
      showFallback(`This browser cannot play ${r.codec ? r.codec + " in " : ""}${r.name || "this file"}; ` +
                   "here are its moments. Download it to watch it in a video player.");
      $("download").focus();
      return;
    }
    video.hidden = false;
    fallback.hidden = true;
    playhead.setAttribute("visibility", "visible");
    const src = `/v1/media/${encodeURIComponent(r.file)}`;
    if (video.dataset.file !== String(r.file)) {
      video.dataset.file = String(r.file);
      pendingSeek = null;
      video.src = src;
      video.load();
    }
    drawTimeline();
    go(i);
    video.focus();
  }

  video.addEventListener("loadedmetadata", () => {
    drawTimeline();
    if (pendingSeek !== null) {
      video.currentTime = pendingSeek;
      pendingSeek = null;
    }
    video.play().catch(() => {});  // autoplay refused: the user presses play
  });

  video.addEventListener("timeupdate", () => {
    const t = video.currentTime;
    playhead.setAttribute("x", Math.min(997, (t / duration()) * 1000).toFixed(1));
    if (!result || pendingSeek !== null) return;
    // The current moment follows playback and manual seeking: the last one started by now.
    const list = moments(result);
    let at = index;
    for (let k = 0; k < list.length; k++) {
      if (t + 0.05 >= list[k].start) at = k;
    }
    if (t + 0.05 < list[0].start) at = 0;
    if (at !== index) {
      index = at;
      showMomentLabel();
    }
  });

  video.addEventListener("error", () => {
    if (!result || !dialog.open || video.hidden) return;
    const code = video.error ? video.error.code : 0;
    const why = code === 4 ? "the browser cannot play this format, or the file is no longer available " +
                             "(it may have changed since it was indexed: search again)"
                           : "the video could not be loaded";
    video.dataset.file = "";
    showFallback(`Cannot play ${result.name || "this file"}: ${why}.`);
  });

  timeline.addEventListener("click", (e) => {
    if (!result) return;
    const mark = e.target.closest("rect.mark");
    if (mark) {
      go(Number(mark.dataset.index));
      return;
    }
    if (video.hidden || video.readyState < 1) return;
    const box = timeline.getBoundingClientRect();
    const frac = Math.max(0, Math.min(1, (e.clientX - box.left) / box.width));
    video.currentTime = frac * duration();
  });

  dialog.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "n" || e.key === "PageDown") {
      e.preventDefault();
      go(index + 1);
    } else if (e.key === "p" || e.key === "PageUp") {
      e.preventDefault();
      go(index - 1);
    }
  });

  // A click on the backdrop (the dialog element itself, outside the panel) closes.
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    video.pause();
    if (opener && document.contains(opener)) opener.focus();
  });

  $("player-close").addEventListener("click", () => dialog.close());
  $("prev-moment").addEventListener("click", () => go(index - 1));
  $("next-moment").addEventListener("click", () => go(index + 1));
  $("player-like").addEventListener("click", () => {
    if (!result || !onLike) return;
    const t = video.hidden ? (moments(result)[index].start + moments(result)[index].end) / 2 : video.currentTime;
    const r = result;
    dialog.close();
    onLike(r, t);
  });

  return { open, thumbUrl, moments, close: () => dialog.open && dialog.close() };
})();
