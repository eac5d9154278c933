// svipc stdin2shm / shm2stdout against the lecture's C programs (test/peers/), every
// pairing, exact bytes; plus what the C programs lack (SIZE checked, clear errors, signals).
// Segments are IPC_PRIVATE, made here and removed after each test.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SharedMemory } from '../../src/ipc/index.js';
import { writeDataSize } from '../../src/protocols/shmseg.js';
import { removedAfterEach } from '../helpers/made.js';
import { buildPeer, CC_SKIP_REASON, hasCompiler, type RunResult, run, SVIPC, svipc } from '../helpers/run.js';

const made = removedAfterEach<SharedMemory>();

function segment(size: number): SharedMemory {
  const s = SharedMemory.create(size, { mode: 0o600 });
  made.push(s);
  return s;
}

const addr = (s: string) => s.replace(/0x[0-9a-f]+/g, '0xADDR');
const inMsg = (n: number) => `attached segment at: 0xADDR\nstdin -> shm: copied ${n} bytes\n`;
const outMsg = (n: number) => `attached segment at: 0xADDR\nshm -> stdout: copied ${n} bytes\n`;

type Side = 'svipc' | 'C';
const peers: Record<string, string> = {};
function writer(side: Side, id: number, size: number, input: Buffer): Promise<RunResult> {
  return side === 'svipc'
    ? svipc(['stdin2shm', String(id), String(size)], { input })
    : run(peers.stdin2shm!, [String(id), String(size)], { input });
}
function reader(side: Side, id: number, size: number): Promise<RunResult> {
  return side === 'svipc'
    ? svipc(['shm2stdout', String(id), String(size)])
    : run(peers.shm2stdout!, [String(id), String(size)]);
}

