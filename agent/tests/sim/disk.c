// SPDX-License-Identifier: GPL-2.0
/*
 * The simulator's disk model (see disk.h for what it promises).
 *
 * A buffer holds the materialized prefix of a file; bytes between it and
 * the file's size are zeros (preallocation costs nothing). The view
 * remembers which range changed since the last sync, so a sync copies
 * only that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk.h"

#define MAX_FDS 64
#define DIR_HANDLE_BASE 1000

struct buf {
	uint8_t *p;
	uint64_t mat;		/* bytes held in p; [mat, size) are zeros */
	uint64_t cap;
	uint64_t size;
};

struct inode {
	struct buf view;
	struct buf img;
	uint64_t dlo, dhi;	/* view range changed since the last sync */
	bool resync;		/* copy everything (after a truncate) */
	bool has_last;		/* the last unsynced write, for tearing */
	uint64_t last_off, last_len;
	bool live;
};

struct dent {
	char name[SIM_DISK_NAME_MAX];
	int ino;
};

struct dir {
	struct dent *v;
	size_t n, cap;
};

enum dop_kind { DOP_CREATE, DOP_RENAME, DOP_UNLINK };

struct dop {
	enum dop_kind kind;
	char name[SIM_DISK_NAME_MAX];
	char to[SIM_DISK_NAME_MAX];
	int ino;
};

struct sim_disk {
	sim_rand_fn rnd;
	void *rnd_arg;
	struct inode *ino;
	size_t n_ino;
	struct dir vol, dur;
	struct dop *ops;	/* unsynced directory operations, in order */
	size_t n_ops, cap_ops;
	int fds[MAX_FDS];	/* inode + 1, 0: free */
	uint64_t space;
	long fail_sync;		/* syncs to let through before an EIO; -1 */
	long die_after;		/* calls to let through before dying; -1 */
	bool dead;		/* every call fails until the crash */
	struct sim_disk_stats st;
};

static uint64_t rnd(struct sim_disk *d, uint64_t n)
{
	return n ? d->rnd(d->rnd_arg) % n : 0;
}

static int buf_mat(struct buf *b, uint64_t need)
{
	uint64_t cap;
	uint8_t *p;

	if (need <= b->mat)
		return 0;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < need)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memset(b->p + b->mat, 0, need - b->mat);
	b->mat = need;
	return 0;
}

static int buf_write(struct buf *b, const void *src, uint64_t len,
		     uint64_t off)
{
	int ret = buf_mat(b, off + len);

	if (ret < 0)
		return ret;
	memcpy(b->p + off, src, len);
	if (off + len > b->size)
		b->size = off + len;
	return 0;
}

static void buf_truncate(struct buf *b, uint64_t len)
{
	if (b->mat > len)
		b->mat = len;
	b->size = len;
}

static int buf_copy(struct buf *dst, const struct buf *src)
{
	dst->mat = 0;
	if (buf_mat(dst, src->mat) < 0)
		return -ENOMEM;
	if (src->mat)
		memcpy(dst->p, src->p, src->mat);
	dst->size = src->size;
	return 0;
}

static struct dent *lookup(struct dir *dir, const char *name)
{
	size_t i;

	for (i = 0; i < dir->n; i++)
		if (!strcmp(dir->v[i].name, name))
			return &dir->v[i];
	return NULL;
}

