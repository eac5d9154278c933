/* shm2stdout.c, from the lecture. Test peer for svipc. */
#include "shm-common.h"

int main(int argc, char **argv) {
	int n = 0, done, rem;
	struct shmseg *shmp;

	parse_cmdline(argc, argv);
	if ((shmp = shmat(shmid, NULL, 0)) == (void *) -1)
		err_sys("shmat error");
	fprintf(stderr, "attached segment at: %p\n", (void *) shmp);
	done = 0;                       /* written bytes */
	rem = min(shmp->size, shmsize); /* todo bytes */
	while (rem > 0
	       && (n = write(STDOUT_FILENO, shmp->buf + done, rem)) > 0) {
		done += n;
		rem -= n;
	}
	if (n < 0) err_sys("write error");
	fprintf(stderr, "shm -> stdout: copied %d bytes\n", done);
	exit(EXIT_SUCCESS);
}
