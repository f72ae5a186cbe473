#!/usr/bin/env python3
"""Makes a deterministic git repository of xp records for the benchmarks (see BENCHMARKS.md).

    bench/corpus.py --records N --entries E --other-files F --commits C [--seed S] OUT_DIR
    bench/corpus.py --shape long [--hot H] [--hot-commits K] [--cold-edits M] ... OUT_DIR

The same arguments give the same commits (HEAD's hash, printed at the end, is the
fingerprint): every name, date and text comes from a seeded generator, the history is fed to
`git fast-import` with fixed author and committer dates, and git runs with no global or
system config. The repository holds:

- `experiments/`: N valid records, each with E decision-log entries in time order;
- `src/`, `docs/`, `config/`: F other files;
- C commits in all: one import commit, then commits that edit other files interleaved with
  xp-style commits (`xp: new`, `xp: note on`, `xp: status ... on`, each with the trailer
  `Experiment-Id: <id>`) that build some records entry by entry. The first of those records
  is the one the benchmark uses as REF; its name is printed and written to
  `.git/xp-bench-ref`.

`--shape long` gives the other history shape instead (the default shape's commits are
unchanged by it): every record but H is in the import commit, created early; M commits
after it each add one entry to a record of the import (one to three to a record: rarely
edited); H records are created by `xp: new` in the first twentieth of the history and
given K entries each, one commit each (hundreds of commits for one record); the other
commits edit other files. `.git/xp-bench-ref` names the first hot record,
`.git/xp-bench-ref-cold` the first of the rarely edited ones.

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

# --- vocabulary ---------------------------------------------------------------------------

AREAS = [
    "Homepage", "Checkout", "Search", "Onboarding", "Pricing page", "Cart", "Signup form",
    "Product page", "Email digest", "Push notifications", "Settings", "Dashboard", "Billing",
    "Mobile nav", "Landing page", "Referral flow", "Trial banner", "Help center", "Feed",
    "Recommendations", "Order history", "Wishlist", "Login", "Paywall", "Invoice page",
]
CHANGES = [
    "CTA color", "button copy", "hero image", "lazy-load reviews", "one-page layout",
    "social proof badge", "shorter form", "progress bar", "default annual plan", "free shipping",
    "sticky header", "dark mode", "autocomplete", "skeleton screens", "inline validation",
    "price anchoring", "urgency timer", "personalised ranking", "bigger thumbnails",
    "saved carts", "guest checkout", "trust seals", "video walkthrough", "weekly cadence",
    "smart defaults", "fewer steps", "local currency", "instant search", "exit survey",
]
SEGMENTS = [
    "EU", "US", "APAC", "new users", "returning users", "mobile", "desktop", "tablet",
    "enterprise", "free tier", "Android", "iOS", "weekend", "holiday", "v2", "v3",
]
# name, baseline range, decrease?, digits
METRICS = [
    ("signup_rate", (1.5, 8.0), False, 1),
    ("conversion_rate", (0.8, 6.0), False, 2),
    ("click_through_rate", (2.0, 15.0), False, 1),
    ("checkout_p95_ms", (300, 1800), True, 0),
    ("page_load_ms", (400, 3000), True, 0),
    ("bounce_rate", (20.0, 70.0), True, 1),
    ("churn_rate", (1.0, 9.0), True, 2),
    ("revenue_per_user", (2.0, 60.0), False, 2),
    ("retention_d7", (10.0, 45.0), False, 1),
    ("activation_rate", (15.0, 60.0), False, 1),
    ("support_tickets_per_1k", (3.0, 40.0), True, 1),
    ("avg_order_value", (20.0, 140.0), False, 2),
]
VERBS = ["increases", "raises", "lifts", "improves"]
DOWN_VERBS = ["cuts", "reduces", "lowers", "trims"]
PEOPLE = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
]
TEAMS = ["growth-team", "checkout-team", "search-team", "platform", "lifecycle", "mobile"]
TAGS = ["homepage", "checkout", "mobile", "pricing", "seo", "q1", "q2", "q3", "q4",
        "retention", "performance", "copy", "design", "email", "emea", "apac"]
NOTE_OPENERS = [
    "Launched to 10% of users", "Ramped to 50% of traffic", "Ramped to all users in the segment",
    "Paused over the weekend for a deploy freeze", "Resumed after the incident was closed",
    "Fixed a logging bug that dropped mobile events", "Sample ratio looks healthy",
    "Checked the guardrail metrics", "Reviewed with the design team",
    "Shared interim numbers at the Tuesday review", "Excluded internal accounts from analysis",
    "Novelty effect seems to be fading", "Segment split shows a larger effect on mobile",
    "Power analysis says two more weeks", "p-value dropped below 0.05 after 3 days",
    "Confidence interval still crosses zero", "Variant B renders slower on old Android devices",
    "Support reported two confused users", "Finance asked for the revenue impact",
    "Holdout group kept at 5% for a month",
]
NOTE_TAILS = [
    "and the dashboard was updated to match", "so we keep the current allocation for now",
    "with no change to error rates or latency", "which matches the pre-registered plan",
    "after a long discussion in the experiment channel", "pending a second look by analytics",
    "and the numbers are in the weekly report", "as agreed with the product owner",
    "while the control group stays unchanged", "so the readout moves to next Friday",
]
LEARNINGS = [
    "Users respond to clearer copy more than to colour",
    "Fewer fields mattered more than layout",
    "The effect was concentrated on mobile, desktop was flat",
    "Speed gains did not move conversion within the test window",
    "Social proof helped new users but not returning ones",
    "The novelty effect faded after the first week",
]
KILL_REASONS = [
    "Guardrail metric regressed", "Broke the checkout on Safari", "Priorities changed",
    "Traffic too low to reach power", "Legal asked us to stop",
]
WORDS = (
    "request response handler cache index query user account order item price session token "
    "retry timeout buffer stream batch queue worker schedule config option value default "
    "render layout widget event metric counter gauge report export import parse format"
).split()

START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
EXT = [".py", ".rs", ".ts", ".md", ".json", ".yaml", ".txt"]
DIRS = ["src", "src/api", "src/web", "src/jobs", "src/lib", "docs", "config", "src/models"]


# --- helpers ------------------------------------------------------------------------------

def slug(title: str) -> str:
    """xp's slug: lower-case ASCII letters and digits, runs of anything else as one `-`."""
    out = []
    for c in title:
        if c.isascii() and c.isalnum():
            out.append(c.lower())
        elif out and out[-1] != "-":
            out.append("-")
        if len(out) >= 60:
            break
    return "".join(out).rstrip("-") or "experiment"


