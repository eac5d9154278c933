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

/** What a kind's class (MessageQueue, SemaphoreSet, SharedMemory) offers the table. */
interface SysvClass {
  new (id: number, opts?: Traced): { stat(): { perm: IpcPerm; ctime: number }; remove(): void };
  usage(): { maxIndex: number };
  statIndex: KindEntry['statIndex'];
}

/** A kind's entry: what its class does by id, its inventory's record and list, its names. */
function entry(
  kind: IpcKind,
  noun: string,
  idName: string,
  cls: SysvClass,
  idOfKey: KindEntry['idOfKey'],
  record: KindEntry['record'],
  list: KindEntry['list'],
): KindEntry {
  return {
    kind,
    noun,
    idName,
    getCall: `${kind}get`,
    stat: (id, opts) => new cls(id, opts).stat(),
    remove: (id) => new cls(id).remove(),
    idOfKey,
    record,
    list,
    maxIndex: () => cls.usage().maxIndex,
    statIndex: (index) => cls.statIndex(index),
  };
}

export const KINDS: Readonly<Record<IpcKind, KindEntry>> = {
  msg: entry(
    'msg',
    'message queue',
    'msqid',
    MessageQueue,
    (key, opts) => MessageQueue.get(key, opts).id,
    getQueue,
    listQueues,
  ),
  sem: entry(
    'sem',
    'semaphore set',
    'semid',
    SemaphoreSet,
    (key, opts) => SemaphoreSet.get(key, 0, opts).id,
    getSemaphore,
    listSemaphores,
  ),
  shm: entry(
    'shm',
    'shared memory segment',
    'shmid',
    SharedMemory,
    (key, opts) => SharedMemory.get(key, 0, opts).id,
    getSegment,
    listSegments,
  ),
};

/** The kinds in util-linux's order of listing: queues, segments, semaphores. */
export const KIND_NAMES: readonly IpcKind[] = ['msg', 'shm', 'sem'];
