// SPDX-License-Identifier: Apache-2.0
/*
 * Giving up root and capabilities once everything is open (privdrop.h).
 * The order is the one the kernel allows: the bounding set needs
 * CAP_SETPCAP, the ids need CAP_SETGID and CAP_SETUID, so those go
 * first and the capability sets last. Capabilities and the bounding set
 * are per thread: this runs while vessel still has only its main thread,
 * which every later thread copies. [OpenSSH privsep; systemd
 * exec-invoke.c enforce_user, capability_bounding_set_drop]
 */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/exitcode.h"
#include "../common/log.h"
#include "../shm/shm.h"
#include "vm.h"

int privdrop_plan(uid_t euid, gid_t egid, const struct userid *want,
		  enum privdrop_plan *plan, char *err, size_t errlen)
{
	*plan = PRIVDROP_CAPS;
	if (!want)
		return 0;
	if (euid == 0 && (want->uid != 0 || want->gid != egid)) {
		*plan = PRIVDROP_SWITCH;
		return 0;
	}
	if (want->uid == euid && want->gid == egid)
		return 0;
	snprintf(
		err, errlen,
		"user %s (uid %u, gid %u): vessel runs as uid %u, gid %u and can become another user only when started as root",
		want->name, (unsigned int)want->uid, (unsigned int)want->gid,
		(unsigned int)euid, (unsigned int)egid);
	return -EPERM;
}

int privdrop_init(struct privdrop *pd, const struct conf *conf)
{
	const char *user = conf_get(conf, "user");
	const char *group = conf_get(conf, "group");
	char err[512];

	memset(pd, 0, sizeof(*pd));
	/* Whatever vessel creates is its own; explicit modes only narrow. */
	umask(077);
	/* Per thread and inherited: before the first thread and the first
	 * hook, so none of them can gain privileges by an exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		log_err_errno("cannot set no_new_privs");
		return EXIT_USAGE;
	}
	if (group && !user) {
		log_err("group %s: only with `user`", group);
		return EXIT_USAGE;
	}
	if (user && (userid_resolve(&pd->id, user, group, err, sizeof(err)) ||
		     privdrop_plan(geteuid(), getegid(), &pd->id, &pd->plan,
				   err, sizeof(err)))) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	/* Regions are opened as root now and used as the user later. */
	if (pd->plan == PRIVDROP_SWITCH)
		shm_set_owner(pd->id.uid, pd->id.gid);
	return 0;
}

/* --- capabilities: raw capset(2), the two 32-bit words of version 3 --- */

static int privdrop_capget(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int privdrop_caps_clear(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL) /* EINVAL: a kernel before ambient sets */
		return -errno;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static bool privdrop_may_setpcap(void)
{
	struct __user_cap_data_struct d[2];

	return !privdrop_capget(d) && (d[CAP_TO_INDEX(CAP_SETPCAP)].effective &
				       CAP_TO_MASK(CAP_SETPCAP));
}

/* Empty the bounding set: no exec can hand a capability back. */
static int privdrop_bounding_clear(void)
{
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	return 0;
}

/* --- the user --- */

static int privdrop_switch(const struct userid *id)
{
	const char *what = "its groups";
	int ret;

	ret = id->has_name ? initgroups(id->name, id->gid) : setgroups(0, NULL);
	if (!ret) {
		what = "its gid";
		ret = setresgid(id->gid, id->gid, id->gid);
	}
	if (!ret) {
		what = "its uid";
		ret = setresuid(id->uid, id->uid, id->uid);
	}
	if (!ret)
		return 0;
	ret = -errno;
	log_err("user %s (uid %u, gid %u): cannot set %s: %s", id->name,
		(unsigned int)id->uid, (unsigned int)id->gid, what,
		strerror(-ret));
	return ret;
}

/* --- proof --- */

static bool privdrop_ids_are(uid_t uid, gid_t gid)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	return !getresuid(&r, &e, &s) && !getresgid(&rg, &eg, &sg) &&
	       r == uid && e == uid && s == uid && rg == gid && eg == gid &&
	       sg == gid;
}

