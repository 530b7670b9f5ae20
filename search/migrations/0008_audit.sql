-- The audit log of configuration changes (issue 6): one row per change that
-- succeeded, appended by service._audit; json holds the entry
-- (search._audit_store.encode_audit), the columns beside it are the ones filtered
-- and sorted. target_id is '' for a change without one target (an OPML import).
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at_us INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
-- Newest first, and newest first per actor / per target.
CREATE INDEX audit_by_time ON audit_log (at_us, id);
CREATE INDEX audit_by_actor ON audit_log (actor, at_us, id);
CREATE INDEX audit_by_target ON audit_log (target_type, target_id, at_us, id);

-- Append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
