// SPDX-License-Identifier: Apache-2.0
/*
 * The control protocol: request lines (length limit, NUL, UTF-8 per
 * RFC 3629 section 4 and its table of well-formed sequences, control
 * characters, command words, argument count), request formatting round
 * trips, replies in both directions with every malformed class, and
 * the server's line reader on a real socket pair (partial lines, many
 * lines in one read, NUL bytes, oversized lines, closes).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/common/proto.h"

/* Parse @len bytes of @s; the return value. */
static int parse(struct proto_request *req, const char *s, size_t len)
{
	const char *why = NULL;
	int ret = proto_parse_request(req, s, len, &why);

	if (ret)
		assert_non_null(why);
	return ret;
}

static int parse_str(struct proto_request *req, const char *s)
{
	return parse(req, s, strlen(s));
}

static void test_request_words(void **state)
{
	struct proto_request req;

	(void)state;
	assert_int_equal(parse_str(&req, "status\n"), 0);
	assert_string_equal(req.cmd, "status");
	assert_int_equal(req.argc, 0);
	assert_null(req.argv[0]);
	/* Blanks around and between words, CRLF, and no newline at all. */
	assert_int_equal(parse_str(&req, " \tup  web1\tnow \r\n"), 0);
	assert_string_equal(req.cmd, "up");
	assert_int_equal(req.argc, 2);
	assert_string_equal(req.argv[0], "web1");
	assert_string_equal(req.argv[1], "now");
	assert_null(req.argv[2]);
	assert_int_equal(parse_str(&req, "power-button"), 0);
	assert_string_equal(req.cmd, "power-button");
	assert_int_equal(parse_str(&req, "wait2 x"), 0);
}

static void test_request_length(void **state)
{
	struct proto_request req;
	char line[PROTO_REQUEST_MAX + 2];

	(void)state;
	/* 255 bytes and '\n': exactly the limit. */
	memset(line, 'a', sizeof(line));
	line[PROTO_REQUEST_MAX - 1] = '\n';
	assert_int_equal(parse(&req, line, PROTO_REQUEST_MAX), 0);
	assert_int_equal(strlen(req.cmd), PROTO_REQUEST_MAX - 1);
	/* 256 bytes before the newline, with or without it. */
	line[PROTO_REQUEST_MAX - 1] = 'a';
	line[PROTO_REQUEST_MAX] = '\n';
	assert_int_equal(parse(&req, line, PROTO_REQUEST_MAX + 1), -E2BIG);
	assert_int_equal(parse(&req, line, PROTO_REQUEST_MAX), -E2BIG);
	/* 255 bytes with no newline fit. */
	assert_int_equal(parse(&req, line, PROTO_REQUEST_MAX - 1), 0);
}

static void test_request_bytes(void **state)
{
	struct proto_request req;

	(void)state;
	assert_int_equal(parse(&req, "status\0x\n", 9), -EINVAL);
	assert_int_equal(parse(&req, "\0", 1), -EINVAL);
	assert_int_equal(parse_str(&req, "status\x01\n"), -EINVAL);
	assert_int_equal(parse_str(&req, "status\x7f\n"), -EINVAL);
	assert_int_equal(parse_str(&req, "\x1b[2Jstatus\n"), -EINVAL);
	/* A newline inside the line is a control character too. */
	assert_int_equal(parse_str(&req, "status\nterminate\n"), -EINVAL);
	assert_int_equal(parse_str(&req, "\x01\xff{not a command\n"), -EINVAL);
}

