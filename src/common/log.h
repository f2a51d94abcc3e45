/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_LOG_H
#define VESSEL_LOG_H

/*
 * Diagnostics on stderr, one line each, prefixed with the program and the
 * guest name: "vessel[web1]: warning: unable to open disk.img: ...".
 * Thread-safe (one write(2) per line).
 */
enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DBG };

/* Set the program name and guest name used as prefix; both are copied. */
void log_init(const char *prog, const char *guest);
/* Messages above @level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

/* How many error lines were asked for (printed or not). */
unsigned int log_error_count(void);
void log_msg(enum log_level level, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_ERR, 0, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, 0, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, 0, __VA_ARGS__)
#define log_dbg(...) log_msg(LOG_DBG, 0, __VA_ARGS__)
/* The _errno variants append ": strerror(errno)". */
#define log_err_errno(...) log_msg(LOG_ERR, errno, __VA_ARGS__)
#define log_warn_errno(...) log_msg(LOG_WARN, errno, __VA_ARGS__)

/*
 * Guest-triggerable messages: logged once per call site.
 */
#define log_warn_once(...)                                               \
	do {                                                             \
		static int warned_;                                      \
		if (!__atomic_exchange_n(&warned_, 1, __ATOMIC_RELAXED)) \
			log_warn(__VA_ARGS__);                           \
	} while (0)

/*
 * Guest-triggerable messages worth seeing more than once (a BAR the guest
 * moves where nothing can be mapped): the first LOG_LIMIT of a call site,
 * the last of them saying that the rest are not logged.
 */
#define LOG_LIMIT 16
#define log_warn_limited(fmt, ...)                                       \
	do {                                                             \
		static unsigned int said_;                               \
		unsigned int n_ =                                        \
			__atomic_add_fetch(&said_, 1, __ATOMIC_RELAXED); \
		if (n_ < LOG_LIMIT)                                      \
			log_warn(fmt, __VA_ARGS__);                      \
		else if (n_ == LOG_LIMIT)                                \
			log_warn(fmt " (and no more such warnings)",     \
				 __VA_ARGS__);                           \
	} while (0)

#endif