static int dir_add(struct dir *dir, const char *name, int ino)
{
	struct dent *v;

	if (dir->n == dir->cap) {
		v = realloc(dir->v, (dir->cap * 2 + 8) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		dir->v = v;
		dir->cap = dir->cap * 2 + 8;
	}
	strcpy(dir->v[dir->n].name, name);
	dir->v[dir->n++].ino = ino;
	return 0;
}

static void dir_del(struct dir *dir, const char *name)
{
	struct dent *e = lookup(dir, name);

	if (e)
		*e = dir->v[--dir->n];
}

static int dir_copy(struct dir *dst, const struct dir *src)
{
	size_t i;
	int ret;

	dst->n = 0;
	for (i = 0; i < src->n; i++) {
		ret = dir_add(dst, src->v[i].name, src->v[i].ino);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int dir_rename(struct dir *dir, const char *from, const char *to)
{
	struct dent *e = lookup(dir, from);
	int ino;

	if (!e)
		return -ENOENT;
	ino = e->ino;
	dir_del(dir, to);
	e = lookup(dir, from);
	strcpy(e->name, to);
	e->ino = ino;
	return 0;
}

static int push_op(struct sim_disk *d, enum dop_kind kind, const char *name,
		   const char *to, int ino)
{
	struct dop *v;

	if (d->n_ops == d->cap_ops) {
		v = realloc(d->ops, (d->cap_ops * 2 + 8) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->ops = v;
		d->cap_ops = d->cap_ops * 2 + 8;
	}
	v = &d->ops[d->n_ops++];
	v->kind = kind;
	strcpy(v->name, name);
	strcpy(v->to, to ? to : "");
	v->ino = ino;
	return 0;
}

struct sim_disk *sim_disk_new(sim_rand_fn rnd_fn, void *rnd_arg)
{
	struct sim_disk *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->rnd = rnd_fn;
	d->rnd_arg = rnd_arg;
	d->space = UINT64_MAX;
	d->fail_sync = -1;
	d->die_after = -1;
	return d;
}

static void free_inode(struct inode *in)
{
	free(in->view.p);
	free(in->img.p);
	memset(in, 0, sizeof(*in));
}

void sim_disk_free(struct sim_disk *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n_ino; i++)
		free_inode(&d->ino[i]);
	free(d->ino);
	free(d->vol.v);
	free(d->dur.v);
	free(d->ops);
	free(d);
}

static int new_inode(struct sim_disk *d)
{
	struct inode *v;
	size_t i;

	for (i = 0; i < d->n_ino; i++)
		if (!d->ino[i].live)
			break;
	if (i == d->n_ino) {
		v = realloc(d->ino, (d->n_ino + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->ino = v;
		d->n_ino++;
	}
	memset(&d->ino[i], 0, sizeof(d->ino[i]));
	d->ino[i].live = true;
	return (int)i;
}

static bool referenced(const struct sim_disk *d, int ino)
{
	size_t i;

	for (i = 0; i < d->vol.n; i++)
		if (d->vol.v[i].ino == ino)
			return true;
	for (i = 0; i < d->dur.n; i++)
		if (d->dur.v[i].ino == ino)
			return true;
	for (i = 0; i < d->n_ops; i++)
		if (d->ops[i].ino == ino)
			return true;
	for (i = 0; i < MAX_FDS; i++)
		if (d->fds[i] == ino + 1)
			return true;
	return false;
}

static void collect_garbage(struct sim_disk *d)
{
	size_t i;

	for (i = 0; i < d->n_ino; i++)
		if (d->ino[i].live && !referenced(d, (int)i))
			free_inode(&d->ino[i]);
}

uint64_t sim_disk_used(const struct sim_disk *d)
{
	uint64_t used = 0;
	size_t i;

	for (i = 0; i < d->n_ino; i++)
		if (d->ino[i].live)
			used += d->ino[i].view.size;
	return used;
}

static int grow_ok(struct sim_disk *d, struct inode *in, uint64_t end)
{
	uint64_t used;

	if (end <= in->view.size)
		return 0;
	used = sim_disk_used(d);
	if (end - in->view.size > d->space || used > d->space - (end - in->view.size))
		return -ENOSPC;
	return 0;
}

static struct inode *fd_inode(struct sim_disk *d, int fd)
{
	if (fd < 0 || fd >= MAX_FDS || !d->fds[fd])
		return NULL;
	return &d->ino[d->fds[fd] - 1];
}

static void mark(struct inode *in, uint64_t off, uint64_t len)
{
	if (in->dlo == in->dhi) {
		in->dlo = off;
		in->dhi = off + len;
	} else {
		if (off < in->dlo)
			in->dlo = off;
		if (off + len > in->dhi)
			in->dhi = off + len;
	}
}

/* fdatasync and fsync alike: the view's changes and size to the image. */
static int sync_inode(struct sim_disk *d, struct inode *in)
{
	uint64_t lo = in->dlo, hi = in->dhi;
	int ret = 0;

	d->st.syncs++;
	if (d->fail_sync == 0) {
		d->fail_sync = -1;
		ret = -EIO;
		goto clean;
	}
	if (d->fail_sync > 0)
		d->fail_sync--;
	if (in->resync) {
		ret = buf_copy(&in->img, &in->view);
		goto clean;
	}
	if (hi > in->view.mat)
		hi = in->view.mat;
	if (lo < hi) {
		ret = buf_mat(&in->img, hi);
		if (ret < 0)
			return ret;
		memcpy(in->img.p + lo, in->view.p + lo, hi - lo);
	}
	/* Unmaterialized parts of the range are zeros in the view. */
	if (in->dhi > hi && in->img.mat > hi) {
		uint64_t z = in->dhi < in->img.mat ? in->dhi : in->img.mat;

		memset(in->img.p + hi, 0, z - hi);
	}
	if (in->img.mat > in->view.size)
		in->img.mat = in->view.size;
	in->img.size = in->view.size;
clean:
	/* Clean even on EIO: the kernel forgets the dirty pages. */
	in->dlo = 0;
	in->dhi = 0;
	in->resync = false;
	in->has_last = false;
	return ret;
}

/* The power is going: from here on every call fails, as if it hung. */
static bool dying(struct sim_disk *d)
{
	if (d->dead)
		return true;
	if (d->die_after < 0)
		return false;
	if (!d->die_after) {
		d->dead = true;
		return true;
	}
	d->die_after--;
	return false;
}

static int d_opendir(void *ctx, const char *path)
{
	(void)path;
	return dying(ctx) ? -EIO : DIR_HANDLE_BASE;
}

static int d_closedir(void *ctx, int dir)
{
	(void)ctx;
	return dir == DIR_HANDLE_BASE ? 0 : -EBADF;
}

static int d_syncdir(void *ctx, int dir)
{
	struct sim_disk *d = ctx;
	int ret;

	if (dying(d))
		return -EIO;
	if (dir != DIR_HANDLE_BASE)
		return -EBADF;
	d->st.syncs++;
	if (d->fail_sync == 0) {
		/* What the failed sync should have made durable is lost. */
		d->fail_sync = -1;
		return -EIO;
	}
	if (d->fail_sync > 0)
		d->fail_sync--;
	ret = dir_copy(&d->dur, &d->vol);
	if (ret < 0)
		return ret;
	d->n_ops = 0;
	collect_garbage(d);
	return 0;
}

static int d_list(void *ctx, int dir, raft_fo_list_cb cb, void *arg)
{
	struct sim_disk *d = ctx;
	char name[SIM_DISK_NAME_MAX];
	size_t i, n = d->vol.n;
	char (*names)[SIM_DISK_NAME_MAX];
	int ret = 0;

	if (dying(d))
		return -EIO;
	if (dir != DIR_HANDLE_BASE)
		return -EBADF;
	/* Snapshot the names: the callback may not, but could, unlink. */
	names = calloc(n + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		strcpy(names[i], d->vol.v[i].name);
	for (i = 0; i < n && !ret; i++) {
		strcpy(name, names[i]);
		ret = cb(arg, name);
	}
	free(names);
	return ret;
}

static int check_name(const char *name)
{
	if (!*name || strchr(name, '/'))
		return -EINVAL;
	return strlen(name) < SIM_DISK_NAME_MAX ? 0 : -ENAMETOOLONG;
}

static int d_rename(void *ctx, int dir, const char *from, const char *to)
{
	struct sim_disk *d = ctx;
	struct dent *e;
	int ret;

	if (dying(d))
		return -EIO;
	if (dir != DIR_HANDLE_BASE)
		return -EBADF;
	ret = check_name(from) ?: check_name(to);
	if (ret < 0)
		return ret;
	e = lookup(&d->vol, from);
	if (!e)
		return -ENOENT;
	ret = push_op(d, DOP_RENAME, from, to, e->ino);
	if (ret < 0)
		return ret;
	return dir_rename(&d->vol, from, to);
}

static int d_unlink(void *ctx, int dir, const char *name)
{
	struct sim_disk *d = ctx;
	struct dent *e;
	int ret;

	if (dying(d))
		return -EIO;
	if (dir != DIR_HANDLE_BASE)
		return -EBADF;
	e = lookup(&d->vol, name);
	if (!e)
		return -ENOENT;
	ret = push_op(d, DOP_UNLINK, name, NULL, e->ino);
	if (ret < 0)
		return ret;
	dir_del(&d->vol, name);
	return 0;
}

static int d_open(void *ctx, int dir, const char *name, int flags)
{
	struct sim_disk *d = ctx;
	struct dent *e;
	int fd, ino, ret;

	if (dying(d))
		return -EIO;
	if (dir != DIR_HANDLE_BASE)
		return -EBADF;
	ret = check_name(name);
	if (ret < 0)
		return ret;
	for (fd = 0; fd < MAX_FDS && d->fds[fd]; fd++)
		;
	if (fd == MAX_FDS)
		return -EMFILE;
	e = lookup(&d->vol, name);
	if (e && (flags & RAFT_FO_CREATE))
		return -EEXIST;
	if (!e && !(flags & RAFT_FO_CREATE))
		return -ENOENT;
	if (e) {
		ino = e->ino;
	} else {
		ino = new_inode(d);
		if (ino < 0)
			return ino;
		ret = push_op(d, DOP_CREATE, name, NULL, ino);
		if (!ret)
			ret = dir_add(&d->vol, name, ino);
		if (ret < 0) {
			free_inode(&d->ino[ino]);
			return ret;
		}
	}
	d->fds[fd] = ino + 1;
	return fd;
}

static int d_close(void *ctx, int fd)
{
	struct sim_disk *d = ctx;

	if (!fd_inode(d, fd))
		return -EBADF;
	d->fds[fd] = 0;
	return 0;
}

static ssize_t d_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	struct sim_disk *d = ctx;
	struct inode *in = fd_inode(d, fd);
	uint64_t n, m;

	if (dying(d))
		return -EIO;
	if (!in)
		return -EBADF;
	if (off >= in->view.size)
		return 0;
	n = in->view.size - off < len ? in->view.size - off : len;
	m = off < in->view.mat ? in->view.mat - off : 0;
	if (m > n)
		m = n;
	if (m)
		memcpy(buf, in->view.p + off, m);
	memset((uint8_t *)buf + m, 0, n - m);
	return (ssize_t)n;
}

static int d_pwrite(void *ctx, int fd, const void *buf, size_t len,
		    uint64_t off)
{
	struct sim_disk *d = ctx;
	struct inode *in = fd_inode(d, fd);
	int ret;

	if (dying(d))
		return -EIO;
	if (!in)
		return -EBADF;
	if (!len)
		return 0;
	ret = grow_ok(d, in, off + len);
	if (!ret)
		ret = buf_write(&in->view, buf, len, off);
	if (ret < 0)
		return ret;
	mark(in, off, len);
	in->has_last = true;
	in->last_off = off;
	in->last_len = len;
	d->st.writes++;
	d->st.bytes_written += len;
	return 0;
}

static int d_fsync(void *ctx, int fd)
{
	struct sim_disk *d = ctx;
	struct inode *in = fd_inode(d, fd);

	if (dying(d))
		return -EIO;
	return in ? sync_inode(d, in) : -EBADF;
}

static int d_fallocate(void *ctx, int fd, uint64_t off, uint64_t len)
{
	struct sim_disk *d = ctx;
	struct inode *in = fd_inode(d, fd);
	int ret;

	if (dying(d))
		return -EIO;
	if (!in)
		return -EBADF;
	ret = grow_ok(d, in, off + len);
	if (ret < 0)
		return ret;
	if (off + len > in->view.size)
		in->view.size = off + len;
	return 0;
}

static int d_ftruncate(void *ctx, int fd, uint64_t len)
{
	struct sim_disk *d = ctx;
	struct inode *in = fd_inode(d, fd);
	int ret;

	if (dying(d))
		return -EIO;
	if (!in)
		return -EBADF;
	ret = grow_ok(d, in, len);
	if (ret < 0)
		return ret;
	buf_truncate(&in->view, len);
	in->resync = true;
	in->has_last = false;
	return 0;
}

static int d_size(void *ctx, int fd, uint64_t *size)
{
	struct sim_disk *d = ctx;
	struct inode *in = fd_inode(d, fd);

	if (dying(d))
		return -EIO;
	if (!in)
		return -EBADF;
	*size = in->view.size;
	return 0;
}

const struct raft_fileops sim_disk_fileops = {
	.opendir = d_opendir,
	.closedir = d_closedir,
	.syncdir = d_syncdir,
	.list = d_list,
	.rename = d_rename,
	.unlink = d_unlink,
	.open = d_open,
	.close = d_close,
	.pread = d_pread,
	.pwrite = d_pwrite,
	.fdatasync = d_fsync,
	.fsync = d_fsync,
	.fallocate = d_fallocate,
	.ftruncate = d_ftruncate,
	.size = d_size,
};

/* What survives of the last unsynced write: whole, nothing or torn. */
static void tear(struct sim_disk *d, struct inode *in)
{
	uint64_t off = in->last_off, end = off + in->last_len, cut, hi, g, i;
	uint8_t tmp[SIM_DISK_SECTOR];
	const uint8_t *src;

	if (!in->has_last || in->last_off + in->last_len > in->view.mat)
		return;
	switch (rnd(d, 4)) {
	case 0:
		return;
	case 1:
		cut = end;
		break;
	default:
		/* A prefix of sectors, then part of the next one. */
		cut = off / SIM_DISK_SECTOR + rnd(d, end / SIM_DISK_SECTOR -
						  off / SIM_DISK_SECTOR + 2);
		cut *= SIM_DISK_SECTOR;
		if (cut < off)
			cut = off;
		if (cut > end)
			cut = end;
		d->st.torn++;
		break;
	}
	src = in->view.p;
	if (cut > off && buf_write(&in->img, src + off, cut - off, off) < 0)
		return;
	if (cut >= end)
		return;
	hi = (cut / SIM_DISK_SECTOR + 1) * SIM_DISK_SECTOR;
	if (hi > end)
		hi = end;
	/* hi - cut <= one sector */
	g = rnd(d, hi - cut + 1);
	memcpy(tmp, src + cut, g);
	for (i = g; i < hi - cut; i++)
		tmp[i] = (uint8_t)rnd(d, 256);
	buf_write(&in->img, tmp, hi - cut, cut);
}

static void replay_ops(struct sim_disk *d, size_t n)
{
	struct dent *e;
	size_t i;

	for (i = 0; i < n; i++) {
		struct dop *op = &d->ops[i];

		switch (op->kind) {
		case DOP_CREATE:
			dir_del(&d->dur, op->name);
			dir_add(&d->dur, op->name, op->ino);
			break;
		case DOP_RENAME:
			e = lookup(&d->dur, op->name);
			if (e)
				dir_rename(&d->dur, op->name, op->to);
			break;
		case DOP_UNLINK:
			dir_del(&d->dur, op->name);
			break;
		}
	}
}

void sim_disk_crash(struct sim_disk *d, bool tear_writes)
{
	struct inode *in;
	size_t i;

	d->st.crashes++;
	memset(d->fds, 0, sizeof(d->fds));
	replay_ops(d, tear_writes ? rnd(d, d->n_ops + 1) : 0);
	d->n_ops = 0;
	dir_copy(&d->vol, &d->dur);
	collect_garbage(d);
	for (i = 0; i < d->n_ino; i++) {
		in = &d->ino[i];
		if (!in->live)
			continue;
		if (tear_writes)
			tear(d, in);
		buf_copy(&in->view, &in->img);
		in->dlo = 0;
		in->dhi = 0;
		in->resync = false;
		in->has_last = false;
	}
	d->fail_sync = -1;
	d->die_after = -1;
	d->dead = false;
}

void sim_disk_die_after(struct sim_disk *d, unsigned int calls)
{
	d->die_after = calls;
}

bool sim_disk_dead(const struct sim_disk *d)
{
	return d->dead;
}

void sim_disk_fail_sync(struct sim_disk *d, unsigned int after)
{
	d->fail_sync = after;
}

void sim_disk_set_space(struct sim_disk *d, uint64_t bytes)
{
	d->space = bytes;
}

static struct inode *by_name(struct sim_disk *d, const char *name)
{
	struct dent *e = lookup(&d->vol, name);

	return e ? &d->ino[e->ino] : NULL;
}

int sim_disk_flip_bit(struct sim_disk *d, const char *name, uint64_t off,
		      unsigned int bit)
{
	struct inode *in = by_name(d, name);
	uint8_t m = (uint8_t)(1u << (bit & 7));

	if (!in)
		return -ENOENT;
	if (off >= in->img.size)
		return -EINVAL;
	if (buf_mat(&in->img, off + 1) < 0 || buf_mat(&in->view, off + 1) < 0)
		return -ENOMEM;
	in->img.p[off] ^= m;
	in->view.p[off] ^= m;
	return 0;
}

int sim_disk_flip_random(struct sim_disk *d, char *name, uint64_t *off)
{
	size_t i, n = 0, pick;
	struct inode *in;
	uint64_t o;
	uint8_t m;

	for (i = 0; i < d->dur.n; i++)
		if (d->ino[d->dur.v[i].ino].img.mat)
			n++;
	if (!n)
		return -ENOENT;
	pick = rnd(d, n);
	for (i = 0; i < d->dur.n; i++) {
		in = &d->ino[d->dur.v[i].ino];
		if (!in->img.mat || pick--)
			continue;
		o = rnd(d, in->img.mat < in->img.size ? in->img.mat :
			   in->img.size);
		if (name)
			strcpy(name, d->dur.v[i].name);
		if (off)
			*off = o;
		m = (uint8_t)(1u << rnd(d, 8));
		in->img.p[o] ^= m;
		if (o < in->view.mat)
			in->view.p[o] ^= m;
		return 0;
	}
	return -ENOENT;
}

int sim_disk_get(struct sim_disk *d, const char *name, uint8_t **buf,
		 uint64_t *len)
{
	struct inode *in = by_name(d, name);

	*buf = NULL;
	*len = 0;
	if (!in)
		return -ENOENT;
	*len = in->view.size;
	if (!*len)
		return 0;
	*buf = calloc(1, *len);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, in->view.p, in->view.mat < *len ? in->view.mat : *len);
	return 0;
}

int sim_disk_put(struct sim_disk *d, const char *name, const uint8_t *buf,
		 uint64_t len)
{
	struct inode *in = by_name(d, name);
	int ino, ret;

	if (!in) {
		ret = check_name(name);
		if (ret < 0)
			return ret;
		ino = new_inode(d);
		if (ino < 0)
			return ino;
		ret = dir_add(&d->vol, name, ino);
		if (!ret)
			ret = dir_add(&d->dur, name, ino);
		if (ret < 0)
			return ret;
		in = &d->ino[ino];
	}
	buf_truncate(&in->view, 0);
	if (len && buf_write(&in->view, buf, len, 0) < 0)
		return -ENOMEM;
	in->dlo = 0;
	in->dhi = 0;
	in->resync = false;
	in->has_last = false;
	return buf_copy(&in->img, &in->view);
}

bool sim_disk_exists(struct sim_disk *d, const char *name)
{
	return lookup(&d->vol, name);
}

void sim_disk_get_stats(const struct sim_disk *d, struct sim_disk_stats *st)
{
	*st = d->st;
}