/* RFC 3629 section 4: what is UTF-8 and what is not. */
static void test_request_utf8(void **state)
{
	static const char *const bad[] = {
		"up \x80\n", /* a lone continuation byte */
		"up \xc0\xaf\n", /* overlong '/' (C0, C1 never appear) */
		"up \xc1\xbf\n",
		"up \xe0\x80\xaf\n", /* overlong 3-byte form */
		"up \xed\xa0\x80\n", /* U+D800, a surrogate */
		"up \xf0\x80\x80\xaf\n", /* overlong 4-byte form */
		"up \xf4\x90\x80\x80\n", /* U+110000 */
		"up \xf5\x80\x80\x80\n", /* F5..FF never appear */
		"up \xff\n",
		"up \xe2\x82\n", /* truncated U+20AC */
		"up \xe2\x82", /* truncated at the very end */
		"up \xe2\x28\xa1\n", /* bad second continuation */
		"st\xc3\xa4tus\n", /* valid, but not a command word */
	};
	static const char *const good[] = {
		"up caf\xc3\xa9\n", /* U+00E9 */
		"up \xe2\x82\xac\n", /* U+20AC */
		"up \xed\x9f\xbf\n", /* U+D7FF, just below the surrogates */
		"up \xf0\x9f\x98\x80\n", /* U+1F600 */
		"up \xf4\x8f\xbf\xbf\n", /* U+10FFFF */
	};
	struct proto_request req;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_str(&req, bad[i]) != -EINVAL)
			fail_msg("accepted bad[%zu]", i);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		if (parse_str(&req, good[i]))
			fail_msg("refused good[%zu]", i);
		assert_int_equal(req.argc, 1);
		assert_memory_equal(req.argv[0], good[i] + 3,
				    strlen(good[i]) - 4);
	}
}

