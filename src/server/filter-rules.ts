import picomatch from 'picomatch';

/**
 * A transfer document's `filter_rules` (task_submit, filter_rule; the SDK's
 * TransferData.add_filter_rule): applied to every entry met while a recursive
 * item is walked. Rules are tried in order and the first whose `name` pattern
 * (fnmatch: `*`, `?`, `[...]`, `[!...]`) and optional `type` ("file" or "dir")
 * match decides; no match includes the entry. An excluded directory excludes
 * everything in it, whatever later include rules say. Items named directly (not
 * recursive) are not filtered.
 */
export interface FilterRule {
  method: 'include' | 'exclude';
  type: 'file' | 'dir' | null;
  name: string;
}

/** The rules, or a message saying which one is malformed. */
export function parseFilterRules(raw: unknown): FilterRule[] | string {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return 'filter_rules must be a list of filter_rule documents';
  const rules: FilterRule[] = [];
  for (const [i, r] of raw.entries()) {
    const o = (r ?? {}) as Record<string, unknown>;
    if (o.DATA_TYPE !== undefined && o.DATA_TYPE !== 'filter_rule') return `filter_rules[${i}].DATA_TYPE must be "filter_rule"`;
    if (o.method !== 'include' && o.method !== 'exclude') return `filter_rules[${i}].method must be "include" or "exclude"`;
    if (o.type !== undefined && o.type !== null && o.type !== 'file' && o.type !== 'dir') return `filter_rules[${i}].type must be "file" or "dir"`;
    if (typeof o.name !== 'string' || o.name === '') return `filter_rules[${i}].name must be a pattern`;
    rules.push({ method: o.method, type: (o.type as 'file' | 'dir' | undefined) ?? null, name: o.name });
  }
  return rules;
}

/** True when an entry met in a recursive walk is transferred. */
export function filterJudge(rules: FilterRule[]): (name: string, type: 'file' | 'dir') => boolean {
  if (rules.length === 0) return () => true;
  // fnmatch's "[!...]" is picomatch's "[^...]" too; dot files are matched by "*" as fnmatch does.
  const compiled = rules.map((r) => ({ ...r, test: picomatch(r.name, { dot: true }) }));
  return (name, type) => {
    for (const r of compiled) {
      if (r.type !== null && r.type !== type) continue;
      if (r.test(name)) return r.method === 'include';
    }
    return true;
  };
}
