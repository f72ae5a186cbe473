#!/usr/bin/env python3
"""Turns bench/run's hyperfine JSON and peak-memory figures into the table of BENCHMARKS.md.

    bench/ratios.py MANIFEST

MANIFEST has one tab-separated line per row, written by bench/run:

    row  time  JSON  PEER_INDEX  XP_INDEX  XP_RSS_KB  GOAL
    row  rss   -     PEER_RSS_KB XP_RSS_KB -          GOAL

A `time` row takes the medians of two commands of one hyperfine run (JSON, by their index in
it); the ratio is xp's median over the peer's. A `rss` row compares two peak resident sizes.
GOAL is the largest ratio that meets the goal. Prints a Markdown table; exits 0 either way
(the figures are noisy on a shared machine, so a missed goal is reported, not fatal).

Python 3.11, standard library only.
"""

from __future__ import annotations

import json
import statistics
import sys


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(kb: float) -> str:
    return f"{kb / 1024:.1f} MiB"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: bench/ratios.py MANIFEST", file=sys.stderr)
        return 2
    rows = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(line.rstrip("\n").split("\t"))
    out = [
        "| row | peer | peer median | xp median | ratio | goal | xp min..max | xp peak RSS |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for row, kind, path, a, b, rss, goal in rows:
        limit = float(goal)
        if kind == "time":
            with open(path, encoding="utf-8") as f:
                results = json.load(f)["results"]
            peer, xp = results[int(a)], results[int(b)]
            peer_med = statistics.median(peer["times"])
            xp_med = statistics.median(xp["times"])
            ratio = xp_med / peer_med
            cells = [
                row, f"`{peer['command']}`", ms(peer_med), ms(xp_med), f"{ratio:.2f}x",
                f"{'ok' if ratio <= limit else 'MISSED'} (<= {limit:g}x)",
                f"{ms(min(xp['times']))}..{ms(max(xp['times']))}",
                mib(float(rss)) if rss != "-" else "-",
            ]
        else:
            ratio = float(b) / float(a)
            cells = [
                row, "itself at the smaller size", mib(float(a)), mib(float(b)), f"{ratio:.2f}x",
                f"{'ok' if ratio <= limit else 'MISSED'} (<= {limit:g}x)", "-", mib(float(b)),
            ]
        out.append("| " + " | ".join(cells) + " |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
