const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** null when the bytes are not valid UTF-8: such a name cannot be written in a Globus request. */
export function decodeName(raw: Buffer): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

/** A name shown safely on one line: printable ASCII as is, every other byte as \xNN. */
export function escapeName(raw: Buffer | string): string {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}
