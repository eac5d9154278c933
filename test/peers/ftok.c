/* The lecture's ftok example (System V IPC, slide 18), for test/e2e/ftok.test.ts:
 * prints the key ftok(3) makes of PATH and PROJNO as key=<decimal>.
 * One change: the lecture tests `key < 0`, which also rejects every valid key whose
 * PROJ has bit 7 set (the key's sign bit); ftok fails with -1 only. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>

int main(int argc, char **argv)
{
	key_t key;

	if (argc != 3) {
		fprintf(stderr, "Usage: ftok PATH PROJNO\n");
		exit(EXIT_FAILURE);
	}
	if ((key = ftok(argv[1], atoi(argv[2]))) == (key_t)-1) {
		perror("ftok error");
		exit(EXIT_FAILURE);
	}
	printf("key=%d\n", key);
	exit(EXIT_SUCCESS);
}