/** `svipc stdin2shm SHMID 4096` as a child whose stdin the test writes: its stderr so far, its exit. */
function stdin2shmChild(seg: SharedMemory) {
  const child = spawn(SVIPC, ['stdin2shm', String(seg.id), '4096'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<number | null>((r) => child.on('close', r));
  return { child, stderr: () => stderr, done };
}

describe('stdin2shm / shm2stdout (svipc both sides)', () => {
  it("copies the bytes in and out, with the lecture's messages", async () => {
    const seg = segment(4096);
    const data = randomBytes(3000);
    const w = await svipc(['stdin2shm', String(seg.id), '4096'], { input: data });
    expect(w.code).toBe(0);
    expect(addr(w.stderr)).toBe(inMsg(3000));
    const r = await svipc(['shm2stdout', String(seg.id), '4096']);
    expect(r.code).toBe(0);
    expect(addr(r.stderr)).toBe(outMsg(3000));
    expect(r.stdoutBuf.equals(data)).toBe(true);
  });

  it('copies min(input, SIZE - 4) bytes; SIZE may be less than the segment', async () => {
    const seg = segment(4096);
    const data = randomBytes(10000);
    const w = await svipc(['stdin2shm', String(seg.id), '4096'], { input: data });
    expect(addr(w.stderr)).toBe(inMsg(4092));
    expect(
      (await svipc(['shm2stdout', String(seg.id), '4096'])).stdoutBuf.equals(data.subarray(0, 4092)),
    ).toBe(true);
    const w2 = await svipc(['stdin2shm', String(seg.id), '100'], { input: data });
    expect(addr(w2.stderr)).toBe(inMsg(96));
    const r2 = await svipc(['shm2stdout', String(seg.id), '100']);
    expect(r2.stdoutBuf.equals(data.subarray(0, 96))).toBe(true);
  });

  it('SIZE defaults to the whole segment; empty input copies 0 bytes', async () => {
    const seg = segment(5000);
    const data = randomBytes(6000);
    expect(addr((await svipc(['stdin2shm', String(seg.id)], { input: data })).stderr)).toBe(inMsg(4996));
    expect((await svipc(['shm2stdout', String(seg.id)])).stdoutBuf.equals(data.subarray(0, 4996))).toBe(true);
    expect(addr((await svipc(['stdin2shm', String(seg.id)], { input: '' })).stderr)).toBe(inMsg(0));
    const r = await svipc(['shm2stdout', String(seg.id)]);
    expect(r.stdout).toBe('');
    expect(addr(r.stderr)).toBe(outMsg(0));
  });

  it('8 MiB through a pipe, read straight into the segment, exact bytes', async () => {
    const size = 8 << 20;
    const seg = segment(size + 4);
    const data = randomBytes(size);
    const w = await svipc(['stdin2shm', String(seg.id), String(size + 4)], { input: data });
    expect(addr(w.stderr)).toBe(inMsg(size));
    const r = await svipc(['shm2stdout', String(seg.id), String(size + 4)]);
    expect(r.stdoutBuf.equals(data)).toBe(true);
  });

  it('input arriving in pieces: the header counts as it goes, all bytes land', async () => {
    const seg = segment(4096);
    const { child, stderr, done } = stdin2shmChild(seg);
    const parts = [randomBytes(100), randomBytes(200), randomBytes(300)];
    for (const p of parts) {
      child.stdin.write(p);
      await new Promise((r) => setTimeout(r, 150));
    }
    child.stdin.end();
    expect(await done).toBe(0);
    expect(addr(stderr())).toBe(inMsg(600));
    const r = await svipc(['shm2stdout', String(seg.id), '4096']);
    expect(r.stdoutBuf.equals(Buffer.concat(parts))).toBe(true);
  });

  it('SIGINT while stdin2shm waits for input: exit 130 at once, no stack trace', async () => {
    const seg = segment(4096);
    const { child, stderr, done } = stdin2shmChild(seg);
    await new Promise<void>((r) => {
      const check = () => (stderr().includes('attached') ? r() : setTimeout(check, 10));
      check();
    });
    const t0 = performance.now();
    child.kill('SIGINT');
    expect(await done).toBe(130);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(addr(stderr())).toBe('attached segment at: 0xADDR\n');
    child.stdin.destroy();
  });

  it('SIZE larger than the segment: refused (the C original overruns it)', async () => {
    const seg = segment(4096);
    for (const cmd of ['stdin2shm', 'shm2stdout']) {
      const r = await svipc([cmd, String(seg.id), '8192'], { input: 'x' });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `svipc ${cmd}: SIZE 8192 is larger than shared memory segment ${seg.id} (4096 bytes)\n`,
      );
    }
    expect(seg.stat().nattch).toBe(0);
  });

  it('a bad id or SIZE: clear errors', async () => {
    for (const cmd of ['stdin2shm', 'shm2stdout']) {
      const r = await svipc([cmd, '2147483647', '100']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`svipc ${cmd}: no shared memory segment with id 2147483647\n`);
      expect((await svipc([cmd, 'abc', '100'])).code).toBe(2);
      expect((await svipc([cmd, '1', '3'])).code).toBe(2);
      expect((await svipc([cmd, '1', '-5'])).code).toBe(2);
      expect((await svipc([cmd])).code).toBe(2);
    }
  });

  it('shm2stdout: a header larger than SIZE - 4 is bounded (warning); a negative one is an error', async () => {
    const seg = segment(100);
    const att = seg.attach();
    att.buffer.fill(0x41);
    writeDataSize(att.buffer, 1000);
    const r = await svipc(['shm2stdout', String(seg.id), '100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('A'.repeat(96));
    expect(r.stderr).toMatch(/warning: the header says 1000 bytes, only 96 fit in SIZE 100/);
    writeDataSize(att.buffer, -1);
    att.detach();
    const bad = await svipc(['shm2stdout', String(seg.id), '100']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/corrupt header: size -1 is negative/);
  });

  it('--trace: shmat, each read into the segment with its bytes, shmdt', async () => {
    const seg = segment(4096);
    const r = await svipc(['stdin2shm', '--trace', String(seg.id), '4096'], { input: 'hi' });
    const pid = (s: string) => s.replace(/^\[\d+ /gm, '[PID ');
    expect(pid(addr(r.stderr))).toBe(
      `[PID stdin2shm] shmat(shmid=${seg.id}, NULL, 0) -> 0xADDR\n` +
        'attached segment at: 0xADDR\n' +
        '[PID stdin2shm] read(fd=0, shmp->buf + 0, 4092) -> 2 "hi"\n' +
        '[PID stdin2shm] read(fd=0, shmp->buf + 2, 4090) -> 0\n' +
        'stdin -> shm: copied 2 bytes\n' +
        '[PID stdin2shm] shmdt(0xADDR) -> 0\n',
    );
    const out = await svipc(['shm2stdout', '--trace=all', String(seg.id), '4096']);
    expect(pid(addr(out.stderr))).toBe(
      `[PID shm2stdout] shmctl(shmid=${seg.id}, cmd=IPC_STAT) -> 0\n` +
        `[PID shm2stdout] shmat(shmid=${seg.id}, NULL, SHM_RDONLY) -> 0xADDR\n` +
        'attached segment at: 0xADDR\n' +
        '[PID shm2stdout] write(fd=1, shmp->buf + 0, 2) -> 2 "hi"\n' +
        'shm -> stdout: copied 2 bytes\n' +
        '[PID shm2stdout] shmdt(0xADDR) -> 0\n',
    );
  });
});

describe.skipIf(!hasCompiler())("stdin2shm / shm2stdout with the lecture's C programs", () => {
  beforeAll(() => {
    peers.stdin2shm = buildPeer('stdin2shm');
    peers.shm2stdout = buildPeer('shm2stdout');
  });

  const sides: Side[] = ['svipc', 'C'];
  for (const w of sides) {
    for (const r of sides) {
      it(`${w} stdin2shm -> ${r} shm2stdout: exact bytes, same messages`, async () => {
        for (const [segSize, n] of [
          [4096, 3000],
          [4096, 4092],
          [4096, 10000],
          [1 << 20, 1 << 20],
          [65536, 0],
        ] as const) {
          const seg = segment(segSize);
          const data = randomBytes(n);
          const expected = Math.min(n, segSize - 4);
          const wr = await writer(w, seg.id, segSize, data);
          expect(wr.code).toBe(0);
          expect(addr(wr.stderr)).toBe(inMsg(expected));
          const rd = await reader(r, seg.id, segSize);
          expect(rd.code).toBe(0);
          expect(addr(rd.stderr)).toBe(outMsg(expected));
          expect(rd.stdoutBuf.equals(data.subarray(0, expected))).toBe(true);
        }
      });
    }
  }
});

if (!hasCompiler()) {
  describe('stdin2shm / shm2stdout with the C peers', () => {
    it.skip(CC_SKIP_REASON, () => {});
  });
}
