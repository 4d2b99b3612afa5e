#!/usr/bin/env python3
"""make bench's results: one JSON file with every figure, and the regressions
between two of them.

  bench-results.py collect FIGURES.jsonl OUT.json [--load-start L] [--load-end L]
      FIGURES.jsonl holds one line per figure (tools/bench-lib.sh's
      bench_figure); OUT.json gets them with the machine, the date and the
      load average at the start and the end of the run. Prints the table.
  bench-results.py compare OLD.json NEW.json [--threshold PCT]
      Figures of both runs, matched by bench and name, side by side. A
      figure regressed when it moved the wrong way (its "better") by more
      than PCT percent (default 10) of the old value. Exit 1 when one did.
  bench-results.py table RESULTS.json
      The figures as a Markdown table (for the README).

Exit status: 0, 1 (compare: a regression), 2 (usage or a malformed file).
"""
import datetime
import json
import os
import platform
import sys

SCHEMA = "faultline-bench/1"


def fail(msg):
    print("bench-results: " + msg, file=sys.stderr)
    sys.exit(2)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {"kernel": platform.release(), "machine": platform.machine(), "cpu": cpu,
            "nproc": os.cpu_count(), "mem_gib": round(mem_kib / 2**20, 1) if mem_kib else None}


def fmt(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%%.%dg" % digits) % v if abs(v) < 1000 else "%.0f" % v
    return str(v)


def figure_line(f):
    goal = "-" if f.get("goal") is None else ("<= " if f["better"] == "lower" else ">= ") + fmt(f["goal"])
    met = {True: "met", False: "NOT met", None: ""}[f.get("met")]
    spread = f.get("spread")
    sp = "" if not spread else " (%s-%s)" % (fmt(spread[0]), fmt(spread[1]))
    return "| %s | %s | %s %s | %s %s | %s%s | %s | %s | %s |" % (
        f["bench"], f["name"], fmt(f.get("value")), f.get("unit", ""),
        f["baseline"].get("name", ""), fmt(f["baseline"].get("value")),
        fmt(f.get("ratio")), sp, goal, met, fmt(f.get("loadavg")))


def print_table(figs, out=sys.stdout):
    print("| bench | figure | faultline | baseline | ratio (spread) | goal | | load |", file=out)
    print("|---|---|---|---|---|---|---|---|", file=out)
    for f in figs:
        print(figure_line(f), file=out)


def load(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: %s" % (path, e))
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        fail("%s: not a %s document (its \"schema\" is %r)" % (path, SCHEMA,
             doc.get("schema") if isinstance(doc, dict) else None))
    figs = doc.get("figures")
    if not isinstance(figs, list):
        fail("%s: \"figures\" is not an array" % path)
    for i, f in enumerate(figs):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or \
           f.get("better") not in ("lower", "higher") or not isinstance(f.get("baseline"), dict):
            fail("%s: figures[%d] lacks name, better or baseline" % (path, i))
    return doc


def collect(args):
    opts = {"--load-start": None, "--load-end": None}
    pos = []
    it = iter(args)
    for a in it:
        if a in opts:
            opts[a] = next(it, None)
        else:
            pos.append(a)
    if len(pos) != 2:
        fail("usage: collect FIGURES.jsonl OUT.json [--load-start L] [--load-end L]")
    figs = []
    try:
        with open(pos[0]) as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        figs.append(json.loads(line))
                    except ValueError as e:
                        fail("%s:%d: %s" % (pos[0], n, e))
    except OSError as e:
        fail("%s: %s" % (pos[0], e))
    doc = {"schema": SCHEMA,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "machine": machine(),
           "loadavg": {"start": opts["--load-start"], "end": opts["--load-end"]},
           "figures": figs}
    tmp = pos[1] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, pos[1])
    print_table(figs)
    print("\n%d figures in %s; load average %s at the start, %s at the end" %
          (len(figs), pos[1], opts["--load-start"], opts["--load-end"]))
    return 0


def key_value(f):
    """The figure compared: the ratio when there is one, else the value."""
    return f.get("ratio") if f.get("ratio") is not None else f.get("value")


def compare(args):
    threshold = 10.0
    pos = []
    it = iter(args)
    for a in it:
        if a == "--threshold":
            try:
                threshold = float(next(it, ""))
            except ValueError:
                fail("--threshold takes a percentage, e.g. 10")
        else:
            pos.append(a)
    if len(pos) != 2:
        fail("usage: compare OLD.json NEW.json [--threshold PCT]")
    old, new = load(pos[0]), load(pos[1])
    before = {(f["bench"], f["name"]): f for f in old["figures"]}
    worse = 0
    def when(d):
        la = d.get("loadavg") or {}
        return "%s (load average %s -> %s)" % (d.get("date"), la.get("start"), la.get("end"))
    print("old: %s; new: %s; a regression moves more than %g %% the wrong way"
          % (when(old), when(new), threshold))
    print("| bench | figure | old | new | change | |")
    print("|---|---|---|---|---|---|")
    for f in new["figures"]:
        o = before.pop((f["bench"], f["name"]), None)
        a, b = (key_value(o) if o else None), key_value(f)
        if a is None or b is None or a == 0:
            print("| %s | %s | %s | %s | - | %s |" % (f["bench"], f["name"], fmt(a), fmt(b),
                  "new" if o is None else "not comparable"))
            continue
        change = (b - a) / abs(a) * 100
        bad = change > threshold if f["better"] == "lower" else change < -threshold
        worse += bad
        print("| %s | %s | %s | %s | %+.1f %% | %s |" % (f["bench"], f["name"], fmt(a), fmt(b),
              change, "REGRESSION" if bad else ""))
    for (bench, name), o in before.items():
        print("| %s | %s | %s | - | - | gone |" % (bench, name, fmt(key_value(o))))
    print("\n%d regression%s" % (worse, "" if worse == 1 else "s"))
    return 1 if worse else 0


def table(args):
    if len(args) != 1:
        fail("usage: table RESULTS.json")
    doc = load(args[0])
    m = doc.get("machine", {})
    print("%s, %s CPUs (%s), kernel %s, load average %s -> %s" % (
        doc.get("date"), m.get("nproc"), m.get("cpu"), m.get("kernel"),
        doc.get("loadavg", {}).get("start"), doc.get("loadavg", {}).get("end")))
    print()
    print_table(doc["figures"])
    return 0


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    cmds = {"collect": collect, "compare": compare, "table": table}
    if argv[1] not in cmds:
        fail("unknown command '%s' (collect, compare, table)" % argv[1])
    return cmds[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
