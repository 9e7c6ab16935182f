// SPDX-License-Identifier: GPL-2.0
/*
 * joinctl: hostile and half-honest clients of an agent's join port, for
 * the host tests. Each mode speaks to IP:PORT once and says what the
 * agent did:
 *
 *   joinctl IP PORT garbage|truncated|oversized|badversion|slow
 *       -> "closed" when the agent closed the connection without answering
 *   joinctl IP PORT unknown-id|wrong-secret|no-secret|replay TOKEN
 *       -> "unauthorized" when the agent refused the handshake
 *
 * no-secret: what a reader of a member's disk has (the token id, its
 * verifier and server key) but not the secret: the request is signed
 * with a key that is not the token's. replay: a HELLO and a REQUEST
 * recorded from one exchange, sent again in a new one.
 *
 *   joinctl IP PORT forward-token-create SRC_IP
 *       a token-create command sent to the mesh RPC at IP:PORT from SRC_IP,
 *       as a follower forwards one -> "refused: <why>", "refused: not a
 *       member" (closed unanswered) or "accepted"
 *
 * Exit: 0 when the agent did what a safe agent does, 1 otherwise, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "join/handshake.h"
#include "join/token.h"
#include "mesh/cmd.h"
#include "rpc.h"
#include "util/tlv.h"

#define FRAME_TYPE_JOIN 4
#define WAIT_MS 15000

static int dial(const char *ip, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	sa.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(int fd, const uint8_t *msg, size_t len)
{
	uint8_t hdr[FRAME_HEADER_LEN];

	hdr[0] = (uint8_t)((len + 4) >> 24);
	hdr[1] = (uint8_t)((len + 4) >> 16);
	hdr[2] = (uint8_t)((len + 4) >> 8);
	hdr[3] = (uint8_t)(len + 4);
	hdr[4] = FRAME_VERSION;
	hdr[5] = FRAME_TYPE_JOIN;
	hdr[6] = 0;
	hdr[7] = 0;
	if (send_all(fd, hdr, sizeof(hdr)))
		return -1;
	return send_all(fd, msg, len);
}

static int recv_all(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, WAIT_MS) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One message; *len in: capacity, out: length. -ECONNRESET on close. */
static int recv_frame(int fd, uint8_t *buf, size_t *len)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	uint32_t n;
	int err;

	err = recv_all(fd, hdr, sizeof(hdr));
	if (err)
		return err;
	n = ((uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	     (uint32_t)hdr[2] << 8 | hdr[3]);
	if (n < 4 || n - 4 > *len)
		return -EMSGSIZE;
	*len = n - 4;
	return recv_all(fd, buf, *len);
}

/* The agent must close without a word (EOF or reset). */
static int expect_closed(int fd)
{
	uint8_t buf[256];
	size_t len = sizeof(buf);
	int err = recv_frame(fd, buf, &len);

	close(fd);
	if (err == -ECONNRESET) {
		puts("closed");
		return 0;
	}
	printf("not closed (%s)\n", err ? strerror(-err) : "an answer came");
	return 1;
}

static int raw_mode(const char *ip, const char *port, const char *mode)
{
	uint8_t buf[64];
	int fd = dial(ip, port);

	if (fd < 0) {
		perror("joinctl: connect");
		return 1;
	}
	randombytes_buf(buf, sizeof(buf));
	if (!strcmp(mode, "garbage")) {
		send_all(fd, buf, sizeof(buf));
	} else if (!strcmp(mode, "truncated")) {
		uint8_t hdr[FRAME_HEADER_LEN] = { 0, 0, 0, 104, FRAME_VERSION,
						  FRAME_TYPE_JOIN, 0, 0 };

		send_all(fd, hdr, sizeof(hdr));
		send_all(fd, buf, 10);
		shutdown(fd, SHUT_WR);
	} else if (!strcmp(mode, "oversized")) {
		uint8_t hdr[FRAME_HEADER_LEN] = { 0x7f, 0xff, 0xff, 0xff,
						  FRAME_VERSION, FRAME_TYPE_JOIN,
						  0, 0 };

		send_all(fd, hdr, sizeof(hdr));
		send_all(fd, buf, sizeof(buf));
	} else if (!strcmp(mode, "badversion")) {
		uint8_t hdr[FRAME_HEADER_LEN] = { 0, 0, 0, 20, 9,
						  FRAME_TYPE_JOIN, 0, 0 };

		send_all(fd, hdr, sizeof(hdr));
		send_all(fd, buf, 16);
	} else if (!strcmp(mode, "slow")) {
		send_all(fd, buf, 3);	/* then nothing: the deadline */
	} else {
		close(fd);
		return 2;
	}
	return expect_closed(fd);
}

static void fill_request(struct join_request *req)
{
	memset(req, 0, sizeof(*req));
	snprintf(req->name, sizeof(req->name), "intruder");
	randombytes_buf(req->wg_key, sizeof(req->wg_key));
	req->wg_port = 51820;
	req->join_port = 7700;
	req->raft_port = 7000;
	req->rpc_port = 7001;
	req->voter = true;
}

/* HELLO -> CHALLENGE -> REQUEST: 0 with the REQUEST in req_out. */
static int exchange_to_request(int fd, struct join_joiner *j,
			       const struct join_token *t,
			       uint8_t *hello, size_t *hello_len,
			       uint8_t *req_out, size_t *req_len)
{
	struct join_request req;
	struct join_outcome o = { 0 };
	uint8_t in[512];
	size_t len = sizeof(in);
	int err;

	fill_request(&req);
	err = join_joiner_init(j, t, &req, hello, JOIN_HELLO_LEN, hello_len);
	if (err || send_frame(fd, hello, *hello_len))
		return -EIO;
	err = recv_frame(fd, in, &len);
	if (err)
		return err;
	return join_joiner_step(j, in, len, req_out, JOIN_REQUEST_MAX, req_len, &o);
}