static const char *privdrop_caps_left(bool bounding)
{
	struct __user_cap_data_struct d[2];
	int cap, i;

	if (privdrop_capget(d))
		return "capget failed";
	for (i = 0; i < 2; i++) {
		if (d[i].effective || d[i].permitted)
			return "effective or permitted capabilities";
		if (d[i].inheritable)
			return "inheritable capabilities";
	}
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (bounding && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
			return "a bounding-set capability";
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return "an ambient capability";
	}
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ?
		       NULL :
		       "no_new_privs unset";
}

/* What the plan promised, checked on the process as it now is. */
static int privdrop_verify(const struct privdrop *pd, bool bounding)
{
	const char *left = privdrop_caps_left(bounding);

	if (left) {
		log_err("privileges: still %s after dropping them", left);
		return -EPERM;
	}
	if (pd->plan != PRIVDROP_SWITCH)
		return 0;
	if (!privdrop_ids_are(pd->id.uid, pd->id.gid)) {
		log_err("user %s: the real, effective and saved ids are not all uid %u, gid %u",
			pd->id.name, (unsigned int)pd->id.uid,
			(unsigned int)pd->id.gid);
		return -EPERM;
	}
	if (pd->id.uid != 0 && (!setuid(0) || !seteuid(0))) {
		log_err("user %s: root could be taken back", pd->id.name);
		return -EPERM;
	}
	return 0;
}

/* Capabilities and the bounding set are per thread: one thread only. */
static int privdrop_single_threaded(void)
{
	struct stat st;

	if (stat("/proc/self/task", &st))
		return -errno;
	/* A directory's links: ".", its parent's entry, one per task. */
	if (st.st_nlink != 3) {
		log_err("privileges: dropped too late, %u threads run",
			(unsigned int)st.st_nlink - 2);
		return -EBUSY;
	}
	return 0;
}

static int privdrop_carry_out(const struct privdrop *pd, bool *bounding)
{
	int ret;

	ret = privdrop_single_threaded();
	if (ret)
		return ret;
	/* Without CAP_SETPCAP (not root) the set cannot shrink; no_new_privs
	 * already keeps an exec from using it. */
	*bounding = privdrop_may_setpcap();
	ret = *bounding ? privdrop_bounding_clear() : 0;
	if (ret) {
		log_err("privileges: cannot empty the bounding set: %s",
			strerror(-ret));
		return ret;
	}
	ret = pd->plan == PRIVDROP_SWITCH ? privdrop_switch(&pd->id) : 0;
	if (ret)
		return ret;
	ret = privdrop_caps_clear();
	if (ret) {
		log_err("privileges: cannot clear the capability sets: %s",
			strerror(-ret));
		return ret;
	}
	return privdrop_verify(pd, *bounding);
}

/* Why a directory root could write is now refused. */
static void privdrop_state_hint(const struct privdrop *pd,
				const struct statefile *sf)
{
	if (pd->plan == PRIVDROP_SWITCH)
		log_err("state %s: its directory must be writable by user %s",
			sf->shown, pd->id.name);
	else
		log_err("state %s: its directory must be writable by uid %u itself (vessel keeps no capability, CAP_DAC_OVERRIDE included)",
			sf->shown, (unsigned int)geteuid());
}

int privdrop_apply(const struct privdrop *pd, struct vm *vm)
{
	bool bounding = false;

	if (privdrop_carry_out(pd, &bounding))
		goto err;
	if (statefile_check_writable(&vm->state)) {
		privdrop_state_hint(pd, &vm->state);
		goto err;
	}
	if (pd->plan == PRIVDROP_SWITCH)
		log_info("running as user %s (uid %u, gid %u), no capabilities",
			 pd->id.name, (unsigned int)pd->id.uid,
			 (unsigned int)pd->id.gid);
	return 0;
err:
	statefile_exited(&vm->state, EXIT_USAGE, NULL);
	return EXIT_USAGE;
}
