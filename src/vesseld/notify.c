// SPDX-License-Identifier: Apache-2.0
/* The sd_notify(3) protocol for vesseld (notify.h). */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOTIFY_ENV "NOTIFY_SOCKET"
#define NOTIFY_STATUS_MAX 255

/* NOTIFY_SOCKET's value to a socket address, as sd_notify() reads it. */
static int notify_parse(struct notify *n, const char *value)
{
	size_t len = strlen(value);

	if (!len)
		return -EINVAL;
	if (value[0] != '/' && value[0] != '@')
		return -EAFNOSUPPORT;
	/* A path needs its NUL; an abstract name has none but its first. */
	if (len + (value[0] == '/') > sizeof(n->addr.sun_path))
		return -ENAMETOOLONG;
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, value, len);
	if (value[0] == '@')
		n->addr.sun_path[0] = '\0';
	n->addr_len = offsetof(struct sockaddr_un, sun_path) + len +
		      (value[0] == '/');
	return 0;
}

int notify_open(struct notify *n)
{
	const char *value = getenv(NOTIFY_ENV);
	int ret;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!value)
		return 0;
	ret = notify_parse(n, value);
	unsetenv(NOTIFY_ENV);
	if (ret)
		return ret;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return n->fd < 0 ? -errno : 0;
}

int notify_send(const struct notify *n, const char *state)
{
	ssize_t sent;

	if (n->fd < 0)
		return 0;
	do
		sent = sendto(n->fd, state, strlen(state), MSG_NOSIGNAL,
			      (const struct sockaddr *)&n->addr, n->addr_len);
	while (sent < 0 && errno == EINTR);
	return sent < 0 ? -errno : 0;
}

int notify_status(const struct notify *n, const char *fmt, ...)
{
	char msg[sizeof("STATUS=") + NOTIFY_STATUS_MAX];
	va_list ap;
	char *nl;

	if (n->fd < 0)
		return 0;
	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	while ((nl = strchr(msg, '\n')))
		*nl = ' ';
	return notify_send(n, msg);
}

void notify_close(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
