/**
 * An error and the errors it wraps through `cause`, outermost first. undici and
 * fetch wrap the socket error one or two levels down; the walk stops after
 * `depth` levels so a cycle of causes cannot hang it.
 */
export function* causeChain(err: unknown, depth = 4): Generator<object> {
  for (let e: unknown = err, level = 0; e !== null && typeof e === 'object' && level < depth; e = (e as { cause?: unknown }).cause, level++) {
    yield e;
  }
}
