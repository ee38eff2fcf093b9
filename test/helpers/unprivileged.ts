/**
 * Tests of what gsync does when a permission is refused mean nothing as root,
 * whom the kernel lets read and write anything. CI runs as root, so there such a
 * test runs its case in a child without root's privileges: setpriv drops every
 * capability (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, ...), after which the kernel
 * checks file modes for uid 0 exactly as for any other user. Dropping capabilities
 * rather than switching to nobody keeps the checkout readable to the child
 * wherever it lies (a clone under a 0700 temporary folder included).
 */
export const runningAsRoot = process.getuid?.() === 0;

/** The command and arguments that run `cmd args` unprivileged: unchanged unless the suite runs as root. */
export function unprivileged(cmd: string, args: string[]): [string, string[]] {
  if (!runningAsRoot) return [cmd, args];
  return ['setpriv', ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', cmd, ...args]];
}
