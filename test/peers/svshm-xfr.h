/* svshm-xfr.h: the lecture's svshm protocol (based on Michael Kerrisk's svshm_xfr.h),
 * shared by the test peers svshm-writer.c and svshm-reader.c, as the lecture's own header is. */
#ifndef SVSHM_XFR_H
#define SVSHM_XFR_H
#include <stdio.h>
#include <stdlib.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SHM_KEY 0x1234 /* shmem key */
#define SEM_KEY 0x5678 /* semaphore set key */
#define OBJ_PERMS (S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP)
#define WRITE_SEM 0    /* write index in semaphore set */
#define READ_SEM 1     /* read index in semaphore set */
#define BUF_SIZE 10240 /* transfer buffer size */

union semun { /* SUSv3 forces definition in user programs */
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct shmseg {
	int cnt;            /* bytes used in 'buf' */
	char buf[BUF_SIZE]; /* data */
};

static inline void err_sys(const char *msg) {
	perror(msg);
	exit(EXIT_FAILURE);
}

static inline void err_quit(const char *msg) {
	fprintf(stderr, "%s\n", msg);
	exit(EXIT_FAILURE);
}

/* init semaphore to 1 */
static inline int sem_init_avail(int semid, int semno) {
	union semun arg;
	arg.val = 1;
	return semctl(semid, semno, SETVAL, arg);
}

/* init semaphore to 0 */
static inline int sem_init_taken(int semid, int semno) {
	union semun arg;
	arg.val = 0;
	return semctl(semid, semno, SETVAL, arg);
}

static inline int sem_p(int semid, int semno) { /* reserve semaphore (P) */
	struct sembuf sop;
	sop.sem_num = semno;
	sop.sem_op = -1;
	sop.sem_flg = 0;
	return semop(semid, &sop, 1);
}

static inline int sem_v(int semid, int semno) { /* release semaphore (V) */
	struct sembuf sop;
	sop.sem_num = semno;
	sop.sem_op = 1;
	sop.sem_flg = 0;
	return semop(semid, &sop, 1);
}
#endif
