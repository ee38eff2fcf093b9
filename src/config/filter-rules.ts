/**
 * `scan.exclude` as a transfer document's `filter_rules` (issue 27, reconcile
 * runs). The two match differently, so only patterns that mean exactly the
 * same on both sides are translated; anything else is refused with the reason.
 *
 * - `scan.exclude` is picomatch (dot: true) against the path relative to the
 *   source directory, and the scan walks nothing under an excluded directory.
 * - A filter rule (Transfer task_submit `filter_rules`; globus-sdk-python
 *   `TransferData.add_filter_rule`) matches an entry's NAME, at any depth of a
 *   recursive item, with `*`, `?`, `[...]` and `[!...]`; the first rule that
 *   matches decides, and an excluded directory excludes everything in it.
 *
 * So `**\/NAME` and `**\/NAME/**` (NAME one path component of `*`, `?`,
 * `[...]` and plain characters) both exclude every entry called NAME at any
 * depth, with what is under it: the rule `{method: exclude, name: NAME}`. A
 * pattern without `**\/` in front (`*.tmp`, `scratch/**`) only matches at the
 * top of the source, which a rule on a name cannot say; braces, extglobs,
 * negation, escapes, POSIX classes and negated classes (picomatch reads `[!a]`
 * otherwise than fnmatch) have no filter_rules form.
 */
export interface FilterRule {
  DATA_TYPE: 'filter_rule';
  method: 'include' | 'exclude';
  name: string;
  type?: 'file' | 'dir';
}

/** The rules for these patterns, or the first pattern refused and why. */
export function excludesAsFilterRules(patterns: readonly string[]): { rules: FilterRule[] } | { refused: string; why: string } {
  const rules: FilterRule[] = [];
  const seen = new Set<string>();
  for (const p of patterns) {
    const name = nameOf(p);
    if (typeof name !== 'string') return { refused: p, why: name.why };
    if (seen.has(name)) continue;
    seen.add(name);
    rules.push({ DATA_TYPE: 'filter_rule', method: 'exclude', name });
  }
  return { rules };
}

/** The refusal, after the key (scan.exclude.N) that names it: for the config check and `gsync run --reconcile`. */
export function refusalLine(r: { refused: string; why: string }): string {
  return `"${r.refused}" cannot be a Globus filter rule, which a reconcile run needs: ${r.why}`;
}

function nameOf(pattern: string): string | { why: string } {
  const m = /^\*\*\/(.+?)(\/\*\*)?$/.exec(pattern);
  if (m === null) {
    const hint = pattern.includes('/') ? '' : `; write "**/${pattern}" to exclude it at every depth`;
    return { why: `it matches only at the top of the source, and a filter rule matches a name at every depth${hint}` };
  }
  const name = m[1]!;
  if (name.includes('/')) return { why: 'it names a path of several components, and a filter rule matches one name' };
  if (name === '**') return { why: '"**" excludes everything' };
  if (name.includes('**')) return { why: '"**" inside a name has no filter rule form' };
  if (name.startsWith('!')) return { why: 'negation has no filter rule form' };
  const bad = /[{}()|\\]/.exec(name);
  if (bad) return { why: `"${bad[0]}" (braces, extglobs, escapes) has no filter rule form; filter rules know *, ? and [...]` };
  const classes = name.match(/\[[^\]]*\]?/g) ?? [];
  for (const c of classes) {
    if (!c.endsWith(']')) return { why: `the character class "${c}" is not closed` };
    if (c.startsWith('[!') || c.startsWith('[^')) return { why: `the negated class "${c}" does not mean the same in scan.exclude (picomatch) and filter rules (fnmatch)` };
    if (c.includes('[:')) return { why: `the POSIX class "${c}" has no filter rule form` };
  }
  return name;
}
