// SPDX-License-Identifier: Apache-2.0
/*
 * The `shmem` option and guest-to-host region names (shmem.h).
 */
#include "shmem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../common/conf.h"
#include "../../common/log.h"

static int shmem_sub(const char *list, const char *key, char *out, size_t n)
{
	int ret = conf_sub_get(list, key, out, n);

	if (ret == -E2BIG) {
		log_err("shmem: %s is too long", key);
		return -EINVAL;
	}
	if (ret)
		out[0] = '\0';
	return 0;
}

int shmem_conf_read(struct dev_env *env, const char *model,
		    struct shmem_conf *c)
{
	const char *list = conf_get(env_conf(env), "shmem");
	char size[32];

	memset(c, 0, sizeof(*c));
	if (!list)
		return 0;
	if (shmem_sub(list, "model", c->model, sizeof(c->model)) ||
	    shmem_sub(list, "name", c->name, sizeof(c->name)) ||
	    shmem_sub(list, "size", size, sizeof(size)) ||
	    shmem_sub(list, "allow", c->allow, sizeof(c->allow)) ||
	    shmem_sub(list, "deny", c->deny, sizeof(c->deny)))
		return -EINVAL;
	if (!c->model[0])
		snprintf(c->model, sizeof(c->model), "qnx");
	if (model && strcmp(c->model, model))
		return 0;
	if (size[0] && (conf_parse_size(size, &c->size) || !c->size ||
			c->size > (1ULL << 30))) {
		log_err("shmem: size '%s' is not a size from 4K to 1G", size);
		return -EINVAL;
	}
	if (!strcmp(c->model, "ivshmem") && !c->name[0]) {
		log_err("shmem: model=ivshmem needs name=REGION");
		return -EINVAL;
	}
	return 1;
}

void shmem_host_name(struct dev_env *env, const char *guest_name, char *out,
		     size_t size)
{
	const char *vm = conf_get(env_conf(env), "name");

	if (strcmp(guest_name, SHMEM_LIFECYCLE)) {
		snprintf(out, size, "%s", guest_name);
		return;
	}
	if (vm)
		snprintf(out, size, "%s-%.*s", SHMEM_LIFECYCLE,
			 (int)(size - sizeof(SHMEM_LIFECYCLE) - 1), vm);
	else
		snprintf(out, size, "%s-%d", SHMEM_LIFECYCLE, (int)getpid());
	/* A guest name may hold what a region name may not. */
	for (; *out; out++)
		if (!isalnum((unsigned char)*out) && !strchr("._-", *out))
			*out = '_';
}
