#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""gen_tables.py - compile data/*.tsv into C tables for librebound.

DESCRIPTION
    Reads the code catalogs and rule tables in data/ and writes:
      OUT/catalog_gen.c  enhanced status catalog, reply code catalog, provider catalog,
                         provider host suffixes
      OUT/rules_gen.c    the rule table (text rules from rules.tsv, provider-codes.tsv
                         and provider-hosts.tsv), the status map, the reason and category
                         tables, and the pattern strings (for the runtime fallback)
      OUT/patterns.txt   "id<TAB>regex[<TAB>m]" per scanned pattern, input of tools/hs_build
                         (rule patterns, then gap trigger phrases: see GAP_RULES)
    Every table is validated: unknown names, duplicate keys or bad columns fail the build
    with file:line, so a typo in data/ never ships.

USAGE
    gen_tables.py DATA_DIR OUT_DIR
"""
import re
import sys

REASONS = """undefined authfailure badreputation blocked contenterror delivered exceedlimit
expired failedstarttls feedback filtered hasmoved hostunknown mailboxfull mailererror
mesgtoobig networkerror norelaying notaccept notcompliantrfc onhold policyviolation
rejected requireptr securityerror spamdetected speeding suspend syntaxerror systemerror
systemfull toomanyconn userunknown vacation virusdetected""".split()
CATEGORIES = """unknown address mailbox greylisting rate-limit reputation blocklist
authentication content virus size policy routing protocol network receiver expired
auto-reply complaint delivered""".split()
SCOPES = "unknown recipient sender message receiver network".split()
REMEDIES = """none suppress-recipient retry-later slow-down fix-authentication check-blocklist
fix-content shrink-message fix-address-syntax fix-sending-config contact-receiver""".split()
AUTHS = ["spf", "dkim", "dmarc", "ptr", "tls", "smtp-auth", "alignment"]
# provider ids of provider-codes.tsv that name a blocklist used by many receivers, not a
# receiving provider: their rows tag bl=<id> instead of provider=<id>.
BLOCKLIST_PROVIDERS = {"spamhaus": "spamhaus", "junkemailfilter": "junkemailfilter"}


# reasons.tsv "hard": 0 never, 1 always, p only when the failure is permanent
HARD = {"0": 0, "1": 1, "p": 2}


class DataError(Exception):
    pass


def read_tsv(path):
    """Yield (lineno, dict) rows; the first non-comment line is the header."""
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
            if len(cols) < len(header):
                cols += [""] * (len(header) - len(cols))
            if len(cols) > len(header):
                raise DataError(f"{path}:{n}: {len(cols)} columns, header has {len(header)}")
            yield n, dict(zip(header, cols))


def cstr(s):
    if s is None:
        return "NULL"
    out = ['"']
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 32 <= ch < 127 and c != "?":  # '?' escaped to dodge trigraphs
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    out.append('"')
    return "".join(out)


def enum_name(prefix, name):
    return prefix + re.sub(r"[^A-Z0-9]", "_", name.upper())


# ---- code constraints ------------------------------------------------------------------

def parse_reply_constraint(s, where):
    """'' | '5' | '55' | '550', optionally '=' prefixed -> (digits, required)."""
    s = s.strip()
    req = s.startswith("=")
    if req:
        s = s[1:]
    if s and not re.fullmatch(r"[1-5][0-9]{0,2}", s):
        raise DataError(f"{where}: bad reply constraint {s!r}")
    return s, req


def parse_status_constraint(s, where):
    """'' | '5' | '5.7' | '5.7.1' | 'X.7.1' | '*.7' -> (cls, subj, det, required); -1 = any."""
    s = s.strip()
    req = s.startswith("=")
    if req:
        s = s[1:]
    if not s:
        return (-1, -1, -1, req)
    parts = s.split(".")
    if len(parts) > 3:
        raise DataError(f"{where}: bad status constraint {s!r}")
    vals = []
    for i, p in enumerate(parts):
        if i == 0 and p in ("X", "x", "*"):
            vals.append(-1)
        elif re.fullmatch(r"[0-9]{1,3}", p):
            vals.append(int(p))
        else:
            raise DataError(f"{where}: bad status constraint {s!r}")
    while len(vals) < 3:
        vals.append(-1)
    return (vals[0], vals[1], vals[2], req)


def parse_tags(s, where):
    tags = {"auth": [], "bl": None, "provider": None, "scope": None}
    s = s.strip()
    if s in ("", "-"):
        return tags
    for t in s.split(","):
        t = t.strip()
        if "=" not in t:
            raise DataError(f"{where}: tag {t!r} is not key=value")
        k, v = t.split("=", 1)
        if k == "auth":
            if v not in AUTHS:
                raise DataError(f"{where}: unknown auth {v!r}")
            tags["auth"].append(v)
        elif k == "bl":
            if not re.fullmatch(r"[a-z0-9.-]+", v):
                raise DataError(f"{where}: bad blocklist id {v!r}")
            tags["bl"] = v
        elif k == "provider":
            tags["provider"] = v
        elif k == "scope":
            if v not in SCOPES:
                raise DataError(f"{where}: unknown scope {v!r}")
            tags["scope"] = v
        else:
            raise DataError(f"{where}: unknown tag key {k!r}")
    return tags


# ---- provider pattern conversion -------------------------------------------------------

def last2_hash(host):
    """FNV-1a (32 bit) of a host's last two labels: the key classify.c's provider_from_host
    computes the same way for a host name, so only table rows with that key are compared."""
    h = 2166136261
    for b in ".".join(host.split(".")[-2:]).encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def status_map_slot(cls, subject, detail, bits):
    """The first slot of an enhanced code in status_map_index, as rules.h status_map_slot
    computes it (Fibonacci hashing of cls * 1,000,000 + subject * 1,000 + detail, 32-bit)."""
    key = (cls * 1000000 + subject * 1000 + detail) & 0xFFFFFFFF
    return ((key * 2654435769) & 0xFFFFFFFF) >> (32 - bits)


def fold_pattern(rx):
    """rx with its ASCII letters lower-cased, for a case-sensitive database scanned over
    lower-cased text (match_hs.c): that scan costs ~8% fewer instructions than Hyperscan's
    caseless mode. Escapes keep their letter (\\S, \\b, \\W differ from \\s, \\B, \\w); a \\xHH
    escape of A-Z becomes its lower-case letter's. Non-ASCII bytes stay as they are, as
    Hyperscan's caseless mode (without HS_FLAG_UTF8) left them."""
    out = []
    k = 0
    while k < len(rx):
        c = rx[k]
        if c == "\\" and k + 1 < len(rx):
            if rx[k + 1] == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", rx[k + 2:k + 4]):
                v = int(rx[k + 2:k + 4], 16)
                out.append("\\x%02x" % (v + 32 if 0x41 <= v <= 0x5A else v))
                k += 4
                continue
            if rx[k + 1] in "xcpPQEkg":
                raise DataError(f"pattern {rx!r}: escape \\{rx[k + 1]} not supported by fold_pattern")
            out.append(rx[k:k + 2])
            k += 2
            continue
        out.append(c.lower() if "A" <= c <= "Z" else c)
        k += 1
    return "".join(out)


