// SPDX-License-Identifier: Apache-2.0
/*
 * How a guest's life is observed and ended from the host: stop requests
 * and their events, signals (DESIGN.md "Signals"), the power button and
 * its timeout, the control socket, and the quiesce hook.
 */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/exitcode.h"
#include "../common/hostproc.h"
#include "../common/log.h"
#include "control.h"
#include "hookrun.h"
#include "vcpu.h"
#include "vm.h"

#define HOOK_TIMEOUT_MS 10000
#define HOOK_GRACE_MS 1000

/* The event that says why a VM stops. */
static const char *stop_event_type(enum stop_reason why)
{
	switch (why) {
	case STOP_POWEROFF:
		return "s5";
	case STOP_REBOOT:
		return "reboot-requested";
	case STOP_PANIC:
		return "panic";
	case STOP_GUEST_ERROR:
		return "guest-error";
	case STOP_WATCHDOG:
		return "watchdog";
	case STOP_TERMINATED:
		return "terminate";
	case STOP_POWER_CUT:
		return "power-cut";
	default:
		return "internal-error";
	}
}

void vm_request_stop(struct vm *vm, enum stop_reason why, const char *by)
{
	int none = STOP_NONE;
	u64 one = 1;

	if (!__atomic_compare_exchange_n(&vm->stop_reason, &none, why, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&vm->status_lock);
	snprintf(vm->st.stop_by, sizeof(vm->st.stop_by), "%s", by);
	pthread_mutex_unlock(&vm->status_lock);
	if (vm->events_ready)
		events_emit_kv(&vm->events, stop_event_type(why), "by", by);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		log_err_errno("stop request");
}

void vm_note_event(struct vm *vm, const char *type, const char *key,
		   const char *value)
{
	pthread_mutex_lock(&vm->status_lock);
	if (!strcmp(type, "booted"))
		vm->st.booted = true;
	else if (!strcmp(type, "acpi-enabled"))
		vm->st.acpi_enabled = true;
	else if (!strcmp(type, "power-button-armed"))
		vm->st.armed = true;
	else if (!strcmp(type, "power-button-acknowledged"))
		vm->st.acked = true;
	pthread_mutex_unlock(&vm->status_lock);
	if (vm->events_ready)
		events_emit_kv(&vm->events, type, key, value);
}

/* The string field @key of @f, or "". */
static const char *vm_field(const struct env_field *f, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (f[i].str && !strcmp(f[i].key, key))
			return f[i].str;
	return "";
}

/*
 * Status a device's fields event changes (watchdog start/stop/expiry,
 * the guest's lifecycle announcements).
 */
static void vm_note_status(struct vm *vm, const char *type,
			   const struct env_field *f, int n)
{
	pthread_mutex_lock(&vm->status_lock);
	if (!strcmp(type, "guest-announced")) {
		snprintf(vm->st.announced, sizeof(vm->st.announced), "%s",
			 vm_field(f, n, "state"));
		vm->st.announced_ns = loop_now_ns();
	}
	if (!strcmp(type, "watchdog-started"))
		vm->st.wdt_running = true;
	else if (!strcmp(type, "watchdog-stopped"))
		vm->st.wdt_running = false;
	else if (!strcmp(type, "watchdog-expired"))
		vm->st.wdt_expiries++;
	pthread_mutex_unlock(&vm->status_lock);
}

void vm_note_fields(struct vm *vm, const char *type, const struct env_field *f,
		    int n)
{
	struct json_object *o;
	int i;

	vm_note_status(vm, type, f, n);
	if (!vm->events_ready)
		return;
	o = json_object_new_object();
	for (i = 0; i < n; i++) {
		struct json_object *v;

		if (f[i].str)
			v = json_object_new_string(f[i].str);
		else if (f[i].integer)
			v = json_object_new_int64((int64_t)f[i].num);
		else
			v = events_seconds(f[i].num);
		json_object_object_add(o, f[i].key, v);
	}
	events_emit(&vm->events, type, o);
}

/* Tell every device with a pause hook; resume goes in reverse order. */
static void vm_pause_devices(struct vm *vm, bool paused)
{
	int i;

	for (i = 0; i < vm->nr_devs; i++) {
		struct vm_device *d =
			&vm->devs[paused ? i : vm->nr_devs - 1 - i];

		if (d->dev && d->type->pause)
			d->type->pause(d->dev, paused);
	}
}

int vm_pause(struct vm *vm, const char *by)
{
	int i;

	if (__atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST))
		return -ESRCH;
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused) {
		pthread_mutex_unlock(&vm->pause_lock);
		return -EALREADY;
	}
	vm->paused = true;
	snprintf(vm->paused_by, sizeof(vm->paused_by), "%s", by);
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_pause(&vm->vcpus[i]);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_pause_devices(vm, true);
	log_info("guest paused (%s)", by);
	events_emit_kv(&vm->events, "paused", "by", by);
	return 0;
}

