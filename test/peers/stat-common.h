/* stat-common.h: the lecture's stat-server protocol, shared by the test peers
 * stat-server.c and stat-client.c (as the lecture's own header is), with helpers.h's
 * error functions. */
#ifndef STAT_COMMON_H
#define STAT_COMMON_H
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define SRV_FTOK_PATH "/tmp/stat-server" /* dummy value */
#define SRV_FTOK_PROJ 1
#define RES_OK 1  /* OK, size returned */
#define RES_ERR 2 /* error, no size */

struct request_msg {
	long mtype; /* not used */
	int cli_id; /* client queue id */
	char pathname[PATH_MAX];
};
struct response_msg {
	long mtype;  /* one of RES_* values */
	size_t size; /* size (if mtype==RES_OK) */
};
#define REQ_SIZ (sizeof(struct request_msg) - sizeof(long))
#define RES_SIZ (sizeof(struct response_msg) - sizeof(long))

/* ---- helpers.h ---- */
static inline void err_sys(const char *msg) { perror(msg); exit(EXIT_FAILURE); }
static inline void err_msg(const char *msg) { fprintf(stderr, "%s\n", msg); }
static inline void err_quit(const char *msg) { fprintf(stderr, "%s\n", msg); exit(EXIT_FAILURE); }
#endif
