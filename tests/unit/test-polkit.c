/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The decisions of daemon/polkit.c without a bus: what the caller's credentials decide, and
 * what polkit's answer (or the bus's error instead of one) decides. */
#include <errno.h>

#include "polkit.h"
#include "util/macro.h"
#include "tests.h"

TEST(caller_credentials) {
        /* root is allowed without asking polkit; euid 0 is what counts */
        CHECK_INT(caller_verdict(0, 0, 0, true), CALLER_ROOT);
        CHECK_INT(caller_verdict(1, 0, 0, true), CALLER_ROOT);
        CHECK_INT(caller_verdict(0, 0, 1000, true), CALLER_ASK_POLKIT);
        CHECK_INT(caller_verdict(0, 0, 65534, true), CALLER_ASK_POLKIT);
        /* a caller that disconnected (the bus forgot its name, its process is gone) */
        CHECK_INT(caller_verdict(-ENXIO, -ENODATA, (uid_t) -1, true), CALLER_GONE);
        CHECK_INT(caller_verdict(-ESRCH, -ENODATA, (uid_t) -1, true), CALLER_GONE);
        /* any other failure refuses, and never counts as root */
        CHECK_INT(caller_verdict(-EACCES, -ENODATA, 0, true), CALLER_UNREADABLE);
        CHECK_INT(caller_verdict(-ENOMEM, 0, 0, true), CALLER_UNREADABLE);
        CHECK_INT(caller_verdict(0, -ENODATA, 0, true), CALLER_NO_UID);
        /* a uid 0 read from /proc, not given by the bus, is polkit's to judge */
        CHECK_INT(caller_verdict(0, 0, 0, false), CALLER_ASK_POLKIT);
        CHECK_INT(caller_verdict(0, 0, 1000, false), CALLER_ASK_POLKIT);
}

TEST(polkit_answers) {
        /* CheckAuthorization's (bba{ss}): is_authorized, is_challenge */
        CHECK_INT(polkit_verdict(NULL, 1, 0), POLKIT_ALLOWED);
        CHECK_INT(polkit_verdict(NULL, 1, 1), POLKIT_ALLOWED);
        CHECK_INT(polkit_verdict(NULL, 0, 0), POLKIT_DENIED);
        /* auth_admin_keep without an agent: a challenge, which is a refusal */
        CHECK_INT(polkit_verdict(NULL, 0, 1), POLKIT_CHALLENGE);
        /* an answer that could not be read refuses */
        CHECK_INT(polkit_verdict(NULL, -1, -1), POLKIT_ERROR);
        CHECK_INT(polkit_verdict(NULL, 1, -1), POLKIT_ERROR);
}

TEST(polkit_absent) {
        /* polkit not on the bus, not activatable, or its activation failed: root only */
        static const char *const absent[] = {
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "org.freedesktop.DBus.Error.NameHasNoOwner",
                "org.freedesktop.DBus.Error.Spawn.ChildExited",
                "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
                "org.freedesktop.systemd1.UnitMasked",
                "org.freedesktop.systemd1.NoSuchUnit",
        };
        static const char *const other[] = {
                "org.freedesktop.DBus.Error.NoReply",
                "org.freedesktop.DBus.Error.AccessDenied",
                "org.freedesktop.PolicyKit1.Error.Failed",
                "org.freedesktop.DBus.Error.Spawn", /* not a member of the family */
                "",
        };

        for (size_t i = 0; i < ELEMENTSOF(absent); i++) {
                CHECK(polkit_error_is_absent(absent[i]));
                CHECK_INT(polkit_verdict(absent[i], -1, -1), POLKIT_ABSENT);
                /* an error reply never allows, whatever else was read */
                CHECK_INT(polkit_verdict(absent[i], 1, 0), POLKIT_ABSENT);
        }
        for (size_t i = 0; i < ELEMENTSOF(other); i++) {
                CHECK(!polkit_error_is_absent(other[i]));
                CHECK_INT(polkit_verdict(other[i], 1, 0), POLKIT_ERROR);
        }
        CHECK(!polkit_error_is_absent(NULL));
}

TEST(interaction_flag) {
        /* AllowUserInteraction only when the call carries ALLOW_INTERACTIVE_AUTHORIZATION;
         * sd_bus_message_get_allow_interactive_authorization() gives < 0 on an error */
        CHECK_U64(polkit_check_flags(1), 1);
        CHECK_U64(polkit_check_flags(0), 0);
        CHECK_U64(polkit_check_flags(-EINVAL), 0);
}

TEST(reasons) {
        for (int v = 0; v < _POLKIT_VERDICT_MAX; v++)
                CHECK(!isempty(polkit_verdict_reason(v)));
        CHECK_STR(polkit_verdict_reason(_POLKIT_VERDICT_MAX), "unknown");
}