static void test_request_command_word(void **state)
{
	static const char *const bad[] = {
		"\n",	     "   \t\r\n", "STATUS\n",	   "1status\n", "-x\n",
		"sta_tus\n", "status!\n", "{\"cmd\":1}\n", "../x\n",
	};
	struct proto_request req;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_str(&req, bad[i]) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

static void test_request_args_max(void **state)
{
	struct proto_request req;

	(void)state;
	assert_int_equal(parse_str(&req, "c 1 2 3 4 5 6 7 8\n"), 0);
	assert_int_equal(req.argc, PROTO_ARGS_MAX);
	assert_string_equal(req.argv[7], "8");
	assert_null(req.argv[8]);
	assert_int_equal(parse_str(&req, "c 1 2 3 4 5 6 7 8 9\n"), -EINVAL);
}

static void test_format_round_trip(void **state)
{
	static const char *const args[] = { "web1", "caf\xc3\xa9", "--x=1",
					    NULL };
	struct proto_request req;
	char buf[PROTO_REQUEST_MAX];
	int n, i;

	(void)state;
	n = proto_format_request(buf, sizeof(buf), "status", NULL);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "status\n");
	n = proto_format_request(buf, sizeof(buf), "up", args);
	assert_string_equal(buf, "up web1 caf\xc3\xa9 --x=1\n");
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(parse(&req, buf, n), 0);
	assert_string_equal(req.cmd, "up");
	assert_int_equal(req.argc, 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(req.argv[i], args[i]);
}

static void test_format_refuses(void **state)
{
	static const char *const blank[] = { "two words", NULL };
	static const char *const empty[] = { "", NULL };
	static const char *const ctl[] = { "a\x01", NULL };
	static const char *const many[] = { "1", "2", "3", "4", "5",
					    "6", "7", "8", "9", NULL };
	char buf[PROTO_REQUEST_MAX + 1], big[PROTO_REQUEST_MAX];
	const char *const bigv[] = { big, NULL };

	(void)state;
	assert_int_equal(proto_format_request(buf, sizeof(buf), "up", blank),
			 -EINVAL);
	assert_int_equal(proto_format_request(buf, sizeof(buf), "up", empty),
			 -EINVAL);
	assert_int_equal(proto_format_request(buf, sizeof(buf), "up", ctl),
			 -EINVAL);
	assert_int_equal(proto_format_request(buf, sizeof(buf), "up", many),
			 -EINVAL);
	assert_int_equal(proto_format_request(buf, sizeof(buf), "Up", NULL),
			 -EINVAL);
	assert_int_equal(proto_format_request(buf, 7, "status", NULL), -E2BIG);
	assert_int_equal(proto_format_request(buf, 8, "status", NULL), 7);
	/* "c " + 253 bytes + '\n' = 256 fits, and its NUL; one more does not. */
	memset(big, 'x', 253);
	big[253] = '\0';
	buf[PROTO_REQUEST_MAX] = 'z';
	assert_int_equal(proto_format_request(buf, sizeof(buf), "c", bigv),
			 PROTO_REQUEST_MAX);
	assert_int_equal(buf[PROTO_REQUEST_MAX - 1], '\n');
	assert_int_equal(buf[PROTO_REQUEST_MAX], '\0');
	assert_int_equal(proto_format_request(buf, sizeof(buf) - 1, "c", bigv),
			 -E2BIG);
	big[253] = 'x';
	big[254] = '\0';
	assert_int_equal(proto_format_request(buf, sizeof(buf), "c", bigv),
			 -E2BIG);
}

static void test_reply_build(void **state)
{
	struct json_object *st = json_object_new_object();
	struct proto_reply rep;
	char *line;

	(void)state;
	line = proto_reply_ok(NULL, NULL);
	assert_string_equal(line, "{\"ok\":true}\n");
	free(line);
	line = proto_reply_error("unknown command '%s'", "x");
	assert_string_equal(
		line, "{\"ok\":false,\"error\":\"unknown command 'x'\"}\n");
	free(line);
	json_object_object_add(st, "state", json_object_new_string("running"));
	json_object_object_add(st, "path", json_object_new_string("/a/b"));
	line = proto_reply_ok("status", st);
	assert_string_equal(
		line,
		"{\"ok\":true,\"status\":{\"state\":\"running\",\"path\":\"/a/b\"}}\n");
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_true(rep.ok);
	assert_null(rep.error);
	assert_true(json_object_object_get_ex(rep.obj, "status", &st));
	assert_true(json_object_object_get_ex(st, "state", &st));
	assert_string_equal(json_object_get_string(st), "running");
	proto_reply_free(&rep);
	free(line);
}

/* An error message with quotes and control bytes stays one line. */
static void test_reply_error_escaped(void **state)
{
	struct proto_reply rep;
	char *line, long_msg[1000];

	(void)state;
	line = proto_reply_error("a \"b\"\n\tc\x01");
	assert_string_equal(line, "{\"ok\":false,\"error\":"
				  "\"a \\\"b\\\"\\n\\tc\\u0001\"}\n");
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.error, "a \"b\"\n\tc\x01");
	proto_reply_free(&rep);
	free(line);
	/* Messages are cut to one request's length. */
	memset(long_msg, 'm', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	line = proto_reply_error("%s", long_msg);
	assert_int_equal(proto_parse_reply(&rep, line, strlen(line)), 0);
	assert_int_equal(strlen(rep.error), PROTO_REQUEST_MAX - 1);
	proto_reply_free(&rep);
	free(line);
}

static void test_reply_parse(void **state)
{
	struct proto_reply rep;
	const char *s = "{\"ok\":false,\"error\":\"no\"}\r\n";

	(void)state;
	assert_int_equal(proto_parse_reply(&rep, s, strlen(s)), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.error, "no");
	proto_reply_free(&rep);
	assert_null(rep.obj);
	s = " {\"ok\" : true, \"x\": [1]} ";
	assert_int_equal(proto_parse_reply(&rep, s, strlen(s)), 0);
	assert_true(rep.ok);
	proto_reply_free(&rep);
}

static void test_reply_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"ok",
		"[true]",
		"\"ok\"",
		"{}",
		"{\"ok\":\"true\"}",
		"{\"ok\":1}",
		"{\"ok\":null}",
		"{\"ok\":false}",
		"{\"ok\":false,\"error\":5}",
		"{\"ok\":tr",
		"{\"ok\":true",
		"{\"ok\":true} x",
		"{\"ok\":true}{\"ok\":true}",
		"{\"ok\":true}\n{\"ok\":true}",
	};
	struct proto_reply rep;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (proto_parse_reply(&rep, bad[i], strlen(bad[i])) != -EPROTO)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(rep.obj);
	}
	/* A NUL byte inside the line. */
	assert_int_equal(proto_parse_reply(&rep, "{\"ok\":true}\0x", 13),
			 -EPROTO);
	assert_int_equal(proto_parse_reply(&rep, "{\"ok\"\0:true}", 12),
			 -EPROTO);
}

/* --- proto_read_line() over a socket pair: [0] the server's end --- */

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void put(int fd, const char *s, size_t len)
{
	assert_int_equal(write(fd, s, len), (ssize_t)len);
}

