// Exit codes, one table for every subcommand that is not a util-linux drop-in
// (those keep util-linux's own: 0 ok, 1 failure). Listed in `svipc --help` and svipc(1).
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  /** stat-client: no server is running. EX_UNAVAILABLE of sysexits.h. */
  NO_SERVER: 69,
  /** --nowait and the call would have blocked (EAGAIN/ENOMSG). EX_TEMPFAIL of sysexits.h. */
  WOULD_BLOCK: 75,
  TIMEOUT: 124,
  SIGHUP: 129,
  /** stdout closed under us (EPIPE): what a C program killed by SIGPIPE reports. */
  SIGPIPE: 141,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export const SIGNAL_EXIT: Record<string, number> = {
  SIGHUP: EXIT.SIGHUP,
  SIGINT: EXIT.SIGINT,
  SIGPIPE: EXIT.SIGPIPE,
  SIGTERM: EXIT.SIGTERM,
};

/** A usage mistake: a one-line message, exit 2. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.USAGE) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/** An expected failure with a message already written for the user, and its exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}
