/* stat-server-iter.c: the lecture's stat server made iterative, the baseline for svipc
 * stat-server: one loop of msgrcv, stat, msgsnd in one process (no fork per request), on
 * the lecture's protocol (test/peers/stat-common.h). Runs until SIGINT/SIGTERM, then
 * removes its queue.
 * Usage: stat-server-iter FTOK_PATH */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/stat.h>

#include "../../test/peers/stat-common.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	struct request_msg req;
	struct response_msg res;
	struct sigaction sa = { .sa_handler = on_signal };
	struct stat st;
	key_t key;
	int id;

	if (argc != 2)
		err_quit("usage: stat-server-iter FTOK_PATH");
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: msgrcv returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	if ((key = ftok(argv[1], SRV_FTOK_PROJ)) < 0)
		err_sys("ftok error");
	if ((id = msgget(key, IPC_CREAT | IPC_EXCL | S_IRUSR | S_IWUSR | S_IWGRP)) < 0)
		err_sys("msgget error");
	while (!stop) {
		if (msgrcv(id, &req, REQ_SIZ, 0, 0) < 0)
			continue; /* EINTR: stop is set */
		req.pathname[sizeof(req.pathname) - 1] = '\0';
		if (stat(req.pathname, &st) < 0) {
			res.mtype = RES_ERR;
		} else {
			res.mtype = RES_OK;
			res.size = st.st_size;
		}
		msgsnd(req.cli_id, &res, RES_SIZ, 0);
	}
	msgctl(id, IPC_RMID, NULL);
	return 0;
}
