// The System V objects now, as `svipc diff` needs them: each one's identity (kind, id, key),
// and the whole document record only of the ones it prints. /proc/sysvipc is read by the one
// parser (src/proc/sysvipc.ts), which checks every line as it always does but makes a row only
// of a line whose identity is new (at 37,096 objects, making them all was a third of a diff).
import {
  queueFromProc,
  type SemaphoreRecord,
  segmentFromProc,
  semaphoreFromProc,
  withElements,
} from '../ipc/inventory.js';
import {
  type ProcMsgRow,
  type ProcSemRow,
  type ProcShmRow,
  SYSVIPC_DIR,
  type SysvipcKind,
  streamSysvipcWhere,
} from '../proc/sysvipc.js';
import { queueJson, segmentJson, semaphoreJson } from '../render/ipcs-json.js';
import type { NameResolver } from '../render/names.js';
import type { Obj } from './snapshot.js';

type Row = ProcMsgRow | ProcSemRow | ProcShmRow;

/** Per kind: a parsed row as the snapshot's document record. */
const RECORDS: Record<SysvipcKind, (row: Row, names: NameResolver) => Obj> = {
  msg: (row, names) => queueJson(queueFromProc(row as ProcMsgRow), names),
  shm: (row, names) => segmentJson(segmentFromProc(row as ProcShmRow), names),
  // A new set's elements are read now, when it is printed (the others' never).
  sem: (row, names) =>
    semaphoreJson(withElements(semaphoreFromProc(row as ProcSemRow) as SemaphoreRecord), names),
};

/**
 * The objects of `kind` now, from /proc/sysvipc (`dir`): each one's identity (`kind:id:key`)
 * goes to `isNew`, and the document record of each it calls new is yielded, in the file's
 * order, made as it is yielded (a set's elements are read then). null when the file cannot be
 * opened: the caller asks the syscalls instead, as the inventory does.
 */
export function appearedSysv(
  kind: SysvipcKind,
  names: NameResolver,
  isNew: (identity: string) => boolean,
  dir: string = SYSVIPC_DIR,
): Generator<Obj, void, undefined> | null {
  const rows = streamSysvipcWhere(kind, (key, id) => isNew(`${kind}:${id}:${key}`), dir);
  return rows === null ? null : recordsOf(kind, rows, names);
}

function* recordsOf(
  kind: SysvipcKind,
  rows: Iterable<Row>,
  names: NameResolver,
): Generator<Obj, void, undefined> {
  const record = RECORDS[kind];
  for (const row of rows) yield record(row, names);
}
