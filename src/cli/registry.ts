// Every subcommand: its name, a one-line summary for `svipc --help`, and whether a link
// with its name makes svipc behave as it (multi-call). The module is commands/<name>.ts,
// loaded only when that command runs, so start-up pays for one command only.

export interface CommandEntry {
  name: string;
  summary: string;
  group: 'util-linux' | 'lecture' | 'primitives' | 'hygiene' | 'other';
  /** Invoked through a link of this name, svipc is this command (ipcs, ipcmk, ipcrm). */
  multiCall?: boolean;
}

/** One group's entries, in order, from its commands' names and summaries. */
function inGroup(
  group: CommandEntry['group'],
  summaries: Record<string, string>,
  extra: Pick<CommandEntry, 'multiCall'> = {},
): CommandEntry[] {
  return Object.entries(summaries).map(([name, summary]) => ({ name, summary, group, ...extra }));
}

export const COMMANDS: readonly CommandEntry[] = [
  ...inGroup(
    'util-linux',
    {
      ipcs: 'show information on IPC facilities (util-linux compatible, plus --json)',
      ipcmk: 'make IPC resources (util-linux compatible, plus --key, --json)',
      ipcrm: 'remove IPC resources (util-linux compatible)',
      lsipc: 'list IPC facilities in columns, JSON or shell variables (util-linux compatible)',
    },
    { multiCall: true },
  ),
  ...inGroup('lecture', {
    ftok: "print the key ftok(3) makes of PATH and PROJ, like the lecture's ftok",
    'svsem-demo': "the lecture's svsem_demo: create a semaphore, or semop on one",
    stdin2shm: 'copy stdin into a shared memory segment (lecture demo)',
    shm2stdout: 'copy a shared memory segment to stdout (lecture demo)',
    'svshm-writer': 'semaphore-synchronized transfer through shared memory: writer side',
    'svshm-reader': 'semaphore-synchronized transfer through shared memory: reader side',
    'shm-list-writer': 'build an offset-linked list in a shared memory segment',
    'shm-list-reader': 'walk the offset-linked list in a shared memory segment',
    'stat-server': "the lecture's message-queue stat/file server",
    'stat-client': "ask the stat server for a file's size (or, with --content, its bytes)",
    tour: 'run every demo of the lecture on private objects, check and explain each',
  }),
  ...inGroup('primitives', {
    msg: 'message queues from the shell: send, recv, peek, stat, set',
    sem: 'semaphores from the shell: create, get, set, op',
    shm: 'shared memory from the shell: create, write, read',
  }),
  ...inGroup('hygiene', {
    snapshot: 'print every visible IPC object as JSON',
    diff: 'what appeared and disappeared since a snapshot (exit 1 if anything appeared)',
    leaks: 'objects nobody uses any more: creator and last user gone, nothing attached',
    who: 'who uses each object now: attached and blocked processes, recorded pids alive or gone',
    metrics: 'IPC limits, usage and (opt-in) per-object figures in the Prometheus text format',
    run: 'run a command and report (and --cleanup) the IPC objects it left behind',
    top: 'a live view of every IPC object: depth, rates, waiters, limits in use (or NDJSON samples)',
  }),
  ...inGroup('other', {
    completion: 'print a shell completion script (bash, zsh, fish)',
  }),
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
