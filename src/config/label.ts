/**
 * Transfer labels, as task_submit documents them: "The maximum length is 128
 * characters. Newline characters (\r or \n) and trailing or leading whitespace
 * are not allowed." (docs.globus.org/api/transfer/task_submit, label field).
 */
export const MAX_LABEL = 128;

/**
 * Fill the template, clean it (every control character becomes a space: the
 * documented \r and \n, and the rest, which the local server also refuses),
 * cut it to 128 characters, then trim it, so the cut cannot leave a trailing
 * space. The result may be empty only for a template that is blank once its
 * placeholders are removed; the config refuses those (labelTemplateProblem).
 */
export function renderLabel(template: string, name: string, at: Date): string {
  const iso = at.toISOString();
  const filled = template
    .replaceAll('{name}', name)
    .replaceAll('{date}', iso.slice(0, 10))
    .replaceAll('{time}', iso.slice(11, 19));
  // eslint-disable-next-line no-control-regex
  const cleaned = filled.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return [...cleaned].slice(0, MAX_LABEL).join('').trim();
}

/** Why a template cannot make a label Globus accepts, or null. {name} and {date} are never empty, so one sample decides. */
export function labelTemplateProblem(template: string): string | null {
  return renderLabel(template, 'x', new Date(0)) === '' ? 'is blank once filled and trimmed, and Globus refuses an empty label: put text or {name} in it' : null;
}
