// SPDX-License-Identifier: GPL-2.0
/*
 * atom confgen [--output FILE] [--follower]: a complete, commented config.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "confgen.h"
#include "subcommands.h"

static int usage(void)
{
	fprintf(stderr, "Usage: atom confgen [--output FILE] [--follower]\n");
	return 2;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int confgen_main(int argc, char **argv, const struct cli_global *g)
{
	const char *output = NULL, *text;
	bool follower = false;
	int i, fd, ret;

	(void)g;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--follower")) {
			follower = true;
		} else if (!strcmp(argv[i], "--output") ||
			   !strcmp(argv[i], "-o")) {
			if (++i >= argc || output)
				return usage();
			output = argv[i];
		} else if (!strncmp(argv[i], "--output=", 9) && !output) {
			output = argv[i] + 9;
		} else {
			return usage();
		}
	}
	text = confgen_text(follower);
	if (!output || !strcmp(output, "-")) {
		ret = write_all(STDOUT_FILENO, text, strlen(text));
		if (ret < 0) {
			fprintf(stderr, "atom: cannot write the config: %s\n",
				strerror(-ret));
			return 1;
		}
		return 0;
	}
	/* Never clobber an operator's config; 0600: it may get a token. */
	fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "atom: cannot create %s: %s%s\n", output,
			strerror(errno),
			errno == EEXIST ? " (remove it or choose another --output)" : "");
		return 1;
	}
	ret = write_all(fd, text, strlen(text));
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret < 0) {
		fprintf(stderr, "atom: cannot write %s: %s\n", output,
			strerror(-ret));
		unlink(output);
		return 1;
	}
	return 0;
}
