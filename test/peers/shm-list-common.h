/* shm-list-common.h, from the lecture: a linked list in a shared memory segment whose
 * links are offsets from the segment base. Test peer for svipc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

static void err_sys(const char *msg) { perror(msg); exit(EXIT_FAILURE); }

#define SHM_KEY   0x1234 /* shmem key */
#define OBJ_PERMS (S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP)

struct list {
	int val;
	struct list *next;
};

static struct list *list_bot;
static struct list *list_top;
static long list_siz;

struct list *list_get(void) {
	int shmid;
	if ((shmid = shmget(SHM_KEY, 0, 0)) < 0)
		return ((void *) -1);
	list_bot = shmat(shmid, NULL, 0);
	printf("list attached at %p\n", (void *) list_bot);
	return list_bot;
}

int list_init(long len) {
	int shmid;
	if ((shmid = shmget(SHM_KEY, len * sizeof(struct list), IPC_CREAT | OBJ_PERMS)) < 0)
		return (-1);
	if ((list_top = shmat(shmid, NULL, 0)) == (void *) -1)
		return (-1);
	printf("list attached at %p\n", (void *) list_top);
	list_bot = list_top;
	list_siz = len;
	printf("list_init: top=%p, len=%ld\n", (void *) list_top, len);
	return 0;
}

struct list *list_alloc(void) {
	long siz = list_top - list_bot;
	if (siz >= list_siz) {
		errno = ENOMEM;
		return NULL;
	}
	list_top->next = NULL;
	printf("allocated %p (length: %ld)\n", (void *) list_top, siz + 1);
	return list_top++;
}

struct list *list_append(struct list *l, int val) {
	struct list *elt;
	if ((elt = list_alloc()) == NULL)
		return NULL;
	elt->val = val;
	l->next = (void *) ((long) elt - (long) list_bot);
	return elt;
}

void visit_list(const char *label, struct list *l) {
	printf("[%s] visit list: ", label);
	while (l != NULL) {
		printf("%d ", l->val);
		if (l->next == NULL)
			l = NULL;
		else
			l = (void *) ((long) list_bot + (long) l->next);
	}
	printf("\n");
}
