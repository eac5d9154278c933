/* mkobjs.c: fill a private IPC namespace for bench/run.mjs's listing figures, in one
 * process: QUEUES message queues, SEGMENTS 4096-byte segments, SETS semaphore sets of
 * NSEMS each, all IPC_PRIVATE, mode 0600. Only ever run inside `unshare --ipc` (the
 * namespace and all in it go away with the benchmark's process).
 * Usage: mkobjs QUEUES SEGMENTS SETS NSEMS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(int argc, char **argv)
{
	long q, s, n, k;
	if (argc != 5)
		return fprintf(stderr, "usage: mkobjs QUEUES SEGMENTS SETS NSEMS\n"), 2;
	q = atol(argv[1]);
	s = atol(argv[2]);
	n = atol(argv[3]);
	k = atol(argv[4]);
	for (long i = 0; i < q; i++)
		if (msgget(IPC_PRIVATE, 0600) < 0)
			return perror("msgget"), 1;
	for (long i = 0; i < s; i++)
		if (shmget(IPC_PRIVATE, 4096, 0600) < 0)
			return perror("shmget"), 1;
	for (long i = 0; i < n; i++)
		if (semget(IPC_PRIVATE, (int)k, 0600) < 0)
			return perror("semget"), 1;
	return 0;
}