/* Send req and expect UNAUTHORIZED (or a close before any acceptance). */
static int expect_unauthorized(int fd, const uint8_t *req, size_t len)
{
	static uint8_t in[JOIN_MSG_MAX];
	size_t n = sizeof(in);
	int err;

	if (send_frame(fd, req, len))
		return 1;
	err = recv_frame(fd, in, &n);
	close(fd);
	if (!err && n >= 1 && in[0] == JOIN_MSG_UNAUTHORIZED) {
		puts("unauthorized");
		return 0;
	}
	printf("not refused (%s, type %d)\n", err ? strerror(-err) : "an answer",
	       err ? -1 : in[0]);
	return 1;
}

static int token_mode(const char *ip, const char *port, const char *mode,
		      const char *token)
{
	uint8_t hello[JOIN_HELLO_LEN], req[JOIN_REQUEST_MAX];
	size_t hello_len, req_len;
	struct join_joiner j = { 0 };
	struct join_token t;
	int fd, err;

	if (join_token_parse(token, &t)) {
		fprintf(stderr, "joinctl: not a token\n");
		return 2;
	}
	if (!strcmp(mode, "unknown-id"))
		randombytes_buf(t.id, sizeof(t.id));
	else if (!strcmp(mode, "wrong-secret") || !strcmp(mode, "no-secret"))
		randombytes_buf(t.secret, sizeof(t.secret));
	else if (strcmp(mode, "replay"))
		return 2;
	fd = dial(ip, port);
	if (fd < 0)
		return 1;
	err = exchange_to_request(fd, &j, &t, hello, &hello_len, req, &req_len);
	join_joiner_release(&j);
	if (err) {
		fprintf(stderr, "joinctl: handshake: %s\n", strerror(-err));
		close(fd);
		return 1;
	}
	if (strcmp(mode, "replay"))
		return expect_unauthorized(fd, req, req_len);
	/* the recorded HELLO and REQUEST, in a new exchange */
	close(fd);
	fd = dial(ip, port);
	if (fd < 0)
		return 1;
	{
		uint8_t in[512];
		size_t len = sizeof(in);

		if (send_frame(fd, hello, hello_len) || recv_frame(fd, in, &len)) {
			close(fd);
			return 1;
		}
	}
	return expect_unauthorized(fd, req, req_len);
}

static int forward_mode(const char *ip, const char *port, const char *src)
{
	struct sockaddr_in to = { .sin_family = AF_INET }, from = to;
	struct mesh_cmd c = { .type = MESH_CMD_TOKEN_CREATE, .client = 7, .seq = 7 };
	uint8_t cmd[MESH_CMD_MAX], hdr[FRAME_HEADER_LEN], *in;
	struct tlv_writer w;
	struct tlv_reader r;
	struct tlv a;
	uint32_t err = 0, n;
	char msg[256] = "";
	size_t len;
	int fd, ret;

	randombytes_buf(c.token_create.id, sizeof(c.token_create.id));
	c.token_create.uses = 1;
	c.token_create.expiry_ms = INT64_MAX;
	c.token_create.role = MESH_ROLE_ADMIN;
	if (mesh_cmd_encode(&c, cmd, sizeof(cmd), &len))
		return 1;
	to.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, ip, &to.sin_addr) != 1 ||
	    inet_pton(AF_INET, src, &from.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("joinctl: connect");
		return 1;
	}
	tlv_writer_init(&w, 4096);
	tlv_put_u64(&w, RPC_A_ID, 1);
	tlv_put_u32(&w, RPC_A_OP, RPC_OP_MESH_PROPOSE);
	tlv_put(&w, RPC_A_CMD, cmd, len);
	frame_header_encode(hdr, FRAME_RPC, w.len);
	ret = send_all(fd, hdr, sizeof(hdr)) || send_all(fd, w.buf, w.len);
	tlv_writer_release(&w);
	if (ret || recv_all(fd, hdr, sizeof(hdr))) {
		close(fd);
		puts("refused: not a member");
		return 0;
	}
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n < 4 || n > 65536)
		return 1;
	in = malloc(n - 4);
	if (!in || recv_all(fd, in, n - 4)) {
		close(fd);
		free(in);
		return 1;
	}
	close(fd);
	tlv_reader_init(&r, in, n - 4);
	while (tlv_next(&r, &a) == 1) {
		if (a.type == RPC_A_ERRNO)
			tlv_u32(&a, &err);
		else if (a.type == RPC_A_ERROR)
			tlv_str(&a, msg, sizeof(msg));
	}
	free(in);
	if (err)
		printf("refused: %s\n", msg[0] ? msg : strerror((int)err));
	else
		puts("accepted");
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 4)
		return raw_mode(argv[1], argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[3], "forward-token-create"))
		return forward_mode(argv[1], argv[2], argv[4]);
	if (argc == 5)
		return token_mode(argv[1], argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: joinctl IP PORT garbage|truncated|oversized|badversion|slow\n"
		"       joinctl IP PORT unknown-id|wrong-secret|no-secret|replay TOKEN\n"
		"       joinctl IP PORT forward-token-create SRC_IP\n");
	return 2;
}
