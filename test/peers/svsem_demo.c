/* svsem_demo.c, from the lecture (based on TLPI's svsem_demo.c, Michael Kerrisk,
 * GNU AGPL-3+): svsem_demo INIT creates a private set of one semaphore set to INIT;
 * svsem_demo SEMID OP does one semop of OP on its semaphore 0. Test peer for svipc. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <unistd.h>

static void err_quit(const char *msg) { fprintf(stderr, "%s\n", msg); exit(EXIT_FAILURE); }
static void err_sys(const char *msg) { perror(msg); exit(EXIT_FAILURE); }

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

int main(int argc, char **argv) {
	int semid;

	if (argc < 2 || argc > 3)
		err_quit("Usage: svsem_demo [ SEM_ID ] SEM_OP");
	if (argc == 2) { /* create & init semaphore */
		union semun arg;
		if ((semid = semget(IPC_PRIVATE, 1, S_IRUSR | S_IWUSR)) < 0)
			err_sys("semid error");
		arg.val = atoi(argv[1]);
		if (semctl(semid, 0, SETVAL, arg) < 0)
			err_sys("semctl error");
		printf("semaphore ID = %d\n", semid);
	} else { /* act on first semaphore */
		struct sembuf sop;
		semid = atoi(argv[1]);
		sop.sem_num = 0; /* act on first semaphore */
		sop.sem_op = atoi(argv[2]);
		sop.sem_flg = 0; /* no special flags */
		printf("%d: about to semop\n", getpid());
		if (semop(semid, &sop, 1) < 0)
			err_sys("semop error");
		printf("%d: semop completed\n", getpid());
	}
	exit(EXIT_SUCCESS);
}
