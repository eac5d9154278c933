/* posix-peer: the C side of svipc's POSIX IPC tests. One operation per run, every call checked
 * on the next line with the call named (exit 1 and "call: strerror" on stderr).
 *
 *   posix-peer mq-create NAME MAXMSG MSGSIZE   mq_open(O_CREAT|O_EXCL, 0600)
 *   posix-peer mq-send NAME PRIO TEXT          mq_send of TEXT (no NUL) with priority PRIO
 *   posix-peer mq-recv NAME                    mq_receive: prints "PRIO TEXT"
 *   posix-peer mq-attr NAME                    prints "maxmsg msgsize curmsgs"
 *   posix-peer sem-create NAME VALUE           sem_open(O_CREAT|O_EXCL, 0600, VALUE)
 *   posix-peer sem-post NAME                   sem_post
 *   posix-peer sem-wait NAME                   sem_wait (blocks)
 *   posix-peer sem-value NAME                  prints sem_getvalue
 *   posix-peer shm-create NAME SIZE TEXT       shm_open(O_CREAT|O_EXCL, 0600), ftruncate, TEXT at 0
 *   posix-peer shm-read NAME N                 prints the first N bytes
 *   posix-peer unlink KIND NAME                mq_unlink / sem_unlink / shm_unlink (KIND mq|sem|shm)
 *
 * Build: cc -O2 -Wall -o posix-peer posix-peer.c -lrt -pthread
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *call) {
  fprintf(stderr, "posix-peer: %s: %s\n", call, strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: posix-peer mq-create|mq-send|mq-recv|mq-attr|sem-create|sem-post|sem-wait|"
                  "sem-value|shm-create|shm-read|unlink ARGS...\n");
  exit(2);
}

int main(int argc, char *argv[]) {
  if (argc < 3) usage();
  const char *op = argv[1], *name = argv[2];

  if (strcmp(op, "mq-create") == 0 && argc == 5) {
    struct mq_attr attr = {.mq_maxmsg = atol(argv[3]), .mq_msgsize = atol(argv[4])};
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (q == (mqd_t)-1) die("mq_open");
    if (mq_close(q) == -1) die("mq_close");
  } else if (strcmp(op, "mq-send") == 0 && argc == 5) {
    mqd_t q = mq_open(name, O_WRONLY);
    if (q == (mqd_t)-1) die("mq_open");
    if (mq_send(q, argv[4], strlen(argv[4]), (unsigned)atoi(argv[3])) == -1) die("mq_send");
    if (mq_close(q) == -1) die("mq_close");
  } else if ((strcmp(op, "mq-recv") == 0 || strcmp(op, "mq-attr") == 0) && argc == 3) {
    mqd_t q = mq_open(name, O_RDONLY);
    if (q == (mqd_t)-1) die("mq_open");
    struct mq_attr attr;
    if (mq_getattr(q, &attr) == -1) die("mq_getattr");
    if (strcmp(op, "mq-attr") == 0) {
      printf("%ld %ld %ld\n", attr.mq_maxmsg, attr.mq_msgsize, attr.mq_curmsgs);
    } else {
      char *buf = malloc(attr.mq_msgsize);
      if (buf == NULL) die("malloc");
      unsigned prio;
      ssize_t n = mq_receive(q, buf, attr.mq_msgsize, &prio);
      if (n == -1) die("mq_receive");
      printf("%u %.*s\n", prio, (int)n, buf);
    }
    if (mq_close(q) == -1) die("mq_close");
  } else if (strcmp(op, "sem-create") == 0 && argc == 4) {
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)atoi(argv[3]));
    if (s == SEM_FAILED) die("sem_open");
    if (sem_close(s) == -1) die("sem_close");
  } else if (strncmp(op, "sem-", 4) == 0 && argc == 3) {
    sem_t *s = sem_open(name, 0);
    if (s == SEM_FAILED) die("sem_open");
    if (strcmp(op, "sem-post") == 0) {
      if (sem_post(s) == -1) die("sem_post");
    } else if (strcmp(op, "sem-wait") == 0) {
      if (sem_wait(s) == -1) die("sem_wait");
    } else if (strcmp(op, "sem-value") == 0) {
      int v;
      if (sem_getvalue(s, &v) == -1) die("sem_getvalue");
      printf("%d\n", v);
    } else {
      usage();
    }
    if (sem_close(s) == -1) die("sem_close");
  } else if (strcmp(op, "shm-create") == 0 && argc == 5) {
    size_t size = strtoul(argv[3], NULL, 10), len = strlen(argv[4]);
    if (len > size) usage();
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1) die("shm_open");
    if (ftruncate(fd, size) == -1) die("ftruncate");
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    memcpy(p, argv[4], len);
    if (munmap(p, size) == -1) die("munmap");
    if (close(fd) == -1) die("close");
  } else if (strcmp(op, "shm-read") == 0 && argc == 4) {
    size_t n = strtoul(argv[3], NULL, 10);
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd == -1) die("shm_open");
    char *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    printf("%.*s\n", (int)n, p);
    if (munmap(p, n) == -1) die("munmap");
    if (close(fd) == -1) die("close");
  } else if (strcmp(op, "unlink") == 0 && argc == 4) {
    const char *kind = argv[2];
    name = argv[3];
    int r = strcmp(kind, "mq") == 0    ? mq_unlink(name)
            : strcmp(kind, "sem") == 0 ? sem_unlink(name)
            : strcmp(kind, "shm") == 0 ? shm_unlink(name)
                                       : (usage(), -1);
    if (r == -1) die("unlink");
  } else {
    usage();
  }
  if (fflush(stdout) == EOF) die("fflush");
  return 0;
}
