// SPDX-License-Identifier: Apache-2.0
/*
 * `vesselctl shmem list|dump|ring`: the shared-memory regions in the
 * region directory ($VESSEL_SHM_DIR or /dev/shm/vessel), through the
 * same library host programs use (src/shm/shm.h). No vessel is
 * involved, so no --vm.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/types.h"
#include "../shm/shm.h"
#include "ctl.h"

#define DUMP_WIDTH 16

/* "vesselctl: shmem ring NAME: why" on stderr. */
static int shmem_err(const char *what, const char *name, int err)
{
	const char *why = strerror(-err);

	if (err == -ENOENT)
		why = "no such region";
	else if (err == -ESRCH)
		why = "no such peer, or it does not answer";
	fprintf(stderr, "vesselctl: shmem %s %s: %s\n", what, name, why);
	return CTL_EXIT_REPLY;
}

/*
 * A region name is checked before anything is opened, so a bad one says
 * what a name is rather than "Invalid argument"; it is not echoed, since
 * it may be long or not printable.
 */
static bool shmem_name_ok(const char *name)
{
	if (!shm_name_check(name))
		return true;
	fprintf(stderr,
		"vesselctl: shmem: not a region name: a name is 1-%d of "
		"A-Z a-z 0-9 . _ -, not starting with '.'\n",
		SHM_NAME_MAX - 1);
	return false;
}

static int shmem_usage(const char *msg)
{
	fprintf(stderr,
		"vesselctl: shmem: %s\n"
		"Usage: vesselctl shmem list | dump NAME [--offset N] "
		"[--length N] | ring NAME PEER\n",
		msg);
	return CTL_EXIT_USAGE;
}

