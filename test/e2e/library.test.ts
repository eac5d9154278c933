// svipc as a library: the README's "Use it from Node" examples compiled under TypeScript strict
// (NodeNext) and run as written; importing svipc has no side effects and loads no native code;
// `npm pack` gives a package a new project installs and type-checks with no `any`.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { canPosixNamespace, inPosixNamespace, POSIX_NS_SKIP_REASON } from '../helpers/posix-ns.js';
import { canUnshare, ROOT, run } from '../helpers/run.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'svipc-library-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  },
  include: ['*.ts'],
};

/** A project folder whose node_modules has `svipc` (this checkout, or an installed package). */
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', private: true }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  return dir;
}

function linkModules(dir: string, svipc: string): void {
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(svipc, join(dir, 'node_modules/svipc'));
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
}

function tsc(dir: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8', cwd: dir });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** An example that makes POSIX objects: it needs its own /dev/shm and /dev/mqueue too. */
const usesPosix = (code: string) => /\bPosix|\blistPosix/.test(code);

/**
 * Run a compiled example, in a private IPC namespace where permitted (the host is shared); a
 * POSIX example also in a private mount namespace with its own /dev/shm and /dev/mqueue.
 */
function node(dir: string, file: string, posix = false) {
  const js = join(dir, 'out', file);
  if (posix) return inPosixNamespace(process.execPath, [js], { cwd: dir, timeoutMs: 20_000 });
  return canUnshare()
    ? run('unshare', ['--ipc', process.execPath, js], { cwd: dir, timeoutMs: 20_000 })
    : run(process.execPath, [js], { cwd: dir, timeoutMs: 20_000 });
}

interface Example {
  line: number;
  code: string;
  output: string | null;
}

/** The ```ts blocks of the README's library section, each with the ```text block after it. */
function libraryExamples(): Example[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use it from Node');
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end);
  const offset = readme.slice(0, start).split('\n').length - 1;
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  const blocks: { lang: string; body: string; line: number; end: number }[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const line = offset + text.slice(0, m.index).split('\n').length;
    blocks.push({ lang: m[1]!, body: m[2]!, line, end: m.index + m[0].length });
  }
  const out: Example[] = [];
  blocks.forEach((b, i) => {
    // A block that only shows the import line is a fragment, not a program.
    if (b.lang !== 'ts' || !/\n.*\S/.test(b.body.trim())) return;
    const next = blocks[i + 1];
    const between = next ? text.slice(b.end, text.indexOf('```', b.end)) : '';
    out.push({
      line: b.line,
      code: b.body,
      output: next?.lang === 'text' && between.trim() === '' ? next.body : null,
    });
  });
  return out;
}

describe('the README library examples, as written', () => {
  const examples = libraryExamples();
  const dir = project('readme');
  linkModules(dir, ROOT);
  for (const e of examples) writeFileSync(join(dir, `example-${e.line}.ts`), e.code);
  const compiled = tsc(dir);

  test('there are examples, and they compile under strict with no error', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(compiled.output).toBe('');
    expect(compiled.status).toBe(0);
  });

  for (const e of examples) {
    // Never run a POSIX example on the host's /dev/shm: skipped (visibly) without a namespace.
    const skip = usesPosix(e.code) && !canPosixNamespace();
    test.skipIf(skip)(`README.md:${e.line}${skip ? ` (${POSIX_NS_SKIP_REASON})` : ''}`, async () => {
      const r = await node(dir, `example-${e.line}.js`, usesPosix(e.code));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      if (e.output !== null) expect(r.stdout).toBe(e.output);
    });
  }
});

