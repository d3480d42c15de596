-- SPDX-License-Identifier: BSD-2-Clause
-- rebound--0.1.0.sql - the functions of CREATE EXTENSION rebound (pg/rebound.c).
-- All are IMMUTABLE (the answer depends only on the input and the rules compiled into the
-- library: upgrading rebound may change answers, as upgrading a collation does),
-- PARALLEL SAFE (each worker loads its own classifier) and STRICT (NULL in, NULL out).
\echo Use "CREATE EXTENSION rebound" to load this file. \quit

CREATE FUNCTION rebound_explain(reply text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'rebound_explain'
LANGUAGE C IMMUTABLE PARALLEL SAFE STRICT;
COMMENT ON FUNCTION rebound_explain(text) IS
  'the JSON of `rebound explain --json`: codes, reason, category, scope, remedy, provider ...';

CREATE FUNCTION rebound_reason(reply text) RETURNS text
AS 'MODULE_PATHNAME', 'rebound_reason'
LANGUAGE C IMMUTABLE PARALLEL SAFE STRICT;
COMMENT ON FUNCTION rebound_reason(text) IS 'the bounce reason of an SMTP reply (userunknown, mailboxfull, ...)';

CREATE FUNCTION rebound_category(reply text) RETURNS text
AS 'MODULE_PATHNAME', 'rebound_category'
LANGUAGE C IMMUTABLE PARALLEL SAFE STRICT;
COMMENT ON FUNCTION rebound_category(text) IS 'the cause category of an SMTP reply (address, mailbox, blocklist, ...)';

CREATE FUNCTION rebound_remedy(reply text) RETURNS text
AS 'MODULE_PATHNAME', 'rebound_remedy'
LANGUAGE C IMMUTABLE PARALLEL SAFE STRICT;
COMMENT ON FUNCTION rebound_remedy(text) IS 'what to do about an SMTP reply (suppress-recipient, retry-later, ...)';

CREATE FUNCTION rebound_parse(message bytea,
    OUT recipient text, OUT addresser text, OUT action text, OUT status text,
    OUT replycode integer, OUT reason text, OUT category text, OUT scope text,
    OUT remedy text, OUT hard boolean, OUT permanent boolean, OUT diagnostic text,
    OUT rhost text, OUT lhost text, OUT smtpagent text, OUT provider text,
    OUT "time" timestamptz, OUT messageid text, OUT subject text, OUT listid text,
    OUT feedbacktype text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'rebound_parse'
LANGUAGE C IMMUTABLE PARALLEL SAFE STRICT ROWS 1;
COMMENT ON FUNCTION rebound_parse(bytea) IS
  'one row per recipient a bounce email (or ARF report) names; none for other messages';
