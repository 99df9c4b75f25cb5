/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Is a device open or mapped by some process? By device number, never by path: a process
 * may reach the device through any node (a mknod'ed alias, a bind mount, a node in another
 * mount namespace), and /proc shows the path of the node it used.
 *
 * What /proc offers, and what is reliable:
 *  - /proc/PID/fd/N: stat() follows the magic link to the open file itself, whatever its
 *    path; st_mode and st_rdev are the device's.
 *  - /proc/PID/maps: the MAJ:MIN field of a line is the st_dev of the mapped *file*, i.e.
 *    of the filesystem holding the node (devtmpfs, tmpfs, ...), not the device's st_rdev;
 *    for a char device (device-dax) and a block device (/dev/pmemN) alike. It cannot be
 *    compared with the device number. Each mapping's file is reached instead through
 *    /proc/PID/map_files/START-END (stat() follows it to the mapped file, so also a mapping
 *    whose node was deleted or lives in another mount namespace); following those links
 *    needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE). Without it the path of the maps line
 *    is looked up in the process's own root (/proc/PID/root/PATH), which misses only a
 *    mapping whose node has been deleted since.
 * A mapping outlives the descriptor it was made from (a devdax user that closed its fd),
 * so both are needed.
 * Following a process's fd links and reading its maps needs ptrace read access to it: a
 * caller whose capabilities are not a superset of the process's (a service with a
 * CapabilityBoundingSet= looking at a root process) needs CAP_SYS_PTRACE. A process that
 * cannot be looked at is not taken as "not using it": the answer is then -EACCES. */

typedef struct DevUser {
        pid_t pid;
        char comm[32];
        bool mapped;  /* found through a mapping, not an open descriptor */
        bool unknown; /* not found: this process could not be looked at (-EACCES) */
} DevUser;

typedef enum DevBusyFlags {
        DEVBUSY_NO_MAP_FILES = 1 << 0, /* tests: use the maps path fallback only */
} DevBusyFlags;

/* Whether process pid has the device rdev of type (S_IFCHR or S_IFBLK) open or mapped:
 * 1 (*ret_mapped says how, if not NULL), 0 if not or the process is gone, -EACCES if its
 * descriptors or mappings cannot be looked at. */
int devbusy_pid(pid_t pid, dev_t rdev, mode_t type, DevBusyFlags flags, bool *ret_mapped);

/* Whether any process other than except (0: none) has it open or mapped: 1 with the first
 * one found in *ret (if not NULL), 0 if none; -EACCES if none does among those that could be
 * looked at but some could not (the first of those in *ret), -errno if /proc cannot be read. */
int devbusy_find(dev_t rdev, mode_t type, pid_t except, DevUser *ret);

/* "process 1234 (qemu) has it mapped" or "... cannot be looked at" for messages. */
const char *devuser_describe(const DevUser *u, char *buf, size_t size);
