// The util-linux text renderers against what /usr/bin/ipcs (util-linux 2.38.1) printed for
// the very objects whose /proc/sysvipc files are the fixtures (test/fixtures/proc/golden/,
// captured under LC_ALL=C TZ=UTC with the user and group names given to tableNames below).
import { beforeAll, describe, expect, it } from 'vitest';
import { segmentFromProc } from '../../src/ipc/inventory.js';
import { parseShmTable } from '../../src/proc/sysvipc.js';
import { sizeToHumanString } from '../../src/render/human.js';
import {
  type IpcsFormat,
  type IpcsUnit,
  ipcsHelp,
  printSize,
  renderQueueDetails,
  renderQueueLimits,
  renderQueues,
  renderQueueUsage,
  renderSegmentDetails,
  renderSegmentLimits,
  renderSegments,
  renderSegmentUsage,
  renderSemaphoreDetails,
  renderSemaphoreLimits,
  renderSemaphores,
  renderSemaphoreUsage,
} from '../../src/render/ipcs-text.js';
import { tableNames } from '../../src/render/names.js';
import { left, octalAlt, right, truncate, widthed } from '../../src/render/printf.js';
import { ctime, isoTime } from '../../src/render/time.js';
import {
  fixtureLimits,
  fixtureRecords,
  procFixture as read,
  USAGE_FIXTURE,
} from '../helpers/proc-fixtures.js';

const names = tableNames(
  { 0: 'root', 4545: 'averyveryverylongusername' },
  { 0: 'root', 4646: 'averyveryverylonggroupname' },
);
const { queues, segments, semaphores } = fixtureRecords();

beforeAll(() => {
  process.env.TZ = 'UTC';
});

function listing(format: IpcsFormat, unit: IpcsUnit): string {
  return (
    '\n' +
    renderQueues(queues, format, unit, names) +
    '\n' +
    renderSegments(segments, format, unit, names) +
    '\n' +
    renderSemaphores(semaphores, format, names) +
    '\n'
  );
}

describe('listings, as util-linux prints them', () => {
  const cases: [string, IpcsFormat, IpcsUnit][] = [
    ['ipcs_default.txt', 'default', 'default'],
    ['ipcs-t.txt', 'time', 'default'],
    ['ipcs-p.txt', 'pid', 'default'],
    ['ipcs-c.txt', 'creator', 'default'],
    ['ipcs-b.txt', 'default', 'bytes'],
    ['ipcs-human.txt', 'default', 'human'],
  ];
  for (const [file, format, unit] of cases) {
    it(`${file}: format ${format}, unit ${unit}`, () => {
      expect(listing(format, unit)).toBe(read(`golden/${file}`));
    });
  }

  it('the 14-column file renders the same listing', () => {
    const old = parseShmTable(read('shm-14col.txt')).map(segmentFromProc);
    expect(renderSegments(old, 'default', 'default', names)).toBe(
      renderSegments(segments, 'default', 'default', names),
    );
  });
});

describe('details (-i)', () => {
  const pid = 19904;
  it('a queue', () => {
    expect(renderQueueDetails({ ...queues[0]!, qbytes: 10000 }, 0, 'default')).toBe(
      read('golden/ipcs-i-q0.txt'),
    );
    expect(renderQueueDetails({ ...queues[2]!, qbytes: 16384 }, 2, 'human')).toBe(
      read('golden/ipcs-i-q2-human.txt'),
    );
  });

  it('a segment', () => {
    expect(renderSegmentDetails(segments[5]!, 5, 'default')).toBe(read('golden/ipcs-i-m5.txt'));
    expect(renderSegmentDetails(segments[13]!, 13, 'human')).toBe(read('golden/ipcs-i-m13-human.txt'));
  });

  it('a semaphore set, element by element', () => {
    const el = (semnum: number, value: number, ncount: number, zcount: number, p: number) => ({
      semnum,
      value,
      ncount,
      zcount,
      pid: p,
    });
    const s0 = {
      ...semaphores[0]!,
      elements: [el(0, 0, 1, 0, pid), el(1, 5, 0, 1, pid), el(2, 0, 0, 0, pid)],
    };
    expect(renderSemaphoreDetails(s0, 0)).toBe(read('golden/ipcs-i-s0.txt'));
    const s2 = {
      ...semaphores[2]!,
      elements: Array.from({ length: 7 }, (_, i) => el(i, i === 6 ? 32767 : 0, 0, 0, i === 6 ? pid : 0)),
    };
    expect(renderSemaphoreDetails(s2, 2)).toBe(read('golden/ipcs-i-s2.txt'));
  });
});