def scalar(text: str) -> str:
    """A YAML scalar for plain text: plain when safe, else single-quoted."""
    risky = (
        ": " in text or " #" in text or text.endswith(":")
        or text[:1] in "-?:,[]{}#&*!|>'\"%@`"
        or text.lower() in ("no", "yes", "on", "off", "true", "false", "null", "~", "y", "n")
    )
    if not risky:
        try:
            float(text)
            risky = True
        except ValueError:
            pass
    return "'" + text.replace("'", "''") + "'" if risky else text


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def number(value: float, digits: int) -> str:
    return str(int(round(value))) if digits == 0 else f"{round(value, digits)}"


class Record:
    """One experiment: its fixed fields and the history of its changing ones."""

    def __init__(self, rng: random.Random, index: int, used: set[str], entries: int):
        self.id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        while True:
            title = f"{rng.choice(AREAS)} {rng.choice(CHANGES)}"
            if rng.random() < 0.7:
                title += f" ({rng.choice(SEGMENTS)})"
            if slug(title) in used:
                title += f" #{index}"
            if slug(title) not in used:
                break
        self.title = title
        self.slug = slug(title)
        used.add(self.slug)
        name, (low, high), down, digits = rng.choice(METRICS)
        baseline = rng.uniform(low, high)
        change = rng.uniform(0.03, 0.25)
        target = baseline * (1 - change) if down else baseline * (1 + change)
        self.baseline = number(baseline, digits)
        self.target = number(target, digits)
        if self.target == self.baseline:
            step = 10 ** -digits
            self.target = number(float(self.baseline) + (-step if down else step), digits)
        self.metric = name
        self.down = down
        verb = rng.choice(DOWN_VERBS if down else VERBS)
        self.hypothesis = (
            f"{title.split(' (')[0]} {verb} {name.replace('_', ' ')} by {round(change * 100)}%"
            f" for {rng.choice(SEGMENTS)} traffic"
        )
        self.owner = rng.choice(TEAMS) if rng.random() < 0.6 else None
        self.tags = rng.sample(TAGS, rng.randint(1, 3)) if rng.random() < 0.5 else []
        self.links = (
            [f"https://dashboards.example.com/exp/{self.id[:8]}"] if rng.random() < 0.3 else []
        )
        # Final outcome, then the path of status moves that reaches it.
        outcome = rng.choices(
            ["draft", "running", "completed", "killed", "shipped"], [1, 4, 2, 1, 2]
        )[0]
        moves = {
            "draft": [],
            "running": ["running"],
            "completed": ["running", "completed"],
            "shipped": ["running", "completed", "shipped"],
            "killed": rng.choice([["killed"], ["running", "killed"]]),
        }[outcome]
        self.final = {
            "status": outcome,
            "confidence": 0,
            "decision": None,
            "learning": None,
        }
        if outcome in ("completed", "shipped"):
            decision = "ship" if outcome == "shipped" else rng.choice(
                ["ship", "iterate", "kill", "inconclusive"]
            )
            self.final.update(
                confidence=rng.randint(80, 99), decision=decision,
                learning=rng.choice(LEARNINGS),
            )
        elif outcome == "running":
            self.final["confidence"] = rng.randint(0, 70)
        elif outcome == "killed":
            self.final["decision"] = rng.choice([None, "kill"])
        # The log: E entries, status moves spread among notes.
        slots = sorted(rng.sample(range(1, entries), min(len(moves), max(entries - 1, 0))))
        self.plan: list[tuple[str, str | None]] = []  # (note, status it moves to)
        status, moves_left = "draft", list(zip(slots, moves))
        for k in range(entries):
            if moves_left and moves_left[0][0] == k:
                _, to = moves_left.pop(0)
                note = f"status: {status} -> {to}"
                if to == "killed":
                    note += f": {rng.choice(KILL_REASONS)}"
                elif to == "completed":
                    note += f": Significant after {rng.randint(3, 30)} days"
                self.plan.append((note, to))
                status = to
            else:
                note = f"{rng.choice(NOTE_OPENERS)} {rng.choice(NOTE_TAILS)}"
                if rng.random() < 0.4:
                    note += f", {rng.choice(NOTE_OPENERS).lower()}"
                self.plan.append((note, None))
        self.who = [rng.choice(PEOPLE) if rng.random() < 0.95 else None for _ in range(entries)]

    def state_after(self, k: int) -> dict:
        """The changing fields once the first k log entries are in."""
        status = "draft"
        for note, to in self.plan[:k]:
            if to:
                status = to
        if status == self.final["status"]:
            return dict(self.final)
        state = {"status": status, "confidence": 0, "decision": None, "learning": None}
        if status == "completed":  # on its way to shipped
            state.update({key: self.final[key] for key in ("confidence", "decision", "learning")})
        return state

    def render(self, times: list[datetime], k: int) -> bytes:
        """The file once the first k entries are written, at the given times."""
        s = self.state_after(k)
        lines = [
            f"id: {self.id}",
            f"title: {scalar(self.title)}",
            f"hypothesis: {scalar(self.hypothesis)}",
            f"primary_metric: {self.metric}",
            f"baseline: {self.baseline}",
            f"target: {self.target}",
        ]
        if self.down:
            lines.append("direction: decrease")
        lines += [
            f"status: {s['status']}",
            f"confidence: {s['confidence']}",
            f"decision: {s['decision'] or 'null'}",
            f"learning: {scalar(s['learning']) if s['learning'] else 'null'}",
        ]
        if self.owner:
            lines.append(f"owner: {self.owner}")
        if self.tags:
            lines.append("tags:")
            lines += [f"- {scalar(t)}" for t in self.tags]
        if self.links:
            lines.append("links:")
            lines += [f"- {link}" for link in self.links]
        lines.append("decision_log:")
        for (note, _), who, at in zip(self.plan[:k], self.who, times):
            lines.append(f"- at: {stamp(at)}")
            if who:
                lines.append(f"  who: {who}")
            lines.append(f"  note: {scalar(note)}")
        return ("\n".join(lines) + "\n").encode()


