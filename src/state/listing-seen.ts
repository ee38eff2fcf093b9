import type { Statement } from 'better-sqlite3';
import type { State } from './open.js';

const NS_PER_S = 1_000_000_000n;

/**
 * Settling for a source listed through Globus (issue 29). The remote clock is
 * not ours, so a file's last_modified says nothing about whether it is still
 * being written: a new or changed file may ship once two listings at least
 * `minAgeSeconds` apart saw the same fingerprint (size and last_modified). With
 * minAgeSeconds 0 one listing is enough. The scanner asks `mayShip` for each
 * new or changed file, and calls `held` (inside its own write transaction) for
 * each one it held back; `shipping` forgets a file that goes out.
 */
export class ListingSightings {
  private readonly get: Statement | null;
  private readonly upsert: Statement | null;
  private readonly drop: Statement | null;

  /** state null: no sightings yet (`gsync plan` before any run): with minAgeSeconds > 0 nothing may ship. */
  constructor(
    state: State | null,
    private readonly nowNs: bigint,
    private readonly minAgeSeconds: number,
  ) {
    if (state === null) {
      this.get = this.upsert = this.drop = null;
      return;
    }
    this.get = state.db.prepare(`SELECT size, mtime_s, first_seen_ns FROM listing_seen WHERE rel_path = ?`).safeIntegers(true);
    // The first sighting of this fingerprint keeps its time; any other fingerprint starts again.
    this.upsert = state.db.prepare(
      `INSERT INTO listing_seen (rel_path, size, mtime_s, first_seen_ns) VALUES (?, ?, ?, ?)
       ON CONFLICT (rel_path) DO UPDATE SET first_seen_ns = CASE WHEN size = excluded.size AND mtime_s = excluded.mtime_s THEN first_seen_ns ELSE excluded.first_seen_ns END,
         size = excluded.size, mtime_s = excluded.mtime_s`,
    );
    this.drop = state.db.prepare(`DELETE FROM listing_seen WHERE rel_path = ?`);
  }

  /** An earlier listing, at least minAgeSeconds ago, saw this very fingerprint. */
  mayShip(relPath: string, size: bigint, mtimeNs: bigint): boolean {
    if (this.minAgeSeconds <= 0) return true;
    const row = this.get?.get(relPath) as { size: bigint; mtime_s: bigint; first_seen_ns: bigint } | undefined;
    if (row === undefined || row.size !== size || row.mtime_s !== mtimeNs / NS_PER_S) return false;
    return this.nowNs - row.first_seen_ns >= BigInt(this.minAgeSeconds) * NS_PER_S;
  }

  held(relPath: string, size: bigint, mtimeNs: bigint): void {
    this.upsert?.run(relPath, size, mtimeNs / NS_PER_S, this.nowNs);
  }

  /** Called only when minAgeSeconds > 0 made a sighting worth keeping. */
  shipping(relPath: string): void {
    if (this.minAgeSeconds > 0) this.drop?.run(relPath);
  }
}
