/**
 * Change lists as the filesystems' own engines write them, parsed into raw path
 * bytes. Paths stay Buffers until they are resolved against source.path: a name
 * need not be UTF-8, and the decision about such names belongs with the scanner's.
 */
export const CHANGE_FORMATS = ['lines', 'nul', 'gpfs'] as const;
export type ChangeFormat = (typeof CHANGE_FORMATS)[number];

export interface ParsedChangeList {
  paths: Buffer[];
  /** Entries that could not be read as a path, each with its 1-based record number. */
  bad: Array<{ record: number; message: string }>;
}

/**
 * lines: one path per line (a name holding a newline cannot be listed this way; use nul).
 * A trailing carriage return is part of the name, as for `rsync --files-from`: stripping it
 * would name a different file. nul: NUL-separated, as `find -print0` writes.
 * gpfs: mmapplypolicy LIST file lines, `inode gen snapid [show fields] -- /path`.
 * Empty records are ignored in every format.
 */
export function parseChangeList(data: Buffer, format: ChangeFormat): ParsedChangeList {
  const out: ParsedChangeList = { paths: [], bad: [] };
  const sep = format === 'nul' ? 0x00 : 0x0a;
  let start = 0;
  let record = 0;
  while (start <= data.length) {
    let end = data.indexOf(sep, start);
    if (end === -1) end = data.length;
    const rec = data.subarray(start, end);
    record++;
    start = end + 1;
    if (rec.length === 0) continue;
    if (format !== 'gpfs') {
      out.paths.push(Buffer.from(rec));
      continue;
    }
    const parsed = gpfsPath(rec);
    if (typeof parsed === 'string') out.bad.push({ record, message: parsed });
    else out.paths.push(parsed);
  }
  return out;
}

const DELIMITER = Buffer.from(' -- ');

/**
 * The path of one LIST file line. IBM Storage Scale, "File list format": `InodeNumber
 * GenNumber SnapId [OptionalShowArgs] -- FullPathToFile`, the "--" separating the show
 * fields from the path; the path is everything after the first " -- " (under ESCAPE the
 * show strings are escaped too, so a space cannot hide in them). Policy rule terms,
 * ESCAPE '%SpecialCharacters': path names are written "with a scheme based on RFC3986
 * URI percent encoding", every byte outside a-zA-Z0-9-_.~ and the listed extras as %XX;
 * decoding every %XX gives back the name's bytes, whatever they are.
 */
function gpfsPath(line: Buffer): Buffer | string {
  const at = line.indexOf(DELIMITER);
  if (at === -1) return 'no " -- " before the path (is this an mmapplypolicy LIST file?)';
  const head = line.subarray(0, at).toString('latin1').trim().split(/\s+/);
  if (head.length < 3 || !head.slice(0, 3).every((f) => /^\d+$/.test(f))) return 'does not start with inode, generation and snapshot id';
  const decoded = percentDecode(line.subarray(at + DELIMITER.length));
  if (decoded === null) return 'a % not followed by two hex digits in the path (list it with ESCAPE \'%\')';
  return decoded;
}

function percentDecode(raw: Buffer): Buffer | null {
  if (!raw.includes(0x25)) return Buffer.from(raw);
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b !== 0x25) {
      out[n++] = b;
      continue;
    }
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    out[n++] = parseInt(hex, 16);
    i += 2;
  }
  return out.subarray(0, n);
}
