#!/usr/bin/env python3
"""Draw the Swarmglass icon: the PNG sizes from the same shapes as icon.svg (no dependencies:
standard library only, 4x supersampled). Run from the repository root:
    python3 assets/make-icons.py
Writes assets/icons/hicolor/<N>x<N>/apps/swarmglass.png for N in 16..512."""
import math
import os
import struct
import zlib

SIZES = [16, 24, 32, 48, 64, 128, 256, 512]
# Shapes on a 0..1 square (the SVG uses the same numbers on a 0..256 box).
BG = (0x1b, 0x23, 0x30)
BARS = [  # x0, x1, top (bottom is 0.80), colour
    (0.20, 0.32, 0.56, (0x4f, 0xc3, 0xf7)),
    (0.38, 0.50, 0.40, (0x66, 0xbb, 0x6a)),
    (0.56, 0.68, 0.26, (0x4f, 0xc3, 0xf7)),
]
RING = (0.64, 0.60, 0.20, 0.055, (0xff, 0xb7, 0x4d))  # cx, cy, r, width, colour
HANDLE = ((0.78, 0.74), (0.90, 0.86), 0.07, (0xff, 0xb7, 0x4d))


def inside_rounded(x, y, r=0.2):
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def seg_dist(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def colour_at(x, y):
    if not inside_rounded(x, y):
        return None
    c = BG
    for x0, x1, top, col in BARS:
        if x0 <= x <= x1 and top <= y <= 0.80:
            c = col
    cx, cy, r, w, col = RING
    d = math.hypot(x - cx, y - cy)
    if d <= r - w / 2:
        c = tuple(int(v * 0.8) for v in c)  # the lens darkens what it covers
    if abs(d - r) <= w / 2:
        c = col
    a, b, hw, hcol = HANDLE
    if seg_dist(x, y, a, b) <= hw / 2:
        c = hcol
    return c


def render(n, ss=4):
    rows = []
    for py in range(n):
        row = bytearray(b"\x00")
        for px in range(n):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = colour_at((px + (sx + 0.5) / ss) / n, (py + (sy + 0.5) / ss) / n)
                    if c is not None:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 1
            k = ss * ss
            if acc[3]:
                row += bytes((acc[0] // acc[3], acc[1] // acc[3], acc[2] // acc[3], 255 * acc[3] // k))
            else:
                row += b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return b"".join(rows)


def png(n, raw):
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for n in SIZES:
        d = f"assets/icons/hicolor/{n}x{n}/apps"
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/swarmglass.png", "wb") as f:
            f.write(png(n, render(n, 4 if n <= 256 else 2)))
        print(f"{d}/swarmglass.png")
