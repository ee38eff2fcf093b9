import picomatch from 'picomatch';

/**
 * ls's `filter` and `orderby` (Transfer file_operations, List Directory Contents;
 * globus-cli commands/ls.py; the SDK's operation_ls docstring and "Filter
 * Formatting"): a `filter` parameter is clauses joined by "/", all of which must
 * hold (AND); the parameter may be repeated, and an entry passes when any one of
 * them holds (OR). A clause is `field:value`. For `name` the value is a pattern
 * starting with "=" (exact, the default), "~" (glob, `*`), "!" (not exact) or
 * "!~" (not glob). `type` takes a comma list (file,dir,...). `last_modified` a
 * range "start,end" where either side may be empty; other documented fields
 * (size, permissions, user, group) compare exactly. Any other field is refused,
 * the stricter reading.
 */

export type LsDoc = Record<string, unknown> & { name: string; type: string; last_modified: string | null };
type Predicate = (d: LsDoc) => boolean;

const EXACT_FIELDS = new Set(['size', 'permissions', 'user', 'group']);

/** null when no filter was given; a string says what is wrong with one. */
export function parseFilters(values: string[]): Predicate | null | string {
  if (values.length === 0) return null;
  const alternatives: Predicate[] = [];
  for (const value of values) {
    const clauses: Predicate[] = [];
    for (const clause of value.split('/')) {
      const colon = clause.indexOf(':');
      if (colon <= 0) return `filter clause '${clause}' is not field:value`;
      const p = clausePredicate(clause.slice(0, colon), clause.slice(colon + 1));
      if (typeof p === 'string') return p;
      clauses.push(p);
    }
    alternatives.push((d) => clauses.every((c) => c(d)));
  }
  return (d) => alternatives.some((a) => a(d));
}

function clausePredicate(field: string, value: string): Predicate | string {
  if (field === 'name') return namePredicate(value);
  if (field === 'type') {
    const types = new Set(value.split(','));
    return (d) => types.has(d.type);
  }
  if (field === 'last_modified') {
    const [from = '', to = ''] = value.split(',');
    const lo = from === '' ? -Infinity : Date.parse(from.replace(' ', 'T'));
    const hi = to === '' ? Infinity : Date.parse(to.replace(' ', 'T'));
    if (Number.isNaN(lo) || Number.isNaN(hi)) return `filter last_modified:${value} is not a "start,end" date range`;
    return (d) => {
      const t = d.last_modified === null ? NaN : Date.parse(d.last_modified.replace(' ', 'T'));
      return t >= lo && t <= hi;
    };
  }
  if (EXACT_FIELDS.has(field)) return (d) => String(d[field]) === value;
  return `filter field '${field}' is not one ls filters on (name, type, size, last_modified, permissions, user, group)`;
}

function namePredicate(pattern: string): Predicate {
  let negate = false;
  let p = pattern;
  if (p.startsWith('!')) {
    negate = true;
    p = p.slice(1);
  }
  let test: (name: string) => boolean;
  if (p.startsWith('~')) {
    const glob = picomatch(p.slice(1), { dot: true });
    test = (name) => glob(name);
  } else {
    const exact = p.startsWith('=') ? p.slice(1) : p;
    test = (name) => name === exact;
  }
  return (d) => test(d.name) !== negate;
}

/** `orderby`: comma-separated "field [ASC|DESC]"; a string says what is wrong. Default: by name. */
export function parseOrderBy(value: string | null): ((a: LsDoc, b: LsDoc) => number) | string {
  const keys: Array<{ field: string; sign: number }> = [];
  for (const part of (value ?? 'name ASC').split(',')) {
    const [field, dir = 'ASC', extra] = part.trim().split(/\s+/);
    if (!field || extra !== undefined || !/^(ASC|DESC)$/i.test(dir)) return `orderby '${part.trim()}' is not "field [ASC|DESC]"`;
    keys.push({ field, sign: dir.toUpperCase() === 'DESC' ? -1 : 1 });
  }
  return (a, b) => {
    for (const { field, sign } of keys) {
      const x = a[field];
      const y = b[field];
      if (x === y) continue;
      if (x === null || x === undefined) return -sign;
      if (y === null || y === undefined) return sign;
      return (x < y ? -1 : 1) * sign;
    }
    return 0;
  };
}
