/**
 * SQL that defines `sub(id)`: a node and every node under it. Bind the root
 * node's id to its one `?`, then follow with the statement that uses `sub`.
 * `liveOnly` leaves out nodes marked gone (and what lies under them).
 */
export function subtreeCte(opts: { liveOnly?: boolean } = {}): string {
  const live = opts.liveOnly ? ' WHERE n.gone = 0' : '';
  return `WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT n.id FROM node n JOIN sub ON n.parent = sub.id${live})`;
}
