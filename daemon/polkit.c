/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit authorization of the mutating methods, asynchronous, without GLib: see polkit.h.
 * Modelled on systemd's src/shared/bus-polkit.c (bus_verify_polkit_async): a registry of
 * queries keyed by the message, CheckAuthorization on org.freedesktop.PolicyKit1 for the
 * caller's unique bus name, the message re-queued with sd_bus_enqueue_for_read() when the
 * answer arrives, and the query freed at idle priority once that second dispatch is done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "bus-util.h"
#include "polkit.h"
#include "util/log.h"
#include "util/macro.h"

/* ---- the pure part ------------------------------------------------------------------------- */

CallerVerdict caller_verdict(int query_r, int uid_r, uid_t uid, bool from_bus) {
        /* sd-bus gives -ENXIO when the bus no longer knows the sender (it disconnected after
         * sending without waiting for the answer), -ESRCH when its process went away between
         * the bus's answer and the look-up in /proc */
        if (query_r == -ENXIO || query_r == -ESRCH)
                return CALLER_GONE;
        if (query_r < 0)
                return CALLER_UNREADABLE;
        if (uid_r < 0)
                return CALLER_NO_UID;
        return uid == 0 && from_bus ? CALLER_ROOT : CALLER_ASK_POLKIT;
}