def other_file(rng: random.Random, path: str, revision: int) -> bytes:
    lines = [f"# {path} (revision {revision})"]
    for _ in range(rng.randint(10, 40)):
        lines.append(" ".join(rng.choices(WORDS, k=rng.randint(3, 9))))
    return ("\n".join(lines) + "\n").encode()


# --- the stream ---------------------------------------------------------------------------

class Stream:
    def __init__(self, out):
        self.out = out
        self.mark = 0

    def commit(self, who: str, when: datetime, message: str, files: dict[str, bytes]):
        self.mark += 1
        ident = f"{who.capitalize()} <{who}@example.com> {int(when.timestamp())} +0000"
        msg = message.encode()
        w = self.out.write
        w(b"commit refs/heads/main\n")
        w(f"mark :{self.mark}\nauthor {ident}\ncommitter {ident}\n".encode())
        w(f"data {len(msg)}\n".encode() + msg + b"\n")
        for path, data in files.items():
            w(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        w(b"\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--other-files", type=int, default=0)
    ap.add_argument("--commits", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--shape", choices=["default", "long"], default="default")
    ap.add_argument("--hot", type=int, default=3, help="long shape: records with K commits")
    ap.add_argument("--hot-commits", type=int, default=300, help="long shape: K")
    ap.add_argument("--cold-edits", type=int, default=300,
                    help="long shape: commits adding an entry to an imported record")
    ap.add_argument("out_dir")
    a = ap.parse_args()
    if a.records < 1 or a.entries < 1 or a.commits < 1 or a.other_files < 0:
        ap.error("--records, --entries and --commits must be at least 1")
    if a.shape == "long" and (
        a.hot < 1 or a.hot >= a.records or a.hot_commits < 1 or a.cold_edits < 0
        or a.hot * a.hot_commits + a.cold_edits + 1 > a.commits
    ):
        ap.error("--shape long needs 1 <= --hot < --records, --hot-commits >= 1 and "
                 "--commits > hot x hot-commits + cold-edits")

    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               LC_ALL="C", TZ="UTC")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    out = a.out_dir
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)

    def git(*args: str, **kw):
        return subprocess.run(["git", "-C", out, *args], env=env, check=True, **kw)

    git("init", "-q", "-b", "main")
    for key, value in [("user.name", "Bench"), ("user.email", "bench@example.com"),
                       ("merge.xp.name", "xp"),
                       ("merge.xp.driver", "xp merge-driver %O %A %B %P"),
                       ("gc.auto", "0")]:
        git("config", key, value)

    if a.shape == "long":
        return long_shape(a, out, env, git)

    rng = random.Random(a.seed)
    used: set[str] = set()
    records = [Record(rng, i, used, a.entries) for i in range(a.records)]

    # Which records get built commit by commit: about 40% of the commits after the import.
    budget = int(0.4 * (a.commits - 1))
    tracked_n = min(len(records), budget // (a.entries + 1))
    tracked = records[:tracked_n]
    others = [f"{rng.choice(DIRS)}/{'_'.join(rng.choices(WORDS, k=2))}_{i}{rng.choice(EXT)}"
              for i in range(a.other_files)]

    # The sequence of commits after the import: ("xp", record, step) or ("other", None, 0).
    steps: list[tuple[str, Record | None, int]] = []
    for r in tracked:
        steps += [("xp", r, k) for k in range(a.entries + 1)]
    steps += [("other", None, 0)] * max(a.commits - 1 - len(steps), 0)
    # Shuffle, then put each tracked record's steps back in order among its own slots.
    rng.shuffle(steps)
    slots: dict[int, list[int]] = {}
    for pos, (kind, r, _) in enumerate(steps):
        if kind == "xp":
            slots.setdefault(id(r), []).append(pos)
    for r in tracked:
        for k, pos in enumerate(slots[id(r)]):
            steps[pos] = ("xp", r, k)

    when = [START + timedelta(minutes=i * 47 + rng.randint(0, 40)) for i in range(a.commits)]
    before = START - timedelta(days=365)

    proc = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE, env=env)
    stream = Stream(proc.stdin)

    # The import: other files, .gitattributes and every record not built commit by commit,
    # its entries dated in the year before.
    files: dict[str, bytes] = {
        ".gitattributes": b"experiments/*.yaml merge=xp\nexperiments/*.yml merge=xp\n",
    }
    for path in others:
        files[path] = other_file(rng, path, 0)
    for r in records[tracked_n:]:
        t0 = before + timedelta(minutes=rng.randint(0, 200 * 24 * 60))
        times = [t0 + timedelta(hours=h * 7, minutes=rng.randint(0, 300))
                 for h in range(a.entries)]
        files[f"experiments/{r.slug}.yaml"] = r.render(times, a.entries)
    stream.commit("alice", when[0], "Import experiments from the origin service\n", files)

    times_of: dict[int, list[datetime]] = {id(r): [] for r in tracked}
    revision = 0
    for i, (kind, r, k) in enumerate(steps[: a.commits - 1], start=1):
        t = when[i]
        if kind == "other" or r is None:
            revision += 1
            picks = rng.sample(others, min(len(others), rng.randint(1, 3))) if others else []
            changed = {p: other_file(rng, p, revision) for p in picks}
            if not changed:
                changed = {"CHANGELOG.md": f"revision {revision}\n".encode()}
            who = rng.choice(PEOPLE)
            subject = f"{rng.choice(['Fix', 'Tidy', 'Speed up', 'Document', 'Refactor'])} " \
                      f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
            stream.commit(who, t, subject + "\n", changed)
            continue
        path = f"experiments/{r.slug}.yaml"
        if k == 0:
            who = r.who[0] or "alice"
            message = f"xp: new {r.slug}\n\n{r.title}\n\nExperiment-Id: {r.id}\n"
        else:
            times_of[id(r)].append(t)
            who = r.who[k - 1] or "alice"
            note, to = r.plan[k - 1]
            if to:
                message = f"xp: status {to} on {r.slug}\n\n{note}\n\nExperiment-Id: {r.id}\n"
            else:
                message = f"xp: note on {r.slug}\n\n{note}\n\nExperiment-Id: {r.id}\n"
        stream.commit(who, t, message, {path: r.render(times_of[id(r)], k)})

    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        print("corpus: git fast-import failed", file=sys.stderr)
        return 1
    git("reset", "-q", "--hard", "main")
    ref = (tracked[0] if tracked else records[0]).slug
    with open(os.path.join(out, ".git", "xp-bench-ref"), "w") as f:
        f.write(ref + "\n")
    head = git("rev-parse", "HEAD", capture_output=True, text=True).stdout.strip()
    count = git("rev-list", "--count", "HEAD", capture_output=True, text=True).stdout.strip()
    print(f"corpus: {out}: {a.records} records, {a.other_files} other files, {count} commits, "
          f"HEAD {head}, ref {ref}")
    return 0


