#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# dns.sh - `rebound doctor` against a local authoritative server: nsd on 127.0.0.1 at a free
# high port serves tests/doctor/*.zone (the zone "test.", reverse zones for 192.0.2.0/24 and
# 2001:db8::/32, fake zen.spamhaus.org and dbl.spamhaus.org), and every case's findings,
# severities, fixes and exit status are asserted on the --json output. No test touches the
# internet: the doctor asks only the local server (--resolver).
#   tests/doctor/dns.sh REBOUND_BINARY
set -u
BIN=${1:?usage: dns.sh REBOUND_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
NSD=$(command -v nsd || ls /usr/sbin/nsd 2>/dev/null)
if [ -z "$NSD" ] || [ ! -x "$NSD" ]; then
  echo "FAIL: nsd is not installed (apt-get install nsd; tools/install-deps.sh lists it)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
T=$(mktemp -d)
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME"
NSD_PID=
cleanup() {
  [ -n "$NSD_PID" ] && kill "$NSD_PID" 2>/dev/null
  [ -f "$T/nsd.pid" ] && kill "$(cat "$T/nsd.pid" 2>/dev/null)" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# a free port (UDP and TCP both free), then nsd on it; another process may take the port
# between the check and nsd's bind, so a failed start is retried on a new port
free_port() {
  python3 -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
'
}
cp "$HERE"/*.zone "$T"/
write_conf() {
cat > "$T/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$PORT
  port: $PORT
  username: ""
  zonesdir: "$T"
  pidfile: "$T/nsd.pid"
  database: ""
  xfrdfile: "$T/xfrd.state"
  zonelistfile: "$T/zone.list"
  xfrdir: "$T"
  logfile: "$T/nsd.log"
  verbosity: 1
  server-count: 1
  tcp-count: 20
  reuseport: no
remote-control:
  control-enable: no
zone:
  name: "test"
  zonefile: "test.zone"
zone:
  name: "2.0.192.in-addr.arpa"
  zonefile: "rev4.zone"
zone:
  name: "8.b.d.0.1.0.0.2.ip6.arpa"
  zonefile: "rev6.zone"
zone:
  name: "zen.spamhaus.org"
  zonefile: "zen.zone"
zone:
  name: "dbl.spamhaus.org"
  zonefile: "dbl.zone"
zone:
  name: "b.barracudacentral.org"
  zonefile: "deaf.zone"
CONF
}
answers() { # PORT: nsd answers ns.test A
  python3 - "$1" <<'PY' 2>/dev/null
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x02ns\x04test\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
r = s.recv(512)
sys.exit(0 if r[:2] == b"\x12\x34" and (r[3] & 15) == 0 else 1)
PY
}
up=0
for attempt in 1 2 3 4 5; do
  PORT=$(free_port)
  write_conf
  "$NSD" -c "$T/nsd.conf" -d > "$T/nsd.out" 2>&1 &
  NSD_PID=$!
  # wait until it answers (up to 10 s), or until it exits
  for i in $(seq 1 100); do
    if answers "$PORT"; then up=1; break; fi
    kill -0 "$NSD_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ $up = 1 ] && break
  kill "$NSD_PID" 2>/dev/null
  wait "$NSD_PID" 2>/dev/null
  NSD_PID=
done
if [ $up = 0 ]; then
  echo "FAIL: nsd did not start: $(cat "$T/nsd.out" "$T/nsd.log" 2>/dev/null | tail -5)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

R="--resolver 127.0.0.1:$PORT --timeout 2000 --default-selectors ''"
# doc NAME ARGS... : run doctor with --json into $T/NAME.json, exit status into $T/NAME.rc
doc() {
  name=$1; shift
  eval "\"$BIN\" doctor $R --json \"\$@\"" > "$T/$name.json" 2> "$T/$name.err"
  echo $? > "$T/$name.rc"
}
# expect NAME PYTHON-ASSERTIONS : run the assertions with f = the findings, j = the document
expect() {
  name=$1; shift
  if python3 - "$T/$name.json" "$*" > "$T/py.out" 2>&1 <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
F = [f for r in j["runs"] for f in r["findings"]]
def has(id, sev=None, subject=None, msg=None, fix=None, evidence=None):
    for f in F:
        if f["id"] != id: continue
        if sev and f["severity"] != sev: continue
        if subject and f["subject"] != subject: continue
        if msg and msg not in f["message"]: continue
        if fix and (f["fix"] is None or fix not in f["fix"]): continue
        if evidence and (f["evidence"] is None or evidence not in f["evidence"]): continue
        return True
    raise AssertionError("no finding %s sev=%s subject=%s msg=%r fix=%r evidence=%r in:\n%s" % (
        id, sev, subject, msg, fix, evidence,
        "\n".join("  %s %s %s: %s | fix: %s" % (f["id"], f["severity"], f["subject"], f["message"], f["fix"]) for f in F)))
def no(id):
    bad = [f for f in F if f["id"] == id]
    assert not bad, "unexpected %s: %s" % (id, bad[0]["message"])
def ids():
    return sorted(f["id"] for f in F)
def only(*want):
    # exactly these ids among the findings above info (warning, critical, unknown)
    got = sorted(set(f["id"] for f in F if f["severity"] not in ("ok", "info")))
    assert got == sorted(want), "findings above info: %s, want %s" % (got, sorted(want))
exec(sys.argv[2])
PY
  then ok; else bad "$name: $(cat "$T/py.out")"; fi
}
rc_is() { # NAME WANT
  got=$(cat "$T/$1.rc")
  [ "$got" = "$2" ] && ok || bad "$1: exit status $got, want $2: $(head -c 300 "$T/$1.err")"
}

# ---- the good domain: nothing above info, exit 0 --------------------------------------------
doc good good.test --ip 192.0.2.10 --ip 2001:db8::10 --selector s1 --selector ed --dnsbl zen.spamhaus.org,dbl.spamhaus.org
rc_is good 0
expect good '
assert j["status"] == "info", j["status"]  # the worst: DMARC policy explained
assert all(f["severity"] in ("ok", "info") for f in F), [f["id"] for f in F if f["severity"] not in ("ok","info")]
has("spf.record", "ok", "good.test", msg="1 of 10", evidence="v=spf1 ip4:192.0.2.10")
has("spf.ip_pass", "ok", "192.0.2.10", msg="ip4:192.0.2.10 (in good.test)")
has("spf.ip_pass", "ok", "2001:db8::10", msg="ip6:2001:db8::10")
has("spf.all_fail", "ok")
has("dmarc.record", "ok", msg="p=reject")
has("dmarc.policy", "info", msg="rejected")
has("dmarc.policy", msg="5.7.26")
has("dkim.key", "ok", "s1._domainkey.good.test", msg="2048-bit RSA")
has("dkim.key", "ok", "ed._domainkey.good.test", msg="Ed25519")
has("ptr.fcrdns", "ok", "192.0.2.10", msg="mail.good.test")
has("ptr.fcrdns", "ok", "2001:db8::10", msg="mail.good.test")
has("mx.record", "ok", evidence="10 mx.good.test")
has("dnsbl.clean", "ok", "192.0.2.10", msg="zen.spamhaus.org")
has("dnsbl.clean", "ok", "good.test", msg="dbl.spamhaus.org")
assert j["dns_queries"] > 0
'
# the same run, text output: grouped, aligned, no colour when not on a TTY
"$BIN" doctor $R good.test --ip 192.0.2.10 --selector s1 --dnsbl none > "$T/good.txt" 2>/dev/null
grep -q '^SPF$' "$T/good.txt" && grep -q '^DKIM$' "$T/good.txt" && grep -q '^  ok ' "$T/good.txt" && ok || bad "text output: $(head -20 "$T/good.txt")"
grep -q "$(printf '\033')" "$T/good.txt" && bad "colour written to a pipe" || ok

# ---- SPF ------------------------------------------------------------------------------------
# 12 nested includes: over the limit, counted through the chain, and fast
t0=$(date +%s%N)
doc spf10 spf10.test --ip 192.0.2.99 --only spf
t1=$(date +%s%N)
rc_is spf10 3
expect spf10 '
has("spf.lookups", "critical", "spf10.test", msg="12 DNS lookups", fix="at most 10 DNS lookups")
has("spf.ip_permerror", "critical", "192.0.2.99", msg="more than 10 DNS lookups")
only("spf.lookups", "spf.ip_permerror")
'
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 1000 ] && ok || bad "12 nested includes took $ms ms (want < 1 s)"
doc spf9 spf9.test --ip 192.0.2.10 --only spf
rc_is spf9 0
expect spf9 '
no("spf.lookups")
has("spf.record", "ok", msg="10 of 10")
has("spf.lookups_near", "info")
has("spf.ip_pass", "ok", "192.0.2.10", msg="a:mail.good.test")
'
doc loop spfloop.test --only spf
expect loop 'has("spf.loop", "critical", msg="includes spfloop.test again", fix="points back"); only("spf.loop")'
rc_is loop 3
doc two spf2.test --only spf
expect two 'has("spf.multiple", "critical", "spf2.test", msg="2 SPF records", fix="merge", evidence="v=spf1 mx -all"); only("spf.multiple")'
doc plus plusall.test --only spf
expect plus 'has("spf.all_pass", "critical", msg="+all", fix="-all"); only("spf.all_pass")'
doc missing missingip.test --ip 192.0.2.10 --only spf
expect missing '
has("spf.ip_not_listed", "warning", "192.0.2.10", msg="SPF softfail", fix="add ip4:192.0.2.10 to the SPF record of missingip.test")
has("spf.all_softfail", "info")
only("spf.ip_not_listed")
'
rc_is missing 1
doc missing2 plusall.test --ip 203.0.113.9 --only spf
expect missing2 'has("spf.ip_pass", "ok", "203.0.113.9", msg="+all")'
doc syntax spfsyntax.test --ip 192.0.2.10 --only spf
expect syntax '
has("spf.syntax", "critical", msg="ip4:192.0.2.300", evidence="v=spf1 ip4:192.0.2.300")
has("spf.ip_permerror", "critical", "192.0.2.10")
'
doc void void.test --ip 192.0.2.10 --only spf
expect void '
has("spf.void", "critical", msg="void lookups", fix="do not exist")
has("spf.ip_permerror", "critical", "192.0.2.10", msg="void")
'
doc noall noall.test --only spf
expect noall 'has("spf.all_missing", "warning", fix="-all"); only("spf.all_missing")'
doc nospf dmarcnone.test --only spf
expect nospf 'has("spf.all_fail", "ok"); no("spf.none")'
doc nospf2 esp.test --ip 192.0.2.10 --only spf
expect nospf2 'has("spf.none", "critical", "esp.test", fix="v=spf1 ip4:192.0.2.10 -all")'
doc macro macro.test --ip 192.0.2.10 --ip 192.0.2.11 --only spf
expect macro '
has("spf.ip_pass", "ok", "192.0.2.10", msg="exists:%{ir}._spf.macro.test")
has("spf.ip_fail", "critical", "192.0.2.11", fix="add ip4:192.0.2.11")
'
doc ptrm ptrmech.test --ip 192.0.2.10 --only spf
expect ptrm 'has("spf.ptr", "warning"); has("spf.ip_pass", "ok", "192.0.2.10", msg="ptr:good.test")'
doc redir redir.test --ip 198.51.100.5 --ip 192.0.2.10 --only spf
expect redir '
has("spf.ip_pass", "ok", "198.51.100.5", msg="ip4:198.51.100.0/24 (in _spf.good.test)")
has("spf.ip_fail", "critical", "192.0.2.10")
no("spf.all_missing")
'
doc incnone incnone.test --ip 192.0.2.10 --only spf
expect incnone 'has("spf.include_none", "critical", msg="include:nothing.incnone.test has no SPF record"); has("spf.ip_permerror", "critical")'
doc cname cnameloop.test --ip 192.0.2.10 --only spf
expect cname 'has("spf.include_none") if any(f["id"]=="spf.include_none" for f in F) else has("spf.dns", "unknown")'
doc huge huge.test --ip 198.18.1.43 --ip 192.0.2.10 --only spf
expect huge '
has("spf.ip_pass", "ok", "198.18.1.43")
has("spf.ip_fail", "critical", "192.0.2.10")
has("spf.record", "ok", msg="0 of 10")
'
doc junk junk.test --ip 192.0.2.10 --only spf
expect junk 'has("spf.syntax", "critical")'

# ---- DKIM -----------------------------------------------------------------------------------
doc dkim dkim.test --only dmarc,dkim --selector k2048 --selector revoked --selector k1024 --selector k512 --selector testing --selector nosuch --selector pkcs1 --selector badkey --selector s1@esp.test
rc_is dkim 3
expect dkim '
has("dkim.key", "ok", "k2048._domainkey.dkim.test", msg="2048-bit")
has("dkim.revoked", "critical", "revoked._domainkey.dkim.test", evidence="p=")
has("dkim.key_weak", "warning", "k1024._domainkey.dkim.test", msg="1024-bit", fix="2048-bit")
has("dkim.key_short", "critical", "k512._domainkey.dkim.test", msg="512-bit")
has("dkim.key_weak", "warning", "pkcs1._domainkey.dkim.test", msg="1024-bit")
has("dkim.testing", "warning", "testing._domainkey.dkim.test", fix="remove t=y")
has("dkim.missing", "critical", "nosuch._domainkey.dkim.test", fix="publish the DKIM key for selector nosuch")
has("dkim.key_invalid", "critical", "badkey._domainkey.dkim.test")
has("dkim.unaligned", "warning", "s1._domainkey.esp.test", msg="DKIM d=esp.test is not aligned with From: dkim.test under adkim=s")
has("dkim.key", "ok", "s1._domainkey.esp.test")
'
# default selectors: a key found is checked, absent ones are no finding
doc dkimdef good.test --only dkim --default-selectors default,s1,selector1
expect dkimdef 'has("dkim.key", "ok", "s1._domainkey.good.test"); no("dkim.missing")'
doc dkimnone dmarcnone.test --only dkim --default-selectors default,selector1
expect dkimnone 'has("dkim.not_found", "info", fix="--selector")'

# ---- DMARC ----------------------------------------------------------------------------------
doc dnone dmarcnone.test --only dmarc
expect dnone 'has("dmarc.none", "warning", "dmarcnone.test", fix="_dmarc.dmarcnone.test"); only("dmarc.none")'
rc_is dnone 1
doc pnone pnone.test --only dmarc
expect pnone 'has("dmarc.p_none", "warning", fix="p=quarantine"); has("dmarc.no_rua", "info"); has("dmarc.policy", msg="delivered"); only("dmarc.p_none")'
doc dsyn dmarcsyntax.test --only dmarc
expect dsyn 'has("dmarc.syntax", "critical", msg="p must be none, quarantine or reject", evidence="p=rejectt"); only("dmarc.syntax")'
doc dorg sub.orgdmarc.test --only dmarc
expect dorg '
has("dmarc.record", "ok", "orgdmarc.test", msg="_dmarc.orgdmarc.test")
has("dmarc.policy", "info", msg="put in spam (sp=quarantine)")
has("dmarc.rua_external", "warning", msg="elsewhere.test")
'
doc dalign good.test --from dkim.test --only dmarc
expect dalign 'has("dmarc.spf_unaligned", "warning", "good.test", msg="not aligned with From: dkim.test under aspf=r")'

# ---- PTR / FCrDNS ---------------------------------------------------------------------------
doc ptr good.test --only ptr --ip 192.0.2.30 --ip 192.0.2.31 --ip 2001:db8::30
rc_is ptr 3
expect ptr '
has("ptr.none", "critical", "192.0.2.30", fix="mail.good.test")
has("ptr.not_confirmed", "critical", "192.0.2.31", msg="fake.good.test -> 192.0.2.99", fix="fake.good.test A 192.0.2.31")
has("ptr.none", "critical", "2001:db8::30")
'
# ---- MX -------------------------------------------------------------------------------------
doc mx nullmx.test --only mx
expect mx 'has("mx.null", "warning"); only("mx.null")'
doc mx2 nosuchdomain.test --only mx
expect mx2 'has("mx.nxdomain", "critical")'

# ---- DNSBL ----------------------------------------------------------------------------------
doc bl spamdomain.test --only dnsbl --dnsbl zen.spamhaus.org,dbl --ip 192.0.2.66 --ip 192.0.2.77 --ip 192.0.2.10
rc_is bl 3
expect bl '
has("dnsbl.listed", "critical", "192.0.2.66", msg="127.0.0.2 (SBL", fix="https://check.spamhaus.org/", evidence="SBL000001")
has("dnsbl.refused", "unknown", "192.0.2.77", msg="public or open resolver", fix="--resolver")
no_77 = [f for f in F if f["subject"] == "192.0.2.77" and f["id"] == "dnsbl.listed"]
assert not no_77, "a refused answer reported as listed"
has("dnsbl.clean", "ok", "192.0.2.10", msg="zen.spamhaus.org")
has("dnsbl.listed", "critical", "spamdomain.test", msg="DBL spam domain")
'
# a list the server does not serve: could not check, never listed or clean
doc blx good.test --only dnsbl --dnsbl bl.spamcop.net --ip 192.0.2.66
expect blx '
has("dnsbl.error", "unknown", "192.0.2.66")
no("dnsbl.listed"); no("dnsbl.clean")
'
rc_is blx 1
# a list that answers NXDOMAIN even for its RFC 5782 test point (127.0.0.2) is not reached:
# could not check, never "not listed"
doc deaf good.test --only dnsbl --dnsbl b.barracudacentral.org --ip 192.0.2.10
expect deaf '
has("dnsbl.unreached", "unknown", "192.0.2.10", msg="test entry", fix="--resolver")
no("dnsbl.listed"); no("dnsbl.clean")
'
rc_is deaf 1

# ---- from bounces: the domain, DKIM s=/d= and the named list come from the bounce ----------
cat > "$T/bounce.eml" <<'MAIL'
From: MAILER-DAEMON@mx.example.net
To: sender@dkim.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; user@example.net
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.66] blocked using zen.spamhaus.org

--B
Content-Type: message/rfc822

DKIM-Signature: v=1; a=rsa-sha256; d=dkim.test; s=k1024; h=from:to; bh=x; b=y
From: sender@dkim.test
To: user@example.net
Subject: hello

hi
--B--
MAIL
"$BIN" doctor $R --json --dnsbl none --from-bounces "$T/bounce.eml" > "$T/fb.json" 2> "$T/fb.err"
echo $? > "$T/fb.rc"
rc_is fb 3
expect fb '
assert j["runs"][0]["domain"] == "dkim.test", j["runs"][0]["domain"]
has("dkim.key_weak", "warning", "k1024._domainkey.dkim.test")
has("dnsbl.listed", "critical", "192.0.2.66", msg="a bounce named this list")
'

# logs: the sending domain and IPs come from the events, the list from the reply text
"$BIN" doctor $R --json --dnsbl none --only spf,dnsbl --from-bounces "$HERE/pmta.csv" > "$T/logs.json" 2> "$T/logs.err"
echo $? > "$T/logs.rc"
rc_is logs 3
expect logs '
r = j["runs"][0]
assert r["domain"] == "dkim.test" and sorted(r["ips"]) == ["192.0.2.10", "192.0.2.66"], (r["domain"], r["ips"])
has("spf.ip_pass", "ok", "192.0.2.10")
has("spf.ip_fail", "critical", "192.0.2.66", fix="add ip4:192.0.2.66 to the SPF record of dkim.test")
has("dnsbl.listed", "critical", "192.0.2.66", msg="a bounce named this list")
has("dnsbl.clean", "ok", "192.0.2.10", msg="zen.spamhaus.org (named by a bounce)")
'
# the store: the same events read back from an ingest
"$BIN" ingest -q --db "$T/s.db" "$HERE/pmta.csv" > /dev/null 2> "$T/ingest.err" || bad "ingest --db: $(cat "$T/ingest.err")"
"$BIN" doctor $R --json --dnsbl none --only spf,dnsbl --db "$T/s.db" > "$T/db.json" 2> "$T/db.err"
echo $? > "$T/db.rc"
rc_is db 3
expect db '
r = j["runs"][0]
assert r["domain"] == "dkim.test" and sorted(r["ips"]) == ["192.0.2.10", "192.0.2.66"], (r["domain"], r["ips"])
has("dnsbl.listed", "critical", "192.0.2.66", msg="a bounce named this list")
'

# ---- failures that must not hang or crash ---------------------------------------------------
# a resolver that does not answer: every check "could not check", quickly
DEAD=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$(date +%s)
"$BIN" doctor --resolver 127.0.0.1:$DEAD --timeout 300 --retries 0 --json --default-selectors '' --dnsbl zen.spamhaus.org good.test --ip 192.0.2.10 --selector s1 > "$T/dead.json" 2>/dev/null
echo $? > "$T/dead.rc"
t1=$(date +%s)
rc_is dead 1
expect dead '
assert j["status"] == "unknown", j["status"]
assert all(f["severity"] == "unknown" for f in F), [(f["id"], f["severity"]) for f in F if f["severity"] != "unknown"]
has("spf.dns", "unknown", msg="timeout"); has("dmarc.dns", "unknown"); has("dkim.dns", "unknown"); has("ptr.dns", "unknown"); has("dnsbl.error", "unknown")
'
[ $((t1 - t0)) -le 10 ] && ok || bad "the dead-resolver run took $((t1 - t0)) s"
# usage errors
"$BIN" doctor --resolver 999.1.1.1 good.test > /dev/null 2> "$T/u.err"; [ $? = 2 ] && grep -q "resolver" "$T/u.err" && ok || bad "bad --resolver not refused"
"$BIN" doctor good.test --ip 300.1.1.1 > /dev/null 2> "$T/u.err"; [ $? = 2 ] && grep -q "not an IPv4" "$T/u.err" && ok || bad "bad --ip not refused"
"$BIN" doctor > /dev/null 2>&1; [ $? = 2 ] && ok || bad "no DOMAIN not refused"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
