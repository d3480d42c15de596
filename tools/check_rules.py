#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""check_rules.py - validate data/rules.tsv and data/status-map.tsv and try them on texts.

DESCRIPTION
    A quick check of the classification tables that runs without the C engine:
      1. validation: column counts, unique ids/codes, reason/category/remedy/tag names
         (from reasons.tsv, categories.tsv and the vocabularies of tools/gen_tables.py),
         prio range, constraint syntax;
      2. every pattern compiled with Python `re` (an approximation of Hyperscan) plus a
         scan for constructs Hyperscan rejects (backreferences, lookaround, \\b inside a
         character class, possessive/atomic groups, conditionals);
      3. optionally, which rule wins for each reply line of FILE (`--lines FILE`, `-` for
         stdin), under the selection of src/classify.c: the highest prio*4 (+2 exact
         provider status, +1 exact provider reply code) among matched rules whose code
         constraints hold; then the status map, then the basic reply code map, each only
         when its prio is strictly higher. provider-codes.tsv rows take part at prio 80;
      4. `--corpus DIR --expected TSV`: pulls Diagnostic-Code/Status out of each *.eml
         (or the human-readable part when there is no DSN), classifies it as in 3 and
         compares with the expected reasons (rows in recipient order). This is only an
         approximation of `rebound parse`: no MTA dialects, crude text extraction.

USAGE
    tools/check_rules.py [--data DIR] [--lines FILE] [--corpus DIR --expected TSV]
                         [--errors N] [--verbose]
    Exit status 1 when validation fails, else 0.

LIMITS
    Python `re` is not Hyperscan: a pattern that compiles here may still be rejected by
    tools/hs_build (the build reports it with its index). Dialect hints (HINT_PRIO) and
    the DSN Action field are not modelled.
