#!/usr/bin/env python3
"""PNG plots for docs/benchmarks.md from the CSV files the benchmarks write.

    python3 bench/plot_benchmarks.py --search search.csv --index index.csv --out docs/img

  --search  CSV of `vidx_search_bench --csv`: latency (p50 and p99) against vector count,
            vidx and FAISS, one line per index type -> <out>/search_latency.png
  --index   CSV of `vidx_index_bench --csv`: throughput (video-seconds per wall-second)
            against batch size, pipeline and decode-only -> <out>/index_throughput.png

Draws with Pillow (Debian's python3-pil; matplotlib is not installed on the project's
machines), using DejaVu Sans when present and Pillow's bitmap font otherwise.
"""
import argparse
import csv
import math
import os
import sys

from PIL import Image, ImageDraw, ImageFont

W, H = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 90, 250, 60, 70
COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
          (140, 86, 75)]


def font(size):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def nice_ticks(lo, hi, log):
    """Tick values covering [lo, hi]: powers of ten (and 2x, 5x) on a log axis, 1/2/5 steps
    on a linear one."""
    if log:
        ticks = []
        for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
            for m in (1, 2, 5):
                v = m * 10.0 ** e
                if lo <= v <= hi:
                    ticks.append(v)
        return ticks
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / 5)) if span > 0 else 1
    for m in (1, 2, 5, 10):
        if span / (m * step) <= 7:
            step *= m
            break
    v = math.ceil(lo / step) * step
    ticks = []
    while v <= hi + 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def label(v):
    if v >= 1e6 and v % 1e6 == 0:
        return "%gM" % (v / 1e6)
    if v >= 1e3 and v % 1e3 == 0:
        return "%gk" % (v / 1e3)
    return "%g" % v


def dashed(draw, p, q, color, width, dash=8, gap=6):
    length = math.hypot(q[0] - p[0], q[1] - p[1])
    if length == 0:
        return
    t = 0.0
    while t < length:
        a = t / length
        b = min(t + dash, length) / length
        draw.line([(p[0] + (q[0] - p[0]) * a, p[1] + (q[1] - p[1]) * a),
                   (p[0] + (q[0] - p[0]) * b, p[1] + (q[1] - p[1]) * b)], fill=color, width=width)
        t += dash + gap


