/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Agent logging: levels err/warn/info/debug to stderr, one line each.
 * Pure modules never log; the caller logs once, with context.
 */
#ifndef ATOM_LOG_H
#define ATOM_LOG_H

enum log_level {
	LOG_ERR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "err", "warn", "info" or "debug"; 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *ret_level);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* ATOM_LOG_H */
