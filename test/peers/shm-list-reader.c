/* shm-list-reader.c, from the lecture. Test peer for svipc. */
#include "shm-list-common.h"

int main(void) {
	struct list *l = NULL;

	if ((l = list_get()) == (void *) -1)
		err_sys("list_get error");
	visit_list("common", l);
	exit(EXIT_SUCCESS);
}
