/* measure.c: run a command and report its wall time, CPU time and peak memory, for bench/run.mjs.
 * Usage: measure OUTFILE COMMAND [ARG...]
 * Writes "WALL_NS MAXRSS_KB STATUS CPU_NS" to OUTFILE: the wall time from fork to the child's
 * exit (clock_gettime CLOCK_MONOTONIC), the largest resident set of the command and of
 * every descendant it waited for (getrusage RUSAGE_CHILDREN ru_maxrss, in KiB: the same
 * figure as /usr/bin/time's %M), the exit status (128+N for signal N), and the CPU time
 * of the command and those descendants, user + system (ru_utime + ru_stime: the figure of
 * /usr/bin/time's %U + %S, to the microsecond). stdin, stdout and stderr are the command's
 * own. Exits 0 when it could measure, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, code;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: measure OUTFILE COMMAND [ARG...]\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("measure: waitpid");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_CHILDREN, &ru);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!(out = fopen(argv[1], "w"))) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "%lld %ld %d %lld\n",
		(long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec),
		ru.ru_maxrss, code,
		((long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
		 ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
	return fclose(out) == 0 ? 0 : 1;
}
