# Is a screenshot (PNG, 8-bit RGB or RGBA, as Chromium writes it) more
# than a blank page? Decodes it with zlib alone (no imaging library) and
# counts the pixels that are not near-white, and those in the plots' line
# colours (gnuplot's blue, '#1f77b4', and the fault shading's red, held
# within a tolerance). Prints the figures; exit 1 when the page is blank
# or holds no plot colours.
import struct
import sys
import zlib


def rows(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("png_check: %s is not a PNG" % path)
    i, idat = 8, b""
    while i < len(d):
        n, = struct.unpack(">I", d[i:i + 4])
        kind, body = d[i + 4:i + 8], d[i + 8:i + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        i += 12 + n
    if depth != 8 or ctype not in (2, 6):
        raise SystemExit("png_check: unsupported PNG (depth %d, type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, p = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0
    for _ in range(h):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        yield w, bpp, line
        prev = line


def near(px, rgb, tol=40):
    return all(abs(px[k] - rgb[k]) <= tol for k in range(3))


ink = blue = red = total = 0
for w, bpp, line in rows(sys.argv[1]):
    for x in range(0, w * bpp, bpp * 2):  # every other pixel: enough, and twice as fast
        px = line[x:x + 3]
        total += 1
        if min(px) < 235:
            ink += 1
        if near(px, (0x1f, 0x77, 0xb4)):
            blue += 1
        elif near(px, (0xf7, 0xd6, 0xd6), 12) or near(px, (0xd6, 0x27, 0x28)):
            red += 1
print("png_check: %d pixels sampled, %.1f %% ink, %d plot-blue, %d fault-red"
      % (total, 100.0 * ink / total, blue, red))
if ink < total * 0.02 or blue < 200 or red < 200:
    sys.exit(1)