int vm_resume(struct vm *vm, const char *by)
{
	if (__atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST))
		return -ESRCH;
	pthread_mutex_lock(&vm->pause_lock);
	if (!vm->paused) {
		pthread_mutex_unlock(&vm->pause_lock);
		return -EALREADY;
	}
	pthread_mutex_unlock(&vm->pause_lock);
	/* Devices first: their clocks run again before the guest does. */
	vm_pause_devices(vm, false);
	pthread_mutex_lock(&vm->pause_lock);
	vm->paused = false;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	log_info("guest resumed (%s)", by);
	events_emit_kv(&vm->events, "resumed", "by", by);
	return 0;
}

static void vm_pb_timeout(void *arg)
{
	struct vm *vm = arg;

	log_warn(
		"the guest is still up %llu ms after the power button: terminating",
		(unsigned long long)conf_get_num(vm->conf,
						 "power-button-timeout", 0));
	events_emit(&vm->events, "power-button-timeout", NULL);
	vm_request_stop(vm, STOP_TERMINATED, "power-button-timeout");
}

/*
 * Press the button on every device that has one (ACPI PM). A machine
 * without a power button (`power-button none`, or no such device) is
 * terminated instead, as DESIGN.md says for ARM.
 */
void vm_power_button(struct vm *vm, const char *by)
{
	u64 timeout = conf_get_num(vm->conf, "power-button-timeout", 0);
	bool pressed = false;
	int i;

	for (i = 0; vm->power_button && i < vm->nr_devs; i++) {
		if (!vm->devs[i].dev || !vm->devs[i].type->power_button)
			continue;
		vm->devs[i].type->power_button(vm->devs[i].dev);
		pressed = true;
	}
	if (!pressed) {
		vm_request_stop(vm, STOP_TERMINATED, by);
		return;
	}
	pthread_mutex_lock(&vm->status_lock);
	vm->st.presses++;
	pthread_mutex_unlock(&vm->status_lock);
	log_info("power button pressed (%s)", by);
	if (timeout && !vm->pb_timer.deadline_ns)
		loop_timer_arm(&vm->loop, &vm->pb_timer, timeout * 1000000);
}

/* SIGTERM, SIGINT (and SIGHUP when so configured): press, then terminate. */
static void vm_signal_press(struct vm *vm, const char *name)
{
	char by[32];

	if (vm->signal_presses++ == 0) {
		vm_power_button(vm, name);
		return;
	}
	snprintf(by, sizeof(by), "second %s", name);
	vm_request_stop(vm, STOP_TERMINATED, by);
}

static void vm_on_sighup(struct vm *vm)
{
	const char *action = conf_get(vm->conf, "sighup");

	if (!action || !strcmp(action, "ignore"))
		log_info("SIGHUP ignored");
	else if (!strcmp(action, "power-button"))
		vm_signal_press(vm, "SIGHUP");
	else
		vm_request_stop(vm, STOP_TERMINATED, "SIGHUP");
}

static void vm_on_signal(void *dev, int fd)
{
	struct signalfd_siginfo si;
	struct vm *vm = dev;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGTERM:
		vm_signal_press(vm, "SIGTERM");
		break;
	case SIGINT:
		vm_signal_press(vm, "SIGINT");
		break;
	case SIGQUIT:
		vm_request_stop(vm, STOP_POWER_CUT, "SIGQUIT");
		break;
	case SIGHUP:
		vm_on_sighup(vm);
		break;
	}
}

/* Signals become loop events; vCPU threads inherit the blocked mask. */
static int vm_signals(struct vm *vm)
{
	vm->sig_fd = hostproc_signalfd();
	if (vm->sig_fd < 0)
		return vm->sig_fd;
	return loop_watch_fd(&vm->loop, vm->sig_fd, vm_on_signal, vm);
}

/* --- the control socket's view of the VM --- */

static void ctl_power_button(void *ctx, const char *by)
{
	vm_power_button(ctx, by);
}

static void ctl_terminate(void *ctx, const char *by)
{
	vm_request_stop(ctx, STOP_TERMINATED, by);
}

static void ctl_power_cut(void *ctx, const char *by)
{
	vm_request_stop(ctx, STOP_POWER_CUT, by);
}