def long_shape(a, out: str, env: dict, git) -> int:
    """The other history shape (see the module's text): records created early and rarely
    edited, a few records with hundreds of commits, other files' commits between."""
    rng = random.Random(a.seed)
    used: set[str] = set()
    hot = [Record(rng, i, used, a.hot_commits - 1) for i in range(a.hot)]
    cold = [Record(rng, a.hot + i, used, a.entries) for i in range(a.records - a.hot)]
    others = [f"{rng.choice(DIRS)}/{'_'.join(rng.choices(WORDS, k=2))}_{i}{rng.choice(EXT)}"
              for i in range(a.other_files)]

    # Rarely edited: each chosen record gets its last one to three entries after the import.
    edits: list[Record] = []
    late: dict[int, int] = {}
    pool = list(cold)
    rng.shuffle(pool)
    for r in pool:
        if len(edits) >= a.cold_edits:
            break
        n = min(rng.randint(1, 3), a.cold_edits - len(edits), a.entries)
        late[id(r)] = n
        edits += [r] * n
    rng.shuffle(edits)

    n_after = a.commits - 1
    steps: list[tuple[str, Record | None]] = [("other", None)] * n_after
    # Hot records: `xp: new` in the first twentieth, then their entries spread after it.
    free = list(range(n_after))
    early = max(len(hot), n_after // 20)
    for r in hot:
        start = rng.choice([p for p in free if p < early] or free[:1])
        free.remove(start)
        rest = sorted(rng.sample([p for p in free if p > start], a.hot_commits - 1))
        for p in [start] + rest:
            steps[p] = ("hot", r)
            if p in free and p != start:
                free.remove(p)
    for r, p in zip(edits, sorted(rng.sample(free, len(edits)))):
        steps[p] = ("cold", r)

    when = [START + timedelta(minutes=i * 47 + rng.randint(0, 40)) for i in range(a.commits)]
    before = START - timedelta(days=365)
    proc = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE, env=env)
    stream = Stream(proc.stdin)
    files: dict[str, bytes] = {
        ".gitattributes": b"experiments/*.yaml merge=xp\nexperiments/*.yml merge=xp\n",
    }
    for path in others:
        files[path] = other_file(rng, path, 0)
    times_of: dict[int, list[datetime]] = {}
    done: dict[int, int] = {}
    for r in cold:
        t0 = before + timedelta(minutes=rng.randint(0, 200 * 24 * 60))
        times = [t0 + timedelta(hours=h * 7, minutes=rng.randint(0, 300))
                 for h in range(a.entries)]
        k = a.entries - late.get(id(r), 0)
        times_of[id(r)] = times[:k]
        done[id(r)] = k
        files[f"experiments/{r.slug}.yaml"] = r.render(times[:k], k)
    stream.commit("alice", when[0], "Import experiments from the origin service\n", files)

    for r in hot:
        times_of[id(r)] = []
        done[id(r)] = -1
    revision = 0
    for i, (kind, r) in enumerate(steps, start=1):
        t = when[i]
        if r is None:
            revision += 1
            picks = rng.sample(others, min(len(others), rng.randint(1, 3))) if others else []
            changed = {p: other_file(rng, p, revision) for p in picks}
            if not changed:
                changed = {"CHANGELOG.md": f"revision {revision}\n".encode()}
            who = rng.choice(PEOPLE)
            subject = f"{rng.choice(['Fix', 'Tidy', 'Speed up', 'Document', 'Refactor'])} " \
                      f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
            stream.commit(who, t, subject + "\n", changed)
            continue
        k = done[id(r)] + 1
        done[id(r)] = k
        path = f"experiments/{r.slug}.yaml"
        if k == 0:
            who = r.who[0] if r.who and r.who[0] else "alice"
            message = f"xp: new {r.slug}\n\n{r.title}\n\nExperiment-Id: {r.id}\n"
        else:
            times_of[id(r)].append(t)
            who = r.who[k - 1] or "alice"
            note, to = r.plan[k - 1]
            verb = f"status {to} on" if to else "note on"
            message = f"xp: {verb} {r.slug}\n\n{note}\n\nExperiment-Id: {r.id}\n"
        stream.commit(who, t, message, {path: r.render(times_of[id(r)], k)})

    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        print("corpus: git fast-import failed", file=sys.stderr)
        return 1
    git("reset", "-q", "--hard", "main")
    ref = hot[0].slug
    cold_ref = next((r.slug for r in cold if id(r) in late), cold[0].slug)
    for name, value in [("xp-bench-ref", ref), ("xp-bench-ref-cold", cold_ref)]:
        with open(os.path.join(out, ".git", name), "w") as f:
            f.write(value + "\n")
    head = git("rev-parse", "HEAD", capture_output=True, text=True).stdout.strip()
    count = git("rev-list", "--count", "HEAD", capture_output=True, text=True).stdout.strip()
    print(f"corpus: {out}: {a.records} records ({a.hot} with {a.hot_commits} commits, "
          f"{len(late)} edited after the import), {a.other_files} other files, {count} commits, "
          f"HEAD {head}, ref {ref}, cold ref {cold_ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
