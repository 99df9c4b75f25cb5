/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Authorization of the mutating methods (spec, "Authorization"): root always; other users
 * when polkit grants the method's action; nobody but root when polkit cannot be asked. The
 * polkit question is asked asynchronously, the way systemd's bus_verify_polkit_async() does
 * it, without GLib: the method handler returns "handled" while the question is out, and when
 * polkit answers, the same message is dispatched again and its handler finds the answer in
 * the registry. Handlers call polkit_verify() before reading their arguments:
 *
 *         r = polkit_verify(&m->polkit, msg, "org.pmemnsd1.apply", "Apply", error);
 *         if (r < 0)
 *                 return r;      // refused: error is AccessDenied with the reason
 *         if (r == 0)
 *                 return 1;      // asked polkit: the message comes back with its answer
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define POLKIT_ACTION_APPLY "org.pmemnsd1.apply"
#define POLKIT_ACTION_RELOAD "org.pmemnsd1.reload"
#define POLKIT_ACTION_CREATE_NAMESPACE "org.pmemnsd1.create-namespace"
#define POLKIT_ACTION_DESTROY_NAMESPACE "org.pmemnsd1.destroy-namespace"

/* ---- the pure part: what is decided from what ---------------------------------------------- */

/* What the caller's credentials decide before polkit is asked. */
typedef enum CallerVerdict {
        CALLER_ROOT,         /* allowed: euid 0 */
        CALLER_ASK_POLKIT,   /* another user: polkit decides */
        CALLER_GONE,         /* refused: disconnected before its credentials could be read */
        CALLER_UNREADABLE,   /* refused: the credentials could not be read */
        CALLER_NO_UID,       /* refused: the bus gave no user id */
} CallerVerdict;

/* query_r: what sd_bus_query_sender_creds() returned; uid_r: what reading the (e)uid from
 * them returned, uid the uid read; from_bus: it is the bus's word (the connection's uid as
 * dbus-daemon has it), not read from /proc afterwards, where the pid may be another process
 * by now. Only the bus's word makes root: any other uid 0 is polkit's to judge (polkit
 * allows root itself). */
CallerVerdict caller_verdict(int query_r, int uid_r, uid_t uid, bool from_bus);

/* What polkit's answer decides. */
typedef enum PolkitVerdict {
        POLKIT_ALLOWED,          /* authorized */
        POLKIT_DENIED,           /* not authorized, no authentication would change it */
        POLKIT_CHALLENGE,        /* not authorized: authentication (an agent) could */
        POLKIT_ABSENT,           /* polkit is not running and could not be started */
        POLKIT_ERROR,            /* polkit (or the bus) answered with another error */
        _POLKIT_VERDICT_MAX,
} PolkitVerdict;

/* error_name: the D-Bus error of the reply (NULL: a method return, whose (bb) is authorized,
 * challenge; -1 where it could not be read). */
PolkitVerdict polkit_verdict(const char *error_name, int authorized, int challenge);
/* Is this error the bus's way of saying that org.freedesktop.PolicyKit1 is not there:
 * no owner, no activatable service, or its activation failed (the unit masked, polkitd
 * exiting)? */
bool polkit_error_is_absent(const char *error_name);
/* The CheckAuthorization flags: 1 (AllowUserInteraction) only when the caller set
 * ALLOW_INTERACTIVE_AUTHORIZATION on its call. */
uint32_t polkit_check_flags(int allow_interactive);
/* The reason for the log and the AccessDenied message, for a refusal. */
const char *polkit_verdict_reason(PolkitVerdict v);

/* ---- the bus part -------------------------------------------------------------------------- */

/* The queries in flight and answered, keyed by the message they authorize; owned by the
 * Manager (NULL until the first question). */
typedef struct PolkitRegistry PolkitRegistry;
PolkitRegistry *polkit_registry_free(PolkitRegistry *r);

/* 1: allowed (go on); 0: polkit was asked (return 1 from the handler, it is called again
 * with the answer); < 0: refused, error set to AccessDenied, the refusal logged as
 * "Denied METHOD() to uid ...". */
int polkit_verify(PolkitRegistry **registry, sd_bus_message *msg, const char *action, const char *method,
                  sd_bus_error *error);
