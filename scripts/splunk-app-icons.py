#!/usr/bin/env python3
"""Draws the Splunk app's icons (AppInspect's check_app_icon_*: static/appIcon.png at most 36x36,
static/appIcon_2x.png at most 72x72): two endpoints joined by a line, a TCP connection, white on
dark blue. Standard library only; run from the repository root to write them again."""
import struct
import zlib

BACKGROUND = (26, 43, 76)
FOREGROUND = (255, 255, 255)
ACCENT = (78, 201, 176)


def pixel(x, y, size):
    s = size / 36.0
    # rounded corners: transparent outside a radius of 6 units
    r = 6 * s
    cx = min(max(x + 0.5, r), size - r)
    cy = min(max(y + 0.5, r), size - r)
    if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    u, v = (x + 0.5) / s, (y + 0.5) / s   # in 36-unit coordinates
    for ex, ey in ((9, 27), (27, 9)):      # the two endpoints
        if (u - ex) ** 2 + (v - ey) ** 2 <= 4.5 ** 2:
            return FOREGROUND + (255,)
    if abs((u - 9) - (27 - v)) <= 1.6 and 9 <= u <= 27:   # the connection between them
        return ACCENT + (255,)
    return BACKGROUND + (255,)


def png(size):
    rows = b"".join(b"\x00" + bytes(c for x in range(size) for c in pixel(x, y, size)) for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)   # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    for name, size in (("appIcon.png", 36), ("appIcon_2x.png", 72)):
        with open("splunk/tcptrace/static/" + name, "wb") as f:
            f.write(png(size))
