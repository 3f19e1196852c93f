"""The store's schema, as numbered migrations applied in order on open.

A migration is never edited once released: add a new one at the end of
``MIGRATIONS``. Money is integer minor units beside an ISO currency; stay dates
are ``YYYY-MM-DD`` text; timestamps are UTC ISO-8601 text.
"""

from __future__ import annotations

V1 = """
CREATE TABLE raw_messages (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    operator TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    source_ref TEXT NOT NULL DEFAULT '',
    filename TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL,
    body BLOB NOT NULL,
    parse_state TEXT NOT NULL DEFAULT 'pending',
    parse_error TEXT NOT NULL DEFAULT '',
    text_preview TEXT NOT NULL DEFAULT '',
    parsed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX raw_messages_state ON raw_messages(parse_state);
CREATE INDEX raw_messages_operator ON raw_messages(operator, received_at);

CREATE TABLE operator_reservations (
    id INTEGER PRIMARY KEY,
    raw_id INTEGER REFERENCES raw_messages(id),
    operator TEXT NOT NULL,
    voucher TEXT NOT NULL,
    version INTEGER NOT NULL,
    is_latest INTEGER NOT NULL DEFAULT 1,
    content TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    flags TEXT NOT NULL DEFAULT '[]',
    agency TEXT NOT NULL DEFAULT '',
    check_in TEXT,
    check_out TEXT,
    nights INTEGER,
    rooms INTEGER NOT NULL DEFAULT 1,
    adults INTEGER NOT NULL DEFAULT 0,
    child_ages TEXT NOT NULL DEFAULT '[]',
    room TEXT NOT NULL DEFAULT '',
    board TEXT NOT NULL DEFAULT '',
    rate TEXT NOT NULL DEFAULT '',
    market TEXT NOT NULL DEFAULT '',
    nationality TEXT NOT NULL DEFAULT '',
    hotel_room TEXT,
    hotel_board TEXT,
    hotel_rate TEXT,
    hotel_market TEXT,
    hotel_agency TEXT,
    missing_mappings TEXT NOT NULL DEFAULT '[]',
    guest_names TEXT NOT NULL DEFAULT '',
    total_minor INTEGER,
    currency TEXT NOT NULL DEFAULT '',
    sale_date TEXT,
    created_at TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    hotel_note TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    segment TEXT NOT NULL DEFAULT '',
    promo_code TEXT NOT NULL DEFAULT '',
    discount_codes TEXT NOT NULL DEFAULT '[]',
    flights TEXT NOT NULL DEFAULT '[]',
    cancel_date TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    fingerprint TEXT NOT NULL,
    snapshot TEXT NOT NULL DEFAULT '{}',
    diff TEXT NOT NULL DEFAULT '{}',
    checks TEXT NOT NULL DEFAULT '{}',
    clean INTEGER NOT NULL DEFAULT 0,
    price_table TEXT NOT NULL DEFAULT '{}',
    hotel_reservation_id INTEGER REFERENCES hotel_reservations(id),
    decided_at TEXT,
    decided_by TEXT NOT NULL DEFAULT '',
    reject_reason TEXT NOT NULL DEFAULT '',
    reply_state TEXT NOT NULL DEFAULT '',
    reply_error TEXT NOT NULL DEFAULT '',
    needs_approval INTEGER NOT NULL DEFAULT 0,
    UNIQUE (operator, voucher, version)
);
CREATE INDEX opres_status ON operator_reservations(status, created_at);
CREATE INDEX opres_created ON operator_reservations(created_at);
CREATE INDEX opres_operator ON operator_reservations(operator, status);
CREATE INDEX opres_room_stay ON operator_reservations(hotel_room, check_in);
CREATE INDEX opres_raw ON operator_reservations(raw_id);

CREATE TABLE guests (
    id INTEGER PRIMARY KEY,
    reservation_id INTEGER NOT NULL REFERENCES operator_reservations(id),
    position INTEGER NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    age INTEGER,
    birth_date TEXT,
    gender TEXT NOT NULL DEFAULT '',
    nationality TEXT NOT NULL DEFAULT ''
);
CREATE INDEX guests_reservation ON guests(reservation_id);
CREATE INDEX guests_last_name ON guests(last_name COLLATE NOCASE);

CREATE TABLE night_prices (
    reservation_id INTEGER NOT NULL REFERENCES operator_reservations(id),
    date TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    PRIMARY KEY (reservation_id, date)
);

CREATE TABLE mappings (
    operator TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('room', 'board', 'rate', 'market', 'agency')),
    code TEXT NOT NULL,
    hotel_code TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (operator, kind, code)
);

CREATE TABLE hotel_codes (
    kind TEXT NOT NULL CHECK (kind IN ('room', 'board', 'rate', 'market', 'agency')),
    code TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, code)
);

CREATE TABLE room_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    capacity INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE hotel_reservations (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'active',
    origin TEXT NOT NULL DEFAULT 'opdesk',
    operator TEXT NOT NULL DEFAULT '',
    agency TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    board TEXT NOT NULL DEFAULT '',
    rate TEXT NOT NULL DEFAULT '',
    market TEXT NOT NULL DEFAULT '',
    check_in TEXT NOT NULL,
    check_out TEXT NOT NULL,
    rooms INTEGER NOT NULL DEFAULT 1,
    adults INTEGER NOT NULL DEFAULT 0,
    child_ages TEXT NOT NULL DEFAULT '[]',
    guest_names TEXT NOT NULL DEFAULT '',
    total_minor INTEGER,
    currency TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX hotelres_room_stay ON hotel_reservations(room, check_in, check_out);
CREATE INDEX hotelres_stay ON hotel_reservations(check_in, check_out);

CREATE TABLE hotel_vouchers (
    hotel_reservation_id INTEGER NOT NULL REFERENCES hotel_reservations(id),
    operator TEXT NOT NULL,
    voucher TEXT NOT NULL,
    PRIMARY KEY (operator, voucher)
);
CREATE INDEX hotel_vouchers_voucher ON hotel_vouchers(voucher);
CREATE INDEX hotel_vouchers_res ON hotel_vouchers(hotel_reservation_id);

CREATE TABLE stop_sales (
    id INTEGER PRIMARY KEY,
    room TEXT NOT NULL DEFAULT '',
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    operator TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    removed_at TEXT,
    removed_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE scan_runs (
    id INTEGER PRIMARY KEY,
    operator TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL DEFAULT 'running',
    total INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_runs_operator ON scan_runs(operator, started_at);

CREATE TABLE connector_state (
    operator TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (operator, key)
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    raw_id INTEGER REFERENCES raw_messages(id),
    reservation_id INTEGER REFERENCES operator_reservations(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX documents_reservation ON documents(reservation_id);
CREATE INDEX documents_raw ON documents(raw_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    origin TEXT NOT NULL,
    action TEXT NOT NULL,
    reservation_id INTEGER,
    hotel_reservation_id INTEGER,
    before TEXT NOT NULL DEFAULT '{}',
    after TEXT NOT NULL DEFAULT '{}',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_reservation ON audit_log(reservation_id);
CREATE INDEX audit_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are never changed'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are never deleted'); END;

CREATE TABLE contract_sets (
    id INTEGER PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL DEFAULT '',
    source_path TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    body TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE approvals (
    id INTEGER PRIMARY KEY,
    reservation_id INTEGER NOT NULL REFERENCES operator_reservations(id),
    approver TEXT NOT NULL,
    position INTEGER NOT NULL,
    mode TEXT NOT NULL DEFAULT 'all',
    state TEXT NOT NULL DEFAULT 'waiting',
    code_id TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL DEFAULT '',
    decided_at TEXT,
    decided_via TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_reservation ON approvals(reservation_id);
"""