def literal_to_regex(text, provider):
    """A provider-codes text_pattern (literal, see reference README) -> regex."""
    text = re.sub(r"\s+", " ", text.strip())
    out = []
    i = 0
    while i < len(text):
        m = re.match(r"\{(\d+)\.\.(\d+)\}", text[i:])
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a or b - a > 1000:
                raise DataError(f"bad range in {text!r}")
            out.append("(?:" + "|".join(str(n) for n in range(a, b + 1)) + ")(?![0-9])")
            i += len(m.group(0))
            continue
        c = text[i]
        if c in "'\u2019":
            out.append("(?:'|\"|\\xe2\\x80\\x99)")
        elif c == " ":
            out.append(" ")
        elif c.isalnum() or c == "_" or ord(c) > 127:
            out.append(c)
        else:
            out.append("\\" + c)
        i += 1
    rx = "".join(out)
    # Hyperscan has no lookahead: the range guard becomes "not followed by a digit" via \b
    rx = rx.replace("(?![0-9])", "\\b")
    if provider == "google":
        # Google's help page writes "email" where live replies long said "mail".
        rx = re.sub(r"(?i)\be?mail\b", "e?mail", rx)
    return rx


# ---- literal expansion of selected patterns (the scan only) ---------------------------------
#
# Hyperscan picks its own literals out of a pattern; for a few rules built from many short
# alternatives of common words (`(mail ?box|account|user|recipient|address) (is )?...`) it
# picks ones that occur in most replies and then runs a costly check at each. Spelling such
# a rule out as the list of its phrases is cheaper there (callgrind, Hyperscan scan alone:
# -440 instructions per bench/gen_replies.py line, -80 per corpus reply, for the rules
# below, each measured alone first; most other rules get dearer that way, so the list is
# explicit). The expansion denotes exactly the same
# strings: only top-level alternatives made of literals, small classes, groups and small
# repeats are expanded (the rest stay as written), and each phrase is checked against the
# original pattern. data/ keeps the readable form.
EXPAND_RULES = {"susp.mailbox-disabled", "mbf.mailbox-full", "uu.not-found", "auth.spf-fail",
                "grey.greylisted", "mbf.quota-exceeded", "bl.listed", "susp.suspended"}
EXPAND_MAX = 500  # phrases per alternative


