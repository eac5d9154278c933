// svipc shm-list-writer / shm-list-reader against the lecture's C programs, in private IPC
// namespaces (their key 0x1234 is fixed and shared with other tests on a host); and the
// reader's checks of a corrupt segment, on the host with fresh keys made by this file.
import { describe, expect, it } from 'vitest';
import { isIpcError, SharedMemory } from '../../src/ipc/index.js';
import { ELEMENT_SIZE, NEXT_OFFSET } from '../../src/protocols/shm-list.js';
import { writeNativeInt32, writeNativeInt64 } from '../../src/protocols/shmseg.js';
import { removedAfterEach } from '../helpers/made.js';
import {
  buildPeer,
  CC_SKIP_REASON,
  canUnshare,
  hasCompiler,
  inNamespace,
  reportSkipped,
  svipc,
  UNSHARE_SKIP_REASON,
} from '../helpers/run.js';

const addr = (s: string) => s.replace(/0x[0-9a-f]+/g, '0xADDR');
const WRITER_OUT =
  'list attached at 0xADDR\nlist_init: top=0xADDR, len=1000\n' +
  'allocated 0xADDR (length: 1)\nallocated 0xADDR (length: 2)\nallocated 0xADDR (length: 3)\n' +
  '[common] visit list: 13 17 42 \n';
const READER_OUT = 'list attached at 0xADDR\n[common] visit list: 13 17 42 \n';

/** Sections of a namespace script's output, split on lines "== name". */
function sections(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  let cur = '';
  for (const line of out.split('\n').slice(0, -1)) {
    const m = /^== (.*)$/.exec(line);
    if (m) {
      cur = m[1]!;
      r[cur] = '';
    } else r[cur] = `${r[cur] ?? ''}${line}\n`;
  }
  return r;
}

const STATE = `awk 'FNR>1' /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg | wc -l`;

describe.skipIf(!canUnshare())('shm-list in a private namespace (key 0x1234)', () => {
  it("svipc writer -> svipc reader: the lecture's output; the segment stays until ipcrm", async () => {
    const r = await inNamespace(
      `echo "== writer"; "$SVIPC" shm-list-writer
       echo "== reader"; "$SVIPC" shm-list-reader
       echo "== seg"; awk 'NR>1 {print $1, $3, $4}' /proc/sysvipc/shm
       "$SVIPC" ipcrm -M 0x1234 || ipcrm -M 0x1234
       echo "== left"; ${STATE}`,
    );
    expect(r.code, r.stderr).toBe(0);
    const s = sections(r.stdout);
    expect(addr(s.writer!)).toBe(WRITER_OUT);
    expect(addr(s.reader!)).toBe(READER_OUT);
    // key 0x1234 = 4660, mode 0660, 1000 elements of 16 bytes
    expect(s.seg).toBe('4660 660 16000\n');
    expect(s.left!.trim()).toBe('0');
  });

  it.skipIf(!hasCompiler())('every pairing with the C writer and reader', async () => {
    const cw = buildPeer('shm-list-writer');
    const cr = buildPeer('shm-list-reader');
    const pairs: [string, string, string][] = [
      ['svipc->C', '"$SVIPC" shm-list-writer', `"${cr}"`],
      ['C->svipc', `"${cw}"`, '"$SVIPC" shm-list-reader'],
      ['C->C', `"${cw}"`, `"${cr}"`],
    ];
    for (const [name, w, rd] of pairs) {
      const r = await inNamespace(
        `echo "== writer"; ${w}
         echo "== reader"; ${rd}
         echo "== left"; ipcrm -M 0x1234; ${STATE}`,
      );
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const s = sections(r.stdout);
      expect(addr(s.writer!), name).toBe(WRITER_OUT);
      expect(addr(s.reader!), name).toBe(READER_OUT);
      expect(s.left!.trim()).toBe('0');
    }
  });

  it.skipIf(!hasCompiler())(
    "the C reader walks a list of svipc's values (offsets, not addresses)",
    async () => {
      const cr = buildPeer('shm-list-reader');
      const r = await inNamespace(`"$SVIPC" shm-list-writer -q -- -7 0 2147483647 -2147483648 5 && "${cr}"`);
      expect(r.code, r.stderr).toBe(0);
      expect(addr(r.stdout)).toBe(
        '[common] visit list: -7 0 2147483647 -2147483648 5 \nlist attached at 0xADDR\n' +
          '[common] visit list: -7 0 2147483647 -2147483648 5 \n',
      );
    },
  );

  it('no segment: the reader says so (exit 1)', async () => {
    const r = await inNamespace(`"$SVIPC" shm-list-reader; echo "rc=$?"`);
    expect(r.stdout).toBe('rc=1\n');
    expect(r.stderr).toBe(
      'svipc shm-list-reader: list_get error: no shared memory segment of key 0x00001234 (run shm-list-writer first)\n',
    );
  });
});

reportSkipped(canUnshare(), 'shm-list in a private namespace', UNSHARE_SKIP_REASON);
reportSkipped(hasCompiler(), 'shm-list with the C peers', CC_SKIP_REASON);

// ---- on the host, with keys this file creates exclusively ------------------------------

const made = removedAfterEach<SharedMemory>();

