// SPDX-License-Identifier: Apache-2.0
/*
 * The control protocol (proto.h). A request is validated byte by byte
 * before anything looks at its words, because it comes from a socket:
 * RFC 3629 section 4 gives the UTF-8 syntax checked here (no overlong
 * forms, no surrogates, nothing above U+10FFFF).
 */
#include "proto.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#define PROTO_BLANKS " \t"

/*
 * Length of the UTF-8 sequence at @s (at most @len bytes), or 0 if it is
 * not well-formed (RFC 3629 section 4, UTF8-2/3/4).
 */
static size_t proto_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0; /* a continuation byte, C0/C1 or F5..FF */
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (n > len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* NULL if @len bytes at @s are printable UTF-8 text, else why not. */
static const char *proto_check_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == '\0')
			return "NUL byte in request";
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
				return "control character in request";
			i++;
			continue;
		}
		n = proto_utf8_seq(p + i, len - i);
		if (!n)
			return "request is not UTF-8 text";
		i += n;
	}
	return NULL;
}

static bool proto_valid_cmd(const char *w)
{
	if (*w < 'a' || *w > 'z')
		return false;
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9') ||
		      *w == '-'))
			return false;
	return true;
}

/* Split req->buf into the command word and its arguments. */
static int proto_split(struct proto_request *req, const char **why)
{
	char *save, *w;

	req->cmd = strtok_r(req->buf, PROTO_BLANKS, &save);
	if (!req->cmd) {
		*why = "empty request";
		return -EINVAL;
	}
	if (!proto_valid_cmd(req->cmd)) {
		*why = "malformed command word";
		return -EINVAL;
	}
	while ((w = strtok_r(NULL, PROTO_BLANKS, &save))) {
		if (req->argc == PROTO_ARGS_MAX) {
			*why = "too many arguments";
			return -EINVAL;
		}
		req->argv[req->argc++] = w;
	}
	req->argv[req->argc] = NULL;
	return 0;
}

int proto_parse_request(struct proto_request *req, const char *line, size_t len,
			const char **why)
{
	bool nl = len && line[len - 1] == '\n';

	memset(req, 0, sizeof(*req));
	if (len + !nl > PROTO_REQUEST_MAX) {
		*why = "request too long";
		return -E2BIG;
	}
	len -= nl;
	if (len && line[len - 1] == '\r')
		len--;
	*why = proto_check_text(line, len);
	if (*why)
		return -EINVAL;
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';
	return proto_split(req, why);
}

#define PROTO_STR(x) #x
#define PROTO_XSTR(x) PROTO_STR(x)

ssize_t proto_read_line(struct proto_line *ln, int fd, const char **why)
{
	const char *nl;
	ssize_t n;

	*why = "request too long (over " PROTO_XSTR(
		PROTO_REQUEST_MAX) " bytes)";
	if (ln->len >= sizeof(ln->buf))
		return -E2BIG; /* called again after a -E2BIG */
	n = recv(fd, ln->buf + ln->len, sizeof(ln->buf) - ln->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0 || (n == 0 && !ln->len))
		return -EPIPE;
	ln->len += n;
	nl = memchr(ln->buf, '\n', ln->len);
	if (nl)
		return nl - ln->buf + 1;
	if (n == 0)
		return ln->len; /* the last line lacks its '\n' */
	if (ln->len == sizeof(ln->buf))
		return -E2BIG;
	return 0; /* the rest of the line is yet to come */
}

static int proto_append(char *buf, size_t size, size_t *pos, const char *w)
{
	size_t n = strlen(w);

	if (!n || strpbrk(w, PROTO_BLANKS "\r\n"))
		return -EINVAL; /* it would not come back as one word */
	/* The blank before it, then room for "\n" and the NUL. */
	if (*pos + !!*pos + n + 2 > size)
		return -E2BIG;
	if (*pos)
		buf[(*pos)++] = ' ';
	memcpy(buf + *pos, w, n);
	*pos += n;
	return 0;
}

int proto_format_request(char *buf, size_t size, const char *cmd,
			 const char *const argv[])
{
	struct proto_request req;
	const char *why;
	size_t pos = 0;
	int i, ret;

	ret = proto_append(buf, size, &pos, cmd);
	for (i = 0; !ret && argv && argv[i]; i++)
		ret = proto_append(buf, size, &pos, argv[i]);
	if (ret)
		return ret;
	buf[pos++] = '\n';
	buf[pos] = '\0';
	ret = proto_parse_request(&req, buf, pos, &why);
	if (!ret && req.argc != i)
		ret = -EINVAL;
	return ret ? ret : (int)pos;
}

/* @o as one line with '\n' (malloc'd); puts @o. */
static char *proto_line(struct json_object *o)
{
	const char *s;
	char *line;
	size_t n;

	if (!o)
		return NULL;
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(s);
	line = malloc(n + 2);
	if (line) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
	}
	json_object_put(o);
	return line;
}

char *proto_reply_ok(const char *key, struct json_object *value)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(value);
		return NULL;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	if (key)
		json_object_object_add(o, key, value);
	else
		json_object_put(value);
	return proto_line(o);
}

char *proto_reply_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[PROTO_REQUEST_MAX];
	va_list ap;

	if (!o)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return proto_line(o);
}

/* The one JSON value that fills @len bytes at @s, or NULL. */
static struct json_object *proto_parse_json(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok || len > INT32_MAX) {
		json_tokener_free(tok);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int proto_parse_reply(struct proto_reply *rep, const char *line, size_t len)
{
	struct json_object *ok, *err;

	memset(rep, 0, sizeof(*rep));
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len))
		return -EPROTO;
	rep->obj = proto_parse_json(line, len);
	if (!json_object_is_type(rep->obj, json_type_object) ||
	    !json_object_object_get_ex(rep->obj, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		goto err_proto;
	rep->ok = json_object_get_boolean(ok);
	if (rep->ok)
		return 0;
	if (!json_object_object_get_ex(rep->obj, "error", &err) ||
	    !json_object_is_type(err, json_type_string))
		goto err_proto;
	rep->error = json_object_get_string(err);
	return 0;

err_proto:
	proto_reply_free(rep);
	return -EPROTO;
}

void proto_reply_free(struct proto_reply *rep)
{
	json_object_put(rep->obj);
	memset(rep, 0, sizeof(*rep));
}

static unsigned long long proto_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void proto_line_start(struct proto_line *ln)
{
	ln->len = 0;
	ln->since_ns = proto_now_ns();
}

unsigned long long proto_line_idle_since(const struct proto_line *ln)
{
	return proto_now_ns() - ln->since_ns >= PROTO_IDLE_NS ? ln->since_ns :
								0;
}