bool polkit_error_is_absent(const char *error_name) {
        static const char *const prefixes[] = {
                "org.freedesktop.DBus.Error.Spawn.", /* dbus-daemon's own activation failed */
                "org.freedesktop.systemd1.",         /* systemd's: UnitMasked, NoSuchUnit, ... */
        };

        if (!error_name)
                return false;
        if (streq(error_name, SD_BUS_ERROR_SERVICE_UNKNOWN) || streq(error_name, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncmp(error_name, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

PolkitVerdict polkit_verdict(const char *error_name, int authorized, int challenge) {
        if (error_name)
                return polkit_error_is_absent(error_name) ? POLKIT_ABSENT : POLKIT_ERROR;
        if (authorized < 0 || challenge < 0) /* an answer we could not read: refuse */
                return POLKIT_ERROR;
        if (authorized)
                return POLKIT_ALLOWED;
        return challenge ? POLKIT_CHALLENGE : POLKIT_DENIED;
}

uint32_t polkit_check_flags(int allow_interactive) {
        /* CheckAuthorizationFlags: 0x1 AllowUserInteraction. Only on the caller's request,
         * or a caller without an agent would wait for one until its call times out. */
        return allow_interactive > 0 ? 1 : 0;
}

const char *polkit_verdict_reason(PolkitVerdict v) {
        static const char *const reasons[_POLKIT_VERDICT_MAX] = {
                [POLKIT_ALLOWED] = "polkit grants it",
                [POLKIT_DENIED] = "polkit does not grant it",
                [POLKIT_CHALLENGE] = ("polkit requires authentication, which did not happen (it takes a "
                                      "polkit agent and a call that allows interactive authorization)"),
                [POLKIT_ABSENT] = "polkit is not running, so root only",
                [POLKIT_ERROR] = "polkit could not be asked",
        };
        return (unsigned) v < _POLKIT_VERDICT_MAX ? reasons[v] : "unknown";
}

/* ---- the registry ---------------------------------------------------------------------------- */

typedef struct PolkitQuery PolkitQuery;
struct PolkitQuery {
        PolkitRegistry *registry;
        PolkitQuery *prev, *next;

        sd_bus_message *request; /* the call being authorized, the registry's key */
        char *action;
        char *sender;
        uid_t uid;
        pid_t pid;

        sd_bus_slot *slot;       /* CheckAuthorization in flight */
        sd_event_source *defer;  /* frees the query after the request's second dispatch */
        bool answered;
        PolkitVerdict verdict;
        char *error;             /* polkit's error reply, for the log */
};

struct PolkitRegistry {
        PolkitQuery *queries;
};

static PolkitQuery *query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        if (q->registry) {
                if (q->prev)
                        q->prev->next = q->next;
                else
                        q->registry->queries = q->next;
                if (q->next)
                        q->next->prev = q->prev;
        }
        sd_bus_slot_unref(q->slot); /* cancels the call if it is still out */
        sd_event_source_disable_unref(q->defer);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q->sender);
        free(q->error);
        free(q);
        return NULL;
}

PolkitRegistry *polkit_registry_free(PolkitRegistry *r) {
        if (!r)
                return NULL;
        while (r->queries)
                query_free(r->queries);
        free(r);
        return NULL;
}

static PolkitQuery *registry_find(PolkitRegistry *r, sd_bus_message *msg) {
        for (PolkitQuery *q = r ? r->queries : NULL; q; q = q->next)
                if (q->request == msg)
                        return q;
        return NULL;
}

/* ---- refusals ---------------------------------------------------------------------------- */

static int deny(sd_bus_error *error, const char *method, const char *action, const char *why) {
        /* every refusal says "needs root or a polkit grant": pmemnsctl and scripts key on it */
        return bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "%s() needs root or a polkit grant of %s%s%s",
                              method, action, why ? ": " : "", strempty(why));
}

static int query_result(PolkitQuery *q, const char *action, const char *method, sd_bus_error *error) {
        const char *sender = q->sender ?: "unknown";

        /* the question asked was for this action: a handler asking for another one on the
         * second dispatch must not inherit the answer */
        if (!streq(q->action, action)) {
                log_warning("Denied %s() to uid %u pid %d (sender %s): polkit was asked about %s, not %s.",
                            method, (unsigned) q->uid, (int) q->pid, sender, q->action, action);
                return deny(error, method, action, "the authorization asked for was another one");
        }
        if (q->verdict == POLKIT_ALLOWED) {
                log_info("Allowed %s() to uid %u pid %d (sender %s): polkit grants %s.", method,
                         (unsigned) q->uid, (int) q->pid, sender, action);
                return 1;
        }
        log_warning("Denied %s() to uid %u pid %d (sender %s): %s%s%s%s.", method, (unsigned) q->uid,
                    (int) q->pid, sender, polkit_verdict_reason(q->verdict), q->error ? " (" : "",
                    strempty(q->error), q->error ? ")" : "");
        return deny(error, method, action,
                    q->verdict == POLKIT_DENIED ? NULL : polkit_verdict_reason(q->verdict));
}

/* ---- the question ------------------------------------------------------------------------ */

static int query_defer(sd_event_source *s, void *userdata) {
        query_free(userdata);
        return 0;
}

static void query_read_reply(PolkitQuery *q, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = -1, challenge = -1, r;

        if (e) {
                q->verdict = polkit_verdict(e->name, -1, -1);
                if (asprintf(&q->error, "%s: %s", strempty(e->name), strempty(e->message)) < 0)
                        q->error = NULL;
                return;
        }
        /* (bba{ss}): is_authorized, is_challenge, details */
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                authorized = challenge = -1;
                if (asprintf(&q->error, "unreadable answer: %s", strerror(-r)) < 0)
                        q->error = NULL;
        }
        q->verdict = polkit_verdict(NULL, authorized, challenge);
}

static int query_answered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        query_read_reply(q, reply);
        q->answered = true;

        /* dispatch the call again: its handler finds the answer; the query goes at idle
         * priority, after that dispatch */
        r = sd_event_add_defer(sd_bus_get_event(bus), &q->defer, query_defer, q);
        if (r >= 0)
                r = sd_event_source_set_priority(q->defer, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0) {
                log_warning_errno(r, "Failed to dispatch a call again after polkit's answer: %m");
                (void) sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_ACCESS_DENIED,
                                                  "the authorization could not be completed: %s", strerror(-r));
                query_free(q);
        }
        return 1;
}

