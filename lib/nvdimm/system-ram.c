/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "nvdimm/nvdimm-internal.h"
#include "util/fileio.h"
#include "util/log.h"

#define MEMORY_SYSFS "/sys/devices/system/memory"

/* The memory blocks kmem adds for a dax device: those wholly inside its range
 * (dax_kmem_range() rounds the start up and the end down to the block size). */
typedef struct RamBlocks {
        const char *dev; /* daxX.Y */
        unsigned long first, n;
} RamBlocks;

static int ram_blocks(struct daxctl_dev *dev, RamBlocks *ret) {
        unsigned long long start = daxctl_dev_get_resource(dev), size = daxctl_dev_get_size(dev);
        _cleanup_free_ char *s = NULL;
        unsigned long long bs, first, end;
        int r;

        r = read_one_line_file(MEMORY_SYSFS "/block_size_bytes", &s);
        if (r < 0)
                return r;
        bs = strtoull(s, NULL, 16);
        if (!bs || !start || start == ULLONG_MAX || !size)
                return -EINVAL;
        first = (start + bs - 1) / bs;
        end = (start + size) / bs;
        *ret = (RamBlocks) { .dev = daxctl_dev_get_devname(dev), .first = first,
                             .n = end > first ? end - first : 0 };
        return ret->n ? 0 : -ENOSPC;
}

/* memoryN/ATTR, without the newline, in buf; -errno if it cannot be read. */
static int memblock_read(unsigned long idx, const char *attr, char *buf, size_t len) {
        _cleanup_free_ char *s = NULL;
        char path[PATH_MAX];
        int r;

        snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/%s", idx, attr);
        r = read_one_line_file(path, &s);
        if (r < 0)
                return r;
        snprintf(buf, len, "%s", s);
        return 0;
}

/* Write STATE ("offline", "online_movable", "online_kernel") to memoryN/state: the
 * kernel's own -errno when it refuses. */
static int memblock_set(unsigned long idx, const char *state) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%lu/state", idx);
        return write_attribute(path, state);
}

/* 1 and its zone in `zone` (valid_zones of an online block: "Normal", "Movable"; "None"
 * when it spans two) if memoryN is online, 0 if not, -errno. */
static int memblock_zone(unsigned long idx, char *zone, size_t len) {
        char state[32];
        int r;

        r = memblock_read(idx, "state", state, sizeof(state));
        if (r < 0)
                return r;
        if (!streq(state, "online"))
                return 0;
        r = memblock_read(idx, "valid_zones", zone, len);
        return r < 0 ? r : 1;
}

static bool zone_as_asked(const char *zone, SystemRam how) {
        if (how == SYSTEM_RAM_ONLINE_MOVABLE)
                return streq(zone, "Movable");
        return !streq(zone, "Movable") && !streq(zone, "None");
}

static const char *zone_asked(SystemRam how) {
        return how == SYSTEM_RAM_ONLINE_MOVABLE ? "ZONE_MOVABLE" : "a kernel zone (not movable)";
}

/* auto_online_blocks: what the kernel does with hot-added memory inside the probe of the
 * driver that adds it (kmem): "offline", "online" (a zone of its choosing: ZONE_NORMAL unless
 * movable_node or online_policy=auto-movable), "online_kernel", "online_movable". Debian's
 * 6.12 defaults to "online" (CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO), 6.1 to "offline";
 * memhp_default_state= overrides. */
static int auto_online_get(char *buf, size_t len) {
        _cleanup_free_ char *s = NULL;
        int r = read_one_line_file(MEMORY_SYSFS "/auto_online_blocks", &s);

        snprintf(buf, len, "%s", r < 0 ? "unknown" : s);
        return r;
}

static int auto_online_set(const char *value) {
        return write_attribute(MEMORY_SYSFS "/auto_online_blocks", value);
}

/* While a hand-over runs with auto_online_blocks changed, this file holds the value to put
 * back and the one we set, so that a daemon killed in between puts it back at its next start
 * or system-ram create (nv_recover_auto_online()). In the runtime directory: a reboot resets
 * the kernel's value anyway. */
static void auto_online_record_path(char *buf, size_t len) {
        const char *dir = getenv("RUNTIME_DIRECTORY") ?: "/run/pmemnsd";

        snprintf(buf, len, "%.*s/auto-online-blocks", (int) strcspn(dir, ":"), dir);
}

/* Put back an auto_online_blocks value a killed hand-over left changed, if nobody changed it
 * since. */
