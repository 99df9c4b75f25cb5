/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "manager.h"
#include "region-signature.h"
#include "util/log.h"
#include "util/macro.h"

/* Debounce for udev bursts: creating one namespace emits a dozen events. */
#define REFRESH_DELAY_USEC (300 * 1000)
#define REFRESH_SETTLE_USEC (2 * 1000 * 1000)


const char *manager_regions_changed(Manager *m) {
        _cleanup_free_ char *sig = region_signature(m->regions, m->n_regions);
        _cleanup_free_ char *cxl_sig = manager_cxl_signature(m);

        if (!sig || !cxl_sig)
                return NULL;
        if (!m->region_signature || !streq(sig, m->region_signature))
                return "Regions changed";
        if (!m->cxl_signature || !streq(cxl_sig, m->cxl_signature))
                return "CXL memdevs or regions changed";
        return NULL;
}

/* After a read (or a create or destroy, which bring the state back too): apply when a
 * region appeared, vanished or was enabled, or (with [cxl-region]s) a memdev or CXL region
 * came or went, not on the events our own namespace work causes: that would retry a
 * failing create forever. Before the first reconcile there is nothing to compare with (it
 * is queued anyway); a reconcile at work compares what it saw when it ends
 * (manager_reconcile_finish()). */
void manager_check_regions(Manager *m) {
        const char *why;

        if (m->config.daemon.apply != APPLY_AUTO || m->state == MANAGER_CONFIG_ERROR || !m->region_signature ||
            !m->cxl_signature)
                return;
        if (m->job && (m->job->kind == JOB_APPLY || m->job->kind == JOB_RECONCILE))
                return;
        why = manager_regions_changed(m);
        if (why) {
                log_info("%s, reconciling.", why);
                (void) manager_enqueue_reconcile(m, true);
        }
}

static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        /* what the cache must be newer than: the last event, and at the follow-up the
         * settled state after it */
        uint64_t since = m->last_event_usec + (m->refresh_followup ? REFRESH_SETTLE_USEC : 0);

        /* the cache is read by a worker: now, or after the one at work (whose result may
         * come from a read made before the event) */
        if (m->state_read_usec >= since)
                ;
        else if (m->job) {
                m->refresh_pending = true;
                m->refresh_pending_since = since;
        } else
                (void) manager_enqueue_read(m, false);
        /* Some changes show no uevent of their own: ndctl destroy-namespace unbinds
         * (events), then writes size 0 (none). Look once more after the dust settles. */
        if (!m->refresh_followup) {
                m->refresh_followup = true;
                if (sd_event_source_set_time(s, usec + REFRESH_SETTLE_USEC) >= 0)
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

static int on_device_event(sd_device_monitor *monitor, sd_device *d, void *userdata) {
        Manager *m = userdata;
        uint64_t now;
        int r;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        m->last_event_usec = now;
        m->refresh_followup = false;
        if (m->refresh_timer) {
                r = sd_event_source_set_time(m->refresh_timer, now + REFRESH_DELAY_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->refresh_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(m->event, &m->refresh_timer, CLOCK_MONOTONIC,
                                      now + REFRESH_DELAY_USEC, 0, on_refresh_timer, m);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule a refresh, ignoring: %m");
        return 0;
}

int manager_connect_udev(Manager *m) {
        int r;

        r = sd_device_monitor_new(&m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to create the udev monitor: %m");
        r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "nd", NULL);
        if (r >= 0)
                r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "dax", NULL);
        /* memdevs, ports and regions of CXL: [cxl-region]s are assembled when their memdevs
         * are there */
        if (r >= 0)
                r = sd_device_monitor_filter_add_match_subsystem_devtype(m->monitor, "cxl", NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to filter udev events: %m");
        r = sd_device_monitor_attach_event(m->monitor, m->event);
        if (r >= 0)
                r = sd_device_monitor_start(m->monitor, on_device_event, m);
        if (r < 0)
                return log_error_errno(r, "Failed to start the udev monitor: %m");
        return 0;
}

