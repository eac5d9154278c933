/* stat-server.c: the lecture's stat server ("Client/server message queues", System V IPC),
 * as printed there, made to compile: stat-common.h (with helpers.h) is shared with stat-client.c.
 * One request queue with key ftok(SRV_FTOK_PATH, SRV_FTOK_PROJ); a child per request answers
 * on the client's private queue.
 * Test-only deviations, marked "svipc:": the ftok path can be given as argv[1] (private
 * keys for tests), SIGTERM is handled like SIGINT, and dezombie reaps every finished child
 * (signals coalesce under load).
 * Usage: stat-server [FTOK_PATH] */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stat-common.h"

/* ---- stat-server.c ---- */
static int srv_id;
int handle_request(const struct request_msg *req);

void rm_queue(int signo) {
	(void)signo;
	msgctl(srv_id, IPC_RMID, NULL);
}

void dezombie(int signo) {
	(void)signo;
	while (waitpid(-1, NULL, WNOHANG) > 0) /* svipc: reap them all */
		;
}

int main(int argc, char **argv) {
	int msglen;
	key_t srv_key;
	pid_t pid;
	struct request_msg req;
	const char *path = argc > 1 ? argv[1] : SRV_FTOK_PATH; /* svipc */

	if ((srv_key = ftok(path, SRV_FTOK_PROJ)) < 0)
		err_sys("ftok error");
	if ((srv_id = msgget(srv_key, IPC_CREAT | IPC_EXCL | S_IRUSR | S_IWUSR | S_IWGRP)) < 0)
		err_sys("msgget error");
	if (signal(SIGCHLD, dezombie) == SIG_ERR /* better cleanup needed... */
	    || signal(SIGINT, rm_queue) == SIG_ERR
	    || signal(SIGTERM, rm_queue) == SIG_ERR) /* svipc */
		err_sys("signal error");

	for (;;) {
		if ((msglen = msgrcv(srv_id, &req, REQ_SIZ, 0, 0)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pid = fork()) < 0)
			err_sys("fork error");
		if (pid == 0) { /* child */
			if (handle_request(&req) < 0)
				err_msg("handle_request error");
			exit(EXIT_SUCCESS);
		}
		/* parent continues to handle next request */
	}
	rm_queue(-1);
	exit(EXIT_SUCCESS);
}

int handle_request(const struct request_msg *req) {
	struct stat finfo;
	struct response_msg res;
	memset(&res, 0, sizeof(res)); /* svipc: no stack garbage in RES_ERR's size */
	if (stat(req->pathname, &finfo) < 0) {
		res.mtype = RES_ERR;
	} else {
		res.mtype = RES_OK;
		res.size = finfo.st_size;
	}
	return msgsnd(req->cli_id, &res, RES_SIZ, 0);
}
