// src/protocols/svshm.ts in-process: the wire format, the helpers, option checking, and the
// protocol itself on private keys this test creates exclusively (never the lecture's
// 0x1234/0x5678 on the shared host; the end-to-end tests use those in private namespaces).
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run as runReaderCommand } from '../../commands/svshm-reader.js';
import { run as runWriterCommand } from '../../commands/svshm-writer.js';
import type { CommandContext } from '../../src/cli/context.js';
import { UsageError } from '../../src/cli/exit.js';
import { SemaphoreSet, SharedMemory } from '../../src/ipc/index.js';
import { procState } from '../../src/proc/liveness.js';
import {
  alive,
  BUF_SIZE,
  hexKey,
  progressReporter,
  READ_SEM,
  readCnt,
  runReader,
  runWriter,
  SEM_KEY,
  SHM_KEY,
  segmentSize,
  TransferError,
  WRITE_SEM,
  writeCnt,
} from '../../src/protocols/svshm.js';
import { runFastReader, runFastWriter } from '../../src/protocols/svshm-fast.js';
import {
  FAST_HEADER_SIZE,
  FAST_NSEMS,
  FAST_VERSION,
  fastSegmentSize,
  fastSlotSize,
  readHeader,
  writeHeader,
} from '../../src/protocols/svshm-fast-layout.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('svshm-unit-');

/** Two keys nobody uses (checked by creating exclusively). */
function privateKeys(): { shmKey: number; semKey: number } {
  const base = 0x5a000000 + randomInt(0, 0xffffff) * 2;
  return { shmKey: base, semKey: base + 1 };
}

/**
 * `data` from a file through the writer and reader `start` runs on its descriptors to another
 * file; checks that file holds exactly `data` and that the writer removed both objects.
 * Returns what `start`'s promise gave.
 */
async function transferFile<T>(
  name: string,
  data: Buffer,
  keys: { shmKey: number; semKey: number },
  start: (inFd: number, outFd: number) => Promise<T>,
): Promise<T> {
  const inPath = join(dir, `${name}-in`);
  const outPath = join(dir, `${name}-out`);
  writeFileSync(inPath, data);
  const inFd = openSync(inPath, 'r');
  const outFd = openSync(outPath, 'w');
  let result: T;
  try {
    result = await start(inFd, outFd);
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
  expect(readFileSync(outPath).equals(data)).toBe(true);
  expect(() => SharedMemory.get(keys.shmKey, 0)).toThrow(/ENOENT/);
  expect(() => SemaphoreSet.get(keys.semKey, 0)).toThrow(/ENOENT/);
  return result;
}

function ctx(argv: string[]): CommandContext & { err: () => string } {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => {
    err += String(d);
  });
  return {
    prog: 'svipc svshm-test',
    argv,
    stdin: new PassThrough() as unknown as CommandContext['stdin'],
    stdout: new PassThrough() as unknown as CommandContext['stdout'],
    stderr: stderr as unknown as CommandContext['stderr'],
    env: {},
    signal: new AbortController().signal,
    err: () => err,
  };
}

describe('svshm wire format', () => {
  it("is the lecture's: keys, permissions, semaphore indexes, struct shmseg", () => {
    expect([SHM_KEY, SEM_KEY, WRITE_SEM, READ_SEM, BUF_SIZE]).toEqual([0x1234, 0x5678, 0, 1, 10240]);
    expect(segmentSize()).toBe(10244); // sizeof(struct shmseg) on Linux
    expect(segmentSize(1 << 20)).toBe(4 + (1 << 20));
    expect(hexKey(SHM_KEY)).toBe('0x1234');
  });

  it('cnt is a native-order int at offset 0', () => {
    const b = Buffer.alloc(8);
    writeCnt(b, 10240);
    expect(readCnt(b)).toBe(10240);
    expect(new Int32Array(b.buffer, b.byteOffset, 1)[0]).toBe(10240);
    writeCnt(b, 0);
    expect(readCnt(b)).toBe(0);
  });

  it('alive() tells live pids from gone ones', () => {
    expect(alive(process.pid)).toBe(true);
    expect(alive(0)).toBe(false);
    expect(alive(0x3fffffff)).toBe(false);
  });

  it('--progress rewrites one line and clears it when done', () => {
    let out = '';
    const p = progressReporter({ write: (s: string) => (out += s) }, 'sent');
    p({ bytes: 3 * 1024 * 1024, xfrs: 300 }, false);
    const CLEAR = '\r\x1b[K';
    expect(out.startsWith(CLEAR)).toBe(true);
    expect(out.slice(CLEAR.length)).toMatch(/^sent 3\.0 MiB \(300 xfrs\), [\d.]+ MiB\/s$/);
    p({ bytes: 3 * 1024 * 1024, xfrs: 300 }, true);
    expect(out.endsWith(CLEAR)).toBe(true);
  });
});

