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
  const compiled = rules.map((r) => ({ ...r, re: fnmatchRegExp(r.name) }));
  return (name, type) => {
    for (const r of compiled) {
      if (r.type !== null && r.type !== type) continue;
      if (r.re.test(name)) return r.method === 'include';
    }
    return true;
  };
}

/**
 * A name pattern as Python's fnmatch reads it (fnmatch.translate, the SDK's
 * reference for filter rule names): `*` any run, `?` one character, `[...]` a
 * set, `[!...]` its complement, a `[` with no closing `]` itself; everything
 * else, `\\`, `{}`, `!(...)` and `+` included, is literal, and `*` matches a
 * leading dot. Not picomatch: its globs read `[!...]`, braces and extglobs
 * differently.
 */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++]!;
    if (c === '*') out += out.endsWith('.*') ? '' : '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let set = pattern.slice(i, j).replace(/\\/g, '\\\\');
      i = j + 1;
      if (set === '') out += '(?!)';
      else if (set === '!') out += '.';
      else {
        if (set.startsWith('!')) set = '^' + set.slice(1);
        else if (set.startsWith('^')) set = '\\' + set;
        out += `[${set.replace(/[[\]]/g, '\\$&')}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^(?:${out})$`, 's');
  } catch {
    return /(?!)/; // a backwards range (`[z-a]`): Python drops that range from its set; here the whole rule matches nothing
  }
}
