// stat-server's command-line rules: the request queue's key from --ftok-path/--proj, the
// server opened with its failures as one line each (the key taken, a foreign queue, --root),
// and the --verbose summary.
import { formatKey, isIpcError, strerror, type Tracer } from '../ipc/index.js';
import { ForeignQueueError, StatServer, type StatServerOptions, serverKey } from '../server/stat-server.js';
import { CommandError } from './exit.js';

/** A failure of the key file or --root as the words a user knows. */
export function describeFailure(e: unknown): string {
  if (isIpcError(e)) return strerror(e.errno);
  const code = (e as { code?: string })?.code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'ENOTDIR') return 'Not a directory';
  return (e as Error)?.message ?? String(e);
}

/** ftok of the key file (created if missing), or a CommandError naming it. */
export function keyOf(path: string | Buffer, shown: string, proj: number, trace?: Tracer): number {
  try {
    return serverKey(path, proj, { create: true, trace });
  } catch (e) {
    throw new CommandError(`${shown}: ${describeFailure(e)}`);
  }
}

/** StatServer.open, its failures as one line each. */
export function openServer(opts: StatServerOptions): StatServer {
  try {
    return StatServer.open(opts);
  } catch (e) {
    if (e instanceof ForeignQueueError) throw new CommandError(e.message);
    const k = formatKey(opts.key);
    if (isIpcError(e, 'EEXIST')) {
      const id = StatServer.existingId(opts.key);
      throw new CommandError(
        `a message queue with key ${k} already exists${id === null ? '' : ` (msqid ${id})`}: ` +
          `another stat-server is running or one left it behind; remove it with 'svipc ipcrm -Q ${k}', ` +
          'or start with --replace',
      );
    }
    if (opts.root !== undefined && !isIpcError(e))
      throw new CommandError(`--root ${opts.root}: ${describeFailure(e)}`);
    if (isIpcError(e))
      throw new CommandError(
        `cannot ${opts.replace ? 'take over' : 'create'} the request queue (key ${k}): ${e.message}`,
      );
    throw e;
  }
}

/** --verbose's last line. */
export function summary(server: StatServer, reason: unknown): string {
  const c = server.counters;
  const s = server.streamStats;
  return (
    `stopped (${String(reason ?? 'signal')}), queue removed: ${c.requests} requests, ` +
    `${c.malformed} dropped, ${c.repliesLost} replies lost, ${s.served} files sent (${s.bytes} bytes)`
  );
}
