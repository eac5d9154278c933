// The lecture's stat server protocol ("Client/server message queues"), wire-compatible with
// its C programs, plus svipc's file-content extension (the lecture's exercise).
//
// Queues: one request queue with key ftok("/tmp/stat-server", 1), and one private reply queue
// per client (msgget(IPC_PRIVATE)) whose id the client puts in each request.
//
// Layouts (glibc, 64-bit Linux; test/peers/stat-*.c and test/unit/stat-protocol.test.ts check
// them against the C compiler). Message sizes passed to msgsnd/msgrcv exclude the leading long.
//
//   struct request_msg {            offset  size
//     long mtype;                      0      8   REQ_STAT (1, what the lecture's client sets)
//                                                  or REQ_CONTENT (2, svipc's extension)
//     int  cli_id;                     8      4   the client's reply queue id
//     char pathname[PATH_MAX];        12   4096   NUL-terminated
//   };                                            + 4 bytes of tail padding: sizeof = 4112
//   REQ_SIZ = sizeof(struct request_msg) - sizeof(long) = 4104
//
//   struct response_msg {
//     long   mtype;                    0      8   RES_OK (1) or RES_ERR (2)
//     size_t size;                     8      8   the file's st_size (RES_OK)
//   };
//   RES_SIZ = 8
//
// A request may be shorter than REQ_SIZ as long as the path's NUL is in it (svipc's client
// sends 4 + strlen(path) + 1 bytes; the lecture's server reads such a request fine). A server
// reads at most REQ_SIZ bytes; anything longer is malformed.
//
// Extension 1, RES_ERR carries the errno: `size` holds the errno of the failed stat/open
// (the lecture leaves it unset and its client ignores it). 0 means "no reason given".
//
// Extension 2, file content (REQ_CONTENT). Same request layout, mtype 2. The lecture's
// server ignores mtype, so against it a content request gets a plain stat answer; svipc's
// server answers on the reply queue with, in order:
//   RES_OK   {size_t size}        the size fstat reported when the file was opened
//   RES_DATA raw bytes            1..N bytes each, N = min(msgmax, the reply queue's msg_qbytes)
//   ...
//   RES_END  {size_t total}       end marker: total bytes sent in RES_DATA messages
// or, at any point, RES_ERR {size_t errno} and nothing after it (a file that cannot be
// opened or read, a server that shuts down, a client too slow for too long).
// Only regular files are served. Data is read from disk in blocks and sent with IPC_NOWAIT:
// when the reply queue is full the server moves on to other clients and retries later.

import { readFileSync } from 'node:fs';
import { cString, escapeBytes } from '../ipc/trace.js';

/** The lecture's SRV_FTOK_PATH and SRV_FTOK_PROJ. */
export const STAT_FTOK_PATH = '/tmp/stat-server';
export const STAT_FTOK_PROJ = 1;

/** PATH_MAX, the size of request_msg.pathname (NUL included). */
export const PATH_MAX = 4096;
/** Offset of pathname in the payload (after int cli_id). */
export const PATH_OFFSET = 4;
/** sizeof(struct request_msg) - sizeof(long): 4 + 4096 + 4 bytes of tail padding. */
export const REQ_SIZ = 4104;
/** sizeof(struct response_msg) - sizeof(long). */
export const RES_SIZ = 8;
/** The shortest well-formed request: cli_id and a NUL (the empty path). */
export const REQ_MIN = PATH_OFFSET + 1;

/** Request mtypes. The lecture's client sets 1 ("unused" in the lecture). */
export const REQ_STAT = 1;
export const REQ_CONTENT = 2;

/** Response mtypes: the lecture's two, then the content extension's. */
export const RES_OK = 1;
export const RES_ERR = 2;
export const RES_DATA = 3;
export const RES_END = 4;

export type RequestKind = 'stat' | 'content';

export interface StatRequest {
  kind: RequestKind;
  /** The reply queue id. */
  cliId: number;
  /** The path's bytes (no NUL), as latin1 text so that every byte survives: see pathBytes. */
  path: string;
}

export type DecodedRequest = StatRequest | { error: string };

/**
 * Encode a request payload (without the mtype). `full` pads it to REQ_SIZ like the lecture's
 * client; otherwise it stops after the path's NUL.
 */