/** A segment of `size` bytes with a fresh key, created (exclusively) by this test. */
function keyed(size: number): { seg: SharedMemory; key: string } {
  for (;;) {
    const key = 0x20000000 + Math.floor(Math.random() * 0x1fffffff);
    try {
      const seg = SharedMemory.create(size, { key, mode: 0o600 });
      made.push(seg);
      return { seg, key: `0x${key.toString(16)}` };
    } catch (e) {
      if (!isIpcError(e, 'EEXIST')) throw e;
    }
  }
}

describe('shm-list-reader checks every offset', () => {
  let seg: SharedMemory;
  let key: string;

  async function corruptWith(at: number, next: bigint) {
    ({ seg, key } = keyed(1000 * ELEMENT_SIZE));
    expect((await svipc(['shm-list-writer', '--key', key, '-q'])).code).toBe(0);
    const att = seg.attach();
    writeNativeInt64(att.buffer, next, at + NEXT_OFFSET);
    att.detach();
    const t0 = performance.now();
    const r = await svipc(['shm-list-reader', '--key', key], { timeoutMs: 10_000 });
    expect(performance.now() - t0).toBeLessThan(5000);
    return r;
  }

  const cases: [string, number, bigint, string][] = [
    ['a cycle', 32, 16n, 'element 3 (offset 32): next offset 16 points back into the list (a cycle)'],
    ['a self loop', 16, 16n, 'element 2 (offset 16): next offset 16 points back into the list (a cycle)'],
    [
      'out of bounds',
      16,
      1n << 40n,
      'element 2 (offset 16): next offset 1099511627776 is outside the segment (16000 bytes)',
    ],
    ['negative', 0, -32n, 'element 1 (offset 0): next offset -32 is outside the segment (16000 bytes)'],
    [
      'misaligned',
      16,
      40n,
      'element 2 (offset 16): next offset 40 is not at an element boundary (a multiple of 16)',
    ],
    ['an address', 16, 0x7f0000001000n, 'outside the segment'],
  ];
  for (const [what, at, next, msg] of cases) {
    it(`${what}: a clear error, exit 1, nothing on stdout but the address line`, async () => {
      const r = await corruptWith(at, next);
      expect(r.code).toBe(1);
      expect(addr(r.stdout)).toBe('list attached at 0xADDR\n');
      expect(r.stderr).toContain(`svipc shm-list-reader: corrupt list in segment ${seg.id} (key ${key}`);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.split('\n')).toHaveLength(2);
    });
  }

  it('a segment too small for one element', async () => {
    const k = keyed(8);
    const r = await svipc(['shm-list-reader', '--key', k.key]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /segment \d+ is 8 bytes, too small for shm-list \(struct list\) \(needs at least 16\)/,
    );
  });

  it('a list that fills the whole segment is fine; one more value is ENOMEM', async () => {
    const k = keyed(4 * ELEMENT_SIZE);
    const ok = await svipc(['shm-list-writer', '--key', k.key, '--length', '4', '-q', '1', '2', '3', '4']);
    expect(ok.stdout).toBe('[common] visit list: 1 2 3 4 \n');
    const full = await svipc(['shm-list-writer', '--key', k.key, '--length', '4', '1', '2', '3', '4', '5']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/list_append: Cannot allocate memory/);
    // the default list_init(1000) does not fit in this 64-byte segment
    const small = await svipc(['shm-list-writer', '--key', k.key]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/exists and is smaller \(64 bytes\) than the 16000 bytes asked for/);
  });

  it('--trace and a hand-made list', async () => {
    const k = keyed(3 * ELEMENT_SIZE);
    const att = k.seg.attach();
    // head at 0 -> element at 32 -> element at 16 -> end
    writeNativeInt32(att.buffer, 1, 0);
    writeNativeInt64(att.buffer, 32n, 8);
    writeNativeInt32(att.buffer, 3, 16);
    writeNativeInt64(att.buffer, 0n, 24);
    writeNativeInt32(att.buffer, 2, 32);
    writeNativeInt64(att.buffer, 16n, 40);
    att.detach();
    const r = await svipc(['shm-list-reader', '--key', k.key, '--trace', '-q']);
    expect(r.stdout).toBe('[common] visit list: 1 2 3 \n');
    const lines = r.stderr.replace(/^\[\d+ /gm, '[PID ').split('\n');
    const key = `0x${Number(k.key).toString(16).padStart(8, '0')}`;
    expect(lines[0]).toBe(`[PID shm-list-reader] shmget(key=${key}, size=0, flags=0) -> ${k.seg.id}`);
    expect(addr(lines.slice(1).join('\n'))).toBe(
      `[PID shm-list-reader] shmat(shmid=${k.seg.id}, NULL, SHM_RDONLY) -> 0xADDR\n` +
        '[PID shm-list-reader] shmdt(0xADDR) -> 0\n',
    );
  });

  it('usage errors: exit 2', async () => {
    expect((await svipc(['shm-list-writer', 'x'])).code).toBe(2);
    expect((await svipc(['shm-list-writer', '--key', '0'])).code).toBe(2);
    expect((await svipc(['shm-list-writer', '4294967296'])).code).toBe(2);
    expect((await svipc(['shm-list-reader', 'extra'])).code).toBe(2);
    expect((await svipc(['shm-list-reader', '--key', 'zz'])).code).toBe(2);
  });
});
