// A private namespace for POSIX IPC tests: its own IPC namespace (so its own mqueue filesystem)
// and mount namespace, where /dev is a fresh tmpfs holding the few device nodes programs need,
// a private tmpfs at /dev/shm and the namespace's mqueue filesystem at /dev/mqueue. Nothing a
// test makes reaches the host's /dev/shm or /dev/mqueue, and it all goes when the namespace ends.
// (Mounting a tmpfs over /dev rather than creating /dev/mqueue: the host has none, and mkdir on
// the host's /dev would outlive the test.)
import { spawnSync } from 'node:child_process';
import { canUnsharePid, publicEnv, RUNAS_FUNCTIONS, type RunOptions, type RunResult, run } from './run.js';

const SETUP = `set -e
T=$(mktemp -d)
trap 'rmdir "$T" 2>/dev/null || true' EXIT
mount --rbind /dev "$T"
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero full random urandom tty; do touch "/dev/$n"; mount --bind "$T/$n" "/dev/$n"; done
ln -s /proc/self/fd /dev/fd; ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr
mkdir -m 1777 /dev/shm /dev/mqueue
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
umount -l "$T"
rmdir "$T"
trap - EXIT
exec "$@"`;

let ok: boolean | undefined;
/** Whether such a namespace can be made here (root: unshare --ipc --mount and mount). */
export function canPosixNamespace(): boolean {
  if (ok === undefined) {
    const r = spawnSync(
      'unshare',
      ['--ipc', '--mount', '--propagation', 'private', 'sh', '-c', SETUP, 'sh', 'true'],
      {
        stdio: 'ignore',
      },
    );
    ok = r.status === 0;
  }
  return ok;
}

export const POSIX_NS_SKIP_REASON =
  'unshare --ipc --mount with tmpfs/mqueue mounts is not permitted here (needs root): POSIX tests skipped';

/** Run `cmd args` in a fresh private IPC + mount namespace with its own /dev/shm and /dev/mqueue. */
export function inPosixNamespace(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return run(
    'unshare',
    ['--ipc', '--mount', '--propagation', 'private', 'sh', '-c', SETUP, 'sh', cmd, ...args],
    opts,
  );
}

/**
 * A bash script (with `runas`/`nobody`, $SVIPC and the public copy's paths, as inNamespace) in a
 * fresh private IPC + mount namespace with its own /dev/shm and /dev/mqueue; with `pid`, in a pid
 * namespace with its own /proc too, where every process a /proc scan sees is the script's. For
 * every test whose svipc lists or judges POSIX objects (snapshot, diff, leaks, run): the host's
 * /dev/shm holds other programs' objects, and nothing the script makes may reach it.
 */
export function posixShell(script: string, opts: RunOptions & { pid?: boolean } = {}): Promise<RunResult> {
  const pid = opts.pid ? ['--pid', '--fork', '--mount-proc'] : [];
  return run(
    'unshare',
    [
      '--ipc',
      '--mount',
      '--propagation',
      'private',
      ...pid,
      'sh',
      '-c',
      SETUP,
      'sh',
      'bash',
      '-c',
      `set -o pipefail\n${RUNAS_FUNCTIONS}\n${script}`,
    ],
    { timeoutMs: 60_000, ...opts, env: { ...publicEnv(), ...opts.env } },
  );
}

/** Whether posixShell can run here (with `pid`: a pid namespace and /proc of its own too). */
export function canPosixShell(pid = false): boolean {
  return canPosixNamespace() && (!pid || canUnsharePid());
}
