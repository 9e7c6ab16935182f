// SPDX-License-Identifier: GPL-2.0
/*
 * The member file (see member_file.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "member_file.h"

#define MEMBER_FILE "member"

int member_file_load(const char *dir, struct in_addr *ip)
{
	char path[4200], buf[64], addr[INET_ADDRSTRLEN];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/" MEMBER_FILE, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EBADMSG;
	buf[n] = '\0';
	if (sscanf(buf, "mesh_ip %15s\n", addr) != 1 ||
	    inet_pton(AF_INET, addr, ip) != 1 || !ip->s_addr)
		return -EBADMSG;
	return 0;
}

int member_file_save(const char *dir, struct in_addr ip)
{
	char path[4200], tmp[4208], buf[64], addr[INET_ADDRSTRLEN];
	int fd, len, err = 0;

	inet_ntop(AF_INET, &ip, addr, sizeof(addr));
	len = snprintf(buf, sizeof(buf), "mesh_ip %s\n", addr);
	snprintf(path, sizeof(path), "%s/" MEMBER_FILE, dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (!err) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fsync(fd) < 0)
			err = -errno;
		close(fd);
	}
	if (err)
		unlink(tmp);
	return err;
}
