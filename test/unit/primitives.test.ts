// The msg/sem/shm helpers in process: TARGET options, NUM:OP, bounds, --owner, the limits'
// wording, and the util-linux --help reader behind the completions.
import { constants } from 'node:os';
import { describe, expect, test } from 'vitest';
import { optionsFromHelp } from '../../src/cli/completion.js';
import { UsageError } from '../../src/cli/exit.js';
import { describeLimit, explain } from '../../src/cli/explain.js';
import { posixName, refuseOptions } from '../../src/cli/posix-primitives.js';
import { parsePosixOp } from '../../src/cli/posix-sem.js';
import { modeText, parseOwner, plural, waitOptions } from '../../src/cli/primitives.js';
import { parseOp } from '../../src/cli/sem-set.js';
import { checkRange, hexDump, isBinary } from '../../src/cli/shm-io.js';
import { keyOf, takeTarget } from '../../src/cli/target.js';
import { ipcError } from '../../src/ipc/errors.js';

describe('TARGET', () => {
  test('an id, a key, or an ftok path; never two', () => {
    expect(takeTarget('msg', {}, ['12', 'data'])).toEqual({
      target: { kind: 'msg', id: 12, label: 'message queue 12' },
      rest: ['data'],
    });
    expect(keyOf({ key: '0x1234' })).toBe(0x1234);
    expect(keyOf({ key: '010' })).toBe(8);
    expect(keyOf({ path: '/', proj: '1' })).toBe(keyOf({ path: '/' }));
    expect(() => keyOf({ key: '1', path: '/' })).toThrow('-k/--key and --path are exclusive');
    expect(() => keyOf({ proj: '1' })).toThrow('--proj needs --path');
    expect(() => takeTarget('sem', {}, [])).toThrow(UsageError);
    expect(() => takeTarget('shm', {}, ['x1'])).toThrow("invalid shared memory segment id: 'x1'");
  });
});

describe('values', () => {
  test('NUM:OP', () => {
    expect(parseOp('0:-1', false)).toEqual({ num: 0, op: -1, undo: false });
    expect(parseOp('3:+2', true)).toEqual({ num: 3, op: 2, undo: true });
    expect(parseOp('1:0', false)).toEqual({ num: 1, op: 0, undo: false });
    expect(() => parseOp('1', false)).toThrow('NUM:OP expected');
    expect(() => parseOp('a:1', false)).toThrow(UsageError);
    expect(() => parseOp('0:40000', false)).toThrow('larger than the maximum: SEMVMX = 32767');
  });

  test('--owner UID[:GID]', () => {
    expect(parseOwner('12:34')).toEqual({ uid: 12, gid: 34 });
    expect(parseOwner('12')).toEqual({ uid: 12 });
    expect(parseOwner(':34')).toEqual({ gid: 34 });
    expect(() => parseOwner('root')).toThrow(UsageError);
    expect(() => parseOwner(':')).toThrow(UsageError);
  });

  test('--nowait and --timeout', () => {
    const ctx = { signal: new AbortController().signal } as never;
    expect(waitOptions(ctx, { timeout: '0.25' }).timeout).toBe(250);
    expect(waitOptions(ctx, { nowait: true }).nowait).toBe(true);
    expect(() => waitOptions(ctx, { nowait: true, timeout: '1' })).toThrow('exclusive');
  });

  test('shared memory bounds', () => {
    expect(checkRange(1, 100, 0, undefined, 'read')).toBe(100);
    expect(checkRange(1, 100, 90, 10, 'read')).toBe(10);
    expect(checkRange(1, 100, 100, undefined, 'read')).toBe(0);
    expect(() => checkRange(1, 100, 90, 11, 'read')).toThrow(
      'cannot read 11 bytes at offset 90: shared memory segment 1 has 100 bytes (10 from offset 90 to its end)',
    );
    expect(() => checkRange(1, 100, 101, 0, 'write')).toThrow('offset 101 is beyond the end');
  });
});

describe('limits', () => {
  test('named with the value and the sysctl', () => {
    expect(describeLimit('msgmax')).toMatch(
      /^kernel\.msgmax = \d+ bytes \(change with: sysctl -w kernel\.msgmax=N\)$/,
    );
    expect(describeLimit('semmni')).toMatch(
      /^semmni = \d+ sets \(change with: sysctl -w kernel\.sem="SEMMSL SEMMNS SEMOPM SEMMNI", now "\d+ \d+ \d+ \d+"\)$/,
    );
    expect(describeLimit('semvmx')).toBe('SEMVMX = 32767 (a constant of the kernel; no sysctl changes it)');
  });
});