static int query_start(PolkitRegistry **registry, sd_bus_message *msg, const char *action, uid_t uid,
                       pid_t pid) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        sd_bus *bus = sd_bus_message_get_bus(msg);
        const char *sender = sd_bus_message_get_sender(msg);
        PolkitQuery *q;
        int r;

        if (!sender) /* a peer-to-peer connection: polkit knows no such subject */
                return -EBADMSG;
        if (!*registry) {
                *registry = calloc(1, sizeof(PolkitRegistry));
                if (!*registry)
                        return -ENOMEM;
        }

        r = sd_bus_message_new_method_call(bus, &pk, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        /* subject ("system-bus-name", {"name": sender}): polkit resolves the caller's
         * process, user and session itself from the bus, not from what we tell it */
        r = sd_bus_message_append(pk, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r < 0)
                return r;
        r = sd_bus_message_append(pk, "a{ss}", 0); /* no details */
        if (r < 0)
                return r;
        r = sd_bus_message_append(pk, "us", polkit_check_flags(sd_bus_message_get_allow_interactive_authorization(msg)),
                                  "" /* no cancellation id */);
        if (r < 0)
                return r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->request = sd_bus_message_ref(msg);
        q->action = strdup(action);
        q->sender = strdup(sender);
        q->uid = uid;
        q->pid = pid;
        q->registry = *registry;
        q->next = (*registry)->queries;
        if (q->next)
                q->next->prev = q;
        (*registry)->queries = q;
        if (!q->action || !q->sender) {
                query_free(q);
                return -ENOMEM;
        }
        /* the bus's default method timeout (25 s), also for interactive authentication: the
         * caller's own call times out no later by default */
        r = sd_bus_call_async(bus, &q->slot, pk, query_answered, q, 0);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 0;
}

int polkit_verify(PolkitRegistry **registry, sd_bus_message *msg, const char *action, const char *method,
                  sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(msg) ?: "unknown";
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        PolkitQuery *q;
        uid_t uid = (uid_t) -1;
        pid_t pid = 0;
        int r, uid_r = -ENODATA;
        bool from_bus = false;

        /* the second dispatch, with polkit's answer */
        q = registry_find(*registry, msg);
        if (q) {
                if (!q->answered) /* sd-bus dispatches a message once: cannot happen */
                        return deny(error, method, action, "the authorization is still under way");
                return query_result(q, action, method, error);
        }

        /* Checked before the arguments, so that a refused caller learns nothing about them.
         * On dbus-daemon sd-bus has the euid from the bus (GetConnectionUnixUser: the
         * connection's SO_PEERCRED); the uid, and the euid where the bus gives none, from
         * /proc (augmented), which only counts for the log and polkit's judgement, as in
         * systemd's bus-polkit.c. */
        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_PID |
                                                   SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0) {
                uid_r = sd_bus_creds_get_euid(creds, &uid);
                if (uid_r >= 0)
                        from_bus = !(sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID);
                else
                        uid_r = sd_bus_creds_get_uid(creds, &uid);
                (void) sd_bus_creds_get_pid(creds, &pid);
        }
        switch (caller_verdict(r, uid_r, uid, from_bus)) {
        case CALLER_ROOT:
                return 1;
        case CALLER_GONE:
                log_warning("Denied %s(): the caller (sender %s) disconnected before its credentials "
                            "could be read.", method, sender);
                return deny(error, method, action, "the caller's credentials could not be read");
        case CALLER_UNREADABLE:
                log_warning_errno(r, "Denied %s(): the credentials of the caller (sender %s) could not "
                                  "be read: %m", method, sender);
                return deny(error, method, action, "the caller's credentials could not be read");
        case CALLER_NO_UID:
                log_warning_errno(uid_r, "Denied %s(): the bus gave no user id for the caller (sender %s, "
                                  "pid %d): %m", method, sender, (int) pid);
                return deny(error, method, action, "the caller's user id could not be read");
        case CALLER_ASK_POLKIT:
                break;
        }

        r = query_start(registry, msg, action, uid, pid);
        if (r < 0) {
                log_warning_errno(r, "Denied %s() to uid %u pid %d (sender %s): %s: %m.", method,
                                  (unsigned) uid, (int) pid, sender, polkit_verdict_reason(POLKIT_ERROR));
                return deny(error, method, action, polkit_verdict_reason(POLKIT_ERROR));
        }
        log_debug("%s() of uid %u pid %d (sender %s): asking polkit about %s.", method, (unsigned) uid,
                  (int) pid, sender, action);
        return 0;
}
