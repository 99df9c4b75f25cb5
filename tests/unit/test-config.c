/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "kernel.h"
#include "tests.h"
#include "util/macro.h"

static int load(const char *main_text, const char *policy, Config *c, ConfDiags *d) {
        const char *files[] = { "50-test.conf", policy, NULL };
        return config_load_strings(main_text, policy ? files : NULL, c, d);
}

/* Expect exactly one diagnostic at `line` about `key` whose message contains `needle`. */
static void expect_error(const char *policy, unsigned line, const char *key, const char *needle) {
        Config c = {};
        ConfDiags d = {};

        CHECK_INT(load(NULL, policy, &c, &d), 1);
        CHECK_INT(d.n, 1);
        if (d.n >= 1) {
                CHECK_STR(d.items[0].file, "50-test.conf");
                CHECK_INT(d.items[0].line, line);
                if (key)
                        CHECK_STR(d.items[0].key, key);
                CHECK_CONTAINS(d.items[0].message, needle);
        }
        for (size_t i = 0; i < d.n; i++)
                printf("#   diag: %s:%u: %s\n", d.items[i].file, d.items[i].line, d.items[i].message);
        CHECK_INT(c.n_policies, 0); /* a bad config yields nothing */
        conf_diags_done(&d);
        config_done(&c);
}

static const char *const good_policy =
        "# comment\n"
        "; another\n"
        "[region fast]                 # a region selector named \"fast\"\n"
        "match.dev = region*           # glob\n"
        "match.numa-node = 0\n"
        "match.type = pmem\n"
        "match.provider = ACPI.NFIT\n"
        "match.size-min = 1G\n"
        "granularity = subsection\n"
        "init-labels = no\n"
        "\n"
        "[namespace db]\n"
        "region = fast\n"
        "mode = fsdax\n"
        "size = 130M\n"
        "count = 1\n"
        "map = dev\n"
        "align = 2M\n"
        "\n"
        "[namespace dax]\n"
        "region = fast\n"
        "mode = devdax\n"
        "usable-size = 18M ; inline comment\n"
        "count = 3\n"
        "system-ram = online-movable\n"
        "\n"
        "[namespace blk]\n"
        "region = fast\n"
        "mode = sector\n"
        "sector-size = 512\n"
        "size = rest\n";

TEST(parse_good_policy) {
        Config c = {};
        ConfDiags d = {};

        CHECK_INT(load("[daemon]\ngranularity = compat\nload-modules = no\napply = manual\n",
                       good_policy, &c, &d), 0);
        CHECK_INT(d.n, 0);
        CHECK_INT(c.daemon.granularity.kind, GRANULARITY_COMPAT);
        CHECK(!c.daemon.load_modules);
        CHECK_INT(c.daemon.apply, APPLY_MANUAL);
        CHECK_INT(c.n_selectors, 1);
        CHECK_INT(c.n_policies, 3);
        CHECK_INT(c.n_files, 2);
        if (c.n_selectors == 1) {
                RegionSelector *s = &c.selectors[0];
                CHECK_STR(s->name, "fast");
                CHECK_STR(s->match_dev, "region*");
                CHECK(s->match_numa);
                CHECK_INT(s->numa_node, 0);
                CHECK_STR(s->match_provider, "ACPI.NFIT");
                CHECK_U64(s->size_min, GiB);
                CHECK(s->has_granularity);
                CHECK_INT(s->granularity.kind, GRANULARITY_SUBSECTION);
                CHECK_INT(s->line, 3);
        }
        if (c.n_policies == 3) {
                CHECK_STR(c.policies[0].name, "db");
                CHECK_INT(c.policies[0].mode, NS_MODE_FSDAX);
                CHECK_INT(c.policies[0].size_kind, SIZE_BYTES);
                CHECK_U64(c.policies[0].size, 130 * MiB);
                CHECK_U64(c.policies[0].align, 2 * MiB);
                CHECK_INT(c.policies[1].size_kind, SIZE_USABLE);
                CHECK_U64(c.policies[1].size, 18 * MiB);
                CHECK_INT(c.policies[1].count, 3);
                CHECK_INT(c.policies[1].system_ram, SYSTEM_RAM_ONLINE_MOVABLE);
                CHECK_INT(c.policies[2].size_kind, SIZE_REST);
                CHECK_U64(c.policies[2].sector_size, 512);
                CHECK_INT(c.policies[2].selector_index, 0);
                _cleanup_free_ char *i0 = policy_instance_name(&c.policies[1], 0);
                _cleanup_free_ char *i2 = policy_instance_name(&c.policies[1], 2);
                _cleanup_free_ char *j = policy_instance_name(&c.policies[0], 0);
                CHECK_STR(i0, "dax.0");
                CHECK_STR(i2, "dax.2");
                CHECK_STR(j, "db");
        }
        config_done(&c);
}