describe('completion', () => {
  test('util-linux --help option lines', () => {
    const help = [
      'Options:',
      ' -i, --id <id>  print details on resource identified by <id>',
      ' -a, --all[=shm|msg|sem]  remove all (in the specified category)',
      '     --human       show sizes in human-readable format',
      ' -Q, --queue              create message queue',
      '                            a continuation line',
      'For more details see ipcs(1).',
    ].join('\n');
    expect(optionsFromHelp(help)).toEqual([
      { short: '-i', long: '--id', value: true, description: 'print details on resource identified by <id>' },
      { short: '-a', long: '--all', value: false, description: 'remove all (in the specified category)' },
      { long: '--human', value: false, description: 'show sizes in human-readable format' },
      { short: '-Q', long: '--queue', value: false, description: 'create message queue' },
    ]);
  });
});

describe('msg peek errors', () => {
  test('a kernel without MSG_COPY (ENOSYS) is named with the option it lacks; E2BIG names the index', () => {
    const nosys = explain(ipcError('msgrcv', constants.errno.ENOSYS), { kind: 'msg', op: 'peek', id: 3 });
    expect((nosys as Error).message).toBe(
      'this kernel cannot copy a message without removing it (msgrcv MSG_COPY needs Linux 3.8+ built with CONFIG_CHECKPOINT_RESTORE)',
    );
    const big = explain(ipcError('msgrcv', constants.errno.E2BIG), {
      kind: 'msg',
      op: 'peek',
      id: 3,
      index: 2,
      maxSize: 10,
    });
    expect((big as Error).message).toBe(
      'message queue 3: the message at index 2 is longer than --max-size 10 bytes',
    );
  });
});

describe('output for people and the POSIX forms', () => {
  test('modeText: octal with its rwx form; plural', () => {
    expect(modeText(0o600)).toBe('0600 (rw-------)');
    expect(modeText(0o1640)).toBe('01640 (rw-r-----)'); // SHM_DEST-like status bits show in the octal
    expect(modeText(0o777)).toBe('0777 (rwxrwxrwx)');
    expect(plural(1, 'message')).toBe('1 message');
    expect(plural(2, 'message')).toBe('2 messages');
    expect(plural(1, 'attached process', 'attached processes')).toBe('1 attached process');
  });

  test("hexDump: hexdump -C's lines, repeated lines as one *", () => {
    const bytes = Buffer.concat([Buffer.from('hello'), Buffer.alloc(43)]);
    expect([...hexDump(bytes, 0x10)].join('')).toBe(
      '00000010  68 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00  |hello...........|\n' +
        '00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n' +
        '*\n' +
        '00000040\n',
    );
    expect([...hexDump(Buffer.alloc(0), 0)].join('')).toBe('');
  });

  test('isBinary: control bytes, DEL and invalid UTF-8 are binary; text with tabs and newlines is not', () => {
    expect(isBinary(Buffer.from('text\twith\r\nlines, é\n'))).toBe(false);
    expect(isBinary(Buffer.from([0x68, 0x00]))).toBe(true);
    expect(isBinary(Buffer.from([0x1b, 0x5b, 0x32, 0x4a]))).toBe(true); // an escape sequence
    expect(isBinary(Buffer.from([0xff, 0x41]))).toBe(true);
  });

  test('a TARGET /NAME is POSIX unless -k/--path make the first argument data', () => {
    expect(posixName({}, ['/q', 'data'])).toBe('/q');
    expect(posixName({}, ['3', '/data'])).toBeNull();
    expect(posixName({ key: '0x1234' }, ['/data'])).toBeNull();
    expect(() => posixName({}, ['/a/b'])).toThrow(UsageError);
    expect(() => posixName({}, ['/'])).toThrow("invalid POSIX name '/'");
    expect(() => refuseOptions({ type: '3' }, { type: '-t/--type' }, 'pmsg', 'posix')).toThrow(
      '-t/--type applies to System V message queues, not to POSIX ones (/NAME)',
    );
    expect(() => refuseOptions({ priority: '1' }, { priority: '--priority' }, 'pmsg', 'sysv')).toThrow(
      '--priority applies to POSIX message queues (/NAME), not to System V ones',
    );
    expect(() => refuseOptions({}, { type: '-t/--type' }, 'pmsg', 'posix')).not.toThrow();
  });

  test('sem op /NAME: -1 waits, +N posts N times; -2 and 0 are refused', () => {
    expect(parsePosixOp('-1')).toBe(-1);
    expect(parsePosixOp('+3')).toBe(3);
    expect(parsePosixOp('2')).toBe(2);
    expect(() => parsePosixOp('-2')).toThrow('taken one at a time');
    expect(() => parsePosixOp('0')).toThrow('no wait-for-zero');
    expect(() => parsePosixOp('0:-1')).toThrow(UsageError);
    expect(() => parsePosixOp(undefined)).toThrow('-1 (sem_wait) or +1 (sem_post)');
  });
});
