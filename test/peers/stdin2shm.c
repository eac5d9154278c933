/* stdin2shm.c, from the lecture. Test peer for svipc. */
#include "shm-common.h"

int main(int argc, char **argv) {
	int n = 0, bufsize;
	struct shmseg *shmp;

	parse_cmdline(argc, argv);
	if ((shmp = shmat(shmid, NULL, 0)) == (void *) -1)
		err_sys("shmat error");
	fprintf(stderr, "attached segment at: %p\n", (void *) shmp);
	bufsize = shmsize - sizeof(int);
	shmp->size = 0; /* running count of read bytes */
	while (bufsize - shmp->size >= 0
	       && (n = read(STDIN_FILENO, shmp->buf + shmp->size,
	                    bufsize - shmp->size)) > 0)
		shmp->size += n;
	if (n < 0) err_sys("read error");
	fprintf(stderr, "stdin -> shm: copied %d bytes\n", shmp->size);
	exit(EXIT_SUCCESS);
}
