/* svshm-reader.c: the lecture's svshm-reader (based on Michael Kerrisk's svshm_xfr_reader.c),
 * written for svipc's tests from the lecture's protocol (svshm-xfr.h, shared with the writer): copies what the
 * writer puts in the segment SHM_KEY to stdout, taking turns through the semaphore set SEM_KEY.
 * As the lecture's, it must start after the writer. `bytes` is a long long here (the lecture's
 * int overflows past 2 GiB; the message is the same). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "svshm-xfr.h"

int main(int argc, char **argv) {
	int semid, shmid, xfrs;
	long long bytes;
	struct shmseg *shmp;
	(void)argc;
	(void)argv;

	if ((semid = semget(SEM_KEY, 0, 0)) < 0)
		err_sys("semget error");
	if ((shmid = shmget(SHM_KEY, 0, 0)) < 0)
		err_sys("shmget error");
	if ((shmp = shmat(shmid, NULL, SHM_RDONLY)) == (void *)-1)
		err_sys("shmat error");

	for (xfrs = 0, bytes = 0;; xfrs++) {
		if (sem_p(semid, READ_SEM) < 0)
			err_sys("semop error (sem_p)");
		if (shmp->cnt == 0) /* writer EOF */
			break;
		bytes += shmp->cnt;
		if (write(STDOUT_FILENO, shmp->buf, shmp->cnt) != shmp->cnt)
			err_quit("partial/failed write");
		if (sem_v(semid, WRITE_SEM) < 0)
			err_sys("semop error (sem_v)");
	}

	if (shmdt(shmp) < 0)
		err_sys("shmdt error");
	/* one more writer turn to cleanup */
	if (sem_v(semid, WRITE_SEM) < 0)
		err_sys("releaseSem");
	fprintf(stderr, "received %lld bytes (%d xfrs)\n", bytes, xfrs);
	exit(EXIT_SUCCESS);
}
