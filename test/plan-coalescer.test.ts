import { describe, expect, it } from 'vitest';
import { Coalescer, type TransferItem } from '../src/plan/coalescer.js';
import { mapPath } from '../src/plan/paths.js';
import type { Verdict } from '../src/scan/change-rule.js';

const mapping = { sourceRoot: '/~/data', destinationRoot: '/archive/run1' };

/** A tiny event language: 'D name shipped?' enters a directory, '<' leaves it, 'F path verdict size' a file, 'H path reason' a held entry. */
function run(script: string[]): string[] {
  const items: TransferItem[] = [];
  const c = new Coalescer(mapping, (i) => items.push(i));
  let id = 1;
  for (const line of script) {
    const [op, a = '', b = ''] = line.split(' ');
    if (op === 'D') c.enterDir({ relPath: a === '.' ? '' : a, nodeId: id++, shipped: b === 'shipped' });
    else if (op === '<') c.leaveDir();
    else if (op === 'F') c.file({ relPath: a, nodeId: id++, size: 10n, verdict: b as Verdict });
    else if (op === 'H') c.held(a, 'excluded');
  }
  return items.map((i) => `${i.recursive ? 'R' : 'F'} ${i.relPath} ${i.files}/${i.bytes}`);
}

describe('coalescer', () => {
  it('a fresh tree is one recursive item for the source directory, counting every file under it', () => {
    expect(run(['D .', 'F a new', 'D d', 'F d/b new', 'D d/e', 'F d/e/c new', '<', '<', '<'])).toEqual(['R  3/30']);
  });

  it('a new subdirectory in a shipped tree is one recursive item, beside the changed files', () => {
    expect(run(['D . shipped', 'F a clean', 'F b changed', 'D new', 'F new/x new', 'F new/y new', '<', '<'])).toEqual(['F b 1/10', 'R new 2/20']);
  });

  it('a new empty directory is a recursive item', () => {
    expect(run(['D . shipped', 'D empty', '<', '<'])).toEqual(['R empty 0/0']);
  });

  it('anything held back under a fresh directory turns it into file items, and spoils every directory above', () => {
    expect(run(['D .', 'F a new', 'D d', 'F d/b new', 'D d/f', 'F d/f/x new', '<', 'H d/skip.tmp', '<', '<'])).toEqual([
      'F a 1/10',
      'F d/b 1/10',
      'R d/f 1/10',
    ]);
  });

  it('a shipped file (clean or changed) under an unshipped directory also rules out recursion', () => {
    expect(run(['D .', 'D d', 'F d/a new', 'F d/b changed', '<', '<'])).toEqual(['F d/a 1/10', 'F d/b 1/10']);
    expect(run(['D .', 'D d', 'F d/a new', 'F d/b clean', '<', '<'])).toEqual(['F d/a 1/10']);
  });

  it('a shipped directory is never recursive itself, but its fresh children are', () => {
    expect(run(['D . shipped', 'D old shipped', 'D old/new', 'F old/new/x new', '<', '<', '<'])).toEqual(['R old/new 1/10']);
  });

  it('maps paths onto both collections; directories end in /', () => {
    expect(mapPath('a b/c', false, mapping)).toEqual({ source_path: '/~/data/a b/c', destination_path: '/archive/run1/a b/c' });
    expect(mapPath('d', true, mapping)).toEqual({ source_path: '/~/data/d/', destination_path: '/archive/run1/d/' });
    expect(mapPath('', true, mapping)).toEqual({ source_path: '/~/data/', destination_path: '/archive/run1/' });
    expect(mapPath('x', false, { sourceRoot: '/', destinationRoot: '/dst/' })).toEqual({ source_path: '/x', destination_path: '/dst/x' });
  });
});
