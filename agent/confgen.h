/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ATOM_CONFGEN_H
#define ATOM_CONFGEN_H

#include <stdbool.h>

/*
 * The complete, commented atom.yaml that `atom confgen` writes: every key,
 * each explained, for a bootstrapper or (follower) a joiner.
 */
const char *confgen_text(bool follower);

#endif /* ATOM_CONFGEN_H */
