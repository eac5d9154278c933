/* micro.c: the C side of bench/run.mjs's per-call figures; bench/ffi.mjs is svipc's side.
 * Each loop runs COUNT times on a private object it makes and removes, and prints
 * "NS_PER_OP" (wall time of the loop alone, start-up excluded) on stdout.
 *   micro getval COUNT        semctl(GETVAL) on a set of 1
 *   micro semop COUNT         semop P then semop V on a set of 1 (two calls per op)
 *   micro echo QID            answer every type-1 message on QID with type 2 (until a
 *                             message of size 0, or the queue is removed)
 *   micro ping QID COUNT      send type 1, wait for type 2: COUNT round trips with echo */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>

struct msg { long mtype; char text[64]; };

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	long count = argc > 2 ? atol(argv[2]) : 0;
	double t0, t1;
	int id;

	if (argc < 3)
		return fprintf(stderr, "usage: micro getval|semop COUNT | echo QID | ping QID COUNT\n"), 2;
	if (!strcmp(argv[1], "getval") || !strcmp(argv[1], "semop")) {
		struct sembuf p = { 0, -1, 0 }, v = { 0, 1, 0 };
		int getval = !strcmp(argv[1], "getval");
		if ((id = semget(IPC_PRIVATE, 1, 0600)) < 0)
			return die("semget");
		if (semctl(id, 0, SETVAL, 1) < 0)
			return die("semctl SETVAL");
		t0 = now_ns();
		for (long i = 0; i < count; i++) {
			if (getval) {
				if (semctl(id, 0, GETVAL) < 0)
					return die("semctl GETVAL");
			} else if (semop(id, &p, 1) < 0 || semop(id, &v, 1) < 0) {
				return die("semop");
			}
		}
		t1 = now_ns();
		semctl(id, 0, IPC_RMID);
	} else if (!strcmp(argv[1], "echo")) {
		struct msg m;
		ssize_t n;
		id = atoi(argv[2]);
		while ((n = msgrcv(id, &m, sizeof(m.text), 1, 0)) > 0) {
			m.mtype = 2;
			if (msgsnd(id, &m, (size_t)n, 0) < 0)
				return die("msgsnd");
		}
		return 0;
	} else if (!strcmp(argv[1], "ping") && argc == 4) {
		struct msg m = { 1, "ping" };
		id = atoi(argv[2]);
		count = atol(argv[3]);
		t0 = now_ns();
		for (long i = 0; i < count; i++) {
			m.mtype = 1;
			if (msgsnd(id, &m, 4, 0) < 0)
				return die("msgsnd");
			if (msgrcv(id, &m, sizeof(m.text), 2, 0) < 0)
				return die("msgrcv");
		}
		t1 = now_ns();
	} else {
		return fprintf(stderr, "micro: unknown mode %s\n", argv[1]), 2;
	}
	printf("%.1f\n", (t1 - t0) / (count > 0 ? count : 1));
	return 0;
}