/*
 * Ask the guest to power off or reboot through its lifecycle region, on
 * every device that speaks the protocol; -ENODEV when none does.
 */
int vm_guest_request(struct vm *vm, const char *what, const char *arg)
{
	int i, ret = -ENODEV;

	if (__atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST))
		return -ESRCH;
	for (i = 0; i < vm->nr_devs; i++) {
		if (!vm->devs[i].dev || !vm->devs[i].type->guest_request)
			continue;
		ret = vm->devs[i].type->guest_request(vm->devs[i].dev, what,
						      arg);
		if (ret)
			break;
	}
	return ret;
}

static int ctl_request(void *ctx, const char *what, const char *arg)
{
	return vm_guest_request(ctx, what, arg);
}

static int ctl_pause(void *ctx, const char *by)
{
	return vm_pause(ctx, by);
}

static int ctl_resume(void *ctx, const char *by)
{
	return vm_resume(ctx, by);
}

static struct json_object *jbool(bool b)
{
	return json_object_new_boolean(b);
}

static struct json_object *vm_power_button_json(struct vm *vm)
{
	struct json_object *pb = json_object_new_object();

	json_object_object_add(pb, "present", jbool(vm->power_button));
	json_object_object_add(pb, "armed", jbool(vm->st.armed));
	json_object_object_add(pb, "presses",
			       json_object_new_int(vm->st.presses));
	json_object_object_add(pb, "acknowledged", jbool(vm->st.acked));
	return pb;
}

/* The configured watchdog, and what the guest did with it. */
static struct json_object *vm_watchdog_json(struct vm *vm)
{
	struct json_object *w = json_object_new_object();
	char model[16] = "i6300esb", action[16] = "terminate";

	const char *list = conf_get(vm->conf, "watchdog");

	conf_sub_get(list, "model", model, sizeof(model));
	conf_sub_get(list, "action", action, sizeof(action));
	json_object_object_add(w, "model", json_object_new_string(model));
	json_object_object_add(w, "action", json_object_new_string(action));
	json_object_object_add(w, "running", jbool(vm->st.wdt_running));
	json_object_object_add(w, "expirations",
			       json_object_new_int(vm->st.wdt_expiries));
	return w;
}

/* A device's status item: appended to the array @group of object @ctx. */
static void vm_status_add(void *ctx, const char *group,
			  const struct env_field *f, int n)
{
	struct json_object *o = ctx, *arr, *item = json_object_new_object();
	int i;

	if (!json_object_object_get_ex(o, group, &arr)) {
		arr = json_object_new_array();
		json_object_object_add(o, group, arr);
	}
	for (i = 0; i < n; i++)
		json_object_object_add(
			item, f[i].key,
			f[i].str ? json_object_new_string(f[i].str) :
			f[i].integer ?
				   json_object_new_int64((int64_t)f[i].num) :
				   json_object_new_double(f[i].num));
	json_object_array_add(arr, item);
}

static void vm_devices_status(struct vm *vm, struct json_object *o)
{
	int i;

	for (i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].dev && vm->devs[i].type->status)
			vm->devs[i].type->status(vm->devs[i].dev, vm_status_add,
						 o);
}

static const char *vm_state_name(struct vm *vm)
{
	bool paused;

	if (__atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST))
		return "stopping";
	pthread_mutex_lock(&vm->pause_lock);
	paused = vm->paused;
	pthread_mutex_unlock(&vm->pause_lock);
	return paused ? "paused" : "running";
}

static struct json_object *ctl_status(void *ctx)
{
	struct vm *vm = ctx;
	struct json_object *o = json_object_new_object();
	int why = __atomic_load_n(&vm->stop_reason, __ATOMIC_SEQ_CST);
	const char *name = conf_get(vm->conf, "name");

	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "state",
			       json_object_new_string(vm_state_name(vm)));
	json_object_object_add(
		o, "uptime",
		events_seconds((loop_now_ns() - vm->start_ns) / 1e9));
	json_object_object_add(o, "cpus", json_object_new_int(vm->ncpus));
	json_object_object_add(o, "mem", json_object_new_int64(vm->ram_size));
	json_object_object_add(
		o, "kernel_format",
		json_object_new_string(boot_format_name(vm->entry.format)));
	pthread_mutex_lock(&vm->status_lock);
	json_object_object_add(o, "booted", jbool(vm->st.booted));
	json_object_object_add(o, "acpi_enabled", jbool(vm->st.acpi_enabled));
	json_object_object_add(o, "power_button", vm_power_button_json(vm));
	if (vm->st.announced[0]) {
		struct json_object *lc = json_object_new_object();

		json_object_object_add(
			lc, "state", json_object_new_string(vm->st.announced));
		json_object_object_add(
			lc, "since",
			events_seconds((vm->st.announced_ns - vm->start_ns) /
				       1e9));
		json_object_object_add(o, "lifecycle", lc);
	}
	if (conf_get(vm->conf, "watchdog"))
		json_object_object_add(o, "watchdog", vm_watchdog_json(vm));
	if (why)
		json_object_object_add(o, "stop_by",
				       json_object_new_string(vm->st.stop_by));
	pthread_mutex_unlock(&vm->status_lock);
	vm_devices_status(vm, o);
	return o;
}

