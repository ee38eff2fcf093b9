/**
 * Named points where the crash harness (test/crash.test.ts) kills the process
 * as a power cut would: GSYNC_CRASH_AT=<name> makes the process SIGKILL itself
 * on reaching that point. The command wiring reads the variable
 * (src/commands/globus-session.ts) and hands runJob the hook; it is off unless
 * that variable is set, and it never is in a deployed unit file.
 */
export type CrashPointName =
  | 'scan-batch' // a scan batch has committed, more are to come
  | 'after-submission-id' // Globus gave an id; nothing recorded yet
  | 'after-record' // the submission row is committed; not POSTed
  | 'after-record-repair' // the repair task's row (sync_level checksum) is committed; not POSTed
  | 'after-post' // Globus accepted the task; its id is not recorded
  | 'before-commit' // Globus said SUCCEEDED; not yet recorded as shipped
  | 'inside-commit' // inside the commit transaction: paths and the owed hook written, not yet committed
  | 'before-release' // Globus said the task did not succeed; its paths not yet released for repair
  | 'inside-release' // inside the FAILED release transaction: paths released, repair and onFailed written, not yet committed
  | 'delete-after-submission-id' // a delete task's id from Globus; nothing recorded yet
  | 'delete-after-record' // the delete task row is committed; not POSTed
  | 'delete-after-post' // Globus accepted the delete task; its id is not recorded
  | 'delete-before-commit' // the delete task SUCCEEDED; its paths not yet forgotten
  | 'reconcile-after-submission-id' // issue 27: a reconcile task's id from Globus; nothing recorded yet
  | 'reconcile-after-record' // its row is committed; not POSTed
  | 'reconcile-after-post' // Globus accepted it; its id is not recorded
  | 'reconcile-before-commit' // it SUCCEEDED and its restored files were read; nothing recorded yet
  | 'after-cancel-record' // issue 28: a stuck task's cancel is recorded (CANCELING); not POSTed
  | 'after-cancel-post' // issue 28: Globus accepted the cancel; its task not yet seen ended
  | 'before-hook' // a hook is owed and about to start
  | 'after-hook' // a hook exited 0; not yet recorded as done
  | 'before-file-hook' // issue 29: a file's hook is marked started and about to run
  | 'after-file-hook' // issue 29: a file's hook exited 0; not yet recorded as done
  | 'verify-before-record' // gsync verify listed everything; nothing recorded, nothing marked
  | 'verify-after-record' // its record and --repair marks are committed; nothing printed yet
  | 'rebind-before-commit' // gsync rebind to a new destination: everything written, not committed
  | 'rebind-after-commit'; // gsync rebind committed; nothing printed yet

export type CrashHook = (name: CrashPointName) => void;

export const noCrash: CrashHook = () => {};
