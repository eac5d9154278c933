// commands/ipcs.ts in-process: option handling and messages that do not depend on the
// objects present (the host namespace is shared: nothing here lists and compares it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../commands/ipcs.js';
import type { CommandContext } from '../../src/cli/context.js';
import { tryStrtos32 as parseId } from '../../src/cli/util-linux.js';
import { svipcVersion } from '../../src/package.js';
import { ROOT } from '../helpers/run.js';
import { SchemaValidator } from './ipcs-schema-validator.js';

async function ipcs(...argv: string[]) {
  let out = '';
  let err = '';
  const ctx = {
    prog: 'ipcs',
    argv,
    stdin: process.stdin,
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
    },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
    },
    env: {},
    signal: new AbortController().signal,
  } as unknown as CommandContext;
  const code = await run(ctx);
  return { out, err, code };
}

const TRY = "Try 'ipcs --help' for more information.\n";
const NO_SUCH_ID = '2147483646';

describe('parseId (strtos32_or_err)', () => {
  it('accepts decimal ints with leading blanks and a sign', () => {
    expect(parseId('0')).toEqual({ value: 0 });
    expect(parseId(' \t+17')).toEqual({ value: 17 });
    expect(parseId('-2147483648')).toEqual({ value: -2147483648 });
    expect(parseId('007')).toEqual({ value: 7 });
  });

  it('refuses the rest, telling a range error from garbage', () => {
    expect(parseId('')).toEqual({ error: 'EINVAL' });
    expect(parseId('0x10')).toEqual({ error: 'EINVAL' });
    expect(parseId('1 ')).toEqual({ error: 'EINVAL' });
    expect(parseId('2147483648')).toEqual({ error: 'ERANGE' });
    expect(parseId('99999999999999999999x')).toEqual({ error: 'ERANGE' });
  });
});

describe('svipc ipcs options', () => {
  it('-h and -V act when seen, before a later bad option', async () => {
    const h = await ipcs('-h', '-x');
    expect(h).toMatchObject({ code: 0, err: '' });
    expect(h.out).toContain(' ipcs [resource-option...] [output-option]\n');
    expect(await ipcs('-V')).toEqual({
      out: `ipcs from svipc ${svipcVersion()} (util-linux 2.38.1 compatible)\n`,
      err: '',
      code: 0,
    });
    expect(await ipcs('-x', '-V')).toEqual({ out: '', err: `ipcs: invalid option -- 'x'\n${TRY}`, code: 1 });
  });

  it("getopt's messages, then the hint, exit 1", async () => {
    expect((await ipcs('--h')).err).toBe(
      `ipcs: option '--h' is ambiguous; possibilities: '--human' '--help'\n${TRY}`,
    );
    expect((await ipcs('-i')).err).toBe(`ipcs: option requires an argument -- 'i'\n${TRY}`);
    expect((await ipcs('--bytes=1')).err).toBe(`ipcs: option '--bytes' doesn't allow an argument\n${TRY}`);
  });

  it('-i: bad ids and resource counts', async () => {
    expect(await ipcs('-i', 'x', '-m')).toEqual({
      out: '',
      err: "ipcs: failed to parse id argument: 'x'\n",
      code: 1,
    });
    expect((await ipcs('-m', '-i', '4294967296')).err).toBe(
      "ipcs: failed to parse id argument: '4294967296': Numerical result out of range\n",
    );
    const msg = 'ipcs: when using an ID, a single resource must be specified\n';
    expect(await ipcs('-i', '1')).toEqual({ out: '', err: msg, code: 1 });
    expect(await ipcs('-i', '1', '-a')).toEqual({ out: '', err: msg, code: 1 });
  });

  it('-i on an id nobody has: a warning, exit 0', async () => {
    for (const kind of ['-q', '-m', '-s']) {
      expect(await ipcs(kind, '-i', NO_SUCH_ID)).toEqual({
        out: '',
        err: `ipcs: id ${NO_SUCH_ID} not found\n`,
        code: 0,
      });
    }
  });

  it('--json of every mode validates against the schema (whatever objects the host has)', async () => {
    const validator = new SchemaValidator(
      JSON.parse(readFileSync(join(ROOT, 'schema/ipcs.schema.json'), 'utf8')),
    );
    for (const args of [[], ['-q'], ['-m', '-s'], ['-l'], ['-u', '-q'], ['-s', '-i', NO_SUCH_ID]]) {
      const r = await ipcs('--json', ...args);
      expect(r.code).toBe(0);
      expect([args, validator.validate(JSON.parse(r.out))]).toEqual([args, []]);
    }
  });

  it('the listing has its three sections in util-linux order', async () => {
    const r = await ipcs();
    expect(r.code).toBe(0);
    const order = [
      '------ Message Queues --------',
      '------ Shared Memory Segments --------',
      '------ Semaphore Arrays --------',
    ];
    expect(order.map((h) => r.out.indexOf(h))).toEqual(
      [...order.map((h) => r.out.indexOf(h))].sort((a, b) => a - b),
    );
    expect(r.out.startsWith('\n------ Message Queues --------\n')).toBe(true);
  });
});
