/* Test fixture maker for the ipcmk/ipcrm parity tests: creates System V IPC objects with
 * chosen keys and modes, in one process, so a test's setup costs one exec.
 * Usage: mkipc WORD...   where WORD is one of
 *   shm:KEY:SIZE:MODE    shmget(KEY, SIZE, IPC_CREAT|IPC_EXCL|MODE)
 *   msg:KEY:MODE         msgget(KEY, IPC_CREAT|IPC_EXCL|MODE)
 *   sem:KEY:NSEMS:MODE   semget(KEY, NSEMS, IPC_CREAT|IPC_EXCL|MODE)
 *   attach:SHMID:SECS    a child attaches the segment and holds it SECS seconds
 * KEY and MODE are read with strtol base 0 (0x hex, 0 octal); KEY 0 is IPC_PRIVATE.
 * Exits 1 on the first failure, naming the call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static long num(const char *s)
{
	return strtol(s, NULL, 0);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *w = strdup(argv[i]);
		char *f[5] = {0};
		int n = 0;
		for (char *t = strtok(w, ":"); t && n < 5; t = strtok(NULL, ":"))
			f[n++] = t;
		if (n == 4 && !strcmp(f[0], "shm")) {
			if (shmget((key_t)num(f[1]), (size_t)num(f[2]), IPC_CREAT | IPC_EXCL | (int)num(f[3])) < 0) {
				perror("shmget");
				return 1;
			}
		} else if (n == 3 && !strcmp(f[0], "msg")) {
			if (msgget((key_t)num(f[1]), IPC_CREAT | IPC_EXCL | (int)num(f[2])) < 0) {
				perror("msgget");
				return 1;
			}
		} else if (n == 4 && !strcmp(f[0], "sem")) {
			if (semget((key_t)num(f[1]), (int)num(f[2]), IPC_CREAT | IPC_EXCL | (int)num(f[3])) < 0) {
				perror("semget");
				return 1;
			}
		} else if (n == 3 && !strcmp(f[0], "attach")) {
			int fds[2];
			if (pipe(fds) < 0) {
				perror("pipe");
				return 1;
			}
			pid_t pid = fork();
			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				int null = open("/dev/null", O_RDWR);
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
				close(fds[0]);
				char ok = shmat((int)num(f[1]), NULL, 0) == (void *)-1 ? 'n' : 'y';
				if (write(fds[1], &ok, 1) != 1)
					_exit(1);
				close(fds[1]);
				sleep((unsigned)num(f[2]));
				_exit(0);
			}
			close(fds[1]);
			char ok = 'n';
			if (read(fds[0], &ok, 1) != 1 || ok != 'y') {
				fprintf(stderr, "shmat failed\n");
				return 1;
			}
			close(fds[0]);
		} else {
			fprintf(stderr, "mkipc: bad word: %s\n", argv[i]);
			return 2;
		}
		free(w);
	}
	return 0;
}
