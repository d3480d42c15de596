#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - run every libFuzzer target for SECONDS each, seeded from tests/regress/ and, when
# present, ../shared/corpus (read-only: a temporary corpus directory collects new inputs).
# A crash is copied to tests/regress/<target>/ for minimising and replay, and fails the run.
#   fuzz/run.sh BUILD_DIR SECONDS
set -u
build=$(cd "${1:-build-fuzz}" && pwd)
secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
fail=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  t=$(basename "$bin")
  work=$(mktemp -d)
  seeds="$work/corpus"
  mkdir -p "$seeds"
  [ -d "$root/tests/regress/$t" ] && cp "$root/tests/regress/$t"/* "$seeds"/ 2>/dev/null
  case $t in
    fuzz_reply) [ -f "$root/tests/golden/sample-replies.txt" ] && split -l 1 "$root/tests/golden/sample-replies.txt" "$seeds/reply-" ;;
    fuzz_ingest_logs|fuzz_ingest_json)
      for f in "$root/tests/golden/ingest"/*.in; do [ -f "$f" ] && cp "$f" "$seeds/"; done ;;
    fuzz_mime|fuzz_bounce|fuzz_msgsrc)
      [ -d "$root/tests/golden/parse" ] && cp "$root/tests/golden/parse"/*.eml "$seeds"/ 2>/dev/null
      [ -d "$root/../shared/corpus/sisimai/maildir/bsd" ] && cp "$root/../shared/corpus/sisimai/maildir/bsd"/*.eml "$seeds"/ ;;
    fuzz_report)
      printf 'provider=google|yahoo,code=5.x.x\n1790812800\t3\t1\t32\t550\t5.1.1\tgoogle\tc1\t192.0.2.1\ta@b.example\t\tp\t550 5.1.1 <a@b.example> user unknown\n1790899200\t2\t5\t2\t421\t4.7.28\tgoogle\tc2\t192.0.2.11\tx@y.example\t\t\t421-4.7.28 unusual rate [192.0.2.11]\n1790985600\t3\t6\t3\t554\t5.7.1\tyahoo\tc1\t192.0.2.12\tz@y.example\tspamhaus\tp\t554 blocked using zen.spamhaus.org\n1790985601\t1\t19\t5\t250\t2.0.0\tyahoo\tc1\t192.0.2.12\tz@y.example\t\t\t250 ok\n' > "$seeds/report-1" ;;
    fuzz_serve_http)
      printf 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n' > "$seeds/health"
      b='[{"email":"a@gmail.com","timestamp":1763900000,"event":"bounce","sg_event_id":"e1","reason":"550 5.1.1 no such user","status":"5.1.1"}]'
      printf 'POST /webhooks/sendgrid HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Length: %d\r\n\r\n%s' "${#b}" "$b" > "$seeds/sendgrid"
      printf 'PUT /api/suppressions/a@b.c HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\nContent-Length: 19\r\n\r\n{"reason":"manual"}' > "$seeds/supp"
      printf 'POST /api/check HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\na@b.c\n\r\n0\r\n\r\n' > "$seeds/check"
      printf 'GET /api/events?limit=3&kind=bounced HTTP/1.1\r\nHost: x\r\n\r\n' > "$seeds/events" ;;
    fuzz_doctor_records)
      printf '\000ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mail.%%{d2}/28//64 mx include:_spf.example.com exists:%%{ir}.%%{l1r-}.%%{v}._spf.%%{d} redirect=_spf.example.net ~all' > "$seeds/doctor-spf"
      printf '\001v=DMARC1; p=reject; sp=none; adkim=s; aspf=r; pct=50; rua=mailto:d@example.com,mailto:x@other.example!10m' > "$seeds/doctor-dmarc"
      printf '\002v=DKIM1; k=rsa; t=y:s; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC4PV1S4m69MkPN+Z2Zy10zly/F1w4K0igAkXxeZgniiS5YeVWKhy+1L4AdTKrW/TQ459tEAo/yMzz+Dua6oBiKd8+rHx2DlfpL4ymUNxn76mt4ayk2IU0F7np7yGpriuKN+VgpRGtnwQ7qNEvFc3waPwg9BxPGQgjr+/eT0xCzoQIDAQAB' > "$seeds/doctor-dkim"
      printf '\003\177\000\000\002\177\377\377\376127.0.0.2=listed:x|127.0.0.4-7=refused:y' > "$seeds/doctor-dnsbl"
      printf '\004mail.example.co.uk' > "$seeds/doctor-names" ;;
  esac
  dict=""
  [ -f "$root/fuzz/$t.dict" ] && dict="-dict=$root/fuzz/$t.dict"
  echo "fuzz: $t for ${secs}s"
  ( cd "$work" && ASAN_OPTIONS=detect_leaks=1 "$bin" $dict -max_total_time="$secs" -max_len=262144 \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$seeds" > "$work/log" 2>&1 )
  rc=$?
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$work/log" | tail -1
  if [ $rc -ne 0 ]; then
    fail=1
    echo "fuzz: $t FAILED"
    tail -30 "$work/log"
    mkdir -p "$root/tests/regress/$t"
    for c in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [ -e "$c" ] && cp "$c" "$root/tests/regress/$t/" && echo "fuzz: saved $(basename "$c")"
    done
  fi
  rm -rf "$work"
done
[ $fail -eq 0 ] && echo "fuzz: all targets clean"
exit $fail
