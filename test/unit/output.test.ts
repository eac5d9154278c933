// src/cli/output.ts in-process: written() settles only once a write is done and turns its
// failure into util-linux's "write error: <strerror>"; drained() hands an unreported failure
// to the launcher once; announceCreated() removes what nobody saw.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import {
  announceCreated,
  drained,
  OutputError,
  watch,
  writeChunksOrReport,
  writeOrReport,
  written,
} from '../../src/cli/output.js';

/** A stream whose writes fail with `code` (or succeed, slowly, when code is null). */
function stream(code: string | null, got: Buffer[] = []): Writable {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      setTimeout(() => {
        if (code === null) {
          got.push(chunk);
          return cb();
        }
        cb(Object.assign(new Error(`${code}: failed, write`), { code, syscall: 'write' }));
      }, 5);
    },
  });
  w.on('error', () => {});
  return w;
}

function ctxWith(stdout: Writable): { ctx: CommandContext; err: () => string } {
  let err = '';
  const stderr = {
    write: (s: string) => {
      err += s;
      return true;
    },
  };
  return {
    ctx: { prog: 'svipc x', stdout, stderr } as unknown as CommandContext,
    err: () => err,
  };
}

describe('written', () => {
  it('resolves once the bytes are taken, in order', async () => {
    const got: Buffer[] = [];
    const s = stream(null, got);
    s.write('a');
    await written(s, 'b');
    expect(Buffer.concat(got).toString()).toBe('ab');
  });

  it('ENOSPC is an OutputError in glibc words; EPIPE stays itself', async () => {
    const e = await written(stream('ENOSPC'), 'x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OutputError);
    expect((e as Error).message).toBe('write error: No space left on device');
    expect((e as OutputError).exitCode).toBe(1);
    expect((e as OutputError).withOutcome('queue 3 was removed again').message).toBe(
      'write error: No space left on device; queue 3 was removed again',
    );
    const p = await written(stream('EPIPE'), 'x').catch((x: unknown) => x);
    expect(p).not.toBeInstanceOf(OutputError);
    expect((p as NodeJS.ErrnoException).code).toBe('EPIPE');
  });
});

describe('writeChunksOrReport', () => {
  it('stops at the first failed chunk and says so once, also when the code is 1 already', async () => {
    let made = 0;
    function* chunks() {
      for (let i = 0; i < 5; i++) {
        made++;
        yield `chunk ${i}\n`;
      }
    }
    for (const code of [0, 1]) {
      made = 0;
      const { ctx, err } = ctxWith(stream('ENOSPC'));
      expect(await writeChunksOrReport(ctx, chunks(), code)).toBe(1);
      expect(err()).toBe('svipc x: write error: No space left on device\n');
      expect(made).toBe(1);
    }
    const got: Buffer[] = [];
    const { ctx, err } = ctxWith(stream(null, got));
    expect(await writeChunksOrReport(ctx, chunks(), 1)).toBe(1);
    expect(Buffer.concat(got).toString()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
    expect(err()).toBe('');
  });
});

describe('drained', () => {
  it('waits for what is queued, then gives an unreported failure once', async () => {
    const got: Buffer[] = [];
    const ok = stream(null, got);
    ok.write('1');
    ok.write('2');
    expect(await drained(ok)).toBeNull();
    expect(Buffer.concat(got).toString()).toBe('12');

    const bad = stream('EIO');
    watch(bad);
    bad.write('lost');
    expect((await drained(bad))?.code).toBe('EIO');
    expect(await drained(bad)).toBeNull();
  });

  it('a failure a command already reported is not reported again', async () => {
    const bad = stream('ENOSPC');
    const { ctx, err } = ctxWith(bad);
    expect(await writeOrReport(ctx, 'text', 0)).toBe(1);
    expect(err()).toBe('svipc x: write error: No space left on device\n');
    expect(await drained(bad)).toBeNull();
  });
});

describe('announceCreated', () => {
  it('removes the object when its id cannot be printed, and says so', async () => {
    let removed = 0;
    const { ctx } = ctxWith(stream('ENOSPC'));
    const e = await announceCreated(ctx, '5\n', 'message queue 5', () => removed++).catch((x: unknown) => x);
    expect(removed).toBe(1);
    expect((e as Error).message).toBe(
      'write error: No space left on device; message queue 5 was removed again',
    );
  });

  it('leaves it when the id was printed', async () => {
    let removed = 0;
    const { ctx } = ctxWith(stream(null));
    await announceCreated(ctx, '5\n', 'message queue 5', () => removed++);
    expect(removed).toBe(0);
  });
});
