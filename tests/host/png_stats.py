#!/usr/bin/env python3
"""Colour statistics of a PNG screenshot, for tests/host/html.sh (standard library
only: zlib and struct; 8-bit RGB or RGBA, not interlaced, as Chromium writes them).

    png_stats.py FILE.png [#rrggbb[:TOL] ...]

Prints key=value lines: width, height, colours (distinct), ink_permille (pixels that
are neither white nor the most common colour, per mille), and per colour asked for,
near_rrggbb = pixels within TOL (default 48) of it on every channel (antialiasing
blends edges; a pale colour needs a small TOL to stay apart from white)."""
import collections
import struct
import sys
import zlib
from array import array


def chunks(data):
    pos = 8
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        yield data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(kind, line, prev, bpp):
    if kind == 0:
        return line
    if kind == 2:  # up: the common case, done without a Python loop per byte
        return bytearray(map(lambda x, y: (x + y) & 255, line, prev))
    for x in range(len(line)):
        a = line[x - bpp] if x >= bpp else 0
        c = prev[x - bpp] if x >= bpp else 0
        if kind == 1:
            line[x] = (line[x] + a) & 255
        elif kind == 3:
            line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
        else:
            line[x] = (line[x] + paeth(a, prev[x], c)) & 255
    return line


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    idat = bytearray()
    for kind, body in chunks(data):
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit(f"{path}: depth {depth} colour type {ctype} interlace {interlace}: unsupported")
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(bytes(idat)), w * bpp
    pixels, prev = array("I"), bytearray(stride)
    for y in range(h):
        off = y * (stride + 1)
        prev = unfilter(raw[off], bytearray(raw[off + 1:off + 1 + stride]), prev, bpp)
        # one 32-bit integer per pixel, 0xRRGGBB (alpha dropped): cheap to count
        rgba = prev if bpp == 4 else bytearray(b"".join(prev[i:i + 3] + b"\xff" for i in range(0, stride, 3)))
        px = array("I", bytes(rgba))
        if sys.byteorder == "little":
            px.byteswap()
        pixels.extend(p >> 8 for p in px)
    return w, h, pixels


def main():
    w, h, pixels = decode(sys.argv[1])
    hist = collections.Counter(pixels)
    common = hist.most_common(1)[0][0]
    ink = sum(n for c, n in hist.items() if c not in (0xFFFFFF, common))
    print(f"width={w}\nheight={h}\ncolours={len(hist)}")
    print(f"ink_permille={ink * 1000 // max(1, w * h)}")
    for want in sys.argv[2:]:
        colour, _, tol = want.lstrip("#").partition(":")
        v, tol = int(colour, 16), int(tol or 48)
        near = sum(n for c, n in hist.items()
                   if all(abs(((c >> s) & 255) - ((v >> s) & 255)) <= tol for s in (16, 8, 0)))
        print(f"near_{colour}={near}")


main()
