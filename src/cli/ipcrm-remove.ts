// What `svipc ipcrm` does for each option, as util-linux's ipcrm words it: remove_id(),
// key_to_id(), 2.42.2's remove_name(), remove_all() and the legacy `ipcrm shm|msg|sem ID...`.
// A refusal is a warning and counts as a failure (exit 1 at the end); an unexpected errno ends
// the run at once (util-linux's err(): `Fatal`). The kernel side is src/ipc/removal.ts.
import { ERRNO } from '../ipc/errno.js';
import { isIpcError, strerror } from '../ipc/errors.js';
import type { IpcKind } from '../ipc/kinds.js';
import type { PosixKind } from '../ipc/posix-inventory.js';
import { mqueueMounted } from '../ipc/posix-inventory.js';
import {
  idOfKey,
  KindUnavailableError,
  posixNames,
  readableIds,
  removeId as removeById,
  removeName as removeByName,
} from '../ipc/removal.js';
import { type AllWhat, NOT_CONFIGURED, VERBOSE_NAME } from './ipcrm-options.js';
import { strtoumax, toInt32 } from './size.js';

const { ERANGE } = ERRNO;

/** err(3): ends the run at once with this message and exit 1. */
export class Fatal extends Error {}

/** "failed to parse argument: 'X'" (with ": Numerical result out of range" on ERANGE). */
export function badArgument(s: string, erange: boolean): Fatal {
  return new Fatal(`failed to parse argument: '${s}'${erange ? `: ${strerror(ERANGE)}` : ''}`);
}

/** Run `fn`; a kernel failure it does not sort into a refusal ends the run: "WHAT failed: REASON". */
function unexpected<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isIpcError(e)) throw new Fatal(`${what} failed: ${strerror(e.errno)}`);
    throw e;
  }
}

export class Remover {
  /** -v: acts from where it is given on (options act as they are read). */
  verbose = false;

  constructor(
    private readonly out: (s: string) => void,
    private readonly warn: (m: string) => void,
  ) {}

  /** remove_id(): 0 when removed, 1 after a warning. */
  removeId(kind: IpcKind, isKey: boolean, id: number): number {
    if (this.verbose) this.out(`removing ${VERBOSE_NAME[kind]} id \`${id}'\n`);
    const what = isKey ? 'key' : 'id';
    const refusal = unexpected(what, () => removeById(kind, id));
    if (refusal === null) return 0;
    this.warn(`${refusal} ${what} (${id})`);
    return 1;
  }

  /** key_to_id(): the id, or -1 after a warning. */
  keyToId(kind: IpcKind, s: string): number {
    // strtokey(): strtoul(s, &end, 0), the whole string, then (key_t) of it.
    const r = strtoumax(s, 0);
    if (s === '' || r.end === 0 || r.end !== s.length || r.erange) throw badArgument(s, r.erange);
    const key = toInt32(r.value);
    if (key === 0) {
      this.warn(`illegal key (${s})`);
      return -1;
    }
    const found = unexpected('key', () => idOfKey(kind, key));
    if (typeof found === 'number') return found;
    this.warn(`${found} key (${s})`);
    return -1;
  }

  /** 2.42.2's remove_name(): 0 when removed, 1 after a warning. */
  removeName(kind: PosixKind, name: string): number {
    if (this.verbose) this.out(`removing ${VERBOSE_NAME[kind]} \`${name}'\n`);
    const refusal = unexpected('name', () => removeByName(kind, name));
    if (refusal === null) return 0;
    this.warn(
      refusal === 'permission denied'
        ? `permission denied for name \`${name}'`
        : `name \`${name}' ${refusal}`,
    );
    return 1;
  }

  /**
   * remove_all(): System V shared memory, semaphores, queues by kernel index (bare -a: these
   * only, as 2.38.1); --all=pshm|psem|pmsg: that POSIX kind's objects by name.
   */
  removeAll(what: AllWhat): number {
    if (what === 'pshm' || what === 'psem' || what === 'pmsg') {
      if (what === 'pmsg' && !mqueueMounted()) {
        this.warn(
          "/dev/mqueue does not seem to be mounted. Use 'mount -t mqueue none /dev/mqueue' to mount it.",
        );
      }
      let ret = 0;
      for (const name of posixNames(what)) ret |= this.removeName(what, name);
      return ret;
    }
    let ret = 0;
    for (const kind of ['shm', 'sem', 'msg'] as const) {
      if (what !== 'all' && what !== kind) continue;
      try {
        for (const id of readableIds(kind)) ret |= this.removeId(kind, false, id);
      } catch (e) {
        if (e instanceof KindUnavailableError)
          throw new Fatal(`kernel not configured for ${NOT_CONFIGURED[kind]}`);
        throw e;
      }
    }
    return ret;
  }

  /** The legacy form, `ipcrm shm|msg|sem ID...`: "resource(s) deleted" when all went well. */
  legacy(kind: IpcKind, ids: string[], tryHelp: () => void): number {
    if (ids.length === 0) {
      this.warn('not enough arguments');
      tryHelp();
      return 1;
    }
    let errors = 0;
    for (const s of ids) {
      // strtoul(s, &end, 10) and *end must be '\0': so "" passes, as id 0.
      const r = strtoumax(s, 10);
      if (r.erange || r.end !== s.length) {
        this.warn(`invalid id: ${s}`);
        errors++;
      } else if (this.removeId(kind, false, toInt32(r.value))) errors++;
    }
    if (errors) return 1;
    this.out('resource(s) deleted\n');
    return 0;
  }
}