/* A whole decimal or 0x number; false if @s is not one. */
static bool parse_u64(const char *s, u64 *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static void list_json(const struct shm_region_info *info)
{
	struct json_object *o = json_object_new_object();
	struct json_object *peers = json_object_new_array();
	int id;

	json_object_object_add(o, "name", json_object_new_string(info->name));
	json_object_object_add(o, "size", json_object_new_uint64(info->size));
	for (id = 0; id < SHM_MAX_PEERS; id++) {
		const struct shm_peer_info *p = &info->peer[id];
		struct json_object *po;

		if (!(info->peers & (1u << id)))
			continue;
		po = json_object_new_object();
		json_object_object_add(po, "id", json_object_new_int(id));
		json_object_object_add(po, "pid",
				       json_object_new_int64(p->pid));
		json_object_object_add(po, "kind",
				       json_object_new_string(p->kind));
		json_object_object_add(po, "label",
				       json_object_new_string(p->label));
		json_object_array_add(peers, po);
	}
	json_object_object_add(o, "peers", peers);
	ctl_print_line(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void list_text(const struct shm_region_info *info)
{
	int id, n = __builtin_popcount(info->peers);

	printf("%s %llu bytes, %d peer%s\n", info->name,
	       (unsigned long long)info->size, n, n == 1 ? "" : "s");
	for (id = 0; id < SHM_MAX_PEERS; id++)
		if (info->peers & (1u << id))
			printf("  peer %d pid %u %s %s\n", id,
			       info->peer[id].pid, info->peer[id].kind,
			       info->peer[id].label[0] ? info->peer[id].label :
							 "-");
}

static int list_one(const struct shm_region_info *info, void *arg)
{
	const struct ctl *ctl = arg;

	if (ctl->json)
		list_json(info);
	else
		list_text(info);
	return 0;
}

static int shmem_list(const struct ctl *ctl)
{
	int ret;

	if (ctl->argc != 1)
		return shmem_usage("list takes no arguments");
	ret = shm_list(list_one, (void *)ctl);
	fflush(stdout);
	if (!ret)
		return CTL_EXIT_OK;
	fprintf(stderr, "vesselctl: shmem list %s: %s\n", shm_dir(),
		strerror(-ret));
	return CTL_EXIT_REPLY;
}

/* One line as hexdump -C prints it, offsets relative to the data. */
static void dump_line(const u8 *p, u64 off, size_t n)
{
	size_t i;

	printf("%08llx ", (unsigned long long)off);
	for (i = 0; i < DUMP_WIDTH; i++) {
		if (i == DUMP_WIDTH / 2)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			printf("   ");
	}
	printf("  |");
	for (i = 0; i < n; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
	printf("|\n");
}

/* Repeated full lines are folded into one "*", as hexdump -C does. */
static void dump(const u8 *data, u64 off, u64 len)
{
	const u8 *prev = NULL;
	bool folded = false;
	u64 at;
	size_t n;

	for (at = 0; at < len; at += n) {
		n = (size_t)MIN((u64)DUMP_WIDTH, len - at);
		if (prev && n == DUMP_WIDTH && !memcmp(prev, data + at, n)) {
			if (!folded)
				printf("*\n");
			folded = true;
			continue;
		}
		dump_line(data + at, off + at, n);
		prev = data + at;
		folded = false;
	}
	printf("%08llx\n", (unsigned long long)(off + len));
}

static int shmem_dump(const struct ctl *ctl)
{
	const char *name = ctl->argv[1];
	struct shm_region *r;
	u64 off = 0, len = 0;
	int ret;

	if (ctl->argc != 2)
		return shmem_usage("dump takes one region NAME");
	if ((ctl->offset && !parse_u64(ctl->offset, &off)) ||
	    (ctl->length && !parse_u64(ctl->length, &len)))
		return shmem_usage("--offset and --length take numbers");
	if (!shmem_name_ok(name))
		return CTL_EXIT_USAGE;
	ret = shm_open_region(name, 0, SHM_EXIST | SHM_READONLY, NULL, NULL,
			      &r);
	if (ret)
		return shmem_err("dump", name, ret);
	if (!ctl->length)
		len = off < shm_size(r) ? shm_size(r) - off : 0;
	if (off > shm_size(r) || len > shm_size(r) - off) {
		fprintf(stderr,
			"vesselctl: shmem dump %s: offset %llu length %llu "
			"is outside its %llu bytes\n",
			name, (unsigned long long)off, (unsigned long long)len,
			(unsigned long long)shm_size(r));
		shm_close_region(r);
		return CTL_EXIT_REPLY;
	}
	dump((const u8 *)shm_data(r) + off, off, len);
	fflush(stdout);
	shm_close_region(r);
	return CTL_EXIT_OK;
}

static int shmem_ring(const struct ctl *ctl)
{
	const char *name = ctl->argv[1];
	struct shm_region *r;
	u64 peer;
	char done[80];
	int ret;

	if (ctl->argc != 3)
		return shmem_usage("ring takes a region NAME and a PEER id");
	if (!parse_u64(ctl->argv[2], &peer) || peer >= SHM_MAX_PEERS)
		return shmem_usage("PEER is a peer id, 0 to 15");
	if (!shmem_name_ok(name))
		return CTL_EXIT_USAGE;
	ret = shm_open_region(name, 0, SHM_EXIST, "host", "vesselctl", &r);
	if (ret)
		return shmem_err("ring", name, ret);
	ret = shm_ring(r, (int)peer);
	shm_close_region(r);
	/* Our own id: that slot was free, so there is no such peer. */
	if (ret == -EINVAL)
		ret = -ESRCH;
	if (ret)
		return shmem_err("ring", name, ret);
	snprintf(done, sizeof(done), "rang peer %d of %s", (int)peer, name);
	ctl_print_line(ctl->json ? "{\"ok\":true}" : done);
	return CTL_EXIT_OK;
}

int cmd_shmem(const struct ctl *ctl)
{
	const char *sub = ctl->argc ? ctl->argv[0] : "";

	if ((ctl->offset || ctl->length) && strcmp(sub, "dump"))
		return shmem_usage("--offset and --length are for dump");
	if (!strcmp(sub, "list"))
		return shmem_list(ctl);
	if (!strcmp(sub, "dump"))
		return shmem_dump(ctl);
	if (!strcmp(sub, "ring"))
		return shmem_ring(ctl);
	return shmem_usage(*sub ? "unknown subcommand" : "no subcommand");
}
