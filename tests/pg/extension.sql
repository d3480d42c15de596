-- extension.sql - SQL tests of CREATE EXTENSION rebound, run by tests/pg/extension.sh with
-- psql -a (queries echoed) and compared with extension.out. Variables from the script:
-- :'bounce' is tests/golden/parse/rfc3464-postfix-1.eml in base64.
CREATE EXTENSION rebound;
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'rebound'
 ORDER BY 1;

-- known replies
CREATE TEMP TABLE replies(id int, reply text);
INSERT INTO replies VALUES
 (1, '550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown in virtual mailbox table'),
 (2, '452 4.2.2 The email account that you tried to reach is over quota'),
 (3, '554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org'),
 (4, '550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.'),
 (5, '450 4.2.0 <u@smallbiz.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/smallbiz.net.html'),
 (6, '421 4.7.0 [TSS04] Messages from 203.0.113.7 temporarily deferred due to unexpected volume or user complaints'),
 (7, '250 2.0.0 OK 1709460001 a640c23a62f3a-a3f4a1c6e1bsi123456ejc.399 - gsmtp'),
 (8, 'host mx.example.net said: 552 5.2.2 Mailbox full'),
 (9, '');
SELECT id, rebound_reason(reply), rebound_category(reply), rebound_remedy(reply)
  FROM replies ORDER BY id;
SELECT rebound_explain(reply) ->> 'reason' AS reason, rebound_explain(reply) ->> 'deliverystatus' AS status,
       rebound_explain(reply) ->> 'replycode' AS code, rebound_explain(reply) ->> 'provider' AS provider,
       rebound_explain(reply) ->> 'input' = reply AS input_kept
  FROM replies WHERE id IN (1, 4, 6) ORDER BY id;
SELECT jsonb_typeof(rebound_explain(reply)), count(*) FROM replies GROUP BY 1;

-- STRICT: NULL in, NULL out
SELECT rebound_reason(NULL) IS NULL AS null_reason, rebound_explain(NULL) IS NULL AS null_explain,
       (SELECT count(*) FROM rebound_parse(NULL)) AS null_parse;

-- a bounce email
SELECT recipient, status, replycode, reason, category, hard, permanent, smtpagent
  FROM rebound_parse(decode(:'bounce', 'base64'));
-- a message that is not a bounce, and junk
SELECT count(*) FROM rebound_parse(convert_to('Subject: hello' || chr(10) || chr(10) || 'just a note', 'UTF8'));
SELECT count(*) FROM rebound_parse(''::bytea);
-- every prefix of the bounce (truncated messages) and bytes of junk: no crash, no error
SELECT count(*) >= 0 AS prefixes_ok
  FROM generate_series(0, length(decode(:'bounce', 'base64')), 7) AS cut,
       LATERAL rebound_parse(substring(decode(:'bounce', 'base64') FROM 1 FOR cut));
SELECT count(*) >= 0 AS junk_ok
  FROM generate_series(1, 3000) AS g,
       LATERAL rebound_parse(decode(repeat(md5(g::text) || md5((g * 7)::text), 1 + g % 40), 'hex')
                             || convert_to('Content-Type: multipart/report; boundary="' || g || '"', 'UTF8'));
SELECT count(DISTINCT rebound_reason(s)) > 0 AS junk_text_ok
  FROM (SELECT repeat(chr(1 + (g * 7919) % 1000) || ' 5.' || g % 10 || '.' || g % 7 || ' ' || md5(g::text), 1 + g % 200) AS s
          FROM generate_series(1, 3000) g) x;
SELECT rebound_reason(repeat('550 5.1.1 user unknown ', 20000)) AS long_reply;
SELECT length(rebound_explain(repeat('x', 200000)) ->> 'input') AS long_input_cut;
SELECT length(rebound_explain(repeat(chr(1) || chr(27), 40000)) ->> 'input') AS escaped_input;

-- parallel query gives the answers of a serial one
CREATE TABLE diag AS SELECT g AS id, r.reply AS diag
  FROM generate_series(1, 20000) g JOIN replies r ON r.id = 1 + g % 9;
ANALYZE diag;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE FUNCTION workers(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF l LIKE '%Workers Launched%' THEN RETURN trim(l); END IF;
  END LOOP;
  RETURN 'no parallel plan';
END $$;
SELECT workers('SELECT rebound_reason(diag), count(*) FROM diag GROUP BY 1');
CREATE TEMP TABLE par AS SELECT rebound_reason(diag) AS reason, count(*) AS n FROM diag GROUP BY 1;
SET max_parallel_workers_per_gather = 0;
SELECT reason, n FROM par ORDER BY reason;
SELECT count(*) AS differing FROM par FULL JOIN
  (SELECT rebound_reason(diag) AS reason, count(*) AS n FROM diag GROUP BY 1) s USING (reason)
 WHERE par.n IS DISTINCT FROM s.n;
-- immutable: usable in an index
CREATE INDEX diag_reason ON diag (rebound_reason(diag));
SELECT count(*) FROM diag WHERE rebound_reason(diag) = 'userunknown';
