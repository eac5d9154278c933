#!/usr/bin/env node
// The least a Node.js ipcs could do, for the start-up group's floor row (bench/run.mjs): read
// /proc/sysvipc's three tables and, if they could be read, write the three empty listings'
// headers, as `svipc ipcs` prints them in an empty namespace. Started as svipc is, through its
// shebang (/usr/bin/env finds node), and CommonJS as bin/svipc is: what any Node program that
// replaces ipcs pays before it does anything more.
'use strict';
const { readFileSync, writeSync } = require('node:fs');

const tables = ['msg', 'shm', 'sem'].map((k) => readFileSync(`/proc/sysvipc/${k}`, 'utf8'));
const text =
  '\n------ Message Queues --------\nkey        msqid      owner      perms      used-bytes   messages    \n\n' +
  '------ Shared Memory Segments --------\nkey        shmid      owner      perms      bytes      nattch     status      \n\n' +
  '------ Semaphore Arrays --------\nkey        semid      owner      perms      nsems     \n\n';
if (tables.every((t) => t.length > 0)) writeSync(1, text);