def _split_alternatives(rx):
    """Top-level alternatives of a regex, as source substrings."""
    out, depth, cls, i, start = [], 0, False, 0, 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if cls:
            if c == "]":
                cls = False
        elif c == "[":
            cls = True
            if rx[i + 1:i + 2] == "^":
                i += 1
            if rx[i + 1:i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(rx[start:i])
            start = i + 1
        i += 1
    out.append(rx[start:])
    return out


class _NoExpand(Exception):
    pass


def _expand_seq(items, C):
    res = {b""}
    for op, av in items:
        part = _expand_item(op, av, C)
        res = {a + b for a in res for b in part}
        if len(res) > EXPAND_MAX:
            raise _NoExpand()
    return res


def _fold(b):
    return b + 32 if 65 <= b <= 90 else b  # caseless matching: ASCII lower case


def _expand_item(op, av, C):
    if op == C.LITERAL:
        return {bytes([_fold(av)])}
    if op == C.IN:
        chars = set()
        for o, a in av:
            if o == C.LITERAL:
                chars.add(_fold(a))
            elif o == C.RANGE and a[1] - a[0] <= 3:
                chars.update(_fold(x) for x in range(a[0], a[1] + 1))
            else:
                raise _NoExpand()
        return {bytes([c]) for c in chars}
    if op == C.BRANCH:
        out = set()
        for b in av[1]:
            out |= _expand_seq(b, C)
        return out
    if op == C.SUBPATTERN and not av[1] and not av[2]:
        return _expand_seq(av[3], C)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[1] != C.MAXREPEAT and av[1] <= 3:
        one = _expand_seq(av[2], C)
        out = set()
        for n in range(av[0], av[1] + 1):
            cur = {b""}
            for _ in range(n):
                cur = {a + b for a in cur for b in one}
            out |= cur
        return out
    raise _NoExpand()


def _lit(b):
    return "".join(chr(c) if (chr(c).isalnum() and c < 128) or c == 32 else "\\x%02x" % c
                   for c in b)


def _sre():
    """(sre_constants, sre_parse): Python's regex parser, deprecated as a public module."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sre_constants
        import sre_parse
    return sre_constants, sre_parse


def _bounded_phrases(alt, where):
    """One alternative as (phrases, lead, trail): the finite set of strings it denotes
    between an optional leading and trailing \\b, each checked against alt; None when it is
    not such a list (or denotes the empty string)."""
    C, sre_parse = _sre()
    try:
        items = list(sre_parse.parse(alt.encode()))
        lead = bool(items) and items[0] == (C.AT, C.AT_BOUNDARY)
        trail = len(items) > lead and items[-1] == (C.AT, C.AT_BOUNDARY)
        got = _expand_seq(items[int(lead):len(items) - int(trail)], C)
    except (_NoExpand, re.error):
        return None
    if b"" in got:
        return None
    check = re.compile(alt.encode(), re.IGNORECASE)
    for ph in got:
        probe = (b" " if lead else b"") + ph + (b" " if trail else b"")
        if not check.search(probe):
            raise DataError(f"{where}: expansion of {alt!r} produced {ph!r}")
    return got, lead, trail


def expand_pattern(rx, where):
    """rx -> a regex for the same strings with its expandable alternatives as phrases."""
    # phrases by the word boundaries (\b) around them: (leading, trailing)
    phrases, keep = {}, []
    for alt in _split_alternatives(rx):
        res = _bounded_phrases(alt, where)
        if res is None:
            keep.append(alt)
            continue
        got, lead, trail = res
        phrases.setdefault((lead, trail), set()).update(got)
    out = []
    for (lead, trail), got in sorted(phrases.items()):
        lits = "|".join(_lit(ph) for ph in sorted(got))
        if lead or trail:
            lits = ("\\b" if lead else "") + "(?:" + lits + ")" + ("\\b" if trail else "")
        out.append(lits)
    return "|".join(out + keep)


# ---- gap alternatives checked in C --------------------------------------------------------
#
# An alternative "SIDE[^.;]{0,40}SIDE" (two phrase lists within a clause) makes Hyperscan run
# an automaton across the window at every occurrence of one side, which is most of what the
# rules below cost (auth.spf-fail alone ~3,600 instructions on a Gmail 5.7.26 line). For the
# rules named here such alternatives leave the pattern: Hyperscan reports every occurrence of
# the phrases of one side (the trigger, the side rare in real replies: L or R, one letter per
# gap alternative in the pattern's order; "-" keeps that alternative in the pattern), and
# match_gap.c looks for the other side's phrases within the window around it. The strings
# matched are the same; the Hyperscan scan of a bench/gen_replies.py line drops from ~8.2k
# to ~6.8k instructions (callgrind, all rules below). Sides must be finite phrase lists.
GAP_RULES = {
    "grey.deferred-unknown": "R", "mbf.box-quota": "R", "auth.spf-fail": "LL",
    "auth.sender-id": "L", "auth.dkim-fail": "LL", "auth.dmarc-fail": "LL",
    "auth.alignment": "R", "auth.generic": "RL", "ptr.reverse-dns": "L",
    "rfc.not-compliant": "R", "rep.reputation": "L", "from.sender-domain": "L",
    "from.null-sender": "L", "host.unknown": "L", "uu.not-exist": "R", "uu.not-found": "R",
    "uu.mailbox-unavailable": "R", "spam.judged": "RL", "spam.engines": "L",
    "spam.mail-score": "LL", "rate.limit": "R", "bl.blocked-using": "R",
    "blk.client-host": "LLLRLL", "blk.helo": "L", "pol.attachment": "L", "sys.config": "L",
    "net.dns": "L", "dns.try-again": "L",
}
_GAP_RE = re.compile(r"\[\^((?:\\.|[^\]\\])+)\]\{(\d+),(\d+)\}")


def _top_level_gaps(alt):
    """The gap classes ([^set]{m,n}) at depth 0 of one alternative, as re matches."""
    out, depth, i = [], 0, 0
    while i < len(alt):
        c = alt[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            m = _GAP_RE.match(alt, i)
            if m and depth == 0:
                out.append(m)
                i = m.end()
                continue
            j = i + 1
            if alt[j:j + 1] == "^":
                j += 1
            if alt[j:j + 1] == "]":
                j += 1
            while alt[j] != "]":
                j += 2 if alt[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    return out


def _phrase_set(rx):
    """rx (a side of a gap) -> the finite set of byte strings it denotes, ASCII folded."""
    C, sre_parse = _sre()
    got = _expand_seq(list(sre_parse.parse(rx.encode())), C)
    if b"" in got:
        raise _NoExpand()
    return got


def _class_bytes(body, where):
    """The bytes of a negated class body ("." ";" "\\." ...), ASCII folded."""
    out, i = set(), 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            e = body[i + 1]
            if e == "x":
                out.add(int(body[i + 2:i + 4], 16))
                i += 4
                continue
            if e.isalnum():
                raise DataError(f"{where}: class escape \\{e} in a gap")
            out.add(ord(e))
            i += 2
            continue
        if c == "-" and 0 < i < len(body) - 1:
            raise DataError(f"{where}: range in a gap class")
        out.add(ord(c))
        i += 1
    return {_fold(b) for b in out}


def split_gap_rule(rx, sides, where):
    """rx -> (the regex of its other alternatives, or None; the gap checks taken out)."""
    rest, checks, sides = [], [], list(sides)
    for alt in _split_alternatives(rx):
        gaps = _top_level_gaps(alt)
        if len(gaps) != 1 or gaps[0].start() == 0 or gaps[0].end() == len(alt):
            rest.append(alt)
            continue
        m = gaps[0]
        try:
            left, right = _phrase_set(alt[:m.start()]), _phrase_set(alt[m.end():])
        except (_NoExpand, re.error):
            rest.append(alt)
            continue
        if not sides:
            raise DataError(f"{where}: GAP_RULES names fewer sides than its gap alternatives")
        side = sides.pop(0)
        if side == "-":
            rest.append(alt)
            continue
        if side not in "LR":
            raise DataError(f"{where}: GAP_RULES side {side!r} is not L, R or -")
        stop = _class_bytes(m.group(1), where)
        lo, hi = int(m.group(2)), int(m.group(3))
        if hi > 255 or lo > hi:
            raise DataError(f"{where}: gap {{{lo},{hi}}} out of range")
        fill = next(b for b in b"x ,-" if b not in stop)
        probe = re.compile(alt.encode(), re.IGNORECASE)
        for a in sorted(left)[:20]:
            for b in sorted(right)[:20]:
                for g in (lo, hi):
                    if not probe.search(a + bytes([fill]) * g + b):
                        raise DataError(f"{where}: gap check disagrees with {alt!r}")
        checks.append({"left": side == "L", "lo": lo, "hi": hi, "stop": stop,
                       "trigger": left if side == "L" else right,
                       "other": right if side == "L" else left})
    if sides:
        raise DataError(f"{where}: GAP_RULES names more sides than its gap alternatives")
    return ("|".join(rest) if rest else None), checks


# ---- word-boundary alternatives checked in C --------------------------------------------
#
# Hyperscan turns alternatives like "\bspam\b" or "\bover ?quota\b" into an automaton run
# over every byte of every reply (~430 instructions per bench/gen_replies.py line for all of
# them). An alternative that is a finite phrase list with a \b before and/or after it leaves
# the pattern instead: Hyperscan reports every occurrence of its phrases, and match_hs.c
# tests the word boundary from the bytes on either side. Same strings matched.


def split_bound_alternatives(rx, where):
    """rx -> (the regex of its other alternatives, or None; [(phrases, lead, trail)])."""
    rest, out = [], []
    for alt in _split_alternatives(rx):
        res = _bounded_phrases(alt, where)
        if res is None or not (res[1] or res[2]):
            rest.append(alt)
            continue
        out.append(res)
    return ("|".join(rest) if rest else None), out


def cbytes(b):
    """A C string literal for bytes b (octal escapes: never swallow a following digit)."""
    return '"' + "".join(chr(c) if 32 <= c < 127 and chr(c) not in '"\\?' else "\\%03o" % c
                         for c in b) + '"'


# ---- main ------------------------------------------------------------------------------

def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data, out = sys.argv[1], sys.argv[2]

    # reasons and categories
    reasons = {}
    for n, r in read_tsv(f"{data}/reasons.tsv"):
        where = f"reasons.tsv:{n}"
        if r["reason"] not in REASONS or r["reason"] in reasons:
            raise DataError(f"{where}: unknown or duplicate reason {r['reason']!r}")
        if r["category"] not in CATEGORIES:
            raise DataError(f"{where}: unknown category {r['category']!r}")
        if r["hard"] not in HARD:
            raise DataError(f"{where}: hard must be 0, 1 or p")
        if r.get("remedy", "-") not in REMEDIES + ["-"]:
            raise DataError(f"{where}: unknown remedy {r['remedy']!r}")
        if r.get("scope", "-") not in SCOPES + ["-"]:
            raise DataError(f"{where}: unknown scope {r['scope']!r}")
        reasons[r["reason"]] = r
    missing = set(REASONS) - set(reasons)
    if missing:
        raise DataError(f"reasons.tsv: missing {sorted(missing)}")
    cats = {}
    for n, r in read_tsv(f"{data}/categories.tsv"):
        where = f"categories.tsv:{n}"
        if r["category"] not in CATEGORIES or r["category"] in cats:
            raise DataError(f"{where}: unknown or duplicate category {r['category']!r}")
        if r["scope"] not in SCOPES:
            raise DataError(f"{where}: unknown scope")
        for k in ("remedy_permanent", "remedy_transient"):
            if r[k] not in REMEDIES:
                raise DataError(f"{where}: unknown remedy {r[k]!r}")
        cats[r["category"]] = r
    missing = set(CATEGORIES) - set(cats)
    if missing:
        raise DataError(f"categories.tsv: missing {sorted(missing)}")

    causes = {}
    for n, r in read_tsv(f"{data}/causes.tsv"):
        where = f"causes.tsv:{n}"
        if r["reason"] not in REASONS:
            raise DataError(f"{where}: unknown reason {r['reason']!r}")
        if r["category"] not in CATEGORIES:
            raise DataError(f"{where}: unknown category {r['category']!r}")
        if r["remedy"] not in REMEDIES + ["-"]:
            raise DataError(f"{where}: unknown remedy {r['remedy']!r}")
        r["_tags"] = parse_tags(r["tags"], where)
        causes[r["cause"]] = r

    rules = []  # dicts: id prio reply status rx reason category auth bl provider scope remedy meaning token bonus_reply bonus_status
    ids = set()

    def add_rule(rule, where):
        if rule["id"] in ids:
            raise DataError(f"{where}: duplicate rule id {rule['id']!r}")
        ids.add(rule["id"])
        try:
            re.compile(rule["rx"])
        except re.error as e:
            raise DataError(f"{where}: pattern does not compile: {e}")
        if "\n" in rule["rx"] or "\t" in rule["rx"]:
            raise DataError(f"{where}: pattern has a tab or newline")
        rules.append(rule)

    # hand-written generic rules
    import os
    import glob
    # rules.tsv first, then further rule files (rules-*.tsv) in name order: ties between
    # equal prios go to the earlier line, so the order of files matters
    rule_files = [f for f in [f"{data}/rules.tsv"] if os.path.exists(f)]
    rule_files += sorted(glob.glob(f"{data}/rules-*.tsv"))
    for rules_path in rule_files:
        for n, r in read_tsv(rules_path):
            where = f"{os.path.basename(rules_path)}:{n}"
            try:
                prio = int(r["prio"])
            except ValueError:
                raise DataError(f"{where}: prio {r['prio']!r} is not a number")
            if not 1 <= prio <= 100:
                raise DataError(f"{where}: prio out of 1..100")
            reason = r["reason"].strip()
            if reason != "-" and reason not in REASONS:
                raise DataError(f"{where}: unknown reason {reason!r}")
            cat = r["category"].strip() or "-"
            if cat != "-" and cat not in CATEGORIES:
                raise DataError(f"{where}: unknown category {cat!r}")
            remedy = r.get("remedy", "-").strip() or "-"
            if remedy != "-" and remedy not in REMEDIES:
                raise DataError(f"{where}: unknown remedy {remedy!r}")
            if not r["pattern"]:
                raise DataError(f"{where}: empty pattern")
            tags = parse_tags(r["tags"], where)
            add_rule({
                "id": r["id"].strip(), "prio": prio,
                "reply": parse_reply_constraint(r["reply"], where),
                "status": parse_status_constraint(r["status"], where),
                "rx": r["pattern"], "reason": reason, "category": cat,
                "auth": tags["auth"], "bl": tags["bl"], "provider": tags["provider"],
                "scope": tags["scope"], "remedy": remedy, "meaning": None, "token": "",
                "bonus_reply": "", "bonus_status": "",
            }, where)

    # generic phrases of the provider catalog: decide at generic strength, name no provider
    generic = set()
    gpath = f"{data}/provider-generic.tsv"
    if os.path.exists(gpath):
        for n, r in read_tsv(gpath):
            generic.add((r["provider"], r["text_pattern"]))

    # provider catalog rows: each is also a rule at prio 80
    provider_rows = []
    for n, r in read_tsv(f"{data}/provider-codes.tsv"):
        where = f"provider-codes.tsv:{n}"
        provider_rows.append(r)
        cause = r["cause_category"]
        if cause not in causes:
            raise DataError(f"{where}: cause {cause!r} not in causes.tsv")
        c = causes[cause]
        prov = r["provider"]
        bl = c["_tags"]["bl"]
        provider = c["_tags"]["provider"]
        if prov in BLOCKLIST_PROVIDERS:
            bl = BLOCKLIST_PROVIDERS[prov]
        else:
            provider = prov
        rc = r["reply_code"].strip()
        ec = r["enhanced_code"].strip()
        if rc and not re.fullmatch(r"[2-5][0-9][0-9]", rc):
            raise DataError(f"{where}: bad reply_code {rc!r}")
        if ec and not re.fullmatch(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}(-[0-9]{1,3})?", ec):
            raise DataError(f"{where}: bad enhanced_code {ec!r}")
        # Class-level constraint only: providers print quirky pairs (Google 421 5.7.32),
        # and the exact code is a tie-break bonus, not a requirement.
        weak = (prov, r["text_pattern"]) in generic or ("*", r["text_pattern"]) in generic
        if weak:
            provider = None
        reply_c = (rc[0], False) if rc else ("", False)
        if ec:
            cls = int(ec[0])
            status_c = (cls, -1, -1, False)
        else:
            status_c = (-1, -1, -1, False)
        add_rule({
            "id": f"{prov}.{n}", "prio": 50 if weak else 80, "reply": reply_c, "status": status_c,
            "rx": literal_to_regex(r["text_pattern"], prov), "reason": c["reason"],
            "category": c["category"], "auth": list(c["_tags"]["auth"]), "bl": bl,
            "provider": provider, "scope": c["_tags"]["scope"], "remedy": c["remedy"],
            "meaning": None if weak else r["meaning"], "token": r["provider_code"],
            "bonus_reply": rc, "bonus_status": ec.split("-")[0] if "-" not in ec else "",
        }, where)

    used = {(p_, t) for p_, t in generic if any(
        (p_ in ("*", r["provider"])) and t == r["text_pattern"] for r in provider_rows)}
    for g in sorted(generic - used):
        raise DataError(f"provider-generic.tsv: {g[1]!r} matches no provider-codes.tsv row")

    # SMTP command phrases: tag rules that set the command the reply answered
    cpath = f"{data}/commands.tsv"
    if os.path.exists(cpath):
        for n, r in read_tsv(cpath):
            where = f"commands.tsv:{n}"
            if not re.fullmatch(r"[A-Z]{3,8}", r["command"]):
                raise DataError(f"{where}: bad command {r['command']!r}")
            add_rule({
                "id": f"cmd.{n}", "prio": 1, "reply": ("", False), "status": (-1, -1, -1, False),
                "rx": r["pattern"], "reason": "-", "category": "-", "auth": [], "bl": None,
                "provider": None, "scope": None, "remedy": "-", "meaning": None, "token": "",
                "bonus_reply": "", "bonus_status": "", "command": r["command"],
            }, where)

    # provider host markers: reply_text rows become provider tag rules; the rest feed the
    # host-suffix table used with a known remote host.
    hosts = []
    for n, r in read_tsv(f"{data}/provider-hosts.tsv"):
        where = f"provider-hosts.tsv:{n}"
        if r["match_on"] == "reply_text":
            add_rule({
                "id": f"host.{r['provider']}.{n}", "prio": 1, "reply": ("", False),
                "status": (-1, -1, -1, False),
                "rx": r"\b" + re.escape(r["host_suffix"]) + r"\b", "reason": "-",
                "category": "-", "auth": [], "bl": None, "provider": r["provider"],
                "scope": None, "remedy": "-", "meaning": None, "token": "",
                "bonus_reply": "", "bonus_status": "",
            }, where)
        elif r["match_on"] in ("mx_host", "remote_host", "domain"):
            hosts.append((r["provider"], r["host_suffix"].lower().lstrip(".")))
        else:
            raise DataError(f"{where}: unknown match_on {r['match_on']!r}")

    # status map
    smap = []
    basic = {}
    seen = set()
    smap_path = f"{data}/status-map.tsv"
    if os.path.exists(smap_path):
        for n, r in read_tsv(smap_path):
            where = f"status-map.tsv:{n}"
            code = r["code"].strip()
            if code in seen:
                raise DataError(f"{where}: duplicate code {code!r}")
            seen.add(code)
            if r["reason"] not in REASONS:
                raise DataError(f"{where}: unknown reason {r['reason']!r}")
            cat = r["category"].strip() or "-"
            if cat != "-" and cat not in CATEGORIES:
                raise DataError(f"{where}: unknown category {cat!r}")
            prio = int(r["prio"])
            if re.fullmatch(r"[2-5][0-9][0-9]", code):
                basic[int(code)] = (r["reason"], cat, prio)
                continue
            m = re.fullmatch(r"([245*Xx])\.([0-9]{1,3})\.([0-9]{1,3})", code)
            if not m:
                raise DataError(f"{where}: bad code {code!r}")
            cls = 0 if m.group(1) in "*Xx" else int(m.group(1))
            smap.append((cls, int(m.group(2)), int(m.group(3)), r["reason"], cat, prio))
    smap.sort(key=lambda e: (e[0], e[1], e[2]))

    missing = EXPAND_RULES - ids
    if missing:
        raise DataError(f"gen_tables.py EXPAND_RULES: no rule {sorted(missing)}")

    # ---- write patterns.txt: the rules' patterns (gap and word-boundary alternatives taken
    # out, see GAP_RULES and split_bound_alternatives), then the trigger phrases of the gap
    # checks (ids from rules_count on) and those of the boundary alternatives (after them),
    # both reported at every occurrence: "m"
    missing = set(GAP_RULES) - ids
    if missing:
        raise DataError(f"gen_tables.py GAP_RULES: no rule {sorted(missing)}")
    scan, gap_checks, gap_triggers, bound_phrases = [], [], [], []
    for i, r in enumerate(rules):
        rx = r["rx"]
        if r["id"] in GAP_RULES:
            rx, cks = split_gap_rule(rx, GAP_RULES[r["id"]], f"rule {r['id']}")
            for ck in cks:
                ck["rule"] = i
                gap_checks.append(ck)
        if rx is not None and r["id"] in EXPAND_RULES:
            rx = expand_pattern(rx, f"rule {r['id']}")
        if rx is not None:
            rx, bounds = split_bound_alternatives(rx, f"rule {r['id']}")
            for got, lead, trail in bounds:
                bound_phrases.extend((ph, i, lead, trail) for ph in sorted(got))
        if rx is not None:
            scan.append((i, fold_pattern(rx), False))
    for k, ck in enumerate(gap_checks):
        for ph in sorted(ck["trigger"]):
            scan.append((len(rules) + len(gap_triggers), _lit(ph), True))
            gap_triggers.append((k, len(ph)))
    # then the phrases of the word-boundary alternatives (split_bound_alternatives)
    for k, (ph, i, lead, trail) in enumerate(bound_phrases):
        scan.append((len(rules) + len(gap_triggers) + k, _lit(ph), True))
    with open(f"{out}/patterns.txt", "w", encoding="utf-8") as f:
        for i, rx, multi in scan:
            f.write(f"{i}\t{rx}" + ("\tm\n" if multi else "\n"))

    # ---- write rules_gen.c
    def opt_reason(x):
        return "RB_REASON__COUNT" if x in ("-", None) else enum_name("RB_REASON_", x)

    def opt_cat(x):
        return "RB_CAT__COUNT" if x in ("-", None) else enum_name("RB_CAT_", x)

    def opt_scope(x):
        return "RB_SCOPE__COUNT" if x in ("-", None) else enum_name("RB_SCOPE_", x)

    def opt_remedy(x):
        return "RB_REMEDY__COUNT" if x in ("-", None) else enum_name("RB_REMEDY_", x)

    def auth_expr(lst):
        if not lst:
            return "0"
        return "|".join(enum_name("RB_AUTH_", a) for a in lst)

    L = []
    L.append("/* Generated by tools/gen_tables.py from the data/ tables. Do not edit. */")
    L.append('#include "rules.h"\n')
    L.append(f"const size_t rules_count = {len(rules)};\n")
    L.append("const struct rule rules_table[] = {")
    for r in rules:
        rd, rreq = r["reply"]
        sc, ss, sd, sreq = r["status"]
        L.append("    {%s, %d, %s, %d, %d, %d, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s}," % (
            cstr(r["id"]), r["prio"], cstr(rd), int(rreq), sc, ss, sd, int(sreq),
            opt_reason(r["reason"]), opt_cat(r["category"]), auth_expr(r["auth"]),
            cstr(r["bl"]), cstr(r["provider"]), opt_scope(r["scope"]), opt_remedy(r["remedy"]),
            cstr(r["meaning"]), cstr(r["token"]), cstr(r["bonus_reply"]), cstr(r["bonus_status"]),
            cstr(r.get("command"))))
    L.append("};\n")
    L.append("const char *const rules_patterns[] = {")
    for r in rules:
        L.append(f"    {cstr(fold_pattern(r['rx']))},")
    L.append("};\n")
    L.append(f"const size_t scan_pattern_count = {len(scan)};")
    L.append("const struct scan_pattern scan_patterns[] = {")
    for i, rx, multi in scan:
        L.append(f"    {{{i}, {cstr(rx)}, {int(multi)}}},")
    L.append("};\n")
    # each check's other side: phrases grouped by their edge byte (first when the trigger
    # is on the left, last otherwise), with the index of each group's first phrase
    for k, ck in enumerate(gap_checks):
        def edge_of(ph, ck=ck):
            return ph[0] if ck["left"] else ph[-1]
        other = sorted(ck["other"], key=lambda ph: (edge_of(ph), ph))
        edges = sorted({edge_of(ph) for ph in other})
        starts = [next(i for i, ph in enumerate(other) if edge_of(ph) == e) for e in edges]
        ck["edges"] = edges
        L.append(f"static const struct gap_phrase gap_other_{k}[] = {{" +
                 ", ".join(f"{{{cbytes(ph)}, {len(ph)}}}" for ph in other) + "};")
        L.append(f"static const unsigned short gap_edge_{k}[] = {{" +
                 ", ".join(str(x) for x in starts + [len(other)]) + "};")
        if len(edges) > 127:
            raise DataError(f"rule {rules[ck['rule']]['id']}: more than 127 edge bytes in a gap")
        cls = [0] * 256
        for b in ck["stop"]:
            cls[b] |= 0x80
        for r, e in enumerate(edges):
            cls[e] |= r + 1
        L.append(f"static const unsigned char gap_class_{k}[256] = {{" +
                 ",".join(str(x) for x in cls) + "};")
    L.append(f"const size_t gap_check_count = {len(gap_checks)};")
    L.append("const struct gap_check gap_checks[] = {")
    for k, ck in enumerate(gap_checks):
        L.append(f"    {{{ck['rule']}, {int(ck['left'])}, {ck['lo']}, {ck['hi']}, gap_class_{k}, "
                 f"gap_other_{k}, gap_edge_{k}, {len(ck['other'])}}},")
    if not gap_checks:
        L.append("    {0, 0, 0, 0, NULL, NULL, NULL, 0},")
    L.append("};\n")
    L.append(f"const size_t gap_trigger_count = {len(gap_triggers)};")
    L.append("const struct gap_trigger gap_triggers[] = {")
    for k, n in gap_triggers:
        L.append(f"    {{{k}, {n}}},")
    if not gap_triggers:
        L.append("    {0, 0},")
    L.append("};\n")
    L.append(f"const size_t bound_trigger_count = {len(bound_phrases)};")
    L.append("const struct bound_trigger bound_triggers[] = {")
    for ph, i, lead, trail in bound_phrases:
        L.append(f"    {{{i}, {len(ph)}, {int(lead)}, {int(trail)}}},")
    if not bound_phrases:
        L.append("    {0, 0, 0, 0},")
    L.append("};\n")
    # open-addressing index of the status map (classify.c status_map_find): slot =
    # status_map_slot(key), then the next ones; entry = table index + 1, 0 = empty
    bits = max(4, (2 * len(smap)).bit_length())
    slots = [0] * (1 << bits)
    for n, (cls, sj, dt, *_rest) in enumerate(smap):
        h = status_map_slot(cls, sj, dt, bits)
        while slots[h]:
            h = (h + 1) & ((1 << bits) - 1)
        slots[h] = n + 1
    L.append(f"const unsigned status_map_bits = {bits};")
    L.append("const unsigned short status_map_index[] = {" + ",".join(str(x) for x in slots) + "};")
    L.append(f"const size_t status_map_count = {len(smap)};")
    L.append("const struct status_map status_map_table[] = {")
    for cls, sj, dt, rs, cat, prio in smap:
        L.append(f"    {{{cls}, {sj}, {dt}, {enum_name('RB_REASON_', rs)}, {opt_cat(cat)}, {prio}}},")
    if not smap:
        L.append("    {0, 0, 0, RB_REASON_UNDEFINED, RB_CAT__COUNT, 0},")
    L.append("};\n")
    L.append("const struct basic_map basic_map_table[400] = {")
    for code in range(200, 600):
        if code in basic:
            rs, cat, prio = basic[code]
            L.append(f"    [{code - 200}] = {{{enum_name('RB_REASON_', rs)}, {opt_cat(cat)}, {prio}}},")
    L.append("};\n")
    L.append("const struct reason_info reason_table[RB_REASON__COUNT] = {")
    for name in REASONS:
        r = reasons[name]
        L.append(f"    [{enum_name('RB_REASON_', name)}] = {{{cstr(name)}, "
                 f"{enum_name('RB_CAT_', r['category'])}, {HARD[r['hard']]}, "
                 f"{opt_remedy(r.get('remedy', '-'))}, {opt_scope(r.get('scope', '-'))}, "
                 f"{cstr(r['description'])}}},")
    L.append("};\n")
    L.append("const struct category_info category_table[RB_CAT__COUNT] = {")
    for name in CATEGORIES:
        c = cats[name]
        L.append(f"    [{enum_name('RB_CAT_', name)}] = {{{cstr(name)}, {enum_name('RB_SCOPE_', c['scope'])}, "
                 f"{enum_name('RB_REMEDY_', c['remedy_permanent'])}, "
                 f"{enum_name('RB_REMEDY_', c['remedy_transient'])}, {cstr(c['description'])}}},")
    L.append("};\n")
    L.append("const char *const scope_names[RB_SCOPE__COUNT] = {" +
             ", ".join(cstr(s) for s in SCOPES) + "};")
    L.append("const char *const remedy_names[RB_REMEDY__COUNT] = {" +
             ", ".join(cstr(s) for s in REMEDIES) + "};")
    L.append("const char *const auth_names[] = {" + ", ".join(cstr(a) for a in AUTHS) + ", NULL};")
    L.append(f"const size_t provider_host_count = {len(hosts)};")
    L.append("const struct provider_host provider_host_table[] = {")
    for prov, suf in hosts:
        if "." not in suf or not re.fullmatch(r"[a-z]+", suf.rsplit(".", 1)[1]):
            raise DataError(f"provider-hosts.tsv: host suffix {suf!r} needs two labels, the last "
                            "alphabetic (classify.c provider_from_text looks only at those)")
        L.append(f"    {{{cstr(prov)}, {cstr(suf)}, {len(suf)}, {last2_hash(suf)}u}},")
    L.append("};")
    with open(f"{out}/rules_gen.c", "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")

    # ---- catalog_gen.c
    C = []
    C.append("/* Generated by tools/gen_tables.py from the data/ tables. Do not edit. */")
    C.append('#include "catalog.h"\n')
    ent = []
    keys = set()
    for n, r in read_tsv(f"{data}/enhanced-status-codes.tsv"):
        where = f"enhanced-status-codes.tsv:{n}"
        code = r["code"]
        if code in keys:
            raise DataError(f"{where}: duplicate code {code!r}")
        keys.add(code)
        kind = r["kind"]
        if kind == "class":
            m = re.fullmatch(r"([245])\.XXX\.YYY", code)
            key = (int(m.group(1)), -1, -1)
        elif kind == "subject":
            m = re.fullmatch(r"X\.([0-9]+)\.YYY", code)
            key = (0, int(m.group(1)), -1)
        elif kind == "detail":
            m = re.fullmatch(r"X\.([0-9]+)\.([0-9]+)", code)
            key = (0, int(m.group(1)), int(m.group(2)))
        else:
            raise DataError(f"{where}: unknown kind {kind!r}")
        if not m:
            raise DataError(f"{where}: bad code {code!r}")
        ent.append((key, r))
    ent.sort(key=lambda e: e[0])
    C.append(f"const size_t status_catalog_count = {len(ent)};")
    C.append("const struct status_entry status_catalog[] = {")
    for (cls, sj, dt), r in ent:
        C.append(f"    {{{cls}, {sj}, {dt}, {cstr(r['title'])}, {cstr(r['meaning'])}, "
                 f"{cstr(r['sender_action'])}, {cstr(r['basic_codes'])}}},")
    C.append("};\n")
    rents = []
    rkeys = set()
    for n, r in read_tsv(f"{data}/reply-codes.tsv"):
        where = f"reply-codes.tsv:{n}"
        if r["code"] in rkeys:
            raise DataError(f"{where}: duplicate code {r['code']!r}")
        rkeys.add(r["code"])
        rents.append(r)
    C.append(f"const size_t reply_catalog_count = {len(rents)};")
    C.append("const struct reply_entry reply_catalog[] = {")
    for r in rents:
        C.append(f"    {{{cstr(r['code'])}, {cstr(r['kind'])}, {cstr(r['standard_text'])}, "
                 f"{cstr(r['meaning'])}, {cstr(r['retry'])}}},")
    C.append("};\n")
    C.append(f"const size_t provider_catalog_count = {len(provider_rows)};")
    C.append("const rb_provider_code provider_catalog[] = {")
    for r in provider_rows:
        C.append(f"    {{{cstr(r['provider'])}, {cstr(r['reply_code'])}, {cstr(r['enhanced_code'])}, "
                 f"{cstr(r['text_pattern'])}, {cstr(r['meaning'])}, {cstr(r['cause_category'])}, "
                 f"{cstr(r['provider_code'])}}},")
    C.append("};")
    with open(f"{out}/catalog_gen.c", "w", encoding="utf-8") as f:
        f.write("\n".join(C) + "\n")
    print(f"gen_tables: {len(rules)} rules, {len(smap)} status map entries, "
          f"{len(basic)} basic codes, {len(ent)} status catalog, {len(rents)} reply catalog, "
          f"{len(provider_rows)} provider codes, {len(hosts)} host suffixes")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as e:
        print(f"gen_tables: error: {e}", file=sys.stderr)
        sys.exit(1)
