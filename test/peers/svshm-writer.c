/* svshm-writer.c: the lecture's svshm-writer (based on Michael Kerrisk's svshm_xfr_writer.c),
 * written for svipc's tests from the lecture's protocol (svshm-xfr.h, shared with the reader): copies stdin
 * into the segment SHM_KEY, taking turns with the reader through the semaphore set SEM_KEY. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "svshm-xfr.h"

int main(int argc, char **argv) {
	int semid, shmid, bytes, xfrs;
	struct shmseg *shmp;
	union semun dummy;
	(void)argc;
	(void)argv;

	if ((semid = semget(SEM_KEY, 2, IPC_CREAT | OBJ_PERMS)) < 0)
		err_sys("semget error");
	if (sem_init_avail(semid, WRITE_SEM) < 0)
		err_sys("semctl error (sem_init_avail)");
	if (sem_init_taken(semid, READ_SEM) < 0)
		err_sys("semctl error (sem_init_taken)");
	if ((shmid = shmget(SHM_KEY, sizeof(struct shmseg), IPC_CREAT | OBJ_PERMS)) < 0)
		err_sys("shmget error");
	if ((shmp = shmat(shmid, NULL, 0)) == (void *)-1)
		err_sys("shmat error");

	for (xfrs = 0, bytes = 0;; xfrs++, bytes += shmp->cnt) {
		if (sem_p(semid, WRITE_SEM) < 0)
			err_sys("semop error (sem_p)");
		if ((shmp->cnt = read(STDIN_FILENO, shmp->buf, BUF_SIZE)) < 0)
			err_sys("read error");
		if (sem_v(semid, READ_SEM) < 0)
			err_sys("semop error (sem_v)");
		/* Test for EOF after reader turn so that it can see the 0 value in shmp->cnt. */
		if (shmp->cnt == 0)
			break;
	}
	if (sem_p(semid, WRITE_SEM) < 0)
		err_sys("semop error (sem_p)");

	if (semctl(semid, 0, IPC_RMID, dummy) < 0)
		err_sys("semctl error");
	if (shmdt(shmp) < 0)
		err_sys("shmdt error");
	if (shmctl(shmid, IPC_RMID, 0) < 0)
		err_sys("shmctl error");
	fprintf(stderr, "sent %d bytes (%d xfrs)\n", bytes, xfrs);
	exit(EXIT_SUCCESS);
}