describe('importing svipc', () => {
  test('prints nothing, starts no CLI, loads no native code until a call needs it', async () => {
    const script = `
      const svipc = await import('svipc');
      const libc = await import(${JSON.stringify(join(ROOT, 'dist/src/ipc/libc.js'))});
      const before = libc.nativeLoaded();
      svipc.formatKey(0x1234);
      const afterPure = libc.nativeLoaded();
      const q = svipc.MessageQueue.create();
      q.remove();
      console.log(JSON.stringify({ before, afterPure, afterCall: libc.nativeLoaded() }));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ before: false, afterPure: false, afterCall: true });
  });

  test('`using`: create removes at scope end, get leaves alone, an attachment detaches', async () => {
    const { MessageQueue, SharedMemory, isIpcError } = await import('../../src/index.js');
    const made = MessageQueue.create();
    const opened = new MessageQueue(made.id);
    opened[Symbol.dispose](); // not made by this handle: nothing happens
    expect(made.stat().qnum).toBe(0);
    made[Symbol.dispose]();
    made[Symbol.dispose](); // once only
    expect(() => opened.stat()).toThrow();
    const seg = SharedMemory.create(4096);
    try {
      const a = seg.attach();
      expect(seg.stat().nattch).toBe(1);
      a[Symbol.dispose]();
      expect(a.attached).toBe(false);
      expect(seg.stat().nattch).toBe(0);
    } finally {
      seg[Symbol.dispose]();
    }
    let gone = false;
    try {
      seg.stat();
    } catch (e) {
      gone = isIpcError(e, 'EINVAL', 'EIDRM');
    }
    expect(gone).toBe(true);
  });

  test('messages(): breaking out of the loop takes nothing more off the queue', async () => {
    const { MessageQueue } = await import('../../src/index.js');
    const q = MessageQueue.create();
    try {
      for (const t of [1, 2, 3]) q.send(t, Buffer.from(`m${t}`));
      const seen: number[] = [];
      for await (const m of q.messages()) {
        seen.push(m.type);
        if (m.type === 1) break;
      }
      expect(seen).toEqual([1]);
      expect(q.stat().qnum).toBe(2);
      const rest: string[] = [];
      for await (const m of q.messages({ nowait: true })) rest.push(m.data.toString());
      expect(rest).toEqual(['m2', 'm3']);
    } finally {
      q.remove();
    }
  });

  test('messages() ends when the queue is removed while it waits', async () => {
    const { MessageQueue } = await import('../../src/index.js');
    const q = MessageQueue.create();
    const got: number[] = [];
    const loop = (async () => {
      for await (const m of q.messages({ signal: new AbortController().signal })) got.push(m.type);
    })();
    q.send(5, Buffer.from('x'));
    await new Promise((r) => setTimeout(r, 100));
    q.remove();
    await loop;
    expect(got).toEqual([5]);
  });

  test('error subclasses by errno', async () => {
    const { BusyError, ExistentialError, IpcError, MessageQueue } = await import('../../src/index.js');
    const q = MessageQueue.create();
    try {
      expect(() => q.receive({ nowait: true, maxSize: 16 })).not.toThrow();
      await expect(q.receiveAsync({ nowait: true })).rejects.toBeInstanceOf(BusyError);
      let err: unknown;
      try {
        MessageQueue.get(0x7ffffff1 ^ q.id);
      } catch (e) {
        err = e;
      }
      // ENOENT, unless someone holds that key: then it is no error at all.
      if (err) {
        expect(err).toBeInstanceOf(ExistentialError);
        expect(err).toBeInstanceOf(IpcError);
        expect((err as InstanceType<typeof IpcError>).code).toBe('ENOENT');
      }
    } finally {
      q.remove();
    }
  });
});

describe('npm pack', () => {
  test('a new project installs the package and type-checks a program with no `any`', {
    timeout: 180_000,
  }, async () => {
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(pack.status, pack.stderr).toBe(0);
    const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'))!;
    // A new project installs it as a user would (its dependencies from npm's cache or registry).
    const dir = project('consumer');
    const install = spawnSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, tgz)],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(install.status, install.stderr).toBe(0);
    const pkg = join(dir, 'node_modules/svipc');
    expect(readdirSync(join(pkg, 'dist/src'))).toContain('index.d.ts');
    expect(readdirSync(pkg)).not.toContain('test');
    mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
    cpSync(join(ROOT, 'test/types/consumer.ts'), join(dir, 'consumer.ts'));
    const compiled = tsc(dir);
    expect(compiled.output).toBe('');
    expect(compiled.status).toBe(0);
    const r = await node(dir, 'consumer.js');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1 typed\n1\ntrue false\n42 15\nBusyError ExistentialError PermissionsError\n');
  });
});
