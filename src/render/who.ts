// `svipc who`'s output: one block per object for people (human sizes, rw------- permissions),
// and the exact figures as JSON (schemaVersion 1).
import { formatKey } from '../ipc/ftok.js';
import type { IpcRecord } from '../ipc/inventory.js';
import { KINDS } from '../ipc/kinds.js';
import { userName } from '../ipc/users.js';
import type { RecordedPid, WaitingThread, WhoReport } from '../live/who.js';
import { permString, sizeToHumanString } from './human.js';
import type { JsonValue } from './json.js';

const NOUN = (kind: IpcRecord['kind']) => KINDS[kind].noun;

const hex = (n: bigint) => n.toString(16);
const who = (p: { command: string | null; user: string | null; uid: number | null }) =>
  `${p.command ?? '?'} (${p.user ?? (p.uid === null ? 'user unknown' : `uid ${p.uid}`)})`;

function summary(r: IpcRecord): string {
  if (r.kind === 'shm')
    return `${sizeToHumanString(r.size)}, nattch ${r.nattch}${r.dest ? ', marked for removal' : ''}`;
  if (r.kind === 'msg') return `${r.qnum} messages, ${sizeToHumanString(r.cbytes)}`;
  const waits = (r.elements ?? []).reduce((n, e) => n + e.ncount + e.zcount, 0);
  return `${r.nsems} semaphores${r.elements === null ? '' : `, ${waits} waiting`}`;
}

function recordedLine(p: RecordedPid): string {
  const role = p.semnum === undefined ? p.role : `${p.role} on #${p.semnum}`;
  if (p.pid === 0) return `  last ${role}: none`;
  const label = p.role === 'creator' ? 'creator' : `last ${role}`;
  const state =
    p.state === 'alive' ? `alive, ${p.command ?? '?'}` : p.state === 'reused' ? 'gone, pid reused' : p.state;
  return `  ${label}: pid ${p.pid} (${state})`;
}

function opsText(w: WaitingThread): string {
  if (w.ops === null) return w.opsUnknown === null ? '' : `: operations unknown (${w.opsUnknown})`;
  return `: ${w.ops.map((o) => `#${o.semnum} ${o.op > 0 ? '+' : ''}${o.op}${o.op === 0 ? ' (wait for zero)' : ''}${o.flags ? ` flags 0x${o.flags.toString(16)}` : ''}`).join(', ')}`;
}

/** The human text of the reports. */
export function whoText(reports: WhoReport[]): string {
  let out = '';
  for (const w of reports) {
    const r = w.record;
    const owner = userName(r.uid) ?? String(r.uid);
    out += `${NOUN(r.kind)} ${r.id} key ${formatKey(r.key)} owner ${owner} ${permString(r.mode)}: ${summary(r)}\n`;
    if (r.kind !== 'shm') out += `  creator: unknown (the kernel records none for a ${NOUN(r.kind)})\n`;
    for (const p of w.recorded) out += `${recordedLine(p)}\n`;
    if (w.recordedUnknown) out += `  last semop: unknown (${w.recordedUnknown})\n`;
    if (r.kind === 'shm') {
      if (w.attached.length === 0) out += '  attached: nobody seen\n';
      for (const a of w.attached) {
        const ranges = a.ranges.map(
          (m) => `${hex(m.start)}-${hex(m.end)} ${m.perms} ${sizeToHumanString(m.bytes)}`,
        );
        out += `  attached: pid ${a.pid} ${who(a)} ${ranges.join(', ')}\n`;
      }
    } else {
      if (w.waiting.length === 0) out += '  waiting: nobody seen\n';
      for (const t of w.waiting) {
        const tid = t.tid === t.pid ? '' : ` tid ${t.tid}`;
        out += `  waiting: pid ${t.pid}${tid} ${who(t)} in ${t.call}${opsText(t)}\n`;
      }
    }
    if (w.blind) out += `  not seen: ${w.blind}\n`;
  }
  return out;
}

/** One report as JSON: exact numbers (addresses as integers, bigint where needed). */
export function whoJson(w: WhoReport): JsonValue {
  const r = w.record;
  const proc = (p: { pid: number; command: string | null; uid: number | null; user: string | null }) => ({
    pid: p.pid,
    command: p.command,
    uid: p.uid,
    user: p.user,
  });
  return {
    kind: r.kind,
    id: r.id,
    key: r.key,
    uid: r.uid,
    owner: userName(r.uid),
    mode: r.mode & 0o777,
    recorded: w.recorded.map((p) => ({
      role: p.role,
      pid: p.pid,
      state: p.state,
      ...(p.semnum === undefined ? {} : { semnum: p.semnum }),
      command: p.command,
    })),
    recordedUnknown: w.recordedUnknown,
    attached:
      r.kind === 'shm'
        ? w.attached.map((a) => ({
            ...proc(a),
            ranges: a.ranges.map((m) => ({ start: m.start, end: m.end, bytes: m.bytes, perms: m.perms })),
          }))
        : null,
    waiting:
      r.kind === 'shm'
        ? null
        : w.waiting.map((t) => ({
            ...proc(t),
            tid: t.tid,
            call: t.call,
            ops: t.ops === null ? null : t.ops.map((o) => ({ semnum: o.semnum, op: o.op, flags: o.flags })),
            opsUnknown: t.opsUnknown,
          })),
    blind: w.blind,
  };
}