describe('limits (-l)', () => {
  const { queues: msg, segments: shm, semaphores: sem } = fixtureLimits();

  it('default units: kbytes for segments, with the overflow cap', () => {
    expect(renderSegmentLimits(shm, 'default')).toBe(
      '------ Shared Memory Limits --------\n' +
        'max number of segments = 4096\n' +
        'max seg size (kbytes) = 18014398509465599\n' +
        'max total shared memory (kbytes) = 18446744073709551612\n' +
        'min seg size (bytes) = 1\n',
    );
    expect(renderQueueLimits(msg, 'default')).toBe(
      '------ Messages Limits --------\n' +
        'max queues system wide = 32000\n' +
        'max size of message (bytes) = 8192\n' +
        'default max size of queue (bytes) = 16384\n',
    );
    expect(renderSemaphoreLimits(sem)).toBe(
      '------ Semaphore Limits --------\n' +
        'max number of arrays = 32000\n' +
        'max semaphores per array = 32000\n' +
        'max semaphores system wide = 1024000000\n' +
        'max ops per semop call = 500\n' +
        'semaphore max value = 32767\n',
    );
  });

  it('-b and --human', () => {
    expect(renderSegmentLimits(shm, 'bytes')).toContain(
      'max seg size (bytes) = 18446744073692774399\nmax total shared memory (bytes) = 18446744073709547520\n',
    );
    expect(renderSegmentLimits(shm, 'human')).toContain(
      'max seg size = 16E\nmax total shared memory = 16E\nmin seg size = 1B\n',
    );
    expect(renderQueueLimits(msg, 'human')).toContain(
      'max size of message = 8K\ndefault max size of queue = 16K\n',
    );
    expect(renderSegmentLimits({ ...shm, shmall: 2n, shmmax: 0n }, 'default')).toContain(
      'max seg size (kbytes) = 0\nmax total shared memory (kbytes) = 8\n',
    );
  });

  it('unavailable limits', () => {
    expect(renderQueueLimits(null, 'default')).toBe('unable to fetch message limits\n');
    expect(renderSegmentLimits(null, 'default')).toBe('unable to fetch shared memory limits\n');
    expect(renderSemaphoreLimits(null)).toBe('unable to fetch semaphore limits\n');
  });
});

describe('summaries (-u)', () => {
  const { queues: msg, segments: shm } = USAGE_FIXTURE;

  it('queues in each unit', () => {
    expect(renderQueueUsage(msg, 'default')).toBe(
      '------ Messages Status --------\nallocated queues = 1\nused headers = 3\nused space = 60 bytes\n',
    );
    expect(renderQueueUsage(msg, 'bytes')).toContain('used space (bytes) = 60\n');
    expect(renderQueueUsage({ ...msg, msgtql: 0 }, 'human')).toContain('used space = 0B\n');
    expect(renderQueueUsage(null, 'default')).toBe('kernel not configured for message queues\n');
  });

  it('segments and semaphores', () => {
    expect(renderSegmentUsage(shm)).toBe(
      '------ Shared Memory Status --------\n' +
        'segments allocated 2\npages allocated 246\npages resident  0\npages swapped   0\n' +
        'Swap performance: 0 attempts\t 0 successes\n',
    );
    const sem = { semusz: 1, semaem: 3 } as Parameters<typeof renderSemaphoreUsage>[0];
    expect(renderSemaphoreUsage(sem)).toBe(
      '------ Semaphore Status --------\nused arrays = 1\nallocated semaphores = 3\n',
    );
    expect(renderSegmentUsage(null)).toBe('kernel not configured for shared memory\n');
    expect(renderSemaphoreUsage(null)).toBe('kernel not configured for semaphores\n');
  });
});

describe('size_to_human_string', () => {
  it('matches util-linux 2.38.1 on the rounding edges', () => {
    const cases: [number | bigint, string][] = [
      [0, '0B'],
      [1, '1B'],
      [1023, '1023B'],
      [1024, '1K'],
      [1536, '1.5K'],
      [1984, '1.9K'],
      [1996, '1.9K'],
      [2047, '2K'],
      [1000000, '976.6K'],
      [1048575, '1024K'],
      [1048576, '1M'],
      [11010048, '10.5M'],
      [1181116006, '1.1G'],
      [8192, '8K'],
      [2n ** 60n, '1E'],
      [18446744073692774399n, '16E'],
      [18446744073709551615n, '16E'],
    ];
    for (const [n, s] of cases) expect([n, sizeToHumanString(n)]).toEqual([n, s]);
  });

  it('printSize: labels, widths and units', () => {
    expect(printSize('kbytes', 'max seg size', 2048n, '\n', 0)).toBe('max seg size (kbytes) = 2\n');
    expect(printSize('bytes', 'x=', 5, '\t', 0)).toBe('x=5\t');
    expect(printSize('default', null, 5, null, -10)).toBe('5         ');
    expect(printSize('human', null, 1984, '    ', 6)).toBe('  1.9K    ');
  });
});

describe('printf helpers and times', () => {
  it('pad and truncate by bytes', () => {
    expect(left('ab', 4)).toBe('ab  ');
    expect(right('ab', 4)).toBe('  ab');
    expect(left('abcdef', 3)).toBe('abcdef');
    expect(truncate('abcdef', 3)).toBe('abc');
    expect(left('é', 3)).toBe('é '); // 2 bytes + 1
    expect(truncate('aé', 2)).toBe('a');
    expect(widthed(7, 0)).toBe('7');
    // Numbers, and pads shorter and longer than the table of ready-made pads.
    expect(left(42, 10)).toBe('42        ');
    expect(right(-7, 4)).toBe('  -7');
    expect(left(1, 40)).toBe(`1${' '.repeat(39)}`);
    expect(right('x', 34)).toBe(`${' '.repeat(33)}x`);
    expect(left(123456, 3)).toBe('123456');
    expect(octalAlt(0)).toBe('0');
    expect(octalAlt(0o3600)).toBe('03600');
  });

  it('ctime and ISO times', () => {
    expect(ctime(1795521656)).toBe('Tue Nov 24 12:00:56 2026');
    expect(ctime(0)).toBe('Thu Jan  1 00:00:00 1970');
    expect(isoTime(1795521656)).toBe('2026-11-24T12:00:56Z');
    expect(isoTime(0)).toBeNull();
  });

  it('help text names the program', () => {
    expect(ipcsHelp('ipcs')).toContain(' ipcs -m|-q|-s -i <id>\n');
  });
});
