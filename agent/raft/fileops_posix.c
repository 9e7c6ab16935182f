// SPDX-License-Identifier: GPL-2.0
/*
 * raft_fileops on the real file system: *at() calls relative to a held
 * directory fd, O_CLOEXEC everywhere, EINTR retried, short reads and
 * writes looped, errors as negative errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/fileops.h"

static int px_opendir(void *ctx, const char *path)
{
	int fd;

	(void)ctx;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int px_close(void *ctx, int fd)
{
	(void)ctx;
	/* Linux closes the fd even when close() reports EINTR: no retry. */
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

static int px_fsync(void *ctx, int fd)
{
	int ret;

	(void)ctx;
	do
		ret = fsync(fd);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int px_fdatasync(void *ctx, int fd)
{
	int ret;

	(void)ctx;
	do
		ret = fdatasync(fd);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int px_list(void *ctx, int dir, raft_fo_list_cb cb, void *arg)
{
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	(void)ctx;
	fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			ret = errno ? -errno : 0;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = cb(arg, de->d_name);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

static int px_rename(void *ctx, int dir, const char *from, const char *to)
{
	(void)ctx;
	return renameat(dir, from, dir, to) < 0 ? -errno : 0;
}

static int px_unlink(void *ctx, int dir, const char *name)
{
	(void)ctx;
	return unlinkat(dir, name, 0) < 0 ? -errno : 0;
}

static int px_open(void *ctx, int dir, const char *name, int flags)
{
	int fd, oflags = O_CLOEXEC;

	(void)ctx;
	oflags |= flags & RAFT_FO_RDWR ? O_RDWR : O_RDONLY;
	if (flags & RAFT_FO_CREATE)
		oflags |= O_CREAT | O_EXCL;
	do
		fd = openat(dir, name, oflags, 0600);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

static ssize_t px_pread(void *ctx, int fd, void *buf, size_t len,
			uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	(void)ctx;
	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done,
			  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int px_pwrite(void *ctx, int fd, const void *buf, size_t len,
		     uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	(void)ctx;
	while (done < len) {
		n = pwrite(fd, (const char *)buf + done, len - done,
			   (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int px_fallocate(void *ctx, int fd, uint64_t off, uint64_t len)
{
	int ret;

	(void)ctx;
	/* posix_fallocate returns the error; glibc emulates it if needed. */
	do
		ret = posix_fallocate(fd, (off_t)off, (off_t)len);
	while (ret == EINTR);
	return -ret;
}

static int px_ftruncate(void *ctx, int fd, uint64_t len)
{
	int ret;

	(void)ctx;
	do
		ret = ftruncate(fd, (off_t)len);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static int px_size(void *ctx, int fd, uint64_t *size)
{
	struct stat st;

	(void)ctx;
	if (fstat(fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

const struct raft_fileops raft_fileops_posix = {
	.opendir = px_opendir,
	.closedir = px_close,
	.syncdir = px_fsync,
	.list = px_list,
	.rename = px_rename,
	.unlink = px_unlink,
	.open = px_open,
	.close = px_close,
	.pread = px_pread,
	.pwrite = px_pwrite,
	.fdatasync = px_fdatasync,
	.fsync = px_fsync,
	.fallocate = px_fallocate,
	.ftruncate = px_ftruncate,
	.size = px_size,
};
