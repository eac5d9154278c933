// What the steps share: the detail of an unexpected exit, an id read from a command's output,
// removal with `svipc ipcrm` (the C call beside it) and the check that the object is gone.
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { exists } from './objects.js';
import { commandExists, type Finished, hexKey, type Tour } from './runner.js';

export function exited(f: Finished, code = 0): string | undefined {
  if (f.code === code) return undefined;
  const last = f.lines.filter((l) => l.trim() !== '').at(-1);
  return (
    (f.signal ? `killed by ${f.signal}` : `exit status ${f.code}, expected ${code}`) +
    (last ? ` (${last})` : '')
  );
}

export function idFrom(f: Finished, re: RegExp): number | undefined {
  const m = re.exec(f.output);
  return m ? Number(m[1]) : undefined;
}

/** ipcrm's options by kind: by id, by key; and the control call that removes. */
const IPCRM: Readonly<Record<IpcKind, { id: string; key: string; ctl: string }>> = {
  msg: { id: '-q', key: '-Q', ctl: 'msgctl' },
  sem: { id: '-s', key: '-S', ctl: 'semctl' },
  shm: { id: '-m', key: '-M', ctl: 'shmctl' },
};

/** Remove with `svipc ipcrm` when it exists (else in-process) and check it is gone. */
export async function removeWithIpcrm(t: Tour, kind: IpcKind, id: number, byKey?: number): Promise<void> {
  if (commandExists('ipcrm')) {
    const { ctl } = IPCRM[kind];
    const flag = byKey !== undefined ? IPCRM[kind].key : IPCRM[kind].id;
    const f = await t.run(['ipcrm', flag, byKey !== undefined ? hexKey(byKey) : String(id)], {
      c: `${ctl}(${id}, ${kind === 'sem' ? '0, ' : ''}IPC_RMID${kind === 'sem' ? '' : ', NULL'})`,
    });
    const gone = t.traced((trace) => !exists(kind, id, trace), {
      EINVAL: 'IPC_STAT of a removed id: it is gone',
    });
    t.check(f.code === 0 && gone, `ipcrm removed ${KINDS[kind].noun} ${id}`, exited(f));
  } else {
    t.remove(kind, id);
    t.note(`(svipc ipcrm is not built here: the tour removed ${kind} ${id} itself)`);
  }
  if (!exists(kind, id)) t.disown(kind, id);
}
