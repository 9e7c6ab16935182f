/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ATOM_FUZZ_H
#define ATOM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* ATOM_FUZZ_H */
