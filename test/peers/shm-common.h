/* shm-common.h, from the lecture: the segment of stdin2shm / shm2stdout is an int
 * (bytes used) followed by the data. Test peer for svipc. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/shm.h>
#include <unistd.h>

#define min(x, y) (x > y ? y : x)

static void err_quit(const char *msg) { fprintf(stderr, "%s\n", msg); exit(EXIT_FAILURE); }
static void err_sys(const char *msg) { perror(msg); exit(EXIT_FAILURE); }

static int shmid = -1;
static int shmsize = -1;

struct shmseg {
	int size;   /* number of bytes used in buf */
	char buf[]; /* actual data */
};

/* parse cmdline and fill: shmid, shmsize */
void parse_cmdline(int argc, char **argv) {
	char msg[1024] = "";
	if (argc != 3) {
		snprintf(msg, 1024, "Usage: %s SHMID SIZE", argv[0]);
		err_quit(msg);
	}
	shmid = atoi(argv[1]);
	shmsize = atoi(argv[2]);
}
