"""The demo's visual grammar: one coloured shape moving over a background, drawn with a fading
trail behind it so that a single frame shows which way it moves.

Pure Python (no numpy, no Pillow) so that `make demo` can render its sample library with only
Debian's python3 and the ffmpeg CLI; the model trainer (train_demo_model.py) uses the same
renderer for its training frames, so the model sees what the demo videos show.

A scene is (colour, shape, direction, background). Frames are square RGB24 byte strings of
SIZE x SIZE; vidx's sampler resizes them (bicubic) to the model's 64 x 64.
"""
import math
import random

SIZE = 128

COLOURS = {
    "red": (220, 35, 35),
    "green": (40, 175, 50),
    "blue": (45, 70, 235),
    "yellow": (245, 215, 35),
}
SHAPES = ("circle", "square", "triangle")
DIRECTIONS = ("left", "right", "up", "down")
BACKGROUNDS = ("dark", "light", "striped")

# Trail copies behind the shape: (distance in radii, opacity).
TRAIL = ((2.7, 0.15), (1.8, 0.3), (0.9, 0.55))


class Look:
    """Per-video nuisance parameters: size, lane, colour jitter. Fixed within one segment."""

    def __init__(self, rng):
        self.radius = rng.uniform(11.0, 19.0)
        self.lane = rng.uniform(0.3, 0.7)          # across the motion, as a fraction of SIZE
        self.jitter = tuple(rng.randint(-18, 18) for _ in range(3))
        self.bg_shift = rng.randint(-12, 12)
        self.stripe = rng.randint(6, 10)


def _clamp(v):
    return 0 if v < 0 else 255 if v > 255 else int(v)


def _background_rows(background, look):
    """One RGB24 row per y (every background here is constant along a row)."""
    s = look.bg_shift
    rows = []
    for y in range(SIZE):
        if background == "dark":
            c = (24 + s // 2, 24 + s // 2, 30 + s // 2)
        elif background == "light":
            c = (228 + s // 2, 226 + s // 2, 218 + s // 2)
        else:  # striped: horizontal grey bands
            c = (95 + s,) * 3 if (y // look.stripe) % 2 == 0 else (160 + s,) * 3
        rows.append(tuple(_clamp(v) for v in c))
    return rows


def _spans(shape, cx, cy, r):
    """(y, x0, x1) half-open horizontal spans covering the shape."""
    out = []
    if shape == "circle":
        for y in range(int(math.floor(cy - r)), int(math.ceil(cy + r)) + 1):
            d = y + 0.5 - cy
            if abs(d) <= r:
                h = math.sqrt(r * r - d * d)
                out.append((y, cx - h, cx + h))
    elif shape == "square":
        h = r * 0.85
        for y in range(int(math.floor(cy - h)), int(math.ceil(cy + h))):
            out.append((y, cx - h, cx + h))
    else:  # triangle, apex up
        top, bottom = cy - r, cy + r * 0.8
        for y in range(int(math.floor(top)), int(math.ceil(bottom))):
            f = (y + 0.5 - top) / (bottom - top)
            if 0 <= f <= 1:
                h = r * 1.05 * f
                out.append((y, cx - h, cx + h))
    return out


def position(direction, u, look):
    """Shape centre at fraction u in [0, 1] of its crossing."""
    m = look.radius + 4
    along = m + u * (SIZE - 2 * m)
    lane = look.lane * SIZE
    if direction == "right":
        return along, lane
    if direction == "left":
        return SIZE - along, lane
    if direction == "down":
        return lane, along
    return lane, SIZE - along


def render(scene, u, look):
    """RGB24 bytes (SIZE*SIZE*3) of `scene` = (colour, shape, direction, background) at u."""
    colour, shape, direction, background = scene
    rgb = tuple(_clamp(c + j) for c, j in zip(COLOURS[colour], look.jitter))
    rows = _background_rows(background, look)
    frame = bytearray(b"".join(bytes(c) * SIZE for c in rows))
    cx, cy = position(direction, u, look)
    dx, dy = {"left": (1, 0), "right": (-1, 0), "up": (0, 1), "down": (0, -1)}[direction]
    r = look.radius
    layers = [(cx + dx * k * r, cy + dy * k * r, a) for k, a in TRAIL] + [(cx, cy, 1.0)]
    for x, y, alpha in layers:
        for row, x0, x1 in _spans(shape, x, y, r):
            if not 0 <= row < SIZE:
                continue
            a, b = max(0, int(round(x0))), min(SIZE, int(round(x1)))
            if a >= b:
                continue
            bg = rows[row]
            c = bytes(_clamp(alpha * s + (1 - alpha) * g) for s, g in zip(rgb, bg))
            off = row * SIZE * 3
            frame[off + a * 3: off + b * 3] = c * (b - a)
    return bytes(frame)


def all_scenes():
    return [(c, s, d, b) for c in COLOURS for s in SHAPES for d in DIRECTIONS for b in BACKGROUNDS]


def caption(scene, keep=(True, True, True, True)):
    """'a red circle moving left on a dark background', with parts left out where keep is False
    (colour, shape, direction, background); without a shape word the noun is 'shape'."""
    colour, shape, direction, background = scene
    words = ["a"]
    if keep[0]:
        words.append(colour)
    words.append(shape if keep[1] else "shape")
    if keep[2]:
        words += ["moving", direction]
    if keep[3]:
        words += ["on", "a", background, "background"]
    return " ".join(words)


def matches(scene, keep, other):
    """Whether `other` fits the caption of `scene` with parts `keep`."""
    return all(not k or a == b for k, a, b in zip(keep, scene, other))


def random_keep(rng):
    """Which parts a training caption mentions: often all, otherwise a random subset that names
    a colour or a shape."""
    if rng.random() < 0.35:
        return (True, True, True, True)
    while True:
        keep = tuple(rng.random() < 0.6 for _ in range(4))
        if keep[0] or keep[1]:
            return keep


def vocabulary_words():
    return (["a", "shape", "moving", "on", "background"] + list(COLOURS) + list(SHAPES) +
            list(DIRECTIONS) + list(BACKGROUNDS))


def new_rng(seed):
    return random.Random(seed)
