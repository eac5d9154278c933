// The lecture's svshm-xfr.h, shared by svshm-writer and svshm-reader: the keys, the
// permissions, the semaphore numbers and struct shmseg's layout; what both sides report.
//
//   SHM_KEY 0x1234, SEM_KEY 0x5678, OBJ_PERMS 0660
//   semaphore set of 2: WRITE_SEM 0 (init 1, "the writer may fill the buffer"),
//                       READ_SEM 1 (init 0, "the reader may empty it")
//   struct shmseg { int cnt; char buf[BUF_SIZE]; }   BUF_SIZE 10240, cnt in native order
import { endianness } from 'node:os';
import type { Writable } from 'node:stream';
import type { Tracer } from '../ipc/trace.js';

export const SHM_KEY = 0x1234;
export const SEM_KEY = 0x5678;
/** S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP */
export const OBJ_PERMS = 0o660;
export const WRITE_SEM = 0;
export const READ_SEM = 1;
export const BUF_SIZE = 10240;
/** sizeof(int): the `cnt` field before the data. */
export const CNT_SIZE = 4;
/** The largest --buffer-size (cnt is an int; readSync/writeSync take < 2 GiB). */
export const MAX_BUF_SIZE = 1 << 30;

/** sizeof(struct shmseg) for a buffer of `bufSize` bytes. */
export function segmentSize(bufSize: number = BUF_SIZE): number {
  return CNT_SIZE + bufSize;
}

const LE = endianness() === 'LE';
export function readCnt(seg: Buffer): number {
  return LE ? seg.readInt32LE(0) : seg.readInt32BE(0);
}
export function writeCnt(seg: Buffer, cnt: number): void {
  if (LE) seg.writeInt32LE(cnt, 0);
  else seg.writeInt32BE(cnt, 0);
}

/** An expected failure of a transfer: the command prints the message. */
export class TransferError extends Error {
  constructor(
    message: string,
    /** Gave up waiting (--timeout): exit 124 rather than 1. */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

export interface TransferResult {
  /** Data bytes transferred. */
  bytes: number;
  /** Non-empty buffers transferred (the lecture's "xfrs"). */
  xfrs: number;
}

export interface CommonOptions {
  shmKey?: number;
  /** --trace: where the transfer's calls are traced (the lecture's calls; waits with `all`). */
  trace?: Tracer | undefined;
  semKey?: number;
  /** Aborted by SIGINT/SIGTERM/SIGHUP: the wait ends with WaitAbortedError after cleanup. */
  signal?: AbortSignal;
  /** Called about every 250 ms during the transfer, and once at the end with done = true. */
  onProgress?: (p: TransferResult, done: boolean) => void;
  /** A line worth telling the user (stale objects removed...). */
  onNotice?: (message: string) => void;
  /** Called once the set and segment are ready (writer) or found (reader). */
  onReady?: (info: { semid: number; shmid: number; bufSize: number; peerPid?: number }) => void;
}

export interface WriterOptions extends CommonOptions {
  /** Size of `buf` in struct shmseg (default BUF_SIZE). */
  bufferSize?: number;
  /** Give up when no reader has shown up within this many ms (default: wait forever). */
  timeoutMs?: number;
  /** Where the data comes from (default 0, stdin). */
  inputFd?: number;
  /** Remove a killed writer's leftovers at our keys (default true; see reclaimStale). */
  reclaim?: boolean;
}

export interface ReaderOptions extends CommonOptions {
  /** How long to wait for the writer to appear (default 30 s). */
  timeoutMs?: number;
  /** The largest cnt accepted (default: what the segment holds). */
  bufferSize?: number;
  /** Where the data goes (default 1, stdout)... */
  outputFd?: number;
  /** ...and its stream, to wait for room when the fd is a full non-blocking pipe. */
  output?: Writable;
}

export const DEFAULT_READER_TIMEOUT_MS = 30_000;

/** A key as the lecture writes it: 0x1234. */
export function hexKey(k: number): string {
  return `0x${(k >>> 0).toString(16)}`;
}
