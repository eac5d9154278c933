// A program of a library user, compiled against the packed package (test/e2e/library.test.ts):
// the public imports exist, are typed, and none of them is `any`.
import {
  type Attachment,
  BusyError,
  ExistentialError,
  type ftok,
  type IpcError,
  type IpcRecord,
  type listAll,
  type Message,
  MessageQueue,
  PermissionsError,
  type QueueRecord,
  SemaphoreSet,
  SharedMemory,
  Tracer,
  type TracerOptions,
  WaitAbortedError,
  WaitTimeoutError,
} from 'svipc';

/** true only when T is `any`: a `false` annotation below fails to compile on an `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;

const q = MessageQueue.create();
const notAny: [
  IsAny<typeof q>,
  IsAny<typeof q.id>,
  IsAny<ReturnType<typeof q.stat>>,
  IsAny<Awaited<ReturnType<typeof q.receiveAsync>>>,
  IsAny<Message['data']>,
  IsAny<ReturnType<typeof ftok>>,
  IsAny<ReturnType<typeof listAll>>,
  IsAny<QueueRecord['qnum']>,
  IsAny<IpcRecord>,
  IsAny<ReturnType<SemaphoreSet['getAll']>>,
  IsAny<ReturnType<SharedMemory['attach']>>,
  IsAny<Attachment['buffer']>,
  IsAny<IpcError['errno']>,
  IsAny<Tracer['pid']>,
  IsAny<TracerOptions['all']>,
] = [false, false, false, false, false, false, false, false, false, false, false, false, false, false, false];

async function main(): Promise<void> {
  using queue = q;
  queue.send(1, Buffer.from('typed'));
  for await (const m of queue.messages({ nowait: true })) {
    const text: string = m.data.toString();
    console.log(`${m.type} ${text}`);
  }
  // Tracing per object and per call.
  const lines: string[] = [];
  const trace = new Tracer((line) => lines.push(line), { prog: 'consumer' });
  using traced = MessageQueue.create({ trace }); // traced: msgget
  traced.send(2, Buffer.from('traced'), { trace: trace.detail }); // a detail: not without `all`
  console.log(lines.length);
  using set = SemaphoreSet.create(2);
  set.setAll([1, 0]);
  await set.opAsync([{ num: 0, op: -1 }], { timeout: 1000 });
  try {
    await set.opAsync([{ num: 1, op: -1 }], { timeout: 10 });
  } catch (e) {
    console.log(e instanceof WaitTimeoutError, e instanceof WaitAbortedError);
  }
  using shm = SharedMemory.create(16);
  using view = shm.attach();
  view.buffer.writeInt32LE(42, 0);
  console.log(view.buffer.readInt32LE(0), notAny.length);
  const classes = [BusyError, ExistentialError, PermissionsError].map((c) => c.name).join(' ');
  console.log(classes);
}

await main();