TEST(defaults) {
        Config c = {};
        ConfDiags d = {};

        CHECK_INT(load(NULL, "[region r]\n[namespace n]\nregion = r\nmode = raw\nsize = 50%\n", &c, &d), 0);
        CHECK_INT(c.daemon.granularity.kind, GRANULARITY_AUTO);
        CHECK(c.daemon.load_modules);
        CHECK_INT(c.daemon.apply, APPLY_AUTO);
        CHECK_INT(c.n_policies, 1);
        if (c.n_policies == 1) {
                CHECK_INT(c.policies[0].size_kind, SIZE_PERCENT);
                CHECK_INT(c.policies[0].percent, 50);
                CHECK_INT(c.policies[0].count, 1);
                CHECK_INT(c.policies[0].map, NS_MAP_DEV);
        }
        config_done(&c);
}

TEST(error_paths) {
        const char *hdr = "[region r]\n[namespace n]\nregion = r\n";
        char buf[512];

#define WITH(extra) (snprintf(buf, sizeof(buf), "%s%s", hdr, extra), buf)
        expect_error(WITH("mode = fsdax\nsize = 1G\nfoo = bar\n"), 6, "foo", "unknown key 'foo'");
        expect_error(WITH("mode = fsdax\nsize = 1G\nmatch.dev = x\n"), 6, "match.dev", "valid keys are");
        expect_error(WITH("mode = fsdaxx\nsize = 1G\n"), 4, "mode", "fsdax, devdax, sector or raw");
        expect_error(WITH("mode = fsdax\nsize = 12Q\n"), 5, "size", "K, M, G or T");
        expect_error(WITH("mode = fsdax\nsize = 0\n"), 5, "size", "greater than zero");
        expect_error(WITH("mode = fsdax\nsize = 101%\n"), 5, "size", "1% to 100%");
        expect_error(WITH("mode = fsdax\nsize = 8M\n"), 5, "size", "below the 16M");
        expect_error(WITH("mode = fsdax\nsize = 99999999999999999999\n"), 5, "size", "too large");
        expect_error(WITH("mode = fsdax\nsize = 1G\nsize = 2G\n"), 6, "size", "given twice");
        expect_error(WITH("mode = fsdax\nsize = 1G\nusable-size = 1G\n"), 6, "usable-size", "both");
        expect_error(WITH("mode = fsdax\n"), 2, "size", "neither");
        expect_error(WITH("size = 1G\n"), 2, "mode", "no 'mode'");
        expect_error(WITH("mode = fsdax\nsize = 1G\ncount = 0\n"), 6, "count", "from 1 to");
        expect_error(WITH("mode = fsdax\nsize = rest\ncount = 2\n"), 6, "count", "only one namespace");
        expect_error(WITH("mode = raw\nsize = 1G\nmap = mem\n"), 6, "map", "only to fsdax and devdax");
        expect_error(WITH("mode = fsdax\nsize = 1G\nmap = ram\n"), 6, "map", "dev or mem");
        expect_error(WITH("mode = fsdax\nsize = 1G\nalign = 64K\n"), 6, "align", "4K, 2M or 1G");
        expect_error(WITH("mode = sector\nsize = 1G\nalign = 2M\n"), 6, "align", "only to fsdax");
        expect_error(WITH("mode = sector\nsize = 1G\nsector-size = 1000\n"), 6, "sector-size", "4096");
        expect_error(WITH("mode = fsdax\nsize = 1G\nsector-size = 512\n"), 6, "sector-size", "only to sector");
        expect_error(WITH("mode = fsdax\nsize = 1G\nsystem-ram = online\n"), 6, "system-ram", "only to devdax");
        expect_error(WITH("mode = devdax\nsize = 1G\nsystem-ram = yes\n"), 6, "system-ram", "online-movable");
        expect_error(WITH("mode = devdax\nsize = 1G\nsystem-ram = online\nalign = 1G\n"), 7, "align",
                     "4K or 2M");
        expect_error(WITH("mode = fsdax\nsize = 1G\nregion = x\n"), 6, "region", "given twice");
        expect_error(WITH("mode = fsdax\nsize =\n"), 5, "size", "no value");
#undef WITH
        expect_error("[region r]\nmatch.type = nvme\n", 2, "match.type", "pmem or blk");
        expect_error("[region r]\nmatch.numa-node = -1\n", 2, "match.numa-node", "NUMA node");
        expect_error("[region r]\ngranularity = 3M\n", 2, "granularity", "power-of-two");
        expect_error("[region r]\ninit-labels = maybe\n", 2, "init-labels", "yes or no");
        expect_error("[region r]\nmatch.size-min = 2G\nmatch.size-max = 1G\n", 3, "match.size-max",
                     "below");
        expect_error("[region r]\n[region r]\n", 2, NULL, "already defined at 50-test.conf:1");
        expect_error("[bogus r]\nx = y\n", 1, NULL, "unknown section kind 'bogus'");
        expect_error("[region]\n", 1, NULL, "has no name");
        expect_error("[region a.b]\n", 1, NULL, "invalid name 'a.b'");
        expect_error("key = value\n", 1, "key", "outside of a section");
        expect_error("[region r]\nthis line is garbage\n", 2, NULL, "syntax error");
        expect_error("[region r]\n[namespace n]\nregion = nope\nmode = raw\nsize = 1G\n", 2, "region",
                     "'nope', which is not defined; defined selectors: r");
        expect_error("[region r]\n[namespace n]\nmode = raw\nsize = 1G\n", 2, "region", "no 'region'");
        expect_error("[region r]\n[namespace a]\nregion = r\nmode = raw\nsize = rest\n"
                     "[namespace b]\nregion = r\nmode = raw\nsize = rest\n", 6, "size",
                     "both take size = rest");
}

