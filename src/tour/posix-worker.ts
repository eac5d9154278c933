// The tour's POSIX helper: `node posix-worker.js [--trace]`, started by the tour's System V vs
// POSIX step (posix-side.ts), maybe in a private IPC + mount namespace. It holds one POSIX
// message queue and one named semaphore through svipc's library and does what the tour asks,
// one JSON request per stdin line; it answers on stdout, one line each: `T <trace line>` for
// every call it makes (with --trace) and `R <json>` for the answer, in that order on one pipe.
// It dies with the tour (PR_SET_PDEATHSIG); on stdin's end or SIGTERM it closes both and
// unlinks what it made and still has a name.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MQUEUE_DIR, PosixMessageQueue } from '../ipc/posix-mq.js';
import { PosixSemaphore, semaphorePath } from '../ipc/posix-sem.js';
import { dieWithParent, PARENT_PID_ENV } from '../ipc/process.js';
import { Tracer } from '../ipc/trace.js';

export type Request =
  | { op: 'open'; jobs: string; mutex: string }
  | { op: 'send'; text: string; priority: number }
  | { op: 'receive' | 'wait' | 'trywait' | 'post' | 'value' | 'unlink' | 'names' | 'close' };

export interface Answer {
  error?: string;
  text?: string;
  priority?: number;
  took?: boolean;
  value?: number;
  /** `names`: whether each name is still in /dev/mqueue, /dev/shm (null: /dev/mqueue not mounted). */
  jobs?: boolean | null;
  mutex?: boolean;
}

// Pipes are written synchronously on Linux: a trace line is out before the answer that follows.
const say = (tag: 'T' | 'R', s: string) => process.stdout.write(`${tag} ${s}\n`);

/** With --trace: every POSIX call of this helper, one line each, tagged for the tour to show. */
const trace = process.argv.includes('--trace')
  ? new Tracer((line) => say('T', line), { prog: 'svipc tour (POSIX side)' })
  : undefined;

let queue: PosixMessageQueue | undefined;
let mutex: PosixSemaphore | undefined;

async function handle(r: Request): Promise<Answer> {
  switch (r.op) {
    case 'open':
      queue = PosixMessageQueue.create(r.jobs, { maxMessages: 8, messageSize: 64, trace });
      mutex = PosixSemaphore.create(r.mutex, { value: 1, trace });
      return {};
    case 'send':
      need(queue).send(Buffer.from(r.text), { priority: r.priority, nowait: true });
      return {};
    case 'receive': {
      const m = await need(queue).receiveAsync({ timeout: 5000 });
      return { text: m.data.toString(), priority: m.priority };
    }
    case 'wait':
      await need(mutex).wait({ timeout: 5000 });
      return {};
    case 'trywait':
      return { took: need(mutex).tryWait() };
    case 'post':
      need(mutex).post();
      return {};
    case 'value':
      return { value: need(mutex).value() };
    case 'unlink':
      need(queue).remove();
      need(mutex).remove();
      return {};
    case 'names': {
      const q = need(queue).name;
      return {
        jobs: existsSync(MQUEUE_DIR) ? existsSync(`${MQUEUE_DIR}${q}`) : null,
        mutex: existsSync(semaphorePath(need(mutex).name)),
      };
    }
    case 'close':
      finish();
      return {};
  }
}

function need<T>(o: T | undefined): T {
  if (o === undefined) throw new Error('open first');
  return o;
}

/** Close both; unlink what this process made and is still under its name (dispose). */
function finish(): void {
  for (const o of [queue, mutex]) {
    try {
      o?.[Symbol.dispose]();
    } catch {
      // closed already
    }
  }
  queue = undefined;
  mutex = undefined;
}

function main(): void {
  const parent = process.env[PARENT_PID_ENV];
  if (parent && !dieWithParent(Number(parent))) process.exit(143);
  process.on('SIGTERM', () => {
    finish();
    process.exit(143);
  });
  process.on('SIGINT', () => {}); // Ctrl-C on the terminal: the tour decides, then TERMs us
  let chain = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    chain = chain.then(async () => {
      let answer: Answer;
      try {
        answer = await handle(JSON.parse(line) as Request);
      } catch (e) {
        answer = { error: (e as Error).message };
      }
      say('R', JSON.stringify(answer));
    });
  });
  lines.on('close', () => {
    void chain.then(() => {
      finish();
      process.exit(0);
    });
  });
}

main();
