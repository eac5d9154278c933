/* stat-hostile.c: a client that tries to break a stat server (test/e2e/stat-server.test.ts).
 * Sends ROUNDS rounds of malformed or abusive requests to the request queue of
 * ftok(FTOK_PATH, 1), then one good stat request for GOODPATH, and reports how long the
 * answer took:  "sent N bad requests" then "answered SIZE in MS ms".
 * Exit 0 when the good request was answered RES_OK within 1 s, 1 otherwise.
 * Every queue it makes is removed before it exits (and it gives up after 30 s).
 * Usage: stat-hostile FTOK_PATH ROUNDS GOODPATH */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQ_STAT 1
#define REQ_CONTENT 2 /* svipc's extension */
#define RES_OK 1
#define REQ_SIZ 4104 /* sizeof(struct request_msg) - sizeof(long) */

struct raw_msg {
	long mtype;
	char text[8192];
};

static int own[8], nown;
static long sent;

static void cleanup(void) {
	for (int i = 0; i < nown; i++) msgctl(own[i], IPC_RMID, NULL);
}
static void on_alarm(int s) { (void)s; fprintf(stderr, "stat-hostile: gave up after 30 s\n"); exit(2); }
static void die(const char *what) { perror(what); exit(2); }

static int new_queue(key_t key) {
	int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0) die("msgget");
	own[nown++] = id;
	return id;
}

/* Send TYPE with a payload of LEN bytes: cli_id, then PATH (NUL-terminated unless LEN cuts it). */
static void send_req(int srv, long type, size_t len, int cli_id, const char *path, char fill) {
	static struct raw_msg m;
	m.mtype = type;
	memset(m.text, fill, sizeof(m.text));
	memcpy(m.text, &cli_id, len < 4 ? len : 4);
	if (path && len > 4) {
		size_t n = strlen(path) + 1;
		memcpy(m.text + 4, path, n < len - 4 ? n : len - 4);
	}
	if (msgsnd(srv, &m, len, 0) < 0) die("msgsnd (request queue)");
	sent++;
}

static double now_ms(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "Usage: stat-hostile FTOK_PATH ROUNDS GOODPATH\n"); return 2; }
	signal(SIGALRM, on_alarm);
	alarm(30);
	atexit(cleanup);
	key_t key = ftok(argv[1], 1);
	if (key < 0) die("ftok");
	int srv = msgget(key, 0);
	if (srv < 0) die("msgget (server queue)");
	int rounds = atoi(argv[2]);
	const char *good = argv[3];

	int mine = new_queue(IPC_PRIVATE);                 /* a well-behaved reply queue */
	int keyed = new_queue(ftok(argv[1], 77));          /* not private: "foreign" */
	int full = new_queue(IPC_PRIVATE);                 /* filled to the brim below */
	int gone = msgget(IPC_PRIVATE, 0600);              /* removed at once */
	if (gone < 0) die("msgget");
	msgctl(gone, IPC_RMID, NULL);
	struct raw_msg fillm = { .mtype = 9 };
	while (msgsnd(full, &fillm, 1024, IPC_NOWAIT) == 0)
		;
	if (errno != EAGAIN) die("msgsnd (fill)");

	for (int r = 0; r < rounds; r++) {
		send_req(srv, REQ_STAT, 0, mine, NULL, 0);                /* too short: empty */
		send_req(srv, REQ_STAT, 3, mine, NULL, 0);                /* too short: half an int */
		send_req(srv, REQ_STAT, 4, mine, NULL, 0);                /* too short: no path at all */
		send_req(srv, REQ_STAT, 5000, mine, good, 'x');           /* too long */
		send_req(srv, REQ_STAT, REQ_SIZ, mine, NULL, 'A');        /* unterminated path */
		send_req(srv, REQ_STAT, 64, -5, good, 0);                 /* negative queue id */
		send_req(srv, REQ_STAT, 64, 0x7ffffff0, good, 0);         /* no such queue */
		send_req(srv, REQ_STAT, 64, srv, good, 0);                /* the server's own queue */
		send_req(srv, 7, 64, mine, good, 0);                      /* unknown mtype */
		send_req(srv, 123456789, REQ_SIZ, mine, good, 0);         /* unknown mtype */
		send_req(srv, REQ_STAT, 64, keyed, good, 0);              /* foreign (keyed) reply queue */
		send_req(srv, REQ_STAT, 64, full, good, 0);               /* full reply queue */
		send_req(srv, REQ_CONTENT, 64, full, good, 0);            /* full reply queue, content */
		send_req(srv, REQ_STAT, 64, gone, good, 0);               /* removed reply queue */
		send_req(srv, REQ_CONTENT, 64, gone, good, 0);            /* removed reply queue, content */
	}
	printf("sent %ld bad requests\n", sent);
	fflush(stdout);

	/* Nothing may have been answered on `mine` (every request naming it was malformed). */
	struct raw_msg in;
	if (msgrcv(mine, &in, sizeof(in.text), 0, IPC_NOWAIT | MSG_NOERROR) >= 0) {
		fprintf(stderr, "stat-hostile: a malformed request was answered (mtype %ld)\n", in.mtype);
		return 1;
	}

	/* Now a good request, on a fresh queue, timed. */
	int ok = new_queue(IPC_PRIVATE);
	double t0 = now_ms();
	send_req(srv, REQ_STAT, 4 + strlen(good) + 1, ok, good, 0);
	for (;;) {
		ssize_t n = msgrcv(ok, &in, sizeof(in.text), 0, IPC_NOWAIT | MSG_NOERROR);
		if (n >= 0) break;
		if (errno != ENOMSG) die("msgrcv");
		if (now_ms() - t0 > 5000) { fprintf(stderr, "stat-hostile: no answer within 5 s\n"); return 1; }
		usleep(500);
	}
	double ms = now_ms() - t0;
	size_t size;
	memcpy(&size, in.text, sizeof(size));
	printf("answered %s %zu in %.1f ms\n", in.mtype == RES_OK ? "RES_OK" : "RES_ERR", size, ms);
	return in.mtype == RES_OK && ms < 1000 ? 0 : 1;
}