describe('svshm commands: option checking (usage errors, exit 2)', () => {
  it.each([
    [['--buffer-size', '0'], /invalid buffer size: '0'/],
    [['--buffer-size', '2000000000'], /invalid buffer size/],
    [['--shm-key', 'xyz'], /invalid key: 'xyz'/],
    [['--sem-key', '0'], /keys must not be 0/],
    [['--timeout', 'soon'], /invalid timeout: 'soon'/],
  ])('writer %j', async (argv, message) => {
    await expect(runWriterCommand(ctx(argv))).rejects.toThrow(message);
    await expect(runWriterCommand(ctx(argv))).rejects.toBeInstanceOf(UsageError);
  });

  it('reader: a bad --timeout or --buffer-size is a usage error; an unknown option exits 2', async () => {
    await expect(runReaderCommand(ctx(['--timeout', '-1']))).rejects.toThrow(/invalid timeout/);
    await expect(runReaderCommand(ctx(['--buffer-size', 'x']))).rejects.toThrow(/invalid buffer size/);
    const c = ctx(['--bogus']);
    expect(await runReaderCommand(c)).toBe(2);
    expect(c.err()).toMatch(/unknown option '--bogus'/);
  });
});

describe('svshm protocol in-process, on private keys', () => {
  it('writer and reader in one process move the exact bytes, in turns of --buffer-size', async () => {
    const keys = privateKeys();
    const data = randomBytes(1000);
    let ready: { bufSize: number } | undefined;
    const [w, r] = await transferFile('lecture', data, keys, (inFd, outFd) => {
      const reader = runReader({ ...keys, outputFd: outFd, timeoutMs: 10_000 });
      const writer = runWriter({
        ...keys,
        bufferSize: 100,
        inputFd: inFd,
        reclaim: false, // never remove anything this test did not create
        onReady: (r) => (ready = r),
      });
      return Promise.all([writer, reader]);
    });
    expect(ready?.bufSize).toBe(100);
    expect(w).toEqual({ bytes: 1000, xfrs: 10 });
    expect(r).toEqual({ bytes: 1000, xfrs: 10 });
  });

  it('the reader refuses a cnt larger than the segment (the C reader would read past it)', async () => {
    const keys = privateKeys();
    // A fake writer: the objects, attached, initialized, otime set, a corrupt cnt, V(R).
    const shm = SharedMemory.create(segmentSize(64), { key: keys.shmKey, mode: 0o600 });
    const att = shm.attach();
    const sem = SemaphoreSet.create(2, { key: keys.semKey, mode: 0o600 });
    try {
      sem.setAll([1, 0]);
      sem.op([{ num: WRITE_SEM, op: -1 }]);
      writeCnt(att.buffer, 65);
      sem.op([{ num: READ_SEM, op: 1 }]);
      const out = openSync('/dev/null', 'w');
      try {
        await expect(runReader({ ...keys, outputFd: out, timeoutMs: 2000 })).rejects.toThrow(
          /corrupt segment: cnt = 65, the buffer holds 64 bytes/,
        );
      } finally {
        closeSync(out);
      }
      // It detached: only our attachment is left.
      expect(shm.stat().nattch).toBe(1);
    } finally {
      sem.remove();
      att.detach();
      shm.remove();
    }
  });

  it('a writer finds its keys taken: TransferError naming the object, and removes what it made', async () => {
    const keys = privateKeys();
    const sem = SemaphoreSet.create(2, { key: keys.semKey, mode: 0o600 });
    try {
      const err = await runWriter({ ...keys, inputFd: 0, reclaim: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransferError);
      expect((err as Error).message).toMatch(/a semaphore set with key 0x[0-9a-f]+ already exists/);
      expect(() => SharedMemory.get(keys.shmKey, 0)).toThrow(/ENOENT/);
    } finally {
      sem.remove();
    }
  });

  it('an aborted reader wait ends at once (WaitAbortedError), nothing created', async () => {
    const keys = privateKeys();
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort('SIGINT'), 100);
    await expect(runReader({ ...keys, signal: ac.signal, timeoutMs: 10_000 })).rejects.toThrow(/interrupted/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('svshm --fast layout and protocol, on private keys', () => {
  it('slots are whole pages; the header starts with cnt 0, then the magic and the version', () => {
    expect(fastSlotSize(1)).toBe(FAST_HEADER_SIZE);
    expect(fastSlotSize(FAST_HEADER_SIZE)).toBe(FAST_HEADER_SIZE);
    expect(fastSlotSize(FAST_HEADER_SIZE + 1)).toBe(2 * FAST_HEADER_SIZE);
    const seg = Buffer.alloc(fastSegmentSize(2, 8192), 0xff);
    writeHeader(seg, { version: FAST_VERSION, slots: 2, slotSize: 8192 });
    expect(readCnt(seg)).toBe(0); // a lecture reader sees "EOF", writes nothing
    expect(seg.toString('latin1', 4, 12)).toBe('SVSHMFST');
    expect(readHeader(seg)).toEqual({ version: FAST_VERSION, slots: 2, slotSize: 8192 });
  });

  it('readHeader names what is wrong: no magic, another version, slots beyond the segment', () => {
    const seg = Buffer.alloc(fastSegmentSize(2, 8192));
    expect(readHeader(seg)).toMatch(/no svshm --fast header/);
    writeHeader(seg, { version: FAST_VERSION + 1, slots: 2, slotSize: 8192 });
    expect(readHeader(seg)).toBe(
      `the writer speaks svshm --fast version ${FAST_VERSION + 1}, this reader version ${FAST_VERSION}`,
    );
    writeHeader(seg, { version: FAST_VERSION, slots: 3, slotSize: 8192 });
    expect(readHeader(seg)).toMatch(/corrupt svshm --fast header: 3 slots of 8192 bytes/);
  });

  it('writer and reader in one process move the exact bytes through the ring, and remove both objects', async () => {
    const keys = privateKeys();
    const data = randomBytes(100_000);
    const [w, r] = await transferFile('fast', data, keys, (inFd, outFd) => {
      const reader = runFastReader({ ...keys, outputFd: outFd, timeoutMs: 10_000 });
      const writer = runFastWriter({ ...keys, bufferSize: 5000, slots: 3, inputFd: inFd });
      return Promise.all([writer, reader]);
    });
    // 5000 bytes round up to 8192 a slot: 13 turns for 100,000 bytes.
    expect(w).toEqual({ bytes: 100_000, xfrs: 13 });
    expect(r).toEqual({ bytes: 100_000, xfrs: 13 });
  });

  it('a --fast reader refuses another --fast version (the version semaphore) with one line', async () => {
    const keys = privateKeys();
    const shm = SharedMemory.create(fastSegmentSize(1, FAST_HEADER_SIZE), { key: keys.shmKey, mode: 0o600 });
    const att = shm.attach();
    const sem = SemaphoreSet.create(FAST_NSEMS, { key: keys.semKey, mode: 0o600 });
    try {
      sem.setAll([1, 0, FAST_VERSION + 1]);
      sem.op([{ num: 0, op: -1 }]); // otime != 0: "initialized"
      const err = await runFastReader({ ...keys, outputFd: 1, timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransferError);
      expect((err as Error).message).toBe(
        `the writer speaks svshm --fast version ${FAST_VERSION + 1}, this reader version ${FAST_VERSION}`,
      );
      expect(shm.stat().nattch).toBe(1); // it never attached
    } finally {
      sem.remove();
      att.detach();
      shm.remove();
    }
  });

  it('procState reads the state letter after the command name, even one holding ") "', () => {
    expect(procState('1234 (node) S 1 2 3')).toBe('S');
    expect(procState('99 (a) Z (b) Z 1')).toBe('Z');
    expect(procState('garbage')).toBe('');
  });
});