int nv_recover_auto_online(char **ret_message) {
        char path[PATH_MAX], cur[32], orig[32] = "", set[32] = "";
        _cleanup_free_ char *msg = NULL;
        FILE *f;
        int r = 0;

        if (ret_message)
                *ret_message = NULL;
        auto_online_record_path(path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        if (fscanf(f, "%31s %31s", orig, set) != 2)
                r = -EINVAL;
        fclose(f);
        if (r == 0 && auto_online_get(cur, sizeof(cur)) >= 0 && streq(cur, set)) {
                r = auto_online_set(orig);
                if (r == 0) {
                        if (asprintf(&msg, "auto_online_blocks put back to '%s' (an interrupted "
                                     "system-ram hand-over had set '%s').", orig, set) < 0)
                                msg = NULL;
                        r = 1;
                }
        }
        if (r < 0)
                (void) fail(&msg, r, "auto_online_blocks: record %s", path);
        if (r >= 0 || r == -EINVAL)
                (void) unlink(path);
        if (msg)
                log_debug("%s", msg);
        if (ret_message)
                *ret_message = TAKE_PTR(msg);
        return r;
}

static int auto_online_record(const char *orig, const char *set) {
        char path[PATH_MAX], tmp[PATH_MAX + 4];
        int fd, r = 0;

        auto_online_record_path(path, sizeof(path));
        snprintf(tmp, sizeof(tmp), "%s", path);
        *strrchr(tmp, '/') = '\0';
        (void) mkdir(tmp, 0755);
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (dprintf(fd, "%s %s\n", orig, set) < 0 || fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* Put back what auto_online_record() wrote down, unless someone else changed it meanwhile. */
static void auto_online_restore(const char *orig, const char *set) {
        char path[PATH_MAX], cur[32];
        int r = 0;

        if (auto_online_get(cur, sizeof(cur)) >= 0 && streq(cur, set))
                r = auto_online_set(orig);
        if (r < 0) {
                log_debug("Putting auto_online_blocks back to '%s' failed (%s); the next start tries "
                          "again.", orig, strerror(-r));
                return;
        }
        auto_online_record_path(path, sizeof(path));
        (void) unlink(path);
}

/* Bring every block online in the zone the policy asks for, and check that it is there. kmem
 * may have onlined them already (auto_online_blocks, see to_system_ram()), and a udev rule or
 * an admin may online them while we work, in a zone of their choosing: such a block is taken
 * offline again and onlined as asked, if the kernel lets it go (it does not once it placed
 * unmovable pages there; its errno is the reason). Blocks onlined by someone else between
 * our look and our write are looked at again, 3 rounds. */
static int ram_online(const RamBlocks *b, SystemRam how, char **err) {
        const char *target = how == SYSTEM_RAM_ONLINE_MOVABLE ? "online_movable" : "online_kernel";
        char zone[64], policy[32];
        int r;

        for (unsigned round = 0; round < 3; round++) {
                bool again = false;

                for (unsigned long i = b->first; i < b->first + b->n; i++) {
                        r = memblock_zone(i, zone, sizeof(zone));
                        if (r < 0)
                                return fail(err, r, "reading the state of memory%lu of %s", i, b->dev);
                        if (r > 0 && zone_as_asked(zone, how))
                                continue;
                        if (r > 0) {
                                (void) auto_online_get(policy, sizeof(policy));
                                log_debug("%s: memory%lu came online in %s (auto_online_blocks: %s); "
                                         "moving it to %s", b->dev, i, zone, policy, zone_asked(how));
                                r = memblock_set(i, "offline");
                                if (r < 0)
                                        return fail(err, r, "%s: memory%lu came online in %s "
                                                    "(auto_online_blocks: %s), the policy wants %s, and "
                                                    "the kernel refuses to offline it again (its log "
                                                    "says why)", b->dev, i, zone, policy,
                                                    zone_asked(how));
                        }
                        r = memblock_set(i, target);
                        if (r < 0) {
                                if (memblock_zone(i, zone, sizeof(zone)) > 0) {
                                        again = true; /* onlined by someone else meanwhile */
                                        continue;
                                }
                                return fail(err, r, "%s: onlining memory%lu (%s)", b->dev, i, target);
                        }
                }
                if (!again)
                        break;
        }

        for (unsigned long i = b->first; i < b->first + b->n; i++) {
                r = memblock_zone(i, zone, sizeof(zone));
                if (r < 0)
                        return fail(err, r, "reading the state of memory%lu of %s", i, b->dev);
                if (r == 0)
                        return fail(err, EIO, "%s: memory%lu is offline after onlining it", b->dev, i);
                if (!zone_as_asked(zone, how)) {
                        (void) auto_online_get(policy, sizeof(policy));
                        return fail(err, EBUSY, "%s: memory%lu is in %s, the policy wants %s (another "
                                    "agent onlines this memory: auto_online_blocks is %s, or a udev "
                                    "rule)", b->dev, i, zone, zone_asked(how), policy);
                }
        }
        return 0;
}

/* Offline the device's memory and give it back to device_dax. kmem is never unbound while a
 * block is online: its remove cannot take online memory away, and after the unbind that memory
 * would stay System RAM out of anyone's reach until the next boot (dev_dax_kmem_remove()).
 * The kernel's -errno, and the device left in kmem, if a block does not go offline. */
static int ram_rollback(struct daxctl_dev *dev, const RamBlocks *b, char *why, size_t len) {
        struct daxctl_memory *mem;
        char zone[64];
        int r = 0, k;

        for (unsigned long i = b->first; i < b->first + b->n; i++) {
                k = memblock_zone(i, zone, sizeof(zone));
                if (k > 0)
                        k = memblock_set(i, "offline");
                if (k < 0 && r == 0) {
                        r = k;
                        snprintf(why, len, "memory%lu does not go offline (%s)", i, strerror(-k));
                }
        }
        /* libdaxctl's own view of the device's blocks, also when b is empty */
        mem = daxctl_dev_get_memory(dev);
        if (r == 0 && mem && daxctl_memory_offline(mem) >= 0 && daxctl_memory_is_online(mem) > 0) {
                r = -EBUSY;
                snprintf(why, len, "some of its memory does not go offline");
        }
        if (r < 0)
                return r;
        daxctl_dev_disable(dev);
        daxctl_dev_enable_devdax(dev);
        return 0;
}

/* Hand a devdax device to kmem and online its memory in the zone the policy asks for, as
 * daxctl reconfigure-device --mode=system-ram [--no-movable] does, but never leaving it in
 * another zone. When the kernel onlines hot-added memory itself in a zone of its choosing
 * (auto_online_blocks "online" on Debian's 6.12: ZONE_NORMAL), auto_online_blocks says the
 * zone asked for while kmem binds and is put back right after: memory once in ZONE_NORMAL
 * need not go offline again (in the VM on 6.12 a slab page landed in the first block within
 * 0.1 s of kmem's auto-online, and the kernel then refused to offline it: "unmovable page"),
 * so it must come online in the right zone in the first place. daxctl refuses in this case
 * instead ("kernel policy will auto-online memory, aborting", pmem/ndctl#246). Memory
 * hot-added by someone else during the bind is onlined the same way. Then the result is
 * checked block by block; on any difference the memory goes offline and the device back to
 * devdax (the caller then rolls back the namespace). When even that is refused,
 * cl->ram_stuck is set: the namespace must be left as it is. */
int to_system_ram(Claim *cl, SystemRam how, char **err) {
        const char *target = how == SYSTEM_RAM_ONLINE_MOVABLE ? "online_movable" : "online_kernel";
        struct daxctl_dev *dev = dax_first_dev(cl->dax);
        char why[128] = "", policy[32];
        bool changed = false;
        RamBlocks b;
        int r;

        if (!dev)
                return fail(err, ENODEV, "no dax device under %s", ndctl_dax_get_devname(cl->dax));
        r = daxctl_dev_disable(dev);
        if (r < 0)
                return fail(err, r, "disabling %s", daxctl_dev_get_devname(dev));

        (void) nv_recover_auto_online(NULL);
        if (auto_online_get(policy, sizeof(policy)) >= 0 && !streq(policy, "offline") &&
            !streq(policy, target)) {
                r = auto_online_record(policy, target);
                if (r >= 0) {
                        r = auto_online_set(target);
                        if (r < 0)
                                auto_online_restore(policy, target);
                }
                if (r < 0) {
                        daxctl_dev_enable_devdax(dev);
                        return fail(err, r, "%s: the kernel onlines hot-added memory itself "
                                    "(auto_online_blocks = %s), not in %s, and setting it to %s "
                                    "while kmem binds failed", daxctl_dev_get_devname(dev), policy,
                                    zone_asked(how), target);
                }
                changed = true;
                log_debug("%s: auto_online_blocks '%s' while kmem binds (the system's is '%s').",
                         daxctl_dev_get_devname(dev), target, policy);
        }
        r = daxctl_dev_enable_ram(dev);
        if (changed)
                auto_online_restore(policy, target);
        if (r < 0) {
                daxctl_dev_enable_devdax(dev);
                return fail(err, r, "handing %s to kmem", daxctl_dev_get_devname(dev));
        }

        r = ram_blocks(dev, &b);
        if (r < 0) {
                fail(err, r, "finding the memory blocks of %s", daxctl_dev_get_devname(dev));
                b = (RamBlocks) { .dev = daxctl_dev_get_devname(dev) };
        } else
                r = ram_online(&b, how, err);
        if (r < 0 && ram_rollback(dev, &b, why, sizeof(why)) < 0) {
                /* keep the first reason, add why nothing can be undone */
                _cleanup_free_ char *first = err ? TAKE_PTR(*err) : NULL;
                cl->ram_stuck = true;
                fail(err, EBUSY, "%s; rolling back, %s: %s stays System RAM and its namespace "
                     "as it is", strempty(first), why, b.dev);
                log_debug("%s: %s; it stays System RAM", b.dev, why);
        }
        return r;
}
