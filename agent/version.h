/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ATOM_CLI_VERSION_H
#define ATOM_CLI_VERSION_H

#define ATOM_VERSION "0.1.0"

#endif /* ATOM_CLI_VERSION_H */