export function encodeRequest(
  cliId: number,
  path: Uint8Array | string,
  opts: { full?: boolean } = {},
): Buffer {
  const bytes = typeof path === 'string' ? Buffer.from(path) : Buffer.from(path);
  if (bytes.includes(0)) throw new RangeError('path contains a NUL byte');
  if (bytes.length > PATH_MAX - 1) throw new RangeError(`path is longer than ${PATH_MAX - 1} bytes`);
  const size = opts.full ? REQ_SIZ : PATH_OFFSET + bytes.length + 1;
  const buf = Buffer.alloc(size);
  buf.writeInt32LE(cliId, 0);
  bytes.copy(buf, PATH_OFFSET);
  return buf;
}

/** The mtype a client sends for a kind of request. */
export function requestType(kind: RequestKind): number {
  return kind === 'content' ? REQ_CONTENT : REQ_STAT;
}

/**
 * Check and decode a received request. `data` is what msgrcv returned when asked for up to
 * REQ_SIZ + 1 bytes with MSG_NOERROR, so a length of REQ_SIZ + 1 means "longer than REQ_SIZ".
 * Every way a request can be malformed gives `{ error }` with a reason for the log.
 */
export function decodeRequest(type: number, data: Buffer): DecodedRequest {
  if (type !== REQ_STAT && type !== REQ_CONTENT) return { error: `unknown mtype ${type}` };
  if (data.length < REQ_MIN)
    return { error: `too short (${data.length} bytes, at least ${REQ_MIN} expected)` };
  if (data.length > REQ_SIZ) return { error: `too long (more than ${REQ_SIZ} bytes)` };
  const cliId = data.readInt32LE(0);
  if (cliId < 0) return { error: `negative reply queue id ${cliId}` };
  const end = Math.min(data.length, PATH_OFFSET + PATH_MAX);
  const nul = data.indexOf(0, PATH_OFFSET);
  if (nul < 0 || nul >= end) return { error: `unterminated path (no NUL in ${end - PATH_OFFSET} bytes)` };
  return {
    kind: type === REQ_CONTENT ? 'content' : 'stat',
    cliId,
    path: data.toString('latin1', PATH_OFFSET, nul),
  };
}

/** A path held as latin1 text back to its bytes (what fs calls and the log want). */
export function pathBytes(path: string): Buffer {
  return Buffer.from(path, 'latin1');
}

/** A path for a log line: its bytes as UTF-8, quoted and escaped (no control characters). */
export function showPath(path: string): string {
  return JSON.stringify(pathBytes(path).toString('utf8'));
}

/** The 8-byte payload of RES_OK (size), RES_ERR (errno) and RES_END (total). */
export function encodeSize(value: number | bigint): Buffer {
  const buf = Buffer.alloc(RES_SIZ);
  buf.writeBigUInt64LE(BigInt(value));
  return buf;
}

/** Read an 8-byte size_t payload; null if the message is too short to hold one. */
export function decodeSize(data: Buffer): bigint | null {
  return data.length >= RES_SIZ ? data.readBigUInt64LE(0) : null;
}

/**
 * Whether process `pid` exists and is not a zombie (/proc/PID/stat): how a client tells that
 * the server behind a queue has died, and --replace that no one serves a queue any more.
 */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** How --trace shows a request: `{mtype=1, cli_id=5, pathname="/etc/passwd"}`. */
export function describeRequest(type: number, data: Uint8Array): string {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < PATH_OFFSET) return `{mtype=${type}, ${b.length} bytes: too short}`;
  const path = cString(b.subarray(PATH_OFFSET));
  return `{mtype=${type}, cli_id=${b.readInt32LE(0)}, pathname=${escapeBytes(path, 64)}}`;
}

const RES_NAMES: Record<number, string> = { [RES_OK]: 'RES_OK', [RES_ERR]: 'RES_ERR', [RES_END]: 'RES_END' };

/** How --trace shows an answer: `{mtype=RES_OK, size=1234}`, `{mtype=RES_DATA, data="..."}`. */
export function describeResponse(type: number, data: Uint8Array): string {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (type === RES_DATA) return `{mtype=RES_DATA, data=${escapeBytes(b)}}`;
  const name = RES_NAMES[type];
  const v = decodeSize(b);
  if (name === undefined || v === null) return `{mtype=${type}, data=${escapeBytes(b)}}`;
  return `{mtype=${name}, ${type === RES_ERR ? 'errno' : 'size'}=${v}}`;
}
