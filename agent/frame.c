// SPDX-License-Identifier: GPL-2.0
/*
 * Frame headers of atom's TCP connections.
 */
#include <errno.h>

#include "frame.h"
#include "util/bytes.h"

int frame_header_encode(uint8_t *out, uint8_t type, size_t len)
{
	if (!type || type >= __FRAME_TYPE_MAX)
		return -EINVAL;
	if (len > FRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	put_be32(out, (uint32_t)len + 4);
	out[4] = FRAME_VERSION;
	out[5] = type;
	put_be16(out + 6, 0);
	return 0;
}

int frame_header_decode(const uint8_t *in, uint32_t max_payload,
			struct frame_header *ret_hdr)
{
	uint32_t len = get_be32(in);

	if (len < 4)
		return -EPROTO;
	if (len - 4 > max_payload)
		return -EMSGSIZE;
	if (in[4] != FRAME_VERSION)
		return -EPROTO;
	if (!in[5] || in[5] >= __FRAME_TYPE_MAX)
		return -EPROTO;
	if (get_be16(in + 6))
		return -EPROTO;
	ret_hdr->version = in[4];
	ret_hdr->type = in[5];
	ret_hdr->payload_len = len - 4;
	return 0;
}

void frame_hello_encode(uint8_t *out, uint64_t node_id, uint64_t cluster_id)
{
	put_be64(out, node_id);
	put_be64(out + 8, cluster_id);
}

int frame_hello_decode(const uint8_t *in, size_t len, uint64_t *ret_node_id,
		       uint64_t *ret_cluster_id)
{
	if (len != FRAME_HELLO_LEN)
		return -EPROTO;
	*ret_node_id = get_be64(in);
	*ret_cluster_id = get_be64(in + 8);
	if (!*ret_node_id)
		return -EPROTO;
	return 0;
}