# Counting a promotion's uses (max_uses) looks rows up by promo code.
V2 = """
CREATE INDEX opres_promo ON operator_reservations(promo_code);
"""

# Searching the inbox by a part of a voucher or a guest's name. One narrow row per inbox
# row holds its voucher and guest names folded (lower case, no accents: core.text), so
# a search reads a few megabytes, not every wide row, and finds Yılmaz as YILMAZ or
# yilmaz. core.ingest writes it with each row (rows are never edited or deleted);
# opdesk_fold() is registered on every Store's connection.
V3 = """
CREATE TABLE opres_search (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL
);
INSERT INTO opres_search(id, text)
    SELECT id, opdesk_fold(voucher || ' ' || guest_names) FROM operator_reservations;
"""

# An audit log that can be proven (core.audit): each row's HMAC over the row before's HMAC and its
# own content, keyed outside the store, and the OS user beside the name given with --as. The
# update trigger now lets exactly one thing change: an empty hmac being filled in once, which is
# how rows written before this migration join the chain on the first open with the key.
V4_AUDIT_CHAIN = """
ALTER TABLE audit_log ADD COLUMN os_user TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hmac TEXT NOT NULL DEFAULT '';
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF id, at, actor, origin, action, reservation_id,
    hotel_reservation_id, before, after, detail, os_user ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are never changed'); END;
CREATE TRIGGER audit_log_seal_once BEFORE UPDATE OF hmac ON audit_log WHEN OLD.hmac <> ''
BEGIN SELECT RAISE(ABORT, 'audit rows are never changed'); END;
"""


