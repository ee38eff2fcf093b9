/**
 * What every task document a job submits (transfer, delete, and every later
 * kind) takes from `transfer` in the config: the three notification flags and
 * the deadline. Written once so that a kind cannot drift from the others, e.g.
 * a delete that mails on success while the transfers do not.
 */
export interface TaskOptionsConfig {
  notifyOnSucceeded: boolean;
  notifyOnFailed: boolean;
  notifyOnInactive: boolean;
  /** Seconds after submission at which Globus gives up on the task. */
  deadlineSeconds?: number | undefined;
}

export interface TaskOptionFields {
  notify_on_succeeded: boolean;
  notify_on_failed: boolean;
  notify_on_inactive: boolean;
  deadline?: string;
}

/** Globus's deadline is an ISO 8601 time with an explicit offset and whole seconds (task_submit, "deadline"). */
export function globusDeadline(at: Date, afterSeconds: number): string {
  return new Date(at.getTime() + afterSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function taskOptionFields(t: TaskOptionsConfig, at: Date): TaskOptionFields {
  const fields: TaskOptionFields = {
    notify_on_succeeded: t.notifyOnSucceeded,
    notify_on_failed: t.notifyOnFailed,
    notify_on_inactive: t.notifyOnInactive,
  };
  if (t.deadlineSeconds !== undefined) fields.deadline = globusDeadline(at, t.deadlineSeconds);
  return fields;
}
