/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_RELAY_H
#define VESSELD_RELAY_H

/*
 * A guest announced its shutdown over its lifecycle region (vessel runs
 * `--lifecycle-hook`, which vesseld set to `vesselctl guest-shutdown NAME
 * STATE`, before it acknowledges): run the guest's on-guest-shutdown-hook,
 * then tell each running guest of its shares-device-with through that
 * guest's own vessel (`request-peer-down NAME`), then answer, so that
 * vessel acknowledges to the guest only after all of it. vessel bounds
 * its hook to 10 s: the hook here gets RELAY_HOOK_TIMEOUT_MS, each peer's
 * call VMCALL_TIMEOUT_MS, and they are told in parallel.
 */

#include "guest.h"

#define RELAY_HOOK_TIMEOUT_MS 4000
#define RELAY_HOOK_GRACE_MS 500

struct json_object;
struct relay;

/* @result: what was done ({state, hook, told, not_told, seconds}); borrowed. */
typedef void relay_done_fn(void *ctx, struct json_object *result);

/*
 * Start relaying @g's announcement of @state. @done is called once, from
 * the loop (or before this returns when there is nothing to wait for).
 * *@out names the relay while it goes on and is set to NULL when it ends.
 * -EINVAL for a state that is not a lifecycle state name, -EBUSY while a
 * relay for @g is still going on, -ENOMEM.
 */
int relay_start(struct guest *g, const char *state, relay_done_fn *done,
		void *ctx, struct relay **out);

/*
 * vessel's --lifecycle-hook for @g into @buf: `exec VESSELCTL --daemon
 * SOCK guest-shutdown NAME "$VESSEL_GUEST_STATE"`. False (nothing to add)
 * when the guest has no `shmem name=lifecycle`, sets its own
 * lifecycle-hook (vessel runs that one instead; logged), or a path
 * cannot be quoted.
 */
bool relay_vessel_hook(const struct guest *g, char *buf, size_t len);

/*
 * The one waiting went away: the relay goes on, its done is not called
 * and its *out is left alone. @r may be NULL.
 */
void relay_forget(struct relay *r);

#endif