# A chain's years in one store (a million rows and more), kept as fast as a hotel's year:
# - opres_search_fts: an FTS5 trigram index over the folded search text, in the shape
#   sqlite-utils' enable_fts(["text"], tokenize="trigram", create_triggers=True) makes (less the
#   column sizes, which only ranking needs: one table less to write per row), so a search reads
#   the few rows holding the term's trigrams instead of every row. The
#   folded text gains a Latin spelling of Cyrillic (and other) names, so `ivanov` finds Иванов;
#   opdesk_search_fold() is registered on every Store's connection.
# - inbox_counts: rows per (operator, status, content, is_latest, clean), kept by triggers as
#   rows are added and change, so the tabs' counts are read, not counted (since V10 the code that
#   adds rows counts them, core.kept).
# - opres_inbox covers the inbox's first page (status, latest, newest first) without reading rows,
#   and replaces opres_status (status, created): one index less to write per row;
#   opres_match covers counting a search's matches by tab (core.inbox: each match is looked up
#   in this narrow index, not in its wide row); raw_messages_received lets the operator report
#   read a period, not the whole store.
V5_SCALE = """
UPDATE opres_search SET text = (
    SELECT opdesk_search_fold(r.voucher || ' ' || r.guest_names) FROM operator_reservations r
    WHERE r.id = opres_search.id);
CREATE VIRTUAL TABLE opres_search_fts USING FTS5 (
    text,
    tokenize='trigram',
    content="opres_search",
    columnsize=0
);
INSERT INTO opres_search_fts(opres_search_fts) VALUES ('rebuild');
CREATE TRIGGER opres_search_ai AFTER INSERT ON opres_search BEGIN
  INSERT INTO opres_search_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER opres_search_ad AFTER DELETE ON opres_search BEGIN
  INSERT INTO opres_search_fts (opres_search_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER opres_search_au AFTER UPDATE ON opres_search BEGIN
  INSERT INTO opres_search_fts (opres_search_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO opres_search_fts (rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TABLE inbox_counts (
    operator TEXT NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    is_latest INTEGER NOT NULL,
    clean INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (operator, status, content, is_latest, clean)
) WITHOUT ROWID;
INSERT INTO inbox_counts(operator, status, content, is_latest, clean, rows)
    SELECT operator, status, content, is_latest, clean, COUNT(*) FROM operator_reservations
    GROUP BY operator, status, content, is_latest, clean;
CREATE TRIGGER inbox_counts_insert AFTER INSERT ON operator_reservations BEGIN
  INSERT INTO inbox_counts(operator, status, content, is_latest, clean, rows)
    VALUES (new.operator, new.status, new.content, new.is_latest, new.clean, 1)
    ON CONFLICT (operator, status, content, is_latest, clean) DO UPDATE SET rows = rows + 1;
END;
CREATE TRIGGER inbox_counts_update AFTER UPDATE OF operator, status, content, is_latest, clean
    ON operator_reservations
    WHEN old.operator IS NOT new.operator OR old.status IS NOT new.status OR old.content IS NOT new.content
      OR old.is_latest IS NOT new.is_latest OR old.clean IS NOT new.clean
BEGIN
  UPDATE inbox_counts SET rows = rows - 1 WHERE operator = old.operator AND status = old.status
    AND content = old.content AND is_latest = old.is_latest AND clean = old.clean;
  INSERT INTO inbox_counts(operator, status, content, is_latest, clean, rows)
    VALUES (new.operator, new.status, new.content, new.is_latest, new.clean, 1)
    ON CONFLICT (operator, status, content, is_latest, clean) DO UPDATE SET rows = rows + 1;
END;
CREATE TRIGGER inbox_counts_delete AFTER DELETE ON operator_reservations BEGIN
  UPDATE inbox_counts SET rows = rows - 1 WHERE operator = old.operator AND status = old.status
    AND content = old.content AND is_latest = old.is_latest AND clean = old.clean;
END;

CREATE INDEX opres_inbox ON operator_reservations(status, is_latest, created_at);
DROP INDEX opres_status;
CREATE INDEX opres_match ON operator_reservations(id, is_latest, status, operator, content, clean);
CREATE INDEX raw_messages_received ON raw_messages(received_at);
"""