static int ctl_subscribe(void *ctx, int fd)
{
	struct vm *vm = ctx;

	return events_subscribe(&vm->events, fd);
}

static void ctl_unsubscribe(void *ctx, int fd)
{
	struct vm *vm = ctx;

	events_unsubscribe(&vm->events, fd);
}

static const struct control_ops vm_control_ops = {
	.power_button = ctl_power_button,
	.terminate = ctl_terminate,
	.power_cut = ctl_power_cut,
	.pause = ctl_pause,
	.request = ctl_request,
	.resume = ctl_resume,
	.status = ctl_status,
	.subscribe = ctl_subscribe,
	.unsubscribe = ctl_unsubscribe,
};

int vm_lifecycle_setup(struct vm *vm)
{
	const char *pb = conf_get(vm->conf, "power-button");

	vm->power_button = !pb || strcmp(pb, "none");
	vm->pb_timer.fire = vm_pb_timeout;
	vm->pb_timer.dev = vm;
	return vm_signals(vm);
}

int vm_control_setup(struct vm *vm)
{
	const char *ctl = conf_get(vm->conf, "control");

	if (!ctl)
		return 0;
	return control_open(&vm->ctl, ctl, &vm->loop, &vm_control_ops, vm);
}

void vm_lifecycle_teardown(struct vm *vm)
{
	if (vm->loop_ready)
		loop_timer_cancel(&vm->loop, &vm->pb_timer);
	if (vm->ctl)
		control_close(vm->ctl);
	vm->ctl = NULL;
}

/* --- the quiesce hook --- */

static void hook_report(struct vm *vm, const char *result, int rc, u64 t0)
{
	struct json_object *f = json_object_new_object();
	double secs = (loop_now_ns() - t0) / 1e9;

	json_object_object_add(f, "result", json_object_new_string(result));
	if (rc >= 0)
		json_object_object_add(f, "status", json_object_new_int(rc));
	json_object_object_add(f, "seconds", events_seconds(secs));
	events_emit(&vm->events, "hook", f);
	if (strcmp(result, "ok"))
		log_warn("quiesce hook: %s (status %d, %.3f s)", result, rc,
			 secs);
}

static void hook_report_exit(struct vm *vm, int status, u64 t0)
{
	hook_report(vm,
		    WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "failed",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
					128 + WTERMSIG(status),
		    t0);
}

/*
 * The hook runs through the hook runner (hookrun.h): the main thread's
 * allowlist has no fork or exec.
 */
void vm_run_quiesce_hook(struct vm *vm, int code)
{
	const char *cmd = conf_get(vm->conf, "quiesce-hook");
	u64 ms =
		conf_get_num(vm->conf, "quiesce-hook-timeout", HOOK_TIMEOUT_MS);
	const struct exitcode_info *e = exitcode_find(code);
	char num[32], reason[64];
	const char *env[] = { num, reason, NULL };
	u64 t0 = loop_now_ns();
	int status = 0, exit_fd;
	pid_t pid;

	if (!cmd)
		return;
	snprintf(num, sizeof(num), "VESSEL_EXIT_CODE=%d", code);
	snprintf(reason, sizeof(reason), "VESSEL_REASON=%s",
		 e ? e->name : "unknown");
	if (hookrun_spawn(cmd, conf_get(vm->conf, "name"), env, &pid,
			  &exit_fd)) {
		hook_report(vm, "fork failed", -1, t0);
		return;
	}
	if (hookrun_wait(exit_fd, ms, &status)) {
		hook_report_exit(vm, status, t0);
	} else {
		/* Never block the exit on a stuck hook: ask, then abandon. */
		hookrun_kill(pid, SIGTERM);
		hook_report(vm,
			    hookrun_wait(exit_fd, HOOK_GRACE_MS, &status) ?
				    "timed out, terminated" :
				    "timed out, abandoned",
			    -1, t0);
	}
	close(exit_fd);
}
