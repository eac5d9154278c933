// The kind table: one entry per kind of IPC object, and the one place that knows which class,
// which inventory scan and which names go with a kind. Commands, the tour and hygiene ask
// this table instead of branching on 'msg' | 'sem' | 'shm'; a new kind (POSIX objects) is a
// new entry here plus its own files.

import {
  getQueue,
  getSegment,
  getSemaphore,
  type InventoryOptions,
  type IpcKind,
  type IpcRecord,
  listQueues,
  listSegments,
  listSemaphores,
} from './inventory.js';
import { MessageQueue } from './msg.js';
import { SemaphoreSet } from './sem.js';
import { SharedMemory } from './shm.js';
import type { Traced } from './trace.js';
import type { IpcPerm } from './types.js';

export type { IpcKind } from './inventory.js';

export interface KindEntry {
  kind: IpcKind;
  /** What a person calls one: "message queue". */
  noun: string;
  /** Its id's name in the kernel's and util-linux's words: msqid, semid, shmid. */
  idName: string;
  /** The name of its *get call: msgget, semget, shmget. */
  getCall: string;
  /** IPC_STAT of one id: the parts every kind has (needs read permission). */
  stat(id: number, opts?: Traced): { perm: IpcPerm; ctime: number };
  /** IPC_RMID. */
  remove(id: number): void;
  /** The id of the object that has `key` (no create): ENOENT when there is none. */
  idOfKey(key: number, opts?: Traced): number;
  /** The object's record, or null when there is no such id. */
  record(id: number, opts?: InventoryOptions): IpcRecord | null;
  /** Every object of the kind. */
  list(opts?: InventoryOptions): IpcRecord[];
  /** The highest kernel index in use (*_INFO), and *_STAT_ANY of one index. */
  maxIndex(): number;
  statIndex(index: number): { id: number; ds: { perm: IpcPerm } };
}

export const KINDS: Readonly<Record<IpcKind, KindEntry>> = {
  msg: {
    kind: 'msg',
    noun: 'message queue',
    idName: 'msqid',
    getCall: 'msgget',
    stat: (id, opts) => new MessageQueue(id, opts).stat(),
    remove: (id) => new MessageQueue(id).remove(),
    idOfKey: (key, opts) => MessageQueue.get(key, opts).id,
    record: (id, opts) => getQueue(id, opts),
    list: (opts) => listQueues(opts),
    maxIndex: () => MessageQueue.usage().maxIndex,
    statIndex: (index) => MessageQueue.statIndex(index),
  },
  sem: {
    kind: 'sem',
    noun: 'semaphore set',
    idName: 'semid',
    getCall: 'semget',
    stat: (id, opts) => new SemaphoreSet(id, opts).stat(),
    remove: (id) => new SemaphoreSet(id).remove(),
    idOfKey: (key, opts) => SemaphoreSet.get(key, 0, opts).id,
    record: (id, opts) => getSemaphore(id, opts),
    list: (opts) => listSemaphores(opts),
    maxIndex: () => SemaphoreSet.usage().maxIndex,
    statIndex: (index) => SemaphoreSet.statIndex(index),
  },
  shm: {
    kind: 'shm',
    noun: 'shared memory segment',
    idName: 'shmid',
    getCall: 'shmget',
    stat: (id, opts) => new SharedMemory(id, opts).stat(),
    remove: (id) => new SharedMemory(id).remove(),
    idOfKey: (key, opts) => SharedMemory.get(key, 0, opts).id,
    record: (id, opts) => getSegment(id, opts),
    list: (opts) => listSegments(opts),
    maxIndex: () => SharedMemory.usage().maxIndex,
    statIndex: (index) => SharedMemory.statIndex(index),
  },
};

/** The kinds in util-linux's order of listing: queues, segments, semaphores. */
export const KIND_NAMES: readonly IpcKind[] = ['msg', 'shm', 'sem'];
