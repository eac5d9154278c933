/* Test peer for `svipc leaks`: holds one System V IPC object the ways a live program does.
 * Usage: ipc-holder msgrcv ID   blocks in msgrcv on queue ID
 *        ipc-holder msgsnd ID   fills queue ID (IPC_NOWAIT), then blocks in msgsnd on it
 *        ipc-holder semop ID    blocks in semop (-1 on semaphore 0) of set ID
 *        ipc-holder shmat ID    attaches segment ID, then sleeps until killed
 * Every call is checked; a failure names the call and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

struct msg {
	long mtype;
	char mtext[1024];
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ipc-holder msgrcv|msgsnd|semop|shmat ID\n");
		return 2;
	}
	int id = atoi(argv[2]);
	static struct msg m = { .mtype = 1 };
	if (!strcmp(argv[1], "msgrcv")) {
		if (msgrcv(id, &m, sizeof m.mtext, 0, 0) < 0) {
			perror("msgrcv");
			return 1;
		}
	} else if (!strcmp(argv[1], "msgsnd")) {
		while (msgsnd(id, &m, sizeof m.mtext, IPC_NOWAIT) == 0)
			;
		if (errno != EAGAIN) {
			perror("msgsnd");
			return 1;
		}
		if (msgsnd(id, &m, sizeof m.mtext, 0) < 0) {
			perror("msgsnd");
			return 1;
		}
	} else if (!strcmp(argv[1], "semop")) {
		struct sembuf op = { .sem_num = 0, .sem_op = -1, .sem_flg = 0 };
		if (semop(id, &op, 1) < 0) {
			perror("semop");
			return 1;
		}
	} else if (!strcmp(argv[1], "shmat")) {
		if (shmat(id, NULL, 0) == (void *)-1) {
			perror("shmat");
			return 1;
		}
		for (;;)
			pause();
	} else {
		fprintf(stderr, "ipc-holder: unknown call: %s\n", argv[1]);
		return 2;
	}
	return 0;
}
