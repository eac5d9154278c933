// `svipc metrics`: the System V IPC figures of `ipcs -l` and `ipcs -u` (limits, usage, use
// ratios), objects counted by kind and owner, and, when asked, one series per object, as
// Prometheus metric families. Base units (bytes); gauges only: nothing here only ever grows.
import { formatKey } from '../ipc/ftok.js';
import {
  listAll,
  queueLimits,
  queueUsage,
  segmentLimits,
  segmentUsage,
  semaphoreLimits,
  semaphoreUsage,
} from '../ipc/inventory.js';
import { userName } from '../ipc/users.js';
import type { MetricFamily, Sample } from '../render/prometheus.js';

export interface MetricsOptions {
  /** One series per object, labelled kind, id, key, owner (high cardinality: opt-in). */
  perObject?: boolean;
}

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({
  name: `svipc_${name}`,
  help,
  type: 'gauge',
  samples,
});
const one = (value: number | bigint | undefined | null): Sample[] =>
  value === undefined || value === null ? [] : [{ value }];
/** used / limit, or nothing when either is unknown or the limit is 0. */
const ratio = (used: number | bigint | undefined, limit: number | bigint | undefined): Sample[] =>
  used === undefined || limit === undefined || Number(limit) === 0
    ? []
    : [{ value: Number(used) / Number(limit) }];

const owner = (uid: number) => userName(uid) ?? String(uid);

