/* shm-list-writer.c, from the lecture. Test peer for svipc. */
#include "shm-list-common.h"

int main(void) {
	struct list *head, *l = NULL;

	if (list_init(1000) < 0) err_sys("list_init error");
	if ((l = list_alloc()) == NULL)
		err_sys("list_alloc");
	l->val = 13;
	head = l;
	if ((l = list_append(l, 17)) == NULL
	    || (l = list_append(l, 42)) == NULL)
		err_sys("list_append");
	visit_list("common", head);
	exit(EXIT_SUCCESS);
}
