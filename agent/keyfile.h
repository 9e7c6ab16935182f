/* SPDX-License-Identifier: GPL-2.0 */
/*
 * This node's WireGuard private key on disk: base64 as wg(8) writes it,
 * created 0600 when missing, refused when others could read it.
 */
#ifndef ATOM_KEYFILE_H
#define ATOM_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 44	/* without the NUL */

/*
 * Load the key at path, or create one (with its directory, 0700) when
 * the file does not exist. -EACCES if the file is readable or writable
 * by group or others, -EINVAL if it does not hold a key; err says why.
 */
int keyfile_load_or_create(const char *path, uint8_t key[WG_KEY_LEN],
			   char *err, size_t errlen);

/* Overwrite the file with zeros, fsync, unlink (eviction). */
int keyfile_wipe(const char *path);

/* The public key of a private key, and base64 forms as wg prints them. */
void wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN]);
void wg_key_to_base64(const uint8_t key[WG_KEY_LEN],
		      char out[WG_KEY_B64_LEN + 1]);
int wg_key_from_base64(const char *s, uint8_t key[WG_KEY_LEN]);

#endif /* ATOM_KEYFILE_H */
