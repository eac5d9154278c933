// svipc's side of bench/run.mjs's per-call figures (bench/c/micro.c is the C side): the
// library's own binding (dist/src/ipc, built by `npm run build`) in a loop, on a private
// object it makes and removes. Prints the wall time of the loop alone per op, in ns.
//   node bench/ffi.mjs getval COUNT        SemaphoreSet.getValue (semctl GETVAL)
//   node bench/ffi.mjs semop COUNT         SemaphoreSet.op P, then op V
//   node bench/ffi.mjs prepared COUNT      PreparedSemOp P.try(), V.post() (the svshm hot loop)
//   node bench/ffi.mjs ping QID COUNT      send type 1, receive type 2 (synchronous msgrcv)
//   node bench/ffi.mjs ping-async QID COUNT  the same with receiveAsync (the commands' path)
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { MessageQueue, SemaphoreSet } = await import(pathToFileURL(join(ROOT, 'dist/src/ipc/index.js')).href);

const [mode, a, b] = process.argv.slice(2);
const t = () => process.hrtime.bigint();
let t0 = 0n;
let t1 = 0n;
let count = Number(a);

if (mode === 'getval' || mode === 'semop' || mode === 'prepared') {
  const set = SemaphoreSet.create(1, { mode: 0o600 });
  try {
    set.setValue(0, 1);
    if (mode === 'getval') {
      t0 = t();
      for (let i = 0; i < count; i++) set.getValue(0);
      t1 = t();
    } else if (mode === 'semop') {
      const P = [{ num: 0, op: -1 }];
      const V = [{ num: 0, op: 1 }];
      t0 = t();
      for (let i = 0; i < count; i++) {
        set.op(P);
        set.op(V);
      }
      t1 = t();
    } else {
      const P = set.prepare([{ num: 0, op: -1 }]);
      const V = set.prepare([{ num: 0, op: 1 }]);
      t0 = t();
      for (let i = 0; i < count; i++) {
        if (!P.try()) throw new Error('P would block');
        V.post();
      }
      t1 = t();
    }
  } finally {
    set.remove();
  }
} else if (mode === 'ping' || mode === 'ping-async') {
  const q = new MessageQueue(Number(a));
  count = Number(b);
  const ping = Buffer.from('ping');
  t0 = t();
  for (let i = 0; i < count; i++) {
    q.send(1, ping);
    if (mode === 'ping') q.receive({ type: 2, maxSize: 64 });
    else await q.receiveAsync({ type: 2, maxSize: 64 });
  }
  t1 = t();
} else {
  console.error(`ffi.mjs: unknown mode ${mode}`);
  process.exit(2);
}
console.log((Number(t1 - t0) / Math.max(count, 1)).toFixed(1));
