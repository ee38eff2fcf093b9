import { json, type Reply } from './http.js';
import type { TransferTask } from './task.js';
import { badRequest, type TransferContext, type TransferRequest } from './transfer-common.js';

type Test = (doc: Record<string, unknown>) => boolean;

/** Dates as globus-cli sends them ("2015-05-01 00:00:00", UTC) or ISO 8601. */
function parseTime(s: string): number {
  const iso = s.trim().replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + 'Z');
}

/**
 * One label value: "=x" exact, "~x" a case-insensitive match where "*" is a
 * wildcard, "!x" and "!~x" their negations (globus-cli commands/task/list.py
 * --filter-label / --filter-not-label, --exact / --inexact).
 */
function labelTest(v: string): { negated: boolean; test: (label: string | null) => boolean } {
  const negated = v.startsWith('!');
  const rest = negated ? v.slice(1) : v;
  if (rest.startsWith('~')) {
    // Only "*" is special here (not a path glob: "/" in a label is an ordinary character).
    const re = new RegExp(`^${rest.slice(1).split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'is');
    return { negated, test: (l) => l !== null && re.test(l) };
  }
  const exact = rest.startsWith('=') ? rest.slice(1) : rest;
  return { negated, test: (l) => l === exact };
}

/** One clause "field:v1,v2" of task_list's `filter`; clauses are joined by "/" and must all hold. */
function clause(field: string, values: string[]): Test | string {
  switch (field) {
    case 'task_id':
      return (d) => values.map((v) => v.toLowerCase()).includes(String(d.task_id));
    case 'type':
    case 'status': {
      const wanted = values.map((v) => v.toUpperCase());
      return (d) => wanted.includes(String(d[field]));
    }
    case 'label': {
      const tests = values.map(labelTest);
      const any = tests.filter((t) => !t.negated);
      const none = tests.filter((t) => t.negated);
      return (d) => {
        const l = d.label as string | null;
        return (any.length === 0 || any.some((t) => t.test(l))) && none.every((t) => !t.test(l));
      };
    }
    case 'request_time':
    case 'completion_time': {
      if (values.length !== 2) return `${field} takes "start,end" (either may be empty)`;
      const [from, to] = values.map((v) => (v.trim() === '' ? null : parseTime(v)));
      if ([from, to].some((t) => t !== null && Number.isNaN(t))) return `${field} has a date that is not "YYYY-MM-DD HH:MM:SS" or ISO 8601`;
      return (d) => {
        if (d[field] === null) return false;
        const t = parseTime(String(d[field]));
        return (from === null || t >= from!) && (to === null || t <= to!);
      };
    }
    default:
      return `cannot filter tasks on "${field}"`;
  }
}

/** Newest first unless `orderby` says otherwise: "field [ASC|DESC]", several joined by commas. */
type Ranked = { i: number; doc: Record<string, unknown> };

function ordering(orderby: string | null): ((a: Ranked, b: Ranked) => number) | string {
  const keys = (orderby ?? 'request_time DESC').split(',').map((part) => {
    const [field, dir = 'ASC', ...more] = part.trim().split(/\s+/);
    return { field: field!, desc: dir.toUpperCase() === 'DESC', bad: more.length > 0 || !['ASC', 'DESC'].includes(dir.toUpperCase()) };
  });
  const wrong = keys.find((k) => k.bad || !TASK_FIELDS.has(k.field));
  if (wrong) return `orderby "${orderby}": each part is a task field followed by ASC or DESC`;
  return (a, b) => {
    for (const k of keys) {
      const [x, y] = [a.doc[k.field], b.doc[k.field]];
      if (x === y) continue;
      const c = x === null ? -1 : y === null ? 1 : (x as string | number) < (y as string | number) ? -1 : 1;
      return k.desc ? -c : c;
    }
    // request_time has whole seconds: submission order breaks ties, in the first key's direction.
    return keys[0]!.desc ? b.i - a.i : a.i - b.i;
  };
}

const TASK_FIELDS = new Set(['task_id', 'type', 'status', 'label', 'request_time', 'completion_time', 'deadline', 'source_endpoint_id', 'destination_endpoint_id', 'files', 'bytes_transferred', 'faults']);

/**
 * GET task_list with `filter` and `orderby` (task_list docs; globus-sdk-python
 * TransferClient.task_list; globus-cli `globus task list`, which always sends
 * filter type:TRANSFER,DELETE and orderby "request_time DESC"), and offset/limit.
 */
export function taskList(ctx: TransferContext, req: TransferRequest, offset: number, limit: number): Reply {
  const tests: Test[] = [];
  const filter = req.query.get('filter') ?? '';
  for (const part of filter.split('/').filter(Boolean)) {
    const i = part.indexOf(':');
    if (i < 1) return badRequest(req, `filter clause "${part}" must be field:value[,value...]`);
    const t = clause(part.slice(0, i), part.slice(i + 1).split(','));
    if (typeof t === 'string') return badRequest(req, `filter: ${t}`);
    tests.push(t);
  }
  const order = ordering(req.query.get('orderby'));
  if (typeof order === 'string') return badRequest(req, order);
  // Entries of task_list.json carry no DATA_TYPE of their own.
  const docs = ctx.tasks
    .list()
    .map((t: TransferTask, i) => ({ i, doc: (({ DATA_TYPE: _omit, ...doc }) => doc)(t.document()) }))
    .filter(({ doc }) => tests.every((t) => t(doc)))
    .sort(order)
    .map(({ doc }) => doc);
  const DATA = docs.slice(offset, offset + limit);
  return json(200, { DATA, DATA_TYPE: 'task_list', length: DATA.length, limit, offset, total: docs.length });
}
