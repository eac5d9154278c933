/* stat-bound.c: what bounds svipc stat-server against the iterative C server (stat-server-iter.c),
 * in the kernel alone, without Node. Per request the C server makes one msgrcv, one stat and
 * one msgsnd. svipc makes those, and, to serve each request with its sender's privileges
 * (svipc-stat-server(1), WHO IS ASKING), one IPC_STAT of the request queue (msg_qnum and
 * msg_lspid: who sent it), one IPC_STAT of the reply queue (may the sender write it?) and one
 * read of the sender's /proc/PID/status (its uids, gids, groups and capabilities, read afresh
 * for every request: a process may give up privileges between two requests).
 * Prints the microseconds per call of each, COUNT times, twice (the second round is warm).
 *
 *   cc -O2 -o /tmp/stat-bound bench/c/stat-bound.c
 *   sleep 60 & /tmp/stat-bound $! /etc/passwd [COUNT]
 *
 * PID: a process of the size of the lecture's client (sleep will do); FILE: what is stat()ed.
 * The message calls run on a private queue this program makes and removes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../test/peers/stat-common.h"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	struct request_msg req = { .mtype = 1 };
	struct response_msg res = { .mtype = RES_OK };
	struct msqid_ds ds;
	struct stat st;
	char path[64], buf[16384];
	int count, id, fd;
	double t;

	if (argc < 3)
		err_quit("usage: stat-bound PID FILE [COUNT]");
	count = argc > 3 ? atoi(argv[3]) : 100000;
	snprintf(path, sizeof(path), "/proc/%s/status", argv[1]);
	if ((fd = open(path, O_RDONLY)) < 0)
		err_sys("open error");
	if ((id = msgget(IPC_PRIVATE, S_IRUSR | S_IWUSR)) < 0)
		err_sys("msgget error");
	for (int round = 0; round < 2; round++) {
		t = now_us();
		for (int i = 0; i < count; i++) {
			if (msgsnd(id, &req, REQ_SIZ, 0) < 0 || msgrcv(id, &req, REQ_SIZ, 0, 0) < 0 ||
			    msgsnd(id, &res, RES_SIZ, 0) < 0 || msgrcv(id, &res, RES_SIZ, 0, 0) < 0)
				err_sys("msgsnd/msgrcv error");
		}
		printf("%8.2f us  a request and its answer, sent and received (4 calls: client and server)\n",
		       (now_us() - t) / count);
		t = now_us();
		for (int i = 0; i < count; i++)
			if (stat(argv[2], &st) < 0)
				err_sys("stat error");
		printf("%8.2f us  stat(2)\n", (now_us() - t) / count);
		t = now_us();
		for (int i = 0; i < count; i++)
			if (msgctl(id, IPC_STAT, &ds) < 0)
				err_sys("msgctl error");
		printf("%8.2f us  msgctl(IPC_STAT) (svipc: two per request)\n", (now_us() - t) / count);
		t = now_us();
		for (int i = 0; i < count; i++)
			if (pread(fd, buf, sizeof(buf), 0) <= 0)
				err_sys("pread error");
		printf("%8.2f us  pread of %s (svipc: one per request)\n", (now_us() - t) / count, path);
	}
	msgctl(id, IPC_RMID, NULL);
	return 0;
}
