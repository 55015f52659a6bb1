# SPDX-License-Identifier: LGPL-2.1-or-later
"""The curve of bench/run as an SVG picture, written by hand (no plotting library): one line
per command, instructions per query (client + daemon share; lspci alone) against the number
of functions, both axes logarithmic. bench/run calls write_svg(); run alone it redraws a
picture from the JSON that bench/run saved next to it:

    python3 bench/svgcurve.py bench/curve.json bench/curve.svg
"""

import json
import math
import sys

SERIES = (("lspci", "lspci -nnk", "#444444", "6 3"),
          ("list", "passthructl list", "#1f77b4", ""),
          ("json", "passthructl --json list", "#2ca02c", ""),
          ("show", "passthructl show ADDR", "#d62728", ""),
          ("groups", "passthructl groups", "#9467bd", ""))
W, H = 720, 460
LEFT, RIGHT, TOP, BOTTOM = 80, 210, 40, 60


def points(curve):
    """{kind: [(functions, instructions), ...]} from bench/run's curve."""
    out = {}
    for kind, *_ in SERIES:
        pts = []
        for n, r in sorted(curve.items(), key=lambda kv: int(kv[0])):
            v = r["ir_client"]["lspci"] if kind == "lspci" else r["ir_client"][kind] + r["ir_daemon"][kind]
            pts.append((int(n), v))
        out[kind] = pts
    return out


def decades(lo, hi):
    return range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)


def render(curve, title):
    pts = points(curve)
    xs = [x for p in pts.values() for x, _ in p]
    ys = [y for p in pts.values() for _, y in p]
    x0, x1 = math.log10(min(xs)) - 0.05, math.log10(max(xs)) + 0.05
    yd = decades(min(ys), max(ys))
    y0, y1 = min(yd), max(yd)

    def px(x):
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * (W - LEFT - RIGHT)

    def py(y):
        return H - BOTTOM - (math.log10(y) - y0) / (y1 - y0) * (H - TOP - BOTTOM)

    e = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2 - RIGHT / 2 + LEFT / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for d in yd:
        y = py(10 ** d)
        e.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#dddddd"/>')
        label = f"{10 ** d / 1e6:g}M" if d >= 6 else f"{10 ** d / 1e3:g}k"
        e.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    for n in sorted(set(xs)):
        x = px(n)
        e.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{H - BOTTOM}" stroke="#eeeeee"/>')
        e.append(f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{n}</text>')
    e.append(f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{H - TOP - BOTTOM}" '
             'fill="none" stroke="black"/>')
    e.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 18}" text-anchor="middle">PCI functions (log)</text>')
    e.append(f'<text transform="translate(18 {(TOP + H - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">'
             'instructions per query (log)</text>')
    for i, (kind, label, color, dash) in enumerate(SERIES):
        p = pts[kind]
        path = " ".join(f"{'M' if j == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for j, (x, y) in enumerate(p))
        style = f' stroke-dasharray="{dash}"' if dash else ""
        e.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"{style}/>')
        for x, y in p:
            e.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        ly = TOP + 14 + i * 20
        e.append(f'<line x1="{W - RIGHT + 12}" y1="{ly - 4}" x2="{W - RIGHT + 36}" y2="{ly - 4}" '
                 f'stroke="{color}" stroke-width="2"{style}/>')
        e.append(f'<text x="{W - RIGHT + 42}" y="{ly}">{label}</text>')
    note = "passthru: client + daemon share"
    e.append(f'<text x="{W - RIGHT + 12}" y="{TOP + 14 + len(SERIES) * 20 + 6}" font-size="10">{note}</text>')
    e.append("</svg>")
    return "\n".join(e) + "\n"


def write_svg(curve, path, title="passthru vs lspci: instructions per query (callgrind)"):
    with open(path, "w") as f:
        f.write(render(curve, title))
    with open(path.rsplit(".", 1)[0] + ".json", "w") as f:
        json.dump({str(n): {"ir_client": r["ir_client"], "ir_daemon": r["ir_daemon"]} for n, r in curve.items()},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: svgcurve.py CURVE.json OUT.svg")
    with open(sys.argv[1]) as f:
        data = json.load(f)
    with open(sys.argv[2], "w") as f:
        f.write(render(data, "passthru vs lspci: instructions per query (callgrind)"))