def line_chart(path, title, xlabel, ylabel, series, xlog, ylog, xticks=None, ymin=None):
    """series: list of (name, [(x, y), ...], color, dashed)."""
    xs = [x for _, pts, _, _ in series for x, _ in pts]
    ys = [y for _, pts, _, _ in series for _, y in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if xlog:
        x0, x1 = x0 / 1.3, x1 * 1.3
    else:
        pad = (x1 - x0) * 0.05 or 1
        x0, x1 = x0 - pad, x1 + pad
    if ylog:
        y0, y1 = y0 / 1.5, y1 * 1.5
    else:
        y0 = 0 if ymin is None else ymin
        y1 = y1 * 1.1
    tx = (lambda v: math.log10(v)) if xlog else (lambda v: v)
    ty = (lambda v: math.log10(v)) if ylog else (lambda v: v)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x, y):
        return (LEFT + (tx(x) - tx(x0)) / (tx(x1) - tx(x0)) * pw,
                TOP + ph - (ty(y) - ty(y0)) / (ty(y1) - ty(y0)) * ph)

    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    small, big = font(13), font(17)
    d.text((LEFT, 18), title, fill="black", font=big)
    for v in (xticks or nice_ticks(x0, x1, xlog)):
        if not x0 <= v <= x1:
            continue
        x, _ = px(v, y0)
        d.line([(x, TOP), (x, TOP + ph)], fill=(230, 230, 230))
        d.text((x, TOP + ph + 6), label(v), fill="black", font=small, anchor="ma")
    for v in nice_ticks(y0, y1, ylog):
        _, y = px(x0, v)
        d.line([(LEFT, y), (LEFT + pw, y)], fill=(230, 230, 230))
        d.text((LEFT - 6, y), label(v), fill="black", font=small, anchor="rm")
    d.rectangle([LEFT, TOP, LEFT + pw, TOP + ph], outline="black")
    d.text((LEFT + pw / 2, H - 28), xlabel, fill="black", font=small, anchor="ma")
    ylab = Image.new("RGBA", (ph, 20), (255, 255, 255, 0))
    ImageDraw.Draw(ylab).text((ph / 2, 2), ylabel, fill="black", font=small, anchor="ma")
    ylab = ylab.rotate(90, expand=True)
    img.paste(ylab, (18, TOP), ylab)
    for i, (name, pts, color, dash) in enumerate(series):
        pts = sorted(pts)
        screen = [px(x, y) for x, y in pts]
        for p, q in zip(screen, screen[1:]):
            if dash:
                dashed(d, p, q, color, 2)
            else:
                d.line([p, q], fill=color, width=2)
        for x, y in screen:
            d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=color)
        ly = TOP + 10 + 22 * i
        lx = LEFT + pw + 15
        if dash:
            dashed(d, (lx, ly + 7), (lx + 30, ly + 7), color, 2, dash=6, gap=4)
        else:
            d.line([(lx, ly + 7), (lx + 30, ly + 7)], fill=color, width=2)
        d.text((lx + 38, ly), name, fill="black", font=small)
    img.save(path)
    print("wrote", path)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot_search(path, out):
    rows = read_csv(path)
    series = []
    factories = sorted({r["factory"] for r in rows}, key=lambda f: (f != "Flat", f))
    for i, fac in enumerate(factories):
        mine = [r for r in rows if r["factory"] == fac]
        for j, (col, who) in enumerate((("vidx_p50_ms", "vidx"), ("faiss_p50_ms", "FAISS"))):
            series.append(("%s p50, %s" % (fac, who),
                           [(float(r["vectors"]), float(r[col])) for r in mine],
                           COLORS[(2 * i + j) % len(COLORS)], False))
        series.append(("%s p99, vidx" % fac,
                       [(float(r["vectors"]), float(r["vidx_p99_ms"])) for r in mine],
                       COLORS[(2 * i) % len(COLORS)], True))
    sizes = sorted({float(r["vectors"]) for r in rows})
    line_chart(os.path.join(out, "search_latency.png"),
               "Single-query search latency, d=512, k=%s" % rows[0]["k"],
               "stored vectors", "latency (ms, log scale)", series, True, True, xticks=sizes)


def plot_index(path, out):
    rows = read_csv(path)
    by_batch = {}
    for r in rows:
        # Points with sampling.skip_similar on (a CSV column since it exists) index fewer
        # frames; the plot is of every frame embedded.
        if float(r.get("skip_similar", 0) or 0) != 0:
            continue
        by_batch.setdefault(int(r["batch_size"]), []).append(r)

    def mean(rs, col):
        return sum(float(r[col]) for r in rs) / len(rs)

    batches = sorted(by_batch)
    series = [
        ("pipeline (index)", [(b, mean(by_batch[b], "video_s_per_s")) for b in batches],
         COLORS[0], False),
        ("decode only", [(b, mean(by_batch[b], "decode_only_video_s_per_s")) for b in batches],
         COLORS[1], True),
    ]
    line_chart(os.path.join(out, "index_throughput.png"),
               "Indexing throughput vs batch size (%s clips, %.0f s of video)"
               % (rows[0]["videos"], float(rows[0]["video_seconds"])),
               "inference batch size (frames)", "video-seconds per wall-second", series,
               True, False, xticks=[float(b) for b in batches])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--search", help="CSV from vidx_search_bench --csv")
    ap.add_argument("--index", help="CSV from vidx_index_bench --csv")
    ap.add_argument("--out", default="docs/img", help="output directory (default docs/img)")
    a = ap.parse_args()
    if not a.search and not a.index:
        ap.error("give --search and/or --index")
    os.makedirs(a.out, exist_ok=True)
    if a.search:
        plot_search(a.search, a.out)
    if a.index:
        plot_index(a.index, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
