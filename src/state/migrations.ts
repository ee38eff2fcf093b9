import type Database from 'better-sqlite3';

/**
 * Schema history, applied in order; PRAGMA user_version records how many ran.
 * Append new steps, never edit a released one: a user's DB may be at any step.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT INTO meta (key, value) VALUES ('application', 'gsync');

  -- One row per path component; the source directory itself is row 1 (parent NULL, name '').
  CREATE TABLE node (
    id INTEGER PRIMARY KEY,
    parent INTEGER REFERENCES node(id),
    name TEXT NOT NULL,
    shipped_kind TEXT CHECK (shipped_kind IN ('f', 'd')),
    shipped_size INTEGER,
    shipped_mtime_ns INTEGER,
    shipped_ctime_ns INTEGER,
    shipped_ino INTEGER,
    last_transfer_ns INTEGER,
    seen_kind TEXT CHECK (seen_kind IN ('f', 'd')),
    seen_size INTEGER,
    seen_mtime_ns INTEGER,
    seen_ctime_ns INTEGER,
    seen_ino INTEGER,
    gone INTEGER NOT NULL DEFAULT 0,
    UNIQUE (parent, name)
  );
  INSERT INTO node (id, parent, name) VALUES (1, NULL, '');

  CREATE TABLE submission (
    id INTEGER PRIMARY KEY,
    submission_id TEXT UNIQUE,
    task_id TEXT,
    status TEXT NOT NULL,
    document TEXT NOT NULL,
    created_ns INTEGER NOT NULL,
    submitted_ns INTEGER,
    completed_ns INTEGER,
    items INTEGER NOT NULL,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    error TEXT
  );

  CREATE TABLE pending (
    node_id INTEGER PRIMARY KEY REFERENCES node(id),
    submission INTEGER NOT NULL REFERENCES submission(id),
    kind TEXT NOT NULL CHECK (kind IN ('f', 'd')),
    size INTEGER,
    mtime_ns INTEGER,
    ctime_ns INTEGER,
    ino INTEGER
  );
  CREATE INDEX pending_by_submission ON pending (submission);

  CREATE TABLE run (
    id INTEGER PRIMARY KEY,
    started_ns INTEGER NOT NULL,
    finished_ns INTEGER,
    result TEXT,
    exit_code INTEGER,
    submission INTEGER REFERENCES submission(id),
    items INTEGER,
    files INTEGER,
    bytes INTEGER,
    deferred INTEGER,
    skipped INTEGER,
    message TEXT
  );
  `,
  // 2: delete tasks (deletes.enabled), kept apart from transfers. delete_pending holds the
  // topmost node of each delete item while its task is open: the path is neither shipped
  // nor deleted again until the task ends, and forgotten only after it SUCCEEDED.
  `
  CREATE TABLE delete_task (
    id INTEGER PRIMARY KEY,
    submission_id TEXT UNIQUE,
    task_id TEXT,
    status TEXT NOT NULL,
    document TEXT NOT NULL,
    created_ns INTEGER NOT NULL,
    submitted_ns INTEGER,
    completed_ns INTEGER,
    items INTEGER NOT NULL,
    paths INTEGER NOT NULL,
    error TEXT
  );

  CREATE TABLE delete_pending (
    node_id INTEGER PRIMARY KEY REFERENCES node(id),
    delete_task INTEGER NOT NULL REFERENCES delete_task(id),
    shipped_kind TEXT NOT NULL CHECK (shipped_kind IN ('f', 'd')),
    paths INTEGER NOT NULL
  );
  CREATE INDEX delete_pending_by_task ON delete_pending (delete_task);
  `,
  // 3: paths released from a task that did not SUCCEED: Globus writes in place, so
  // the destination may hold a truncated copy dated "now", which sync_level
  // mtime would then never replace. They ship with sync_level checksum until a
  // task carrying them SUCCEEDS. since_ns: when the release happened.
  `
  CREATE TABLE repair (
    node_id INTEGER PRIMARY KEY REFERENCES node(id),
    since_ns INTEGER NOT NULL
  );
  `,
  // 4: hooks and manifests after a transfer (issue 17).
  `
  -- A hook or manifest owed for a task. Recorded in the transaction that
  -- settles the task, so a crash can never lose it; done_ns is set only once it ran.
  CREATE TABLE task_hook (
    id INTEGER PRIMARY KEY,
    submission INTEGER NOT NULL REFERENCES submission(id),
    task_id TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('SUCCEEDED', 'FAILED', 'INACTIVE')),
    error TEXT,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    manifest TEXT,
    created_ns INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_attempt_ns INTEGER,
    last_result TEXT,
    last_failed INTEGER NOT NULL DEFAULT 0,
    done_ns INTEGER,
    UNIQUE (submission, event)
  );
  CREATE INDEX task_hook_owed ON task_hook (id) WHERE done_ns IS NULL;

  -- The files a SUCCEEDED task delivered, as scanned, until its manifest and hook are done.
  CREATE TABLE manifest_file (
    hook INTEGER NOT NULL REFERENCES task_hook(id),
    node_id INTEGER NOT NULL REFERENCES node(id),
    size INTEGER,
    mtime_ns INTEGER,
    PRIMARY KEY (hook, node_id)
  ) WITHOUT ROWID;
  `,
  // 5 (issue 20): what Globus reported for each SUCCEEDED task, and paths it skipped with errors task after task.
  `
  CREATE TABLE delivery (
    submission INTEGER PRIMARY KEY REFERENCES submission(id),
    files_transferred INTEGER NOT NULL,
    bytes_transferred INTEGER NOT NULL,
    files_skipped INTEGER NOT NULL,
    skipped_errors INTEGER NOT NULL,
    skipped_owed INTEGER NOT NULL,
    skipped_vanished INTEGER NOT NULL,
    sample TEXT NOT NULL
  );

  CREATE TABLE skip_streak (
    source_path TEXT PRIMARY KEY,
    error_code TEXT NOT NULL,
    tasks INTEGER NOT NULL,
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL
  );
  `,
  // 6 (issue 26): the two ends this database was built for, and the source mapping last
  // proven by a probe. One row; none in a database from before this step, which adopts the
  // config's ends on its first run. proven_source: the source ends (JSON) the probe proved.
  `
  CREATE TABLE binding (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source_collection TEXT NOT NULL,
    source_path TEXT NOT NULL,
    collection_path TEXT NOT NULL,
    destination_collection TEXT NOT NULL,
    destination_path TEXT NOT NULL,
    bound_ns INTEGER NOT NULL,
    how TEXT NOT NULL CHECK (how IN ('new', 'adopted', 'rebound')),
    proven_source TEXT,
    proven_ns INTEGER,
    proven_with TEXT
  );
  `,
  // 7 (issue 27): one row per finished `gsync verify`: what it compared and found, for status and metrics.
  `
  CREATE TABLE verify_run (
    id INTEGER PRIMARY KEY,
    started_ns INTEGER NOT NULL,
    finished_ns INTEGER NOT NULL,
    scope TEXT NOT NULL,
    files INTEGER NOT NULL,
    dirs INTEGER NOT NULL,
    listings INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    differs INTEGER NOT NULL,
    extra INTEGER NOT NULL,
    unverified INTEGER NOT NULL,
    repaired INTEGER NOT NULL,
    exit_code INTEGER NOT NULL
  );
  `,
  // issue 27 (reconcile runs): a reconcile task is a transfer task of its own kind. Its row lives
  // in submission (so task_hook and manifests, which reference submission, serve it unchanged),
  // holds no pending paths, and records how many files Globus restored when it SUCCEEDED.
  `
  ALTER TABLE submission ADD COLUMN kind TEXT NOT NULL DEFAULT 'transfer' CHECK (kind IN ('transfer', 'reconcile'));
  ALTER TABLE submission ADD COLUMN restored INTEGER;
  `,
  // (issue 29) pull mode: a new or changed file of a source listed through Globus ships once two
  // listings at least scan.minAgeSeconds apart saw the same fingerprint. One row per such file not
  // yet shipped: the fingerprint a listing saw (size, last_modified in whole seconds) and when a
  // listing first saw it. Keyed by the path relative to source.path.
  `
  CREATE TABLE listing_seen (
    rel_path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_s INTEGER NOT NULL,
    first_seen_ns INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // (issue 29) hooks.onFile: one row per file a SUCCEEDED task delivered, written in the transaction
  // that commits the task, so the file's hook is owed across any crash. rel_path is kept (not only
  // the node) so a hook still owed outlives its node. next_attempt_ns: the backoff after a failure;
  // given_up_ns: attempts reached hooks.maxAttempts (reported, never dropped).
  `
  CREATE TABLE file_hook (
    id INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    rel_path TEXT NOT NULL,
    size INTEGER,
    created_ns INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_attempt_ns INTEGER,
    last_result TEXT,
    next_attempt_ns INTEGER,
    done_ns INTEGER,
    given_up_ns INTEGER
  );
  CREATE INDEX file_hook_owed ON file_hook (id) WHERE done_ns IS NULL AND given_up_ns IS NULL;
  `,
  // (issue 34) a smaller node row: a shipped path names the submission that delivered it
  // (shipped_by, 1-3 bytes) instead of repeating that submission's completed_ns (8 bytes) as
  // last_transfer_ns. last_transfer_ns stays for what set-time records (a time with no
  // submission behind it). Submission rows are never deleted, so the time is always there:
  // a path's last transfer is coalesce(last_transfer_ns, completed_ns of shipped_by).
  // In place (every id kept): only the committed rows whose time is a SUCCEEDED submission's change.
  `
  ALTER TABLE node ADD COLUMN shipped_by INTEGER REFERENCES submission(id);
  UPDATE node SET
    shipped_by = (SELECT max(s.id) FROM submission s WHERE s.status = 'SUCCEEDED' AND s.completed_ns = node.last_transfer_ns),
    last_transfer_ns = NULL
  WHERE shipped_kind IS NOT NULL
    AND last_transfer_ns IN (SELECT completed_ns FROM submission WHERE status = 'SUCCEEDED');
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Runs the missing steps, each in its own transaction together with its version bump. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
