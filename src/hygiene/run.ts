// `svipc run`: run a command, then account for the IPC objects it left, System V and POSIX,
// and with --cleanup remove those provably its own.
//
// Isolated (isolate.ts): every object in the private namespaces is the command's. Otherwise the
// objects are those that appeared in this namespace while the command ran (a snapshot before,
// one after), which may include other processes' objects, and only these are proven the command's:
//   - a System V segment whose creator pid (the kernel records one for segments only) is the
//     command or one of its descendants (process-tree.ts follows them);
//   - a POSIX object (the kernel records no pid for it) that a process of the command was seen
//     holding (open or mapped) while it ran, and that no other process holds at the end (one
//     holder scan of every process; if some cannot be looked at, nothing is proven).
// Queues and semaphore sets have no creator pid: they are reported, never removed, and so is
// anything svipc did not see.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { CommandContext } from '../cli/context.js';
import { CommandError, EXIT } from '../cli/exit.js';
import { isIpcError } from '../ipc/errors.js';
import { type IpcKind, KINDS } from '../ipc/kinds.js';
import { identityOf } from '../ipc/posix-common.js';
import { becomeSubreaper } from '../ipc/process.js';
import { toJson } from '../render/json.js';
import type { NameResolver } from '../render/names.js';
import { scanHolders } from './holders.js';
import { INSIDE_ENV } from './isolate.js';
import { isPosixKind, posixTargets, type Removal, removePosixIfSame } from './posix.js';
import { ProcessTree } from './process-tree.js';
import { describeRecord, diffSnapshots, type Obj, takeSnapshot } from './snapshot.js';

const FORWARD_DELAY_MS = 300;

export interface RunOpts {
  isolate?: boolean;
  cleanup?: boolean;
  json?: boolean;
  report?: string;
}

/** How a child ended. */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Wait for a child, passing on SIGINT/SIGTERM/SIGHUP that reach us. Passed on after a moment
 * only: a Ctrl-C on a terminal reaches the whole process group, child included, and a second
 * SIGINT would cut short the child's own cleanup.
 */
export function waitChild(ctx: CommandContext, child: ChildProcess): Promise<ChildEnd> {
  return new Promise((resolvePromise, reject) => {
    let exited = false;
    const forward = () => {
      const sig = String(ctx.signal.reason) as NodeJS.Signals;
      setTimeout(() => {
        if (!exited) child.kill(['SIGINT', 'SIGTERM', 'SIGHUP'].includes(sig) ? sig : 'SIGTERM');
      }, FORWARD_DELAY_MS).unref();
    };
    ctx.signal.addEventListener('abort', forward, { once: true });
    child.on('error', (e) => {
      ctx.signal.removeEventListener('abort', forward);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      exited = true;
      ctx.signal.removeEventListener('abort', forward);
      resolvePromise({ code, signal });
    });
  });
}

export function exitCodeOf(r: ChildEnd): number {
  if (r.signal) return 128 + ((constants.signals as Record<string, number>)[r.signal] ?? 0);
  return r.code ?? EXIT.FAILED;
}

/** Remove one System V object (gone already counts as removed). */
function removeSysv(r: Obj): Removal {
  try {
    const entry = Object.hasOwn(KINDS, String(r.kind)) ? KINDS[r.kind as IpcKind] : undefined;
    if (entry === undefined)
      return { removed: false, error: `svipc cannot remove an object of kind ${String(r.kind)}` };
    entry.remove(Number(r.id));
    return { removed: true };
  } catch (e) {
    if (isIpcError(e, 'EINVAL', 'EIDRM')) return { removed: true }; // Gone already.
    return { removed: false, error: isIpcError(e) ? e.message : String(e) };
  }
}

const KIND_NAMES: Record<string, string> = { msg: 'message queues', sem: 'semaphore sets' };

/**
 * Why each appeared object is, or is not, provably the command's: `why` null when it is; for a
 * POSIX object, the identity ("DEV:INODE") that was proven, which removal checks again.
 */
function proofs(
  left: readonly Obj[],
  isolated: boolean,
  tree: ProcessTree,
): { why: string | null; id?: string | null }[] {
  const posix = left.filter((r) => isPosixKind(r.kind));
  // Isolated, the namespaces were made for the command: everything in them is its.
  const scan = posix.length > 0 && !isolated ? scanHolders({ posix: posixTargets(posix) }) : null;
  return left.map((r) => {
    if (isPosixKind(r.kind)) {
      const id = identityOf(String(r.path));
      if (isolated || id === null) return { why: null, id }; // null id: gone already.
      if (!tree.posixSeen.has(id))
        return {
          why: 'no process of the command was seen holding it (open or mapped): svipc cannot prove the command made it (--isolate can)',
        };
      const h = scan!.posixHolders(id);
      const others = [...new Set([...h.open, ...h.mapped])].filter((p) => !tree.pids.has(p));
      if (others.length > 0) return { why: `pid ${others.join(', ')}, not the command's, holds it too` };
      if (scan!.posixBlind !== null)
        return { why: `who else holds it cannot all be seen: ${scan!.posixBlind}` };
      return { why: null, id };
    }
    if (isolated) return { why: null };
    if (r.kind !== 'shm') {
      return {
        why: `the kernel records no creator pid for ${KIND_NAMES[String(r.kind)]}: svipc cannot prove the command made it (--isolate can)`,
      };
    }
    const cpid = Number(r.cpid);
    if (tree.pids.has(cpid)) return { why: null };
    return { why: `its creator, pid ${cpid}, is not the command or one of its processes (that svipc saw)` };
  });
}