TEST(long_line) {
        char buf[600];
        memset(buf, 'x', sizeof(buf));
        memcpy(buf, "[region r]\nmatch.dev = ", 23);
        buf[sizeof(buf) - 2] = '\n';
        buf[sizeof(buf) - 1] = '\0';
        expect_error(buf, 2, NULL, "longer than");
}

TEST(main_file_errors) {
        Config c = {};
        ConfDiags d = {};

        CHECK_INT(load("[daemon]\ngranularity = tiny\napply = sometimes\nbogus = 1\n[region x]\n",
                       NULL, &c, &d), 1);
        CHECK_INT(d.n, 4); /* every problem at once */
        if (d.n == 4) {
                CHECK_INT(d.items[0].line, 2);
                CHECK_CONTAINS(d.items[0].message, "auto, subsection, compat, section");
                CHECK_INT(d.items[1].line, 3);
                CHECK_CONTAINS(d.items[1].message, "auto or manual");
                CHECK_INT(d.items[2].line, 4);
                CHECK_INT(d.items[3].line, 5);
                CHECK_CONTAINS(d.items[3].message, "only a [daemon] section");
        }
        conf_diags_done(&d);
        config_done(&c);
}

TEST(duplicate_across_files) {
        Config c = {};
        ConfDiags d = {};
        const char *files[] = {
                "10-a.conf", "[region r]\n[namespace db]\nregion = r\nmode = raw\nsize = 1G\n",
                "20-b.conf", "\n[namespace db]\nregion = r\nmode = raw\nsize = 1G\n",
                NULL,
        };

        CHECK_INT(config_load_strings(NULL, files, &c, &d), 1);
        CHECK_INT(d.n, 1);
        if (d.n == 1) {
                CHECK_STR(d.items[0].file, "20-b.conf");
                CHECK_INT(d.items[0].line, 2);
                CHECK_CONTAINS(d.items[0].message, "already defined at 10-a.conf:2");
        }
        conf_diags_done(&d);
        config_done(&c);
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

TEST(file_precedence_and_masking) {
        char tmpl[] = "/tmp/pmemnsd-test-XXXXXX";
        char *root = mkdtemp(tmpl);
        char usr[256], run[256], etc[256], p[512];
        const char *dirs[4];
        char **files = NULL;
        size_t n = 0;

        CHECK(root != NULL);
        if (!root)
                return;
        snprintf(usr, sizeof(usr), "%s/usr", root);
        snprintf(run, sizeof(run), "%s/run", root);
        snprintf(etc, sizeof(etc), "%s/etc", root);
        mkdir(usr, 0755);
        mkdir(run, 0755);
        mkdir(etc, 0755);
        snprintf(p, sizeof(p), "%s/10-a.conf", usr); write_file(p, "");
        snprintf(p, sizeof(p), "%s/20-b.conf", usr); write_file(p, "");
        snprintf(p, sizeof(p), "%s/30-c.conf", usr); write_file(p, "");
        snprintf(p, sizeof(p), "%s/20-b.conf", run); write_file(p, "");
        snprintf(p, sizeof(p), "%s/05-z.conf", run); write_file(p, "");
        snprintf(p, sizeof(p), "%s/10-a.conf", etc); write_file(p, "");
        snprintf(p, sizeof(p), "%s/notconf.txt", etc); write_file(p, "");
        snprintf(p, sizeof(p), "%s/30-c.conf", etc);
        CHECK_INT(symlink("/dev/null", p), 0);

        dirs[0] = usr;
        dirs[1] = run;
        dirs[2] = etc;
        dirs[3] = NULL;
        CHECK_INT(conf_files_list(dirs, &files, &n), 0);
        CHECK_INT(n, 3);
        if (n == 3) {
                char e[512];
                snprintf(e, sizeof(e), "%s/05-z.conf", run); CHECK_STR(files[0], e);
                snprintf(e, sizeof(e), "%s/10-a.conf", etc); CHECK_STR(files[1], e);
                snprintf(e, sizeof(e), "%s/20-b.conf", run); CHECK_STR(files[2], e);
        }
        strv_free(files);

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK_INT(system(cmd), 0);
}

TEST(granularity_against_kernel) {
        Config c = {};
        ConfDiags d = {};
        KernelInfo old = {}, new = {};
        KernelInputs in_old = { .release = "5.2.0", .machine = "x86_64" };
        KernelInputs in_new = { .release = "6.1.0", .machine = "x86_64" };

        CHECK_INT(kernel_info_from(&in_old, &old), 0);
        CHECK_INT(kernel_info_from(&in_new, &new), 0);
        CHECK_INT(load("[daemon]\ngranularity = subsection\n",
                       "[region r]\n\ngranularity = 2M\n[region s]\ngranularity = section\n", &c, &d), 0);
        CHECK_INT(config_check_kernel(&c, &new, &d), 0);
        CHECK_INT(config_check_kernel(&c, &old, &d), 2);
        CHECK_INT(d.n, 2);
        if (d.n == 2) {
                CHECK_STR(d.items[0].file, "pmemnsd.conf");
                CHECK_INT(d.items[0].line, 2);
                CHECK_CONTAINS(d.items[0].message, "needs Linux >= 5.3");
                CHECK_STR(d.items[1].file, "50-test.conf");
                CHECK_INT(d.items[1].line, 3);
                CHECK_CONTAINS(d.items[1].message, "[region r]");
        }
        conf_diags_done(&d);
        config_done(&c);
}
