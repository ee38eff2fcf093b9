import type { DeletePlan } from './plan-deletes.js';

/** What `gsync plan` says about deletes: one delete_item per line in --json, then one summary object. */
export function renderDeletePlan(plan: DeletePlan, json: boolean, itemize = false): string {
  const v = plan.verdict;
  const lines: string[] = [];
  if (json) {
    // -v (issue 31.13): the reason every itemized line carries.
    for (const t of plan.targets) lines.push(JSON.stringify({ DATA_TYPE: 'delete_item', path: t.path, ...(itemize ? { reason: 'delete' } : {}) }));
    lines.push(
      JSON.stringify({
        DATA_TYPE: 'gsync_plan_deletes',
        items: plan.targets.length,
        paths: plan.paths,
        tracked: plan.tracked,
        recursive: plan.targets.some((t) => t.shippedKind === 'd'),
        stopped_by: v.pass ? null : v.guard,
        limit: v.pass ? null : v.limit,
        waiting: plan.waiting,
        protected_by_errors: plan.protectedByErrors,
      }),
    );
    return lines.join('\n') + '\n';
  }
  for (const t of plan.targets) {
    // -v lines the paths up under the other reasons ("mtime-back " is the widest).
    lines.push(`${itemize ? 'delete     ' : 'delete '}${t.path}  (${t.shippedKind === 'd' ? `dir, ${t.paths} paths` : 'file'}${t.change === 'type' ? ', replaced by the other type' : ''})`);
  }
  const head = plan.targets.length === 0 ? 'nothing to delete' : `${plan.targets.length} item(s), ${plan.paths} of ${plan.tracked} shipped paths`;
  const guard = v.pass ? (v.overridden ? `; passes the ${v.overridden} guard only with --allow-deletes` : '') : `; STOPPED by the ${v.guard} guard: nothing would be deleted`;
  const extra = plan.protectedByErrors > 0 ? `; ${plan.protectedByErrors} kept because the scan could not read above them` : '';
  lines.push(`deletes: ${head}${guard}${extra}`);
  return lines.join('\n') + '\n';
}