export interface Report {
  left: Obj[];
  removed: Obj[];
  failed: { object: Obj; error: string }[];
  kept: { object: Obj; reason: string }[];
}

/** The version of the JSON report (2: POSIX objects among `left`, referred to by kind and name). */
export const RUN_REPORT_SCHEMA_VERSION = 2;

export function reportJson(
  cmd: string[],
  isolated: boolean,
  result: ChildEnd,
  rep: Report,
  cleanup: boolean,
): string {
  const ref = (r: Obj): Obj =>
    isPosixKind(r.kind) ? { kind: r.kind, name: r.name! } : { kind: r.kind!, id: r.id! };
  return toJson({
    schemaVersion: RUN_REPORT_SCHEMA_VERSION,
    command: cmd,
    isolated,
    exitCode: result.code,
    signal: result.signal,
    left: rep.left,
    removed: rep.removed.map(ref),
    removeFailed: rep.failed.map((f) => ({ ...ref(f.object), error: f.error })),
    notRemoved: cleanup ? rep.kept.map((k) => ({ ...ref(k.object), reason: k.reason })) : [],
  });
}

export function reportText(prog: string, isolated: boolean, rep: Report, cleanup: boolean): string {
  const where = isolated ? 'in its private IPC namespace' : 'in this IPC namespace';
  const n = rep.left.length;
  let text = `${prog}: the command left ${n === 0 ? 'no' : n} IPC object${n === 1 ? '' : 's'} ${where}${n > 0 ? ':' : ''}\n`;
  for (const r of rep.left) text += `  ${describeRecord(r)}\n`;
  if (cleanup && n > 0) text += `${prog}: removed ${rep.removed.length} of them (--cleanup)\n`;
  for (const f of rep.failed) text += `${prog}: could not remove ${describeRecord(f.object)}: ${f.error}\n`;
  if (cleanup) {
    for (const k of rep.kept)
      text += `${prog}: left ${describeRecord(k.object).split(':')[0]}: ${k.reason}\n`;
  }
  if (isolated && n > 0 && !cleanup) text += `${prog}: (they go with the namespace when svipc exits)\n`;
  return text;
}

/** Run CMD here, in this namespace, and report (the report's JSON also to opts.report). */
export async function runAndReport(
  ctx: CommandContext,
  names: NameResolver,
  cmd: string[],
  opts: RunOpts,
  isolated: boolean,
): Promise<number> {
  const before = takeSnapshot(names);
  const env = { ...ctx.env };
  delete env[INSIDE_ENV];
  const tree = new ProcessTree(!isolated && !!opts.cleanup);
  if (!isolated) becomeSubreaper();
  let result: ChildEnd;
  try {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env });
    if (!isolated) {
      if (child.pid !== undefined) tree.pids.add(child.pid);
      tree.start();
    }
    result = await waitChild(ctx, child);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    ctx.stderr.write(
      `${ctx.prog}: ${cmd[0]}: ${code === 'ENOENT' ? 'command not found' : (e as Error).message}\n`,
    );
    return code === 'ENOENT' ? 127 : 126;
  } finally {
    if (!isolated) tree.stop();
  }
  const rep: Report = {
    left: diffSnapshots(before, takeSnapshot(names)).appeared,
    removed: [],
    failed: [],
    kept: [],
  };
  if (opts.cleanup) {
    const proven = proofs(rep.left, isolated, tree);
    for (const [i, r] of rep.left.entries()) {
      const p = proven[i]!;
      if (p.why !== null) {
        rep.kept.push({ object: r, reason: p.why });
        continue;
      }
      const done = isPosixKind(r.kind) ? removePosixIfSame(r, p.id ?? null) : removeSysv(r);
      if (done.removed) rep.removed.push(r);
      else if ('kept' in done) rep.kept.push({ object: r, reason: done.kept });
      else rep.failed.push({ object: r, error: done.error });
    }
  }
  const cleanup = !!opts.cleanup;
  if (opts.report) {
    try {
      writeFileSync(opts.report, reportJson(cmd, isolated, result, rep, cleanup));
    } catch (e) {
      throw new CommandError(`--report ${opts.report}: ${(e as Error).message}`);
    }
  }
  ctx.stderr.write(
    opts.json
      ? reportJson(cmd, isolated, result, rep, cleanup)
      : reportText(ctx.prog, isolated, rep, cleanup),
  );
  const code = exitCodeOf(result);
  if (code !== 0) return code;
  return rep.left.length > 0 || rep.failed.length > 0 ? EXIT.FAILED : EXIT.OK;
}
