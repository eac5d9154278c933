/* getopt_long's own verdict, for test/unit/getopt.test.ts: run glibc's getopt_long on ARGS
 * and print what it returns, one line per option, then the operands in their final order.
 * Usage: getopt_long OPTSTRING LONGOPTS [ARG...]
 *   LONGOPTS: comma-separated name/kind/key, kind n (none), r (required), o (optional);
 *   e.g. "shmem/r/M,queue/n/Q,all/o/a". The program name seen by getopt is "prog".
 * Stops at the first error ('?'), as util-linux's tools do; glibc prints its message. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: getopt_long OPTSTRING LONGOPTS [ARG...]\n");
		return 2;
	}
	const char *optstring = argv[1];
	char *spec = strdup(argv[2]);
	struct option longopts[64];
	int n = 0;
	for (char *tok = strtok(spec, ","); tok && n < 63; tok = strtok(NULL, ",")) {
		char *name = tok, *kind = strchr(tok, '/');
		if (!kind)
			return 2;
		*kind++ = '\0';
		char *key = strchr(kind, '/');
		if (!key)
			return 2;
		*key++ = '\0';
		longopts[n].name = name;
		longopts[n].has_arg = *kind == 'r' ? required_argument : *kind == 'o' ? optional_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = (unsigned char)*key;
		n++;
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));

	int nargs = argc - 2; /* "prog" + ARGs */
	char **args = calloc(nargs + 1, sizeof(char *));
	args[0] = "prog";
	for (int i = 3; i < argc; i++)
		args[i - 2] = argv[i];

	int c;
	while ((c = getopt_long(nargs, args, optstring, longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			printf("error\n");
			return 1;
		}
		if (optarg)
			printf("opt %c=%s\n", c, optarg);
		else
			printf("opt %c\n", c);
	}
	for (int i = optind; i < nargs; i++)
		printf("operand %s\n", args[i]);
	return 0;
}
