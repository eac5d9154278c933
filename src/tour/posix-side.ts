// The POSIX side of the System V vs POSIX step: the tour's helper process (posix-worker.ts),
// driven one request at a time. As root with unshare, the helper runs in a private IPC + mount
// namespace with its own /dev/shm and /dev/mqueue (nothing it makes can reach the host's, and
// it all goes with the namespace); otherwise on the host, under names no one else can have
// (/svipc-tour-PID-RANDOM-...), registered for the cleanup and the guard before they exist.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PARENT_PID_ENV } from '../ipc/process.js';
import { PACKAGE_ROOT } from '../package.js';
import type { Answer, Request } from './posix-worker.js';
import { type Expected, markExpected, type Spawned, type Tour } from './runner.js';

const WORKER = join(PACKAGE_ROOT, 'dist/src/tour/posix-worker.js');

// A private /dev (tmpfs) with its own /dev/shm (tmpfs) and /dev/mqueue (this IPC namespace's
// mqueue filesystem): mounting over /dev rather than creating /dev/mqueue on the host's /dev.
const NAMESPACE_SETUP = `set -e
T=$(mktemp -d)
mount --rbind /dev "$T"
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero full random urandom tty; do touch "/dev/$n"; mount --bind "$T/$n" "/dev/$n"; done
ln -s /proc/self/fd /dev/fd
mkdir -m 1777 /dev/shm /dev/mqueue
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
umount -l "$T"
rmdir "$T"
exec "$@"`;
const UNSHARE = ['--ipc', '--mount', '--propagation', 'private', 'sh', '-c', NAMESPACE_SETUP, 'sh'];

let namespaceOk: boolean | undefined;
/** Whether a private IPC + mount namespace can be made here (root, unshare, mount). */
export function canUsePrivateNamespace(): boolean {
  if (namespaceOk === undefined) {
    namespaceOk =
      process.getuid?.() === 0 &&
      spawnSync('unshare', [...UNSHARE, 'true'], { stdio: 'ignore' }).status === 0;
  }
  return namespaceOk;
}

export class PosixSide {
  readonly jobs: string;
  readonly mutex: string;
  readonly #child: Spawned;
  readonly #answers: ((a: Answer) => void)[] = [];

  private constructor(
    readonly t: Tour,
    readonly isolated: boolean,
  ) {
    const base = `/svipc-tour-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.jobs = `${base}-jobs`;
    this.mutex = `${base}-mutex`;
    if (!isolated) {
      // Before they exist: a tour killed meanwhile still has them removed.
      t.ownName({ kind: 'pmsg', name: this.jobs });
      t.ownName({ kind: 'psem', name: this.mutex });
    }
    const node = [process.execPath, WORKER, ...(t.opts.trace ? ['--trace'] : [])];
    const [cmd, args] = isolated ? ['unshare', [...UNSHARE, ...node]] : [node[0]!, node.slice(1)];
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...t.ctx.env, [PARENT_PID_ENV]: String(process.pid) },
    });
    this.#child = t.adopt(child);
    child.stdin?.on('error', () => {});
    child.on('close', () => {
      for (const f of this.#answers.splice(0)) f({ error: 'the helper process ended' });
    });
    child.stderr?.on('data', (c: Buffer) => {
      for (const l of c.toString().split('\n')) if (l) t.say(`    ${l}`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('T ')) t.say(`    ${markExpected(line.slice(2), this.#expected)}`);
      else if (line.startsWith('R ')) this.#answers.shift()?.(JSON.parse(line.slice(2)) as Answer);
    });
  }

  #expected: Expected | undefined;

  /** Start the helper: in a private namespace when possible. */
  static start(t: Tour): PosixSide {
    return new PosixSide(t, canUsePrivateNamespace());
  }

  /**
   * One request, shown as the C call(s) it makes (`c`, one line each); resolves with the
   * answer (an `error` answer throws). Abortable: a signal stops the wait at once.
   */
  async ask(r: Request, c: string | readonly string[], expected?: Expected): Promise<Answer> {
    this.t.checkAbort();
    for (const one of typeof c === 'string' ? [c] : c) this.t.call(one, 'POSIX');
    this.#expected = expected;
    const answer = new Promise<Answer>((resolve) => this.#answers.push(resolve));
    this.#child.child.stdin?.write(`${JSON.stringify(r)}\n`);
    const a = await this.t.abortable(answer);
    if (a.error) throw new Error(`POSIX helper: ${a.error}`);
    const shown = this.#describe(a);
    if (shown) this.t.say(`    ${shown}`);
    return a;
  }

  /** The helper's answer as a demo program would print it. */
  #describe(a: Answer): string | undefined {
    if (a.text !== undefined) return `${a.text}   (priority ${a.priority})`;
    if (a.took !== undefined) return a.took ? 'took it' : 'would wait (EAGAIN): not taken';
    if (a.value !== undefined) return `value ${a.value}`;
    if (a.mutex !== undefined) {
      const q = a.jobs === null ? 'not visible (/dev/mqueue is not mounted)' : a.jobs ? 'there' : 'gone';
      return `${this.jobs}: ${q}; ${this.mutex}: ${a.mutex ? 'there' : 'gone'}`;
    }
    return undefined;
  }

  /** Close and unlink (what is still ours), end the helper, wait for it. */
  async stop(): Promise<void> {
    await this.ask({ op: 'close' }, 'mq_close(mqd); sem_close(sem)');
    this.#child.child.stdin?.end();
    await this.t.wait(this.#child);
  }
}
