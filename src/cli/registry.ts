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

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'ipcs',
    summary: 'show information on IPC facilities (util-linux compatible, plus --json)',
    group: 'util-linux',
    multiCall: true,
  },
  {
    name: 'ipcmk',
    summary: 'make IPC resources (util-linux compatible, plus --key, --json)',
    group: 'util-linux',
    multiCall: true,
  },
  {
    name: 'ipcrm',
    summary: 'remove IPC resources (util-linux compatible)',
    group: 'util-linux',
    multiCall: true,
  },
  {
    name: 'lsipc',
    summary: 'list IPC facilities in columns, JSON or shell variables (util-linux compatible)',
    group: 'util-linux',
    multiCall: true,
  },
  {
    name: 'ftok',
    summary: "print the key ftok(3) makes of PATH and PROJ, like the lecture's ftok",
    group: 'lecture',
  },
  {
    name: 'svsem-demo',
    summary: "the lecture's svsem_demo: create a semaphore, or semop on one",
    group: 'lecture',
  },
  { name: 'stdin2shm', summary: 'copy stdin into a shared memory segment (lecture demo)', group: 'lecture' },
  { name: 'shm2stdout', summary: 'copy a shared memory segment to stdout (lecture demo)', group: 'lecture' },
  {
    name: 'svshm-writer',
    summary: 'semaphore-synchronized transfer through shared memory: writer side',
    group: 'lecture',
  },
  {
    name: 'svshm-reader',
    summary: 'semaphore-synchronized transfer through shared memory: reader side',
    group: 'lecture',
  },
  {
    name: 'shm-list-writer',
    summary: 'build an offset-linked list in a shared memory segment',
    group: 'lecture',
  },
  {
    name: 'shm-list-reader',
    summary: 'walk the offset-linked list in a shared memory segment',
    group: 'lecture',
  },
  { name: 'stat-server', summary: "the lecture's message-queue stat/file server", group: 'lecture' },
  {
    name: 'stat-client',
    summary: "ask the stat server for a file's size (or, with --content, its bytes)",
    group: 'lecture',
  },
  {
    name: 'tour',
    summary: 'run every demo of the lecture on private objects, check and explain each',
    group: 'lecture',
  },
  { name: 'msg', summary: 'message queues from the shell: send, recv, peek, stat, set', group: 'primitives' },
  { name: 'sem', summary: 'semaphores from the shell: create, get, set, op', group: 'primitives' },
  { name: 'shm', summary: 'shared memory from the shell: create, write, read', group: 'primitives' },
  { name: 'snapshot', summary: 'print every visible IPC object as JSON', group: 'hygiene' },
  {
    name: 'diff',
    summary: 'what appeared and disappeared since a snapshot (exit 1 if anything appeared)',
    group: 'hygiene',
  },
  {
    name: 'leaks',
    summary: 'objects nobody uses any more: creator and last user gone, nothing attached',
    group: 'hygiene',
  },
  {
    name: 'who',
    summary: 'who uses each object now: attached and blocked processes, recorded pids alive or gone',
    group: 'hygiene',
  },
  {
    name: 'metrics',
    summary: 'IPC limits, usage and (opt-in) per-object figures in the Prometheus text format',
    group: 'hygiene',
  },
  {
    name: 'run',
    summary: 'run a command and report (and --cleanup) the IPC objects it left behind',
    group: 'hygiene',
  },
  {
    name: 'top',
    summary: 'a live view of every IPC object: depth, rates, waiters, limits in use (or NDJSON samples)',
    group: 'hygiene',
  },
  { name: 'completion', summary: 'print a shell completion script (bash, zsh, fish)', group: 'other' },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
