// `svipc run --isolate`: the namespaces a command runs in so that nothing it leaves outlives it.
// svipc re-executes itself under unshare(1) with a private IPC namespace (System V objects and
// POSIX queues) and a private mount namespace where /dev/shm is a fresh tmpfs (POSIX shared
// memory and semaphores) and /dev/mqueue, where it exists, the new IPC namespace's mqueue
// filesystem (so svipc inside can list the queues). Root makes them directly; another user inside
// a user namespace of its own where the kernel allows it (mapped to root there). When they cannot
// be made, --isolate fails and says why: it never falls back to the host.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CommandError } from '../cli/exit.js';

/** Set in the environment of the svipc re-executed inside the private namespaces. */
export const INSIDE_ENV = 'SVIPC_RUN_ISOLATED';

/** The exit status of SETUP when a mount fails (unshare's own failures are 1). */
const SETUP_FAILED = 125;

/** Run inside the new mount namespace before the inner svipc: the private mounts. */
const SETUP =
  `mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || exit ${SETUP_FAILED}\n` +
  `if [ -d /dev/mqueue ]; then mount -t mqueue mqueue /dev/mqueue || exit ${SETUP_FAILED}; fi\n` +
  'exec "$@"';

/** The first executable NAME on PATH, or null. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The command line (program, arguments) that runs `inner` in the private namespaces, checked
 * once with `true`. Throws, naming the cause, when they cannot be made.
 */
export function isolatedCommand(env: NodeJS.ProcessEnv, inner: readonly string[]): [string, string[]] {
  const unshare = onPath('unshare', env);
  if (unshare === null) {
    throw new CommandError(
      `--isolate: unshare not found on PATH (it comes with util-linux): cannot make a private IPC namespace`,
    );
  }
  const users = process.geteuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  const args = [...users, '--ipc', '--mount', '--propagation', 'private', 'sh', '-c', SETUP, 'sh'];
  const probe = spawnSync(unshare, [...args, 'true'], { encoding: 'utf8', env });
  if (probe.status !== 0) {
    const why =
      (probe.stderr ?? '').trim().split('\n')[0] || probe.error?.message || `exit status ${probe.status}`;
    if (probe.status === SETUP_FAILED)
      throw new CommandError(`--isolate: cannot mount a private /dev/shm or /dev/mqueue: ${why}`);
    throw new CommandError(
      `--isolate: cannot make a private IPC namespace: not permitted (needs root, or user namespaces, which this system refuses): ${why}`,
    );
  }
  return [unshare, [...args, ...inner]];
}