static void close_pair(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

static ssize_t read_line(struct proto_line *ln, int fd)
{
	const char *why = NULL;
	ssize_t n = proto_read_line(ln, fd, &why);

	if (n == -E2BIG)
		assert_non_null(strstr(why, "too long"));
	return n;
}

static void test_read_partial(void **state)
{
	struct proto_line ln = { 0 };
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(read_line(&ln, sv[0]), 0); /* nothing sent yet */
	put(sv[1], "sta", 3);
	assert_int_equal(read_line(&ln, sv[0]), 0);
	put(sv[1], "t", 1);
	assert_int_equal(read_line(&ln, sv[0]), 0);
	put(sv[1], "us\n", 3);
	assert_int_equal(read_line(&ln, sv[0]), 7);
	assert_memory_equal(ln.buf, "status\n", 7);
	close_pair(sv);
}

/* Only the first line counts: one request per connection. */
static void test_read_many_lines(void **state)
{
	struct proto_line ln = { 0 };
	struct proto_request req;
	int sv[2];

	(void)state;
	pair(sv);
	put(sv[1], "help\nstatus\nterminate\n", 22);
	assert_int_equal(read_line(&ln, sv[0]), 5);
	assert_int_equal(parse(&req, ln.buf, 5), 0);
	assert_string_equal(req.cmd, "help");
	assert_int_equal(req.argc, 0);
	close_pair(sv);
}

/* A NUL is an ordinary byte to the reader; the parser refuses it. */
static void test_read_nul(void **state)
{
	struct proto_line ln = { 0 };
	struct proto_request req;
	const char *why;
	int sv[2];

	(void)state;
	pair(sv);
	put(sv[1], "he\0lp\n", 6);
	assert_int_equal(read_line(&ln, sv[0]), 6);
	assert_int_equal(proto_parse_request(&req, ln.buf, 6, &why), -EINVAL);
	assert_string_equal(why, "NUL byte in request");
	close_pair(sv);
}

static void test_read_oversized(void **state)
{
	char big[PROTO_REQUEST_MAX + 64];
	struct proto_line ln = { 0 };
	int sv[2];

	(void)state;
	memset(big, 'a', sizeof(big));
	/* The longest line fits, its '\n' the buffer's last byte. */
	pair(sv);
	big[PROTO_REQUEST_MAX - 1] = '\n';
	put(sv[1], big, PROTO_REQUEST_MAX);
	assert_int_equal(read_line(&ln, sv[0]), PROTO_REQUEST_MAX);
	close_pair(sv);
	/* One byte more, in two reads: too long, and stays so. */
	pair(sv);
	ln.len = 0;
	big[PROTO_REQUEST_MAX - 1] = 'a';
	put(sv[1], big, 100);
	assert_int_equal(read_line(&ln, sv[0]), 0);
	put(sv[1], big, sizeof(big) - 100);
	assert_int_equal(read_line(&ln, sv[0]), -E2BIG);
	assert_int_equal(ln.len, PROTO_REQUEST_MAX);
	assert_int_equal(read_line(&ln, sv[0]), -E2BIG);
	close_pair(sv);
}

static void test_read_close(void **state)
{
	struct proto_line ln = { 0 };
	int sv[2];

	(void)state;
	/* Closed with nothing sent: drop. */
	pair(sv);
	close(sv[1]);
	assert_int_equal(read_line(&ln, sv[0]), -EPIPE);
	close(sv[0]);
	/* Closed after a last line without '\n': that line. */
	pair(sv);
	put(sv[1], "status", 6);
	assert_int_equal(read_line(&ln, sv[0]), 0);
	close(sv[1]);
	assert_int_equal(read_line(&ln, sv[0]), 6);
	assert_memory_equal(ln.buf, "status", 6);
	close(sv[0]);
	/* Not a socket: a failed read drops too. */
	ln.len = 0;
	assert_int_equal(read_line(&ln, -1), -EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_words),
		cmocka_unit_test(test_request_length),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_request_utf8),
		cmocka_unit_test(test_request_command_word),
		cmocka_unit_test(test_request_args_max),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_reply_build),
		cmocka_unit_test(test_reply_error_escaped),
		cmocka_unit_test(test_reply_parse),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_read_partial),
		cmocka_unit_test(test_read_many_lines),
		cmocka_unit_test(test_read_nul),
		cmocka_unit_test(test_read_oversized),
		cmocka_unit_test(test_read_close),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
