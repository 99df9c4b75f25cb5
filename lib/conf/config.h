/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxl-state.h"
#include "pmemns.h"
#include "util/conf-files.h"

/* One problem found in the configuration, with where it was found. */
typedef struct ConfDiag {
        char *file;
        unsigned line; /* 0: the file as a whole */
        char *key;     /* NULL: not about one key */
        char *message;
} ConfDiag;

typedef struct ConfDiags {
        ConfDiag *items;
        size_t n;
} ConfDiags;

/* Limits on what a configuration may cost to read. A file larger than CONF_FILE_SIZE_MAX is
 * refused unread; after CONF_DIAGS_MAX problems one last "too many problems" item is added,
 * further ones are dropped and the reader stops. */
#define CONF_FILE_SIZE_MAX (UINT64_C(1) << 20)
#define CONF_DIAGS_MAX 100U

/* No namespace can be larger: the widest physical address any architecture Linux runs on
 * has is 56 bits (riscv64 Sv57; x86_64 and arm64 have 52). size and usable-size above it
 * are configuration errors, so sizes never come near 2^64 in the planner's arithmetic. */
#define CONF_SIZE_MAX (UINT64_C(1) << 56)

typedef struct RegionSelector {
        char *name;
        char *file;
        unsigned line;

        char *match_dev;      /* glob on the kernel device name, NULL: any */
        bool match_numa;
        int numa_node;
        char *match_type;     /* "pmem" or "blk", NULL: any */
        char *match_provider; /* glob on the bus provider, NULL: any */
        char *match_cxl_region; /* the [cxl-region] the nd region was assembled from, NULL: any */
        uint64_t size_min;    /* 0: no bound */
        uint64_t size_max;    /* 0: no bound */
        bool has_granularity;
        Granularity granularity;
        unsigned granularity_line;
        bool init_labels;
} RegionSelector;

typedef enum SizeKind {
        SIZE_BYTES,   /* raw size in bytes */
        SIZE_PERCENT, /* percent of the region's size */
        SIZE_REST,    /* all that remains */
        SIZE_USABLE,  /* the device must offer at least this many bytes */
} SizeKind;

typedef struct NamespacePolicy {
        char *name;
        char *file;
        unsigned line;

        char *region;          /* selector name */
        size_t selector_index; /* resolved index into Config.selectors */
        NsMode mode;
        SizeKind size_kind;
        uint64_t size;     /* SIZE_BYTES / SIZE_USABLE */
        unsigned percent;  /* SIZE_PERCENT, 1..100 */
        unsigned count;
        NsMap map;
        uint64_t align;       /* fsdax/devdax mapping size, 0: the kernel default */
        uint64_t sector_size; /* sector mode */
        SystemRam system_ram;
} NamespacePolicy;

/* cxl-state.h's cxl_ways_valid() and cxl_granularity_valid(), as the diagnostics say them */
#define CXL_WAYS_VALID "1, 2, 3, 4, 6, 8, 12 or 16 memdevs"
#define CXL_GRANULARITY_VALID "256, 512, 1K, 2K, 4K, 8K or 16K"

/* [cxl-region NAME]: a CXL PMEM region that pmemnsd assembles (libcxl) from its memdevs. */
typedef struct CxlRegionPolicy {
        char *name;
        char *file;
        unsigned line;

        uint64_t *memdevs;   /* serials in interleave position order; ways = n_memdevs */
        size_t n_memdevs;
        unsigned memdevs_line;
        char *type;          /* "pmem", the only type */
        SizeKind size_kind;  /* SIZE_REST (the default), SIZE_BYTES or SIZE_PERCENT */
        uint64_t size;
        unsigned percent;
        unsigned granularity; /* bytes; 0: what the cxl tool would pick */
} CxlRegionPolicy;

typedef struct DaemonConfig {
        Granularity granularity;
        char *granularity_file; /* where it was set, NULL: the default */
        unsigned granularity_line;
        bool load_modules;
        ApplyMode apply;
} DaemonConfig;

typedef struct Config {
        DaemonConfig daemon;
        RegionSelector *selectors;
        size_t n_selectors;
        NamespacePolicy *policies;
        size_t n_policies;
        CxlRegionPolicy *cxl_regions;
        size_t n_cxl_regions;
        char **files; /* files read, in order */
        size_t n_files;
        /* what each of them said, in the same order (an accepted configuration read them
         * all): the worker process is handed these, not the paths, because the files may
         * have changed since (a rejected reload keeps the old configuration in force) */
        char **texts;
        size_t n_texts;
        bool main_read; /* files[0] is pmemnsd.conf */
} Config;

/* Where the policy.d directories are, lowest priority first. */
typedef struct ConfPaths {
        const char *main_file;         /* pmemnsd.conf */
        const char *const *policy_dirs; /* NULL-terminated, lowest priority first */
} ConfPaths;

void config_done(Config *c);
void conf_diags_done(ConfDiags *d);
int conf_diag_add(ConfDiags *d, const char *file, unsigned line, const char *key,
                  const char *format, ...) __attribute__((format(printf, 5, 6)));
/* The CONF_DIAGS_MAX limit was reached: further problems are no longer recorded. */
bool conf_diags_full(const ConfDiags *d);
/* One diagnostic as "FILE:LINE: KEY: MESSAGE" (no LINE for a whole file, no KEY when there is
 * none or the message quotes it): what --check prints and Reload returns. */
char *conf_diag_format(const ConfDiag *g);
/* Every diagnostic so formatted, joined with separator ("" for none); NULL on ENOMEM. */
char *conf_diags_join(const ConfDiags *d, const char *separator);

/* Read pmemnsd.conf and every surviving policy file. Returns 0 when the configuration is
 * usable, 1 when problems were found (all of them are in *diags and *ret is left
 * empty), negative errno on I/O or allocation failure.
 *
 * Every file must be a regular file (a FIFO, device node or directory named *.conf is a
 * problem, reported without reading from it) of at most CONF_FILE_SIZE_MAX bytes, owned
 * by root or by the effective uid and not writable by group or others; the same holds for
 * each existing policy directory and for the directory of pmemnsd.conf. A NUL byte, an
 * over-long line and an indented line that the INI parser would take as the continuation
 * of the previous value are problems reported with their file and line. */
int config_load(const ConfPaths *paths, Config *ret, ConfDiags *diags);

/* Parse configuration text, for tests and fuzzing. policy_files: "name" -> text pairs. */
int config_load_strings(const char *main_text, const char *const *policy_files, Config *ret,
                        ConfDiags *diags);

/* Parse again what an accepted configuration read (Config.files, .texts, .main_read): the
 * worker's copy of the configuration in force, with the same file names in its rows. */
int config_load_texts(const char *const *files, const char *const *texts, size_t n, bool main_read,
                      Config *ret, ConfDiags *diags);

/* The [cxl-region] of this name, NULL if none. */
const CxlRegionPolicy *config_cxl_region_by_name(const Config *c, const char *name);

/* Instance name of a policy: "db" for count 1, "db.N" otherwise. */
char *policy_instance_name(const NamespacePolicy *p, unsigned index);

/* Check the granularities against the running kernel: 'subsection' (and anything below
 * the section size) on a kernel without sub-section hotplug is an error, never a silent
 * fallback. Returns the number of problems added. */
struct KernelInfo;
int config_check_kernel(const Config *c, const struct KernelInfo *k, ConfDiags *diags);
