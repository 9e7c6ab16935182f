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

int member_file_load(const char *dir, struct in_addr *ip,
		     struct in_addr *network, uint32_t *prefix)
{
	char path[4200], buf[128], addr[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
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
	if (sscanf(buf, "mesh_ip %15s\nnetwork %15[0-9.]/%u", addr, net, prefix) != 3 ||
	    inet_pton(AF_INET, addr, ip) != 1 || !ip->s_addr ||
	    inet_pton(AF_INET, net, network) != 1 || *prefix < 8 || *prefix > 30)
		return -EBADMSG;
	return 0;
}

int member_file_save(const char *dir, struct in_addr ip, struct in_addr network,
		     uint32_t prefix)
{
	char path[4200], tmp[4208], buf[128], addr[INET_ADDRSTRLEN];
	char net[INET_ADDRSTRLEN];
	int fd, len, err = 0;

	inet_ntop(AF_INET, &ip, addr, sizeof(addr));
	inet_ntop(AF_INET, &network, net, sizeof(net));
	len = snprintf(buf, sizeof(buf), "mesh_ip %s\nnetwork %s/%u\n", addr, net,
		       prefix);
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