/** Every family, in a stable order; a figure the kernel does not give is left out, not zeroed. */
export function collectMetrics(opts: MetricsOptions = {}): MetricFamily[] {
  const ql = queueLimits() ?? undefined;
  const qu = queueUsage() ?? undefined;
  const ml = segmentLimits() ?? undefined;
  const mu = segmentUsage() ?? undefined;
  const sl = semaphoreLimits() ?? undefined;
  const su = semaphoreUsage() ?? undefined;
  const page = ml?.pageSize;
  const pages = (n: number | bigint | undefined) =>
    n === undefined || page === undefined ? undefined : BigInt(n) * BigInt(page);

  const families: MetricFamily[] = [
    gauge('msg_queues', 'Message queues allocated (ipcs -u: allocated queues).', one(qu?.msgpool)),
    gauge('msg_queues_limit', 'Maximum number of message queues (kernel.msgmni).', one(ql?.msgmni)),
    gauge('msg_queues_ratio', 'Message queues allocated / kernel.msgmni.', ratio(qu?.msgpool, ql?.msgmni)),
    gauge('msg_messages', 'Messages queued in all queues (ipcs -u: used headers).', one(qu?.msgmap)),
    gauge('msg_queued_bytes', 'Bytes queued in all queues (ipcs -u: used space).', one(qu?.msgtql)),
    gauge('msg_message_max_bytes', 'Maximum size of one message (kernel.msgmax).', one(ql?.msgmax)),
    gauge(
      'msg_queue_default_max_bytes',
      'Default byte limit of a new queue (kernel.msgmnb).',
      one(ql?.msgmnb),
    ),
    gauge(
      'shm_segments',
      'Shared memory segments allocated (ipcs -u: segments allocated).',
      one(mu?.usedIds),
    ),
    gauge('shm_segments_limit', 'Maximum number of segments (kernel.shmmni).', one(ml?.shmmni)),
    gauge('shm_segments_ratio', 'Segments allocated / kernel.shmmni.', ratio(mu?.usedIds, ml?.shmmni)),
    gauge(
      'shm_bytes',
      'Bytes of shared memory allocated (ipcs -u: pages allocated x page size).',
      one(pages(mu?.shmTot)),
    ),
    gauge(
      'shm_bytes_limit',
      'Maximum bytes of all segments (kernel.shmall x page size).',
      one(pages(ml?.shmall)),
    ),
    gauge('shm_bytes_ratio', 'Shared memory allocated / kernel.shmall.', ratio(mu?.shmTot, ml?.shmall)),
    gauge(
      'shm_resident_bytes',
      'Bytes of shared memory resident (ipcs -u: pages resident).',
      one(pages(mu?.shmRss)),
    ),
    gauge(
      'shm_swapped_bytes',
      'Bytes of shared memory swapped (ipcs -u: pages swapped).',
      one(pages(mu?.shmSwp)),
    ),
    gauge('shm_segment_max_bytes', 'Maximum size of one segment (kernel.shmmax).', one(ml?.shmmax)),
    gauge('sem_sets', 'Semaphore sets allocated (ipcs -u: used arrays).', one(su?.semusz)),
    gauge('sem_sets_limit', 'Maximum number of semaphore sets (kernel.sem, SEMMNI).', one(sl?.semmni)),
    gauge('sem_sets_ratio', 'Semaphore sets allocated / SEMMNI.', ratio(su?.semusz, sl?.semmni)),
    gauge(
      'sem_semaphores',
      'Semaphores allocated in all sets (ipcs -u: allocated semaphores).',
      one(su?.semaem),
    ),
    gauge(
      'sem_semaphores_limit',
      'Maximum number of semaphores system-wide (kernel.sem, SEMMNS).',
      one(sl?.semmns),
    ),
    gauge('sem_semaphores_ratio', 'Semaphores allocated / SEMMNS.', ratio(su?.semaem, sl?.semmns)),
    gauge('sem_set_max_semaphores', 'Maximum semaphores per set (kernel.sem, SEMMSL).', one(sl?.semmsl)),
    gauge('sem_ops_per_call_max', 'Maximum operations per semop call (kernel.sem, SEMOPM).', one(sl?.semopm)),
  ];

  const all = listAll({ values: opts.perObject === true });
  const records = [...all.queues, ...all.segments, ...all.semaphores];
  const counts = new Map<string, { kind: string; owner: string; n: number }>();
  for (const r of records) {
    const o = owner(r.uid);
    const k = `${r.kind}\0${o}`;
    const c = counts.get(k) ?? { kind: r.kind, owner: o, n: 0 };
    c.n++;
    counts.set(k, c);
  }
  families.push(
    gauge(
      'objects',
      'System V IPC objects visible to svipc, by kind and owner.',
      [...counts.values()].map((c) => ({ labels: { kind: c.kind, owner: c.owner }, value: c.n })),
    ),
  );

  if (opts.perObject) {
    const labels = (r: (typeof records)[number]) => ({
      kind: r.kind,
      id: String(r.id),
      key: formatKey(r.key),
      owner: owner(r.uid),
    });
    const messages: Sample[] = [];
    const bytes: Sample[] = [];
    const attached: Sample[] = [];
    const semaphores: Sample[] = [];
    const waiters: Sample[] = [];
    for (const r of records) {
      const l = labels(r);
      if (r.kind === 'msg') {
        messages.push({ labels: l, value: r.qnum });
        bytes.push({ labels: l, value: r.cbytes });
      } else if (r.kind === 'shm') {
        bytes.push({ labels: l, value: r.size });
        attached.push({ labels: l, value: r.nattch });
      } else {
        semaphores.push({ labels: l, value: r.nsems });
        // semncnt + semzcnt of every semaphore; unknown (left out) without read permission.
        if (r.elements !== null)
          waiters.push({ labels: l, value: r.elements.reduce((n, e) => n + e.ncount + e.zcount, 0) });
      }
    }
    families.push(
      gauge('object_messages', 'Messages queued in the queue (msg_qnum).', messages),
      gauge(
        'object_bytes',
        'Bytes queued in the queue (msg_cbytes), or size of the segment (shm_segsz).',
        bytes,
      ),
      gauge('object_attached', 'Processes attached to the segment (shm_nattch).', attached),
      gauge('object_semaphores', 'Semaphores in the set (sem_nsems).', semaphores),
      gauge('object_waiters', 'Waits on the set: semncnt + semzcnt of each semaphore.', waiters),
    );
  }
  return families;
}
