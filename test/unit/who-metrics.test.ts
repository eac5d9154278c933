// The pure parts of `svipc who` and `svipc metrics`: the /proc parsers they add, the sembuf
// array, the Prometheus text format, the --listen address.
import { describe, expect, test } from 'vitest';
import { parseListen } from '../../src/cli/values.js';
import { parseMapsSysvRanges, parseSembufs, parseSyscallArgs } from '../../src/proc/holders.js';
import { exposition } from '../../src/render/prometheus.js';

describe('who parsers', () => {
  test('maps: every /SYSV mapping with its range and perms, other lines ignored', () => {
    const maps = [
      '55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 131 /usr/bin/node',
      '7f16c008f000-7f16c0091000 rw-s 00000000 00:01 32769                      /SYSV00001234 (deleted)',
      '7f16c0100000-7f16c0101000 r--s 00000000 00:01 5                          /SYSV00000000 (deleted)',
      '7f16c0200000-7f16c0201000 rw-s 00000000 00:01 6                          /SYSV00000000',
    ].join('\n');
    expect(parseMapsSysvRanges(maps)).toEqual([
      { id: 32769, start: 0x7f16c008f000n, end: 0x7f16c0091000n, perms: 'rw-s' },
      { id: 5, start: 0x7f16c0100000n, end: 0x7f16c0101000n, perms: 'r--s' },
    ]);
  });

  test('syscall: the six arguments of a call; null when running or outside a call', () => {
    expect(parseSyscallArgs('220 0x3 0x7ffd1234 0x2 0x0 0x0 0x0 0x7ffd0000 0x7f00000')).toEqual([
      3n,
      0x7ffd1234n,
      2n,
      0n,
      0n,
      0n,
    ]);
    expect(parseSyscallArgs('running')).toBeNull();
    expect(parseSyscallArgs('-1 0x7ffd0000 0x7f00000')).toBeNull();
  });

  test('sembuf: unsigned semnum, signed op, flags; both byte orders', () => {
    const le = Buffer.from([2, 0, 0xfd, 0xff, 0, 0x10, 0, 0, 0, 0, 0, 0]);
    expect(parseSembufs(le, true)).toEqual([
      { semnum: 2, op: -3, flags: 0x1000 },
      { semnum: 0, op: 0, flags: 0 },
    ]);
    expect(parseSembufs(Buffer.from([0, 1, 0, 5, 0x08, 0]), false)).toEqual([
      { semnum: 1, op: 5, flags: 0x800 },
    ]);
  });
});

describe('Prometheus text format', () => {
  test('HELP and TYPE per family, escaped label values and help, exact integers, empty families left out', () => {
    const text = exposition([
      {
        name: 'svipc_x',
        help: 'a \\ b\nc',
        type: 'gauge',
        samples: [
          { labels: { owner: 'we"ird\\\n' }, value: 18446744073692774399n },
          { value: 0.25 },
          { value: Number.NaN },
        ],
      },
      { name: 'svipc_empty', help: 'nothing', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe(
      '# HELP svipc_x a \\\\ b\\nc\n# TYPE svipc_x gauge\n' +
        'svipc_x{owner="we\\"ird\\\\\\n"} 18446744073692774399\nsvipc_x 0.25\nsvipc_x NaN\n',
    );
  });

  test('--listen: HOST:PORT, [IPv6]:PORT, :PORT; anything else is a usage error', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9464')).toEqual({ host: undefined, port: 9464 });
    for (const bad of ['9464', 'host:', 'h:70000', '::1:80'])
      expect(() => parseListen(bad), bad).toThrow(/--listen/);
  });
});