# The PMS outlet (core.pms): one delivery per saved booking version, handed to the hotel's PMS
# exactly once; the PMS's own number for a hotel booking, once its answer gave one.
V6_PMS = """
CREATE TABLE pms_deliveries (
    id INTEGER PRIMARY KEY,
    reservation_id INTEGER NOT NULL UNIQUE REFERENCES operator_reservations(id),
    hotel_reservation_id INTEGER NOT NULL REFERENCES hotel_reservations(id),
    hotel_number TEXT NOT NULL,
    operator TEXT NOT NULL,
    voucher TEXT NOT NULL,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    pms_number TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pms_deliveries_state ON pms_deliveries(state, id);
CREATE INDEX pms_deliveries_hotel ON pms_deliveries(hotel_reservation_id);
ALTER TABLE hotel_reservations ADD COLUMN pms_number TEXT NOT NULL DEFAULT '';
CREATE INDEX hotelres_pms_number ON hotel_reservations(pms_number);
"""

# What some operators send beside the rate code: its type (package, room only, ...) and the
# date an option (a provisional booking) lapses.
V7_RATE_TYPE = """
ALTER TABLE operator_reservations ADD COLUMN rate_type TEXT NOT NULL DEFAULT '';
ALTER TABLE operator_reservations ADD COLUMN option_date TEXT;
"""

# A guest's e-mail, when the operator sends one: the price check counts a guest's earlier stays
# (contract rules min_arrival / max_arrival) by it before falling back to name and birth date.
V8_GUEST_EMAIL = """
ALTER TABLE guests ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE INDEX guests_email ON guests(email COLLATE NOCASE) WHERE email != '';
"""

# Scanner controls: an operator (or every operator, '*') paused by a person is skipped by every
# scan (CLI, app, cron) until resumed; kept in the store so a restart does not lift it.
V9_PAUSES = """
CREATE TABLE operator_pauses (
    operator TEXT PRIMARY KEY,
    paused_at TEXT NOT NULL,
    paused_by TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
"""

# Rows added are indexed for search and counted by the code that adds them, a batch at a time
# (core.kept): a trigger on a table makes every row inserted run a trigger program, which cost more
# than the rest of ingest's writing. Changes and deletions keep their triggers.
V10_KEPT_BY_BATCH = """
DROP TRIGGER opres_search_ai;
DROP TRIGGER inbox_counts_insert;
"""


MIGRATIONS: list[str] = [
    V1,
    V2,
    V3,
    V4_AUDIT_CHAIN,
    V5_SCALE,
    V6_PMS,
    V7_RATE_TYPE,
    V8_GUEST_EMAIL,
    V9_PAUSES,
    V10_KEPT_BY_BATCH,
]
