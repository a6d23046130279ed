#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Render a `cxldcd-ctl map --svg` file in headless Chromium and check the picture.

    scripts/check-svg-chromium.py FILE.svg [--chromium PATH] [--png OUT.png]

Chromium takes a screenshot of the SVG at its own size (1:1).  Then every
extent rect of the SVG (class "extent", with data-host) is looked up in the
PNG: the pixel at its centre must have the rect's fill colour (a dashed
offer is an outline: its border pixel, half way along the top edge, must be
dark).  Exit 0 when every extent is drawn as the SVG says, 1 otherwise, 77
(meson's "skipped") when no Chromium is installed.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

NS = "{http://www.w3.org/2000/svg}"


def read_png(path):
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG: (width, height, rows of (r, g, b))."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f"{path}: PNG depth {depth} colour type {ctype} not handled")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ft == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def colour(hexstr):
    return tuple(int(hexstr[i:i + 2], 16) for i in (1, 3, 5))


def close(a, b, tol=24):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("svg")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM") or shutil.which("chromium")
                    or shutil.which("chromium-browser"))
    ap.add_argument("--png")
    args = ap.parse_args()
    if not args.chromium:
        print("check-svg-chromium: no chromium installed (apt-get install chromium): skipped")
        return 77
    root = ET.parse(args.svg).getroot()
    width, height = int(root.get("width")), int(root.get("height"))
    with tempfile.TemporaryDirectory() as tmp:
        png = args.png or os.path.join(tmp, "map.png")
        cmd = [args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
               "--hide-scrollbars", "--force-device-scale-factor=1",
               f"--user-data-dir={tmp}/profile", f"--window-size={width},{height}",
               f"--screenshot={png}", "file://" + os.path.abspath(args.svg)]
        # Chromium writes outside --user-data-dir too (crash-report settings
        # under ~/.config, dconf's cache under ~/.cache): a home of its own,
        # removed with tmp.
        env = dict(os.environ, HOME=f"{tmp}/home", XDG_CONFIG_HOME=f"{tmp}/home/.config",
                   XDG_CACHE_HOME=f"{tmp}/home/.cache", XDG_DATA_HOME=f"{tmp}/home/.local/share")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        if r.returncode or not os.path.exists(png):
            print(f"check-svg-chromium: chromium failed ({r.returncode}):\n{r.stderr[-2000:]}")
            return 1
        w, h, px = read_png(png)
    rects = []                  # every filled rect, in paint order
    for rect in root.iter(NS + "rect"):
        rects.append((float(rect.get("x")), float(rect.get("y")), float(rect.get("width")),
                      float(rect.get("height")), rect))

    def covered(i, px_, py_):
        """Is the point under a rect painted after rects[i]?"""
        for x, y, rw, rh, r in rects[i + 1:]:
            if r.get("fill", "none") != "none" and x <= px_ < x + rw and y <= py_ < y + rh:
                return True
        return False

    bad, n = [], 0
    for i, (x, y, rw, rh, rect) in enumerate(rects):
        cls = rect.get("class", "").split()
        if "extent" not in cls or rect.get("data-host") is None:
            continue
        what = f"host {rect.get('data-host')} dpa {rect.get('data-dpa')}"
        n += 1
        cx = int(x + rw / 2)
        if rect.get("fill", "none") != "none" and "offered" not in cls:
            # the pixel column through its middle, at a row no later rect paints over
            rows = [int(y) + k for k in range(int(rh)) if not covered(i, cx + 0.5, int(y) + k + 0.5)]
            if not rows:
                bad.append(f"{what}: hidden under later rects")
                continue
            cy = rows[len(rows) // 2]
            want = colour(rect.get("fill"))
            got = px[cy][cx] if cx < w and cy < h else None
            # a faded (release-pending) rect is drawn at reduced opacity: not its full colour
            ok = got is not None and (close(got, want) or
                                      ("pending" in " ".join(cls) and got != (255, 255, 255)))
            if not ok:
                bad.append(f"{what}: ({cx},{cy}) is {got}, want {want}")
        else:
            cy = int(round(y))
            got = px[cy][cx] if cx < w and cy < h else None
            if got is None or sum(got) > 3 * 160:
                bad.append(f"{what}: offered outline at ({cx},{cy}) is {got}, want a dark border")
    if not n:
        print("check-svg-chromium: the SVG has no extent rect")
        return 1
    for b in bad:
        print("check-svg-chromium: " + b)
    print(f"check-svg-chromium: {n - len(bad)} of {n} extents drawn as the SVG says "
          f"({w}x{h} screenshot)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
