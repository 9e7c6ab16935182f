// SPDX-License-Identifier: GPL-2.0
/*
 * The private key file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

void wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	crypto_scalarmult_base(pub, priv);
}

void wg_key_to_base64(const uint8_t key[WG_KEY_LEN],
		      char out[WG_KEY_B64_LEN + 1])
{
	sodium_bin2base64(out, WG_KEY_B64_LEN + 1, key, WG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

int wg_key_from_base64(const char *s, uint8_t key[WG_KEY_LEN])
{
	size_t len;

	if (strlen(s) != WG_KEY_B64_LEN ||
	    sodium_base642bin(key, WG_KEY_LEN, s, WG_KEY_B64_LEN, NULL, &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    len != WG_KEY_LEN)
		return -EINVAL;
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int mkdir_of(const char *path)
{
	char *copy = strdup(path), *dir;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		ret = -errno;
	free(copy);
	return ret;
}

static int create_key(const char *path, uint8_t key[WG_KEY_LEN], char *err,
		      size_t errlen)
{
	char b64[WG_KEY_B64_LEN + 2];
	int fd, ret = 0;

	ret = mkdir_of(path);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
			 path, strerror(-ret));
		return ret;
	}
	/* A WireGuard private key: 32 random bytes, clamped (RFC 7748). */
	randombytes_buf(key, WG_KEY_LEN);
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
	wg_key_to_base64(key, b64);
	b64[WG_KEY_B64_LEN] = '\n';
	b64[WG_KEY_B64_LEN + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (write(fd, b64, WG_KEY_B64_LEN + 1) != WG_KEY_B64_LEN + 1 ||
	    fsync(fd) < 0)
		ret = errno ? -errno : -EIO;
	close(fd);
	if (!ret)
		ret = fsync_dir_of(path);
	if (ret < 0)
		unlink(path);
out:
	sodium_memzero(b64, sizeof(b64));
	if (ret < 0) {
		sodium_memzero(key, WG_KEY_LEN);
		snprintf(err, errlen, "cannot create private key %s: %s", path,
			 strerror(-ret));
	}
	return ret;
}

int keyfile_load_or_create(const char *path, uint8_t key[WG_KEY_LEN],
			   char *err, size_t errlen)
{
	char buf[WG_KEY_B64_LEN + 8];
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	if (errlen)
		err[0] = '\0';
	if (sodium_init() < 0)
		return -EIO;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return create_key(path, key, err, errlen);
		ret = -errno;
		snprintf(err, errlen, "cannot open private key %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "private key %s is not a regular file",
			 path);
		goto out;
	}
	if (st.st_mode & 0077) {
		ret = -EACCES;
		snprintf(err, errlen,
			 "private key %s is accessible by others (mode %04o): run chmod 600 %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	buf[n] = '\0';
	/* wg genkey writes one line; accept it with or without newline. */
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (wg_key_from_base64(buf, key) < 0) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "private key %s does not hold a WireGuard key (44 characters of base64, as from wg genkey)",
			 path);
	}
out:
	if (ret < 0 && !err[0])
		snprintf(err, errlen, "cannot read private key %s: %s", path,
			 strerror(-ret));
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

int keyfile_wipe(const char *path)
{
	uint8_t zeros[64] = { 0 };
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) == 0) {
		off_t left = st.st_size;

		while (left > 0 && !ret) {
			size_t n = left > (off_t)sizeof(zeros) ?
				   sizeof(zeros) : (size_t)left;

			if (write(fd, zeros, n) != (ssize_t)n)
				ret = -EIO;
			left -= (off_t)n;
		}
	}
	if (fsync(fd) < 0 && !ret)
		ret = -errno;
	close(fd);
	if (unlink(path) < 0 && !ret)
		ret = -errno;
	if (!ret)
		ret = fsync_dir_of(path);
	return ret;
}