"""
import argparse
import email
import email.policy
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:  # share vocabularies and the provider pattern conversion with the build
    import gen_tables as G
except Exception:  # pragma: no cover - the build script is mid-edit
    G = None

AUTHS = ["spf", "dkim", "dmarc", "ptr", "tls", "smtp-auth", "alignment"]
SCOPES = "unknown recipient sender message receiver network".split()
REMEDIES = ("none suppress-recipient retry-later slow-down fix-authentication check-blocklist "
            "fix-content shrink-message fix-address-syntax fix-sending-config "
            "contact-receiver").split()
if G is not None:
    AUTHS, SCOPES, REMEDIES = G.AUTHS, G.SCOPES, G.REMEDIES

MAX_TEXT = 2000          # bytes of a human-readable part used as the "reply" in corpus mode
BAD_CONSTRUCTS = [
    (re.compile(r"\\[1-9]"), "backreference"),
    (re.compile(r"\(\?[=!]"), "lookahead"),
    (re.compile(r"\(\?<[=!]"), "lookbehind"),
    (re.compile(r"\(\?>"), "atomic group"),
    (re.compile(r"\(\?\("), "conditional"),
    (re.compile(r"[*+?}]\+"), "possessive quantifier"),
    (re.compile(r"\[[^\]]*\\b[^\]]*\]"), "\\b inside a character class"),
]


def read_tsv(path):
    """Yield (lineno, dict, ncols_ok) rows; the first non-comment line is the header."""
    header = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            ok = len(cols) == len(header)
            cols += [""] * (len(header) - len(cols))
            yield n, dict(zip(header, cols)), ok


def _factors(items):
    """Literal strings one of which every match of the parsed sequence must contain, or None.

    A prefilter only: a rule whose factors are all absent from the lowercased text cannot
    match, so its regex is not run (Python `re` is slow on long alternations)."""
    from re import _constants as C
    best = None

    def better(a, b):
        if a is None:
            return b
        if b is None:
            return a
        return a if min(map(len, a)) >= min(map(len, b)) else b

    run = []
    for op, av in list(items) + [(None, None)]:
        if op is C.LITERAL:
            run.append(chr(av).lower())
            continue
        if run:
            best = better(best, {"".join(run)})
            run = []
        sub = None
        if op is C.SUBPATTERN:
            sub = _factors(av[-1])
        elif op is C.BRANCH:
            sets = [_factors(b) for b in av[1]]
            if all(x is not None for x in sets):
                sub = set().union(*sets)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            sub = _factors(av[2])
        if sub:
            best = better(best, sub)
    if best is not None and (min(map(len, best)) < 3):
        return None
    return best


def literal_factors(rx):
    try:
        from re import _parser
        return _factors(_parser.parse(rx, re.I))
    except Exception:  # noqa: BLE001 - no prefilter then
        return None


class Checker:
    def __init__(self, data):
        self.data = data
        self.errors = []
        self.warnings = []
        self.rules = []      # dicts with compiled regex
        self.smap = {}       # (cls, subj, det) -> (reason, cat, prio); cls 0 = either
        self.basic = {}      # int -> (reason, cat, prio)
        self.reasons = {}
        self.cats = {}

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    # ---- loading and validation ---------------------------------------------------------
    def load_vocab(self):
        for n, r, ok in read_tsv(f"{self.data}/reasons.tsv"):
            self.reasons[r["reason"]] = r
        for n, r, ok in read_tsv(f"{self.data}/categories.tsv"):
            self.cats[r["category"]] = r

    def check_tags(self, s, where):
        if s in ("", "-"):
            return {}
        tags = {}
        for t in s.split(","):
            k, _, v = t.strip().partition("=")
            if not v:
                self.err(where, f"tag {t!r} is not key=value")
            elif k == "auth" and v not in AUTHS:
                self.err(where, f"unknown auth {v!r}")
            elif k == "bl" and not re.fullmatch(r"[a-z0-9.-]+", v):
                self.err(where, f"bad blocklist id {v!r}")
            elif k == "scope" and v not in SCOPES:
                self.err(where, f"unknown scope {v!r}")
            elif k not in ("auth", "bl", "provider", "scope"):
                self.err(where, f"unknown tag key {k!r}")
            tags.setdefault(k, []).append(v)
        return tags

    def check_pattern(self, rx, where):
        for bad, what in BAD_CONSTRUCTS:
            if bad.search(rx):
                self.err(where, f"pattern uses {what} (Hyperscan rejects it)")
        try:
            return re.compile(rx, re.I)
        except re.error as e:
            self.err(where, f"pattern does not compile: {e}")
            return None

    @staticmethod
    def parse_reply_c(s):
        s = s.strip()
        req = s.startswith("=")
        return (s[1:] if req else s), req

    @staticmethod
    def parse_status_c(s):
        s = s.strip()
        req = s.startswith("=")
        if req:
            s = s[1:]
        if not s:
            return (None, None, None, req)
        parts = s.split(".")
        vals = [None if (i == 0 and p in "Xx*") else int(p) for i, p in enumerate(parts)]
        while len(vals) < 3:
            vals.append(None)
        return (vals[0], vals[1], vals[2], req)

    def load_rules(self):
        ids = set()
        path = f"{self.data}/rules.tsv"
        for n, r, ok in read_tsv(path):
            where = f"rules.tsv:{n}"
            if not ok:
                self.err(where, "wrong number of columns")
                continue
            rid = r["id"].strip()
            if not rid or rid in ids:
                self.err(where, f"empty or duplicate id {rid!r}")
            ids.add(rid)
            try:
                prio = int(r["prio"])
                if not 1 <= prio <= 100:
                    self.err(where, "prio out of 1..100")
            except ValueError:
                self.err(where, f"prio {r['prio']!r} is not a number")
                prio = 0
            reason = r["reason"].strip()
            if reason != "-" and reason not in self.reasons:
                self.err(where, f"unknown reason {reason!r}")
            cat = r["category"].strip() or "-"
            if cat != "-" and cat not in self.cats:
                self.err(where, f"unknown category {cat!r}")
            remedy = r["remedy"].strip() or "-"
            if remedy != "-" and remedy not in REMEDIES:
                self.err(where, f"unknown remedy {remedy!r}")
            if reason == "-" and (r["tags"].strip() in ("", "-")):
                self.err(where, "tag-only rule without tags")
            if not re.fullmatch(r"=?([1-5][0-9]{0,2})?", r["reply"].strip()):
                self.err(where, f"bad reply constraint {r['reply']!r}")
            if not re.fullmatch(r"=?(([245Xx*])(\.[0-9]{1,3}(\.[0-9]{1,3})?)?)?",
                                r["status"].strip()):
                self.err(where, f"bad status constraint {r['status']!r}")
                r["status"] = ""
            tags = self.check_tags(r["tags"].strip(), where)
            rx = self.check_pattern(r["pattern"], where)
            if rx is None:
                continue
            self.rules.append({
                "lits": literal_factors(r["pattern"]),
                "id": rid, "prio": prio, "reply": self.parse_reply_c(r["reply"]),
                "status": self.parse_status_c(r["status"]), "rx": rx, "reason": reason,
                "category": cat, "tags": tags, "bonus_reply": "", "bonus_status": "",
            })
        return len(self.rules)

    def load_providers(self):
        """provider-codes.tsv rows as prio-80 rules (conversion shared with the build)."""
        if G is None:
            self.warnings.append("tools/gen_tables.py not importable: provider rows skipped")
            return 0
        causes = {r["cause"]: r for _, r, _ in read_tsv(f"{self.data}/causes.tsv")}
        n0 = len(self.rules)
        for n, r, ok in read_tsv(f"{self.data}/provider-codes.tsv"):
            c = causes.get(r["cause_category"])
            if c is None:
                continue
            try:
                rx = re.compile(G.literal_to_regex(r["text_pattern"], r["provider"]), re.I)
            except Exception as e:  # noqa: BLE001 - report and go on
                self.warnings.append(f"provider-codes.tsv:{n}: {e}")
                continue
            rc, ec = r["reply_code"].strip(), r["enhanced_code"].strip()
            tags = self.check_tags(c["tags"], f"causes.tsv[{c['cause']}]")
            lits = re.findall(r"[a-z0-9 ]{4,}", r["text_pattern"].lower())
            self.rules.append({
                "lit": max(lits, key=len) if lits and r["provider"] != "google" else "",
                "id": f"{r['provider']}.{n}", "prio": 80, "reply": (rc[:1], False),
                "status": (int(ec[0]) if ec else None, None, None, False), "rx": rx,
                "reason": c["reason"], "category": c["category"], "tags": tags,
                "bonus_reply": rc, "bonus_status": ec if "-" not in ec else "",
            })
        return len(self.rules) - n0

    def load_status_map(self):
        path = f"{self.data}/status-map.tsv"
        for n, r, ok in read_tsv(path):
            where = f"status-map.tsv:{n}"
            if not ok:
                self.err(where, "wrong number of columns")
                continue
            code = r["code"].strip()
            if r["reason"] not in self.reasons:
                self.err(where, f"unknown reason {r['reason']!r}")
            cat = r["category"].strip() or "-"
            if cat != "-" and cat not in self.cats:
                self.err(where, f"unknown category {cat!r}")
            try:
                prio = int(r["prio"])
                if not 1 <= prio <= 100:
                    self.err(where, "prio out of 1..100")
            except ValueError:
                self.err(where, f"prio {r['prio']!r} is not a number")
                continue
            val = (r["reason"], cat, prio)
            if re.fullmatch(r"[2-5][0-9][0-9]", code):
                if int(code) in self.basic:
                    self.err(where, f"duplicate code {code}")
                self.basic[int(code)] = val
                continue
            m = re.fullmatch(r"([245*Xx])\.([0-9]{1,3})\.([0-9]{1,3})", code)
            if not m:
                self.err(where, f"bad code {code!r}")
                continue
            key = (0 if m.group(1) in "*Xx" else int(m.group(1)), int(m.group(2)),
                   int(m.group(3)))
            if key in self.smap:
                self.err(where, f"duplicate code {code}")
            self.smap[key] = val

    # ---- classification -------------------------------------------------------------------
    @staticmethod
    def find_codes(text):
        """(replycode, (cls, subj, det)) from a reply text, roughly as src/reply.c does."""
        m = re.search(r"(?<![0-9])([245][0-9][0-9])[ -]#?([245])\.([0-7])\.([0-9]{1,3})(?![0-9.])",
                      text)
        if m:
            return int(m.group(1)), (int(m.group(2)), int(m.group(3)), int(m.group(4)))
        rc = None
        m = re.match(r"\s*#?([245][0-9][0-9])(?![0-9.])", text)
        if m:
            rc = int(m.group(1))
        st = None
        m = re.search(r"(?<![0-9.])([245])\.([0-7])\.([0-9]{1,3})(?![0-9]|\.[0-9])", text)
        if m:
            st = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if rc is None:
            m = re.search(r"(?<![0-9.#-])([45][0-9][0-9])(?![0-9.])", text)
            if m:
                rc = int(m.group(1))
        return rc, st

    @staticmethod
    def reply_ok(c, rc):
        digits, req = c
        if not digits:
            return not req or rc is not None
        if rc is None:
            return not req
        return str(rc).startswith(digits)

    @staticmethod
    def status_ok(c, st):
        cls, subj, det, req = c
        if cls is None and subj is None and det is None:
            return not req or st is not None
        if st is None:
            return not req
        for want, have in zip((cls, subj, det), st):
            if want is not None and want != have:
                return False
        return True

    def classify(self, text, status=None):
        """-> (reason, category, rule id, prio, tags) for one reply text."""
        text = unfold(text)
        rc, st = self.find_codes(text)
        if st is None and status:
            m = re.fullmatch(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})", status.strip())
            if m:
                st = tuple(int(x) for x in m.groups())
        best, best_score = None, -1
        tags = {}
        bl_prio = -1
        st_str = "%d.%d.%d" % st if st else ""
        low = text.lower()
        for r in self.rules:
            if r.get("lit") and r["lit"] not in low:
                continue
            if r.get("lits") and not any(x in low for x in r["lits"]):
                continue
            if not r["rx"].search(text):
                continue
            if not self.reply_ok(r["reply"], rc) or not self.status_ok(r["status"], st):
                continue
            for v in r["tags"].get("auth", []):
                tags.setdefault("auth", set()).add(v)
            if r["tags"].get("bl") and r["prio"] > bl_prio:
                tags["bl"] = r["tags"]["bl"][0]
                bl_prio = r["prio"]
            if r["reason"] == "-":
                continue
            score = r["prio"] * 4
            if r["bonus_status"] and r["bonus_status"] == st_str:
                score += 2
            if r["bonus_reply"] and rc is not None and r["bonus_reply"] == str(rc):
                score += 1
            if score > best_score:
                best, best_score = r, score
        reason, cat, rid, prio = "undefined", "-", "no-rule", 0
        if best:
            reason, cat, rid, prio = best["reason"], best["category"], best["id"], best["prio"]
        if st:
            sm = self.smap.get(st) or self.smap.get((0, st[1], st[2]))
            if sm and sm[2] > prio:
                reason, cat, prio = sm
                rid = "status-map"
        if rc is not None and rc in self.basic and self.basic[rc][2] > prio:
            reason, cat, prio = self.basic[rc]
            rid = "reply-code-map"
        if cat == "-":
            cat = self.reasons.get(reason, {}).get("category", "unknown")
        return reason, cat, rid, prio, tags


# ---- corpus extraction -------------------------------------------------------------------
CUT = re.compile(r"^(-{2,} ?(original message|below this line|this is a copy|the header of the "
                 r"original)|original message follows|------ this is a copy|content-type: "
                 r"message/rfc822|\s*-{3,}\s*(original|returned|message|undelivered)|"
                 r"(received|return-path|message-id|subject|from):\s)", re.I | re.M)


CONT = re.compile(r"^\s*[245][0-9][0-9][- ](#?[245]\.[0-9]{1,3}\.[0-9]{1,3}\s)?")


def unfold(text):
    """Join a multi-line reply: continuation prefixes ("550-5.7.1 ") after the first line go,
    whitespace runs become one space (what src/reply.c does, roughly)."""
    lines = re.split(r"\r\n|\r|\n", text)
    out = [lines[0]] + [CONT.sub("", ln, count=1) for ln in lines[1:]]
    return re.sub(r"\s+", " ", " ".join(out)).strip()


def part_text(part):
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        p = part.get_payload()
        return p if isinstance(p, str) else ""
    cs = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(cs, "replace")
    except LookupError:
        return payload.decode("latin-1", "replace")


def extract(path):
    """-> list of (text, status) per recipient; text from Diagnostic-Code or the body."""
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    rcpts, human, feedback = [], "", ""
    for part in msg.walk():
        ct = part.get_content_type()
        if ct in ("message/delivery-status", "message/global-delivery-status",
                  "text/delivery-status"):
            blocks = part.get_payload()
            if isinstance(blocks, str):
                raw = blocks.replace("\r\n", "\n")
                blocks = [email.message_from_string(b) for b in re.split(r"\n\s*\n", raw) if b]
            for b in blocks:
                if not isinstance(b, email.message.Message):
                    continue
                if b.get("Final-Recipient") or b.get("Original-Recipient"):
                    diag = b.get("Diagnostic-Code", "") or ""
                    diag = re.sub(r"^\s*[A-Za-z-]+\s*;\s*", "", unfold(diag))
                    rcpts.append([diag, (b.get("Status") or "").strip()])
        elif ct == "message/feedback-report":
            feedback = part_text(part) if not part.is_multipart() else str(part.get_payload(0))
        elif ct == "text/plain" and not human and not part.get_filename():
            human = part_text(part)
    if not human and not msg.is_multipart():
        human = part_text(msg)
    m = CUT.search(human)
    if m and m.start() > 40:
        human = human[:m.start()]
    human = human[:MAX_TEXT]
    if feedback:
        return [(feedback, "", False)]
    if not rcpts:
        return [(human, "", False)]
    return [(d if d else human, s, bool(d)) for d, s in rcpts]


def run_corpus(ck, corpus, expected, nerr, verbose):
    want = {}
    for _, r, _ in read_tsv(expected):
        want.setdefault(os.path.basename(r["file"]), []).append(r["reason"])
    total = agree = dtotal = dagree = 0
    conf = {}
    errs = []
    for fn in sorted(want):
        path = os.path.join(corpus, fn)
        if not os.path.exists(path):
            continue
        got = extract(path)
        for i, exp in enumerate(want[fn]):
            text, status, _ = got[i] if i < len(got) else got[-1]
            reason, cat, rid, prio, tags = ck.classify(text, status)
            total += 1
            dsn = i < len(got) and got[i][2]
            dtotal += dsn
            if reason == exp:
                agree += 1
                dagree += dsn
            else:
                conf[(exp, reason)] = conf.get((exp, reason), 0) + 1
                errs.append((fn, i + 1, exp, reason, rid, status, ("[dsn] " if dsn else "") + text[:220]))
    print(f"corpus: {agree}/{total} rows agree ({100.0 * agree / max(total, 1):.1f}%); "
          f"rows with a DSN Diagnostic-Code: {dagree}/{dtotal} "
          f"({100.0 * dagree / max(dtotal, 1):.1f}%)")
    top = sorted(conf.items(), key=lambda kv: -kv[1])[:15]
    print("top confusions (expected -> got): " +
          ", ".join(f"{e}->{g} {n}" for (e, g), n in top))
    for e in errs[:nerr]:
        print("  %s#%d want=%s got=%s rule=%s status=%s | %s" % (e[:6] + (re.sub(r"\s+", " ", e[6]),)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data"))
    ap.add_argument("--lines", help="file of reply lines ('-' = stdin)")
    ap.add_argument("--corpus", help="directory of *.eml bounces")
    ap.add_argument("--expected", help="truth TSV for --corpus (file, recipient_index, ..., reason)")
    ap.add_argument("--errors", type=int, default=0, help="print N disagreements")
    ap.add_argument("--no-providers", action="store_true", help="leave provider-codes rows out")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    t0 = time.time()
    ck = Checker(a.data)
    ck.load_vocab()
    nrules = ck.load_rules()
    ck.load_status_map()
    nprov = 0 if a.no_providers else ck.load_providers()
    for w in ck.warnings:
        print("warning: " + w, file=sys.stderr)
    for e in ck.errors:
        print("error: " + e, file=sys.stderr)
    print(f"check_rules: {nrules} rules, {nprov} provider rules, {len(ck.smap)} status codes, "
          f"{len(ck.basic)} basic codes, {len(ck.errors)} errors")
    if a.lines:
        f = sys.stdin if a.lines == "-" else open(a.lines, encoding="utf-8", errors="replace")
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            reason, cat, rid, prio, tags = ck.classify(line)
            tg = ",".join(f"{k}={'+'.join(sorted(v)) if isinstance(v, set) else v}"
                          for k, v in sorted(tags.items())) or "-"
            print(f"{reason}\t{cat}\t{rid}\t{prio}\t{tg}\t{line[:120]}")
    if a.corpus and a.expected:
        run_corpus(ck, a.corpus, a.expected, a.errors, a.verbose)
    if a.verbose:
        print(f"elapsed {time.time() - t0:.2f}s", file=sys.stderr)
    return 1 if ck.errors else 0


if __name__ == "__main__":
    sys.exit(main())
