/* stat-client.c: the lecture's stat client ("Client/server message queues", System V IPC),
 * as printed there, made to compile (stat-common.h, with helpers.h, shared with stat-server.c).
 * Test-only additions, marked "svipc:": STAT_FTOK_PATH in the environment replaces the
 * ftok path (private keys for tests); `-n COUNT` repeats the request COUNT times on the
 * same reply queue and prints every answer (a load generator for bench/stat-server.mjs);
 * `-q` prints nothing (still exits 1 on the first RES_ERR); `-r ID [-t MTYPE]` names queue
 * ID as the reply queue (someone else's: a hostile client), sends one request of MTYPE
 * (default 1; 2 = svipc's content request) and exits a second later without reading any
 * answer (its process lives on meanwhile, as an attacker's would, so the server sees who it is).
 * Usage: stat-client [-n COUNT] [-q] [-r ID [-t MTYPE]] PATH */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stat-common.h"

/* ---- stat-client.c ---- */
static int cli_id;

void rm_queue(void) {
	msgctl(cli_id, IPC_RMID, NULL);
}

int main(int argc, char **argv) {
	int srv_id;
	key_t srv_key;
	struct request_msg req;
	struct response_msg res;
	long count = 1, i; /* svipc */
	int quiet = 0, opt, other = -1; /* svipc */
	long mtype = 1;
	const char *path = getenv("STAT_FTOK_PATH") ? getenv("STAT_FTOK_PATH") : SRV_FTOK_PATH;

	while ((opt = getopt(argc, argv, "n:qr:t:")) != -1) { /* svipc */
		if (opt == 'n') count = atol(optarg);
		else if (opt == 'q') quiet = 1;
		else if (opt == 'r') other = atoi(optarg);
		else if (opt == 't') mtype = atol(optarg);
		else err_quit("Usage: stat-client [-n COUNT] [-q] [-r ID [-t MTYPE]] PATH");
	}
	if (argc - optind != 1)
		err_quit("Usage: stat-client PATH");
	if ((srv_key = ftok(path, SRV_FTOK_PROJ)) < 0)
		err_sys("ftok error");
	if ((srv_id = msgget(srv_key, 0)) < 0)
		err_sys("msgget error (server queue)");
	if (other >= 0) { /* svipc: a request naming someone else's queue, no answer awaited */
		req.mtype = mtype;
		req.cli_id = other;
		strncpy(req.pathname, argv[optind], sizeof(req.pathname) - 1);
		req.pathname[sizeof(req.pathname) - 1] = '\0';
		if (msgsnd(srv_id, &req, REQ_SIZ, 0) < 0)
			err_sys("msgsnd error");
		sleep(1);
		exit(EXIT_SUCCESS);
	}
	if ((cli_id = msgget(IPC_PRIVATE, S_IRUSR | S_IWUSR | S_IWGRP)) < 0)
		err_sys("msgget error (client queue)");
	if (atexit(rm_queue) != 0)
		err_sys("atexit error");

	req.mtype = 1; /* unused */
	req.cli_id = cli_id;
	strncpy(req.pathname, argv[optind], sizeof(req.pathname) - 1);
	req.pathname[sizeof(req.pathname) - 1] = '\0'; /* safeguard */

	for (i = 0; i < count; i++) { /* svipc: the lecture sends one */
		if (msgsnd(srv_id, &req, REQ_SIZ, 0) < 0)
			err_sys("msgsnd error");
		if (msgrcv(cli_id, &res, RES_SIZ, 0, 0) < 0)
			err_sys("msgrcv error");
		if (res.mtype == RES_ERR)
			exit(EXIT_FAILURE);
		if (!quiet)
			printf("%ld\n", (long)res.size);
	}
	exit(EXIT_SUCCESS);
}
