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
#include "util/strv.h"

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

TEST(a_good_policy_parses_into_every_field) {
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

TEST(unset_keys_take_their_documented_defaults) {
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

TEST(each_bad_value_gets_a_message_naming_key_and_value) {
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

TEST(a_line_longer_than_inih_reads_is_refused) {
        char buf[600];
        memset(buf, 'x', sizeof(buf));
        memcpy(buf, "[region r]\nmatch.dev = ", 23);
        buf[sizeof(buf) - 2] = '\n';
        buf[sizeof(buf) - 1] = '\0';
        expect_error(buf, 2, NULL, "longer than");
}

TEST(errors_in_pmemnsd_conf_are_reported_with_file_and_line) {
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

/* ---- the file reader: what config_load() does with real files ------------------------- */

static void put_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode) {
        char p[512];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK(write(fd, data, len) == (ssize_t) len);
        CHECK_INT(fchmod(fd, mode), 0); /* whatever the umask */
        close(fd);
}

static char *make_tmpdir(void) {
        char tmpl[] = "/tmp/pmemnsd-test-XXXXXX";
        char *d = mkdtemp(tmpl);
        CHECK(d != NULL);
        return d ? strdup(d) : NULL;
}

static void remove_tree(char *dir) {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK_INT(system(cmd), 0);
        free(dir);
}

static int load_dir(const char *dir, Config *c, ConfDiags *d) {
        const char *dirs[] = { dir, NULL };
        ConfPaths paths = { .main_file = NULL, .policy_dirs = dirs };
        int r;

        /* a FIFO or /dev/zero used to hang here: fail instead */
        alarm(20);
        r = config_load(&paths, c, d);
        alarm(0);
        for (size_t i = 0; i < d->n; i++)
                printf("#   diag: %s:%u: %s\n", d->items[i].file, d->items[i].line, d->items[i].message);
        return r;
}

/* the diagnostic about `name` in `dir`, NULL if none */
static const ConfDiag *diag_for(const ConfDiags *d, const char *dir, const char *name) {
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        for (size_t i = 0; i < d->n; i++)
                if (streq(d->items[i].file, p))
                        return &d->items[i];
        printf("#   no diagnostic for %s\n", p);
        return NULL;
}

static const char *const small_policy = "[region r]\n[namespace n]\nregion = r\nmode = raw\nsize = 1G\n";

TEST(a_policy_path_that_is_not_a_regular_file_is_refused) {
        char *dir = make_tmpdir(), p[512];
        const ConfDiag *g;
        Config c = {};
        ConfDiags d = {};

        if (!dir)
                return;
        put_file(dir, "10-good.conf", small_policy, strlen(small_policy), 0644);
        snprintf(p, sizeof(p), "%s/50-fifo.conf", dir);
        CHECK_INT(mkfifo(p, 0644), 0);
        snprintf(p, sizeof(p), "%s/60-zero.conf", dir);
        CHECK_INT(symlink("/dev/zero", p), 0);
        snprintf(p, sizeof(p), "%s/61-random.conf", dir);
        CHECK_INT(symlink("/dev/urandom", p), 0);
        snprintf(p, sizeof(p), "%s/70-dir.conf", dir);
        CHECK_INT(mkdir(p, 0755), 0);

        CHECK_INT(load_dir(dir, &c, &d), 1);
        CHECK_INT(d.n, 4);
        if ((g = diag_for(&d, dir, "50-fifo.conf"))) {
                CHECK_INT(g->line, 0);
                CHECK_CONTAINS(g->message, "is a FIFO; configuration files must be regular files");
        }
        if ((g = diag_for(&d, dir, "60-zero.conf")))
                CHECK_CONTAINS(g->message, "symbolic link to '/dev/zero' is a character device");
        if ((g = diag_for(&d, dir, "61-random.conf")))
                CHECK_CONTAINS(g->message, "'/dev/urandom' is a character device");
        if ((g = diag_for(&d, dir, "70-dir.conf")))
                CHECK_CONTAINS(g->message, "is a directory");
        CHECK_INT(c.n_policies, 0);
        conf_diags_done(&d);
        config_done(&c);
        remove_tree(dir);
}

TEST(a_file_with_a_nul_byte_is_refused) {
        /* a NUL hides the rest of its line from a string reader: a key behind a comment,
         * and the tail of an over-long line that would be read as a line of its own */
        static const char hidden[] = "[region r]\n#\0match.dev = none\nmatch.type = pmem\n";
        char *dir = make_tmpdir(), big[600];
        const ConfDiag *g;
        Config c = {};
        ConfDiags d = {};

        if (!dir)
                return;
        put_file(dir, "50-hidden.conf", hidden, sizeof(hidden) - 1, 0644);
        CHECK_INT(load_dir(dir, &c, &d), 1);
        CHECK_INT(d.n, 1);
        if ((g = diag_for(&d, dir, "50-hidden.conf"))) {
                CHECK_INT(g->line, 2);
                CHECK_CONTAINS(g->message, "NUL byte");
        }
        conf_diags_done(&d);
        config_done(&c);

        /* "match.dev = a" NUL, 400 x and "\nmatch.type = disk" the reader must not see */
        size_t n = 0;
        n += (size_t) snprintf(big + n, sizeof(big) - n, "[region r]\nmatch.dev = a");
        big[n++] = '\0';
        memset(big + n, 'x', 400);
        n += 400;
        memcpy(big + n, "match.type = blk\nmatch.provider = e820\n", 39);
        n += 39;
        put_file(dir, "50-hidden.conf", big, n, 0644);
        CHECK_INT(load_dir(dir, &c, &d), 1);
        CHECK_INT(d.n, 1);
        if ((g = diag_for(&d, dir, "50-hidden.conf"))) {
                CHECK_INT(g->line, 2);
                CHECK_CONTAINS(g->message, "NUL byte");
        }
        conf_diags_done(&d);
        config_done(&c);
        remove_tree(dir);
}

TEST(file_crlf_bom_and_limits) {
        static const char crlf[] = "\xEF\xBB\xBF[region r]\r\nmatch.dev = region1\r\n\r\n"
                                   "[namespace n]\r\nregion = r\r\nmode = raw\r\nsize = 1G\r\n";
        char *dir = make_tmpdir();
        const ConfDiag *g;
        Config c = {};
        ConfDiags d = {};
        char *huge;

        if (!dir)
                return;
        put_file(dir, "50-crlf.conf", crlf, sizeof(crlf) - 1, 0644);
        CHECK_INT(load_dir(dir, &c, &d), 0);
        CHECK_INT(c.n_selectors, 1);
        if (c.n_selectors == 1)
                CHECK_STR(c.selectors[0].match_dev, "region1");
        CHECK_INT(c.n_policies, 1);
        config_done(&c);

        /* one byte more than the limit, all comment lines: refused unread */
        huge = malloc(CONF_FILE_SIZE_MAX + 1);
        CHECK(huge != NULL);
        if (huge) {
                for (size_t i = 0; i < CONF_FILE_SIZE_MAX + 1; i++)
                        huge[i] = i % 64 == 63 ? '\n' : '#';
                put_file(dir, "60-huge.conf", huge, CONF_FILE_SIZE_MAX + 1, 0644);
                CHECK_INT(load_dir(dir, &c, &d), 1);
                CHECK_INT(d.n, 1);
                if ((g = diag_for(&d, dir, "60-huge.conf")))
                        CHECK_CONTAINS(g->message, "larger than the 1M configuration files may be");
                conf_diags_done(&d);
                config_done(&c);
                /* exactly the limit is fine */
                put_file(dir, "60-huge.conf", huge, CONF_FILE_SIZE_MAX, 0644);
                CHECK_INT(load_dir(dir, &c, &d), 0);
                config_done(&c);
                free(huge);
        }
        remove_tree(dir);
}

TEST(file_and_dir_writable_by_others) {
        char *dir = make_tmpdir();
        const ConfDiag *g;
        Config c = {};
        ConfDiags d = {};

        if (!dir)
                return;
        put_file(dir, "50-a.conf", small_policy, strlen(small_policy), 0664);
        CHECK_INT(load_dir(dir, &c, &d), 1);
        CHECK_INT(d.n, 1);
        if ((g = diag_for(&d, dir, "50-a.conf")))
                CHECK_CONTAINS(g->message, "writable by its group (mode 0664)");
        conf_diags_done(&d);

        put_file(dir, "50-a.conf", small_policy, strlen(small_policy), 0646);
        CHECK_INT(load_dir(dir, &c, &d), 1);
        if (d.n == 1)
                CHECK_CONTAINS(d.items[0].message, "writable by everyone (mode 0646)");
        conf_diags_done(&d);

        put_file(dir, "50-a.conf", small_policy, strlen(small_policy), 0644);
        CHECK_INT(chmod(dir, 0777), 0);
        CHECK_INT(load_dir(dir, &c, &d), 1);
        CHECK_INT(d.n, 1);
        if (d.n == 1) {
                CHECK_STR(d.items[0].file, dir);
                CHECK_CONTAINS(d.items[0].message, "the directory is writable by everyone");
        }
        conf_diags_done(&d);
        CHECK_INT(chmod(dir, 0700), 0);

        if (geteuid() == 0) {
                char p[512];
                snprintf(p, sizeof(p), "%s/50-a.conf", dir);
                CHECK_INT(chown(p, 4321, 4321), 0);
                CHECK_INT(load_dir(dir, &c, &d), 1);
                if (d.n == 1)
                        CHECK_CONTAINS(d.items[0].message, "owned by uid 4321, not by root");
                conf_diags_done(&d);
        } else
                printf("#   not root: the check of another uid's file is not run\n");

        config_done(&c);
        remove_tree(dir);
}

TEST(indented_lines_follow_inih) {
        Config c = {};
        ConfDiags d = {};

        /* libinih (INI_ALLOW_MULTILINE, Debian's build): after a key, a line that starts with
         * white space continues that key's value, even a '[...]' line, and even after blank
         * and comment lines; only a section header ends it. */
        expect_error("[region r]\nmatch.dev = x\n  [region s]\nmatch.type = pmem\n", 3, NULL,
                     "indented section header");
        expect_error("[region r]\nmatch.dev = x\n\n# c\n\t[region s]\n", 5, NULL,
                     "continues that key's value ('match.dev')");
        expect_error("[region r]\nmatch.dev = x\n   match.type = pmem\n", 3, NULL,
                     "values must fit on one line");

        /* with no key before it in the section, an indented line is a line of its own */
        CHECK_INT(load(NULL, "  [region r]\n  match.dev = x\n[region s]\n\t[region t]\nmatch.type = blk\n",
                       &c, &d), 0);
        CHECK_INT(c.n_selectors, 3);
        if (c.n_selectors == 3) {
                CHECK_STR(c.selectors[0].name, "r");
                CHECK_STR(c.selectors[0].match_dev, "x");
                CHECK_STR(c.selectors[1].name, "s");
                CHECK(c.selectors[1].match_type == NULL);
                CHECK_STR(c.selectors[2].name, "t");
                CHECK_STR(c.selectors[2].match_type, "blk");
        }
        config_done(&c);
        conf_diags_done(&d);
}

TEST(header_longer_than_inih_keeps) {
        /* inih cuts section names at 49 characters */
        expect_error("[region r]\n[namespace abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz]\n"
                     "region = r\nmode = raw\nsize = 1G\n", 2, NULL, "longer than 49 characters");
}

TEST(sizes_that_cannot_exist) {
        const char *hdr = "[region r]\n[namespace n]\nregion = r\nmode = fsdax\n";
        char buf[512];
        Config c = {};
        ConfDiags d = {};

#define WITH(extra) (snprintf(buf, sizeof(buf), "%s%s", hdr, extra), buf)
        expect_error(WITH("size = 18446744073709551615\n"), 5, "size", "larger than any namespace");
        expect_error(WITH("usable-size = 18162948012094319695\n"), 5, "usable-size",
                     "larger than any namespace");
        expect_error(WITH("usable-size = 65537T\n"), 5, "usable-size", "at most 65536T");
        CHECK_INT(load(NULL, WITH("usable-size = 65536T\n"), &c, &d), 0);
        config_done(&c);
#undef WITH
        expect_error("[region r]\ngranularity = 8388608T\n", 2, "granularity", "at most 65536T");
}

TEST(diagnostics_are_capped) {
        size_t len = 32 + 16 * 1000;
        char *text = malloc(len), *s = text;
        Config c = {};
        ConfDiags d = {};

        CHECK(text != NULL);
        if (!text)
                return;
        s += sprintf(s, "[region r]\n");
        for (unsigned i = 0; i < 1000; i++)
                s += sprintf(s, "bogus%u = 1\n", i);
        CHECK_INT(load(NULL, text, &c, &d), 1);
        CHECK_INT(d.n, CONF_DIAGS_MAX + 1);
        if (d.n == CONF_DIAGS_MAX + 1) {
                CHECK_INT(d.items[CONF_DIAGS_MAX - 1].line, CONF_DIAGS_MAX + 1);
                CHECK_CONTAINS(d.items[CONF_DIAGS_MAX].message, "too many problems");
        }
        CHECK(conf_diags_full(&d));
        conf_diags_done(&d);
        free(text);
}

/* ---- the key table: whole messages, word for word ----------------------------------------
 * The cases above match parts of messages; these pin whole ones, so that a change to the
 * table (keys.c) or the shared rules (pmemns.c) cannot change what a user reads. */

/* Load main_text and policy, expect exactly the messages given (NULL-terminated), in order. */
static void expect_messages(const char *main_text, const char *policy, const char *const *messages) {
        Config c = {};
        ConfDiags d = {};
        size_t n = 0;

        while (messages[n])
                n++;
        CHECK_INT(load(main_text, policy, &c, &d), 1);
        CHECK_INT(d.n, n);
        for (size_t i = 0; i < MIN(d.n, n); i++)
                CHECK_STR(d.items[i].message, messages[i]);
        CHECK_INT(c.n_policies, 0);
        conf_diags_done(&d);
        config_done(&c);
}

TEST(unknown_keys_list_the_keys_of_their_section) {
        expect_messages(NULL, "[region r]\n[namespace n]\nregion = r\nmode = raw\nsize = 1G\nfoo = 1\n",
                        (const char *const[]) {
                                "unknown key 'foo' in [namespace n]; valid keys are: region, mode, "
                                "size, usable-size, count, map, align, sector-size, system-ram",
                                NULL });
        /* a key of another section is unknown in this one */
        expect_messages(NULL, "[region r]\nregion = r\n",
                        (const char *const[]) {
                                "unknown key 'region' in [region r]; valid keys are: match.dev, "
                                "match.numa-node, match.type, match.provider, match.cxl-region, match.size-min, "
                                "match.size-max, granularity, init-labels",
                                NULL });
        expect_messages("[daemon]\ninit-labels = yes\n", NULL,
                        (const char *const[]) {
                                "unknown key 'init-labels' in [daemon]; valid keys are: granularity, "
                                "load-modules, apply",
                                NULL });
}

TEST(repeated_and_empty_keys) {
        expect_messages("[daemon]\napply = auto\napply = manual\nload-modules =\n", NULL,
                        (const char *const[]) {
                                "'apply' is given twice in [daemon] (first at line 2)",
                                "'load-modules' in [daemon] has no value",
                                NULL });
        /* a repeated key is reported once per repetition, even when its first value was bad */
        expect_messages(NULL, "[region r]\nmatch.type = x\nmatch.type = y\nmatch.type = pmem\n",
                        (const char *const[]) {
                                "invalid value 'x' for 'match.type' in [region r]; expected pmem or blk",
                                "'match.type' is given twice in [region r] (first at line 2)",
                                "'match.type' is given twice in [region r] (first at line 2)",
                                NULL });
}

TEST(invalid_values_say_what_is_valid) {
        expect_messages("[daemon]\nload-modules = maybe\napply = sometimes\ngranularity = 3M\n", NULL,
                        (const char *const[]) {
                                "invalid value 'maybe' for 'load-modules' in [daemon]; expected yes or no",
                                "invalid value 'sometimes' for 'apply' in [daemon]; expected auto or manual",
                                "invalid value '3M' for 'granularity' in [daemon]; expected auto, "
                                "subsection, compat, section or a power-of-two size of at least 4K",
                                NULL });
        expect_messages(NULL,
                        "[region r]\nmatch.numa-node = 2147483648\nmatch.size-min = 1Q\n"
                        "match.size-max = 99999999999999999999\n",
                        (const char *const[]) {
                                "invalid value '2147483648' for 'match.numa-node' in [region r]; "
                                "expected a NUMA node number (0, 1, ...)",
                                "invalid value '1Q' for 'match.size-min' in [region r]; expected a "
                                "size in bytes with an optional K, M, G or T suffix",
                                "value '99999999999999999999' for 'match.size-max' in [region r] is "
                                "too large",
                                NULL });
        expect_messages(NULL,
                        "[region r]\n[namespace n]\nregion = r\nmode = fsdax\nusable-size = 0\n"
                        "count = 1025\nmap = ram\nalign = 64K\n",
                        (const char *const[]) {
                                "invalid value '0' for 'usable-size' in [namespace n]; expected a size "
                                "greater than zero with K, M, G or T (e.g. 18M)",
                                "invalid value '1025' for 'count' in [namespace n]; expected a number "
                                "from 1 to 1024",
                                "invalid value 'ram' for 'map' in [namespace n]; expected dev or mem",
                                "invalid value '64K' for 'align' in [namespace n]; expected 4K, 2M or 1G",
                                NULL });
        expect_messages(NULL,
                        "[region r]\n[namespace n]\nregion = r\nmode = sector\nsize = 1G\n"
                        "sector-size = 1K\n",
                        (const char *const[]) {
                                "invalid value '1K' for 'sector-size' in [namespace n]; expected 512, "
                                "520, 528, 4096, 4104, 4160 or 4224",
                                NULL });
        expect_messages(NULL,
                        "[region r]\n[namespace n]\nregion = r\nmode = devdax\nsize = 1G\n"
                        "system-ram = yes\n",
                        (const char *const[]) {
                                "invalid value 'yes' for 'system-ram' in [namespace n]; expected no, "
                                "online or online-movable",
                                NULL });
}

TEST(keys_that_only_some_modes_take) {
        /* every key that does not fit the mode, in the table's order */
        expect_messages(NULL,
                        "[region r]\n[namespace n]\nregion = r\nmode = raw\nsize = 1G\n"
                        "system-ram = online\nsector-size = 512\nalign = 2M\nmap = dev\n",
                        (const char *const[]) {
                                "'map' in [namespace n] applies only to fsdax and devdax, not raw",
                                "'align' in [namespace n] applies only to fsdax and devdax, not raw",
                                "'sector-size' in [namespace n] applies only to sector mode, not raw",
                                "'system-ram' in [namespace n] applies only to devdax, not raw",
                                NULL });
        expect_messages(NULL,
                        "[region r]\n[namespace n]\nregion = r\nmode = devdax\nsize = 1G\n"
                        "system-ram = online-movable\nalign = 1G\n",
                        (const char *const[]) {
                                "[namespace n]: system-ram needs a devdax align of 4K or 2M, not 1G "
                                "(kmem onlines memory blocks)",
                                NULL });
}

TEST(keys_every_mode_takes) {
        static const char *const modes[] = { "fsdax", "devdax", "sector", "raw" };

        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                Config c = {};
                ConfDiags d = {};
                char policy[256];

                /* system-ram = no is every mode's default, and saying so is no error */
                snprintf(policy, sizeof(policy),
                         "[region r]\n[namespace n]\nregion = r\nmode = %s\nsize = 1G\ncount = 2\n"
                         "system-ram = no\n", modes[i]);
                CHECK_INT(load(NULL, policy, &c, &d), 0);
                CHECK_INT(d.n, 0);
                if (c.n_policies == 1) {
                        CHECK_INT(c.policies[0].mode, ns_mode_from_string(modes[i]));
                        CHECK_INT(c.policies[0].count, 2);
                        CHECK_INT(c.policies[0].system_ram, SYSTEM_RAM_NO);
                }
                conf_diags_done(&d);
                config_done(&c);
        }
}

TEST(every_key_reaches_its_field) {
        Config c = {};
        ConfDiags d = {};

        CHECK_INT(load("[daemon]\ngranularity = 4M\nload-modules = off\napply = manual\n",
                       "[region r]\nmatch.dev = region1\nmatch.numa-node = 3\nmatch.type = blk\n"
                       "match.provider = e820\nmatch.size-min = 1G\nmatch.size-max = 2G\n"
                       "granularity = compat\ninit-labels = yes\n"
                       "[namespace s]\nregion = r\nmode = sector\nusable-size = 100M\ncount = 3\n"
                       "sector-size = 520\n"
                       "[namespace d]\nregion = r\nmode = devdax\nsize = 10%\nmap = mem\nalign = 4K\n"
                       "system-ram = online\n",
                       &c, &d), 0);
        CHECK_INT(c.daemon.granularity.kind, GRANULARITY_BYTES);
        CHECK_U64(c.daemon.granularity.bytes, 4 * MiB);
        CHECK_STR(c.daemon.granularity_file, "pmemnsd.conf");
        CHECK_INT(c.daemon.granularity_line, 2);
        CHECK(!c.daemon.load_modules);
        CHECK_INT(c.daemon.apply, APPLY_MANUAL);
        CHECK_INT(c.n_selectors, 1);
        if (c.n_selectors == 1) {
                const RegionSelector *s = &c.selectors[0];
                CHECK_STR(s->match_dev, "region1");
                CHECK(s->match_numa);
                CHECK_INT(s->numa_node, 3);
                CHECK_STR(s->match_type, "blk");
                CHECK_STR(s->match_provider, "e820");
                CHECK_U64(s->size_min, GiB);
                CHECK_U64(s->size_max, 2 * GiB);
                CHECK(s->has_granularity);
                CHECK_INT(s->granularity.kind, GRANULARITY_COMPAT);
                CHECK_INT(s->granularity_line, 8);
                CHECK(s->init_labels);
        }
        CHECK_INT(c.n_policies, 2);
        if (c.n_policies == 2) {
                const NamespacePolicy *s = &c.policies[0], *x = &c.policies[1];
                CHECK_STR(s->region, "r");
                CHECK_INT(s->mode, NS_MODE_SECTOR);
                CHECK_INT(s->size_kind, SIZE_USABLE);
                CHECK_U64(s->size, 100 * MiB);
                CHECK_INT(s->count, 3);
                CHECK_U64(s->sector_size, 520);
                CHECK_INT(x->mode, NS_MODE_DEVDAX);
                CHECK_INT(x->size_kind, SIZE_PERCENT);
                CHECK_INT(x->percent, 10);
                CHECK_INT(x->map, NS_MAP_MEM);
                CHECK_U64(x->align, 4 * KiB);
                CHECK_INT(x->system_ram, SYSTEM_RAM_ONLINE);
        }
        conf_diags_done(&d);
        config_done(&c);
}

TEST(diagnostic_format_names_the_key_unless_the_message_quotes_it) {
        ConfDiags d = {};
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *all = NULL, *none = NULL;

        none = conf_diags_join(&d, "; ");
        CHECK_STR(none, "");
        CHECK_INT(conf_diag_add(&d, "/etc/pmemnsd/policy.d/50-a.conf", 3, "mode", "expected fsdax"), 0);
        CHECK_INT(conf_diag_add(&d, "/etc/pmemnsd/policy.d/50-a.conf", 4, "size",
                                "invalid value 'x' for 'size'"), 0);
        CHECK_INT(conf_diag_add(&d, "/etc/pmemnsd/policy.d", 0, NULL, "the directory is writable"), 0);
        a = conf_diag_format(&d.items[0]);
        b = conf_diag_format(&d.items[1]);
        c = conf_diag_format(&d.items[2]);
        CHECK_STR(a, "/etc/pmemnsd/policy.d/50-a.conf:3: mode: expected fsdax");
        CHECK_STR(b, "/etc/pmemnsd/policy.d/50-a.conf:4: invalid value 'x' for 'size'");
        CHECK_STR(c, "/etc/pmemnsd/policy.d: the directory is writable");
        all = conf_diags_join(&d, "; ");
        CHECK_STR(all, "/etc/pmemnsd/policy.d/50-a.conf:3: mode: expected fsdax; "
                       "/etc/pmemnsd/policy.d/50-a.conf:4: invalid value 'x' for 'size'; "
                       "/etc/pmemnsd/policy.d: the directory is writable");
        conf_diags_done(&d);
}

TEST(cxl_region_sections) {
        Config c = {};
        ConfDiags d = {};

        CHECK_INT(load(NULL,
                       "[cxl-region pool]\n"
                       "memdevs = 4660, 4661\n"
                       "type = pmem\n"
                       "size = 512M\n"
                       "interleave-granularity = 1K\n"
                       "[cxl-region small]\n"
                       "memdevs = 7\n"
                       "[region cxl]\n"
                       "match.cxl-region = pool\n", &c, &d), 0);
        CHECK_INT(c.n_cxl_regions, 2);
        CHECK_STR(c.cxl_regions[0].name, "pool");
        CHECK_INT(c.cxl_regions[0].n_memdevs, 2);
        CHECK_U64(c.cxl_regions[0].memdevs[0], 4660);
        CHECK_U64(c.cxl_regions[0].memdevs[1], 4661);
        CHECK_INT(c.cxl_regions[0].size_kind, SIZE_BYTES);
        CHECK_U64(c.cxl_regions[0].size, 512 * MiB);
        CHECK_INT(c.cxl_regions[0].granularity, 1024);
        CHECK_INT(c.cxl_regions[1].size_kind, SIZE_REST); /* the default */
        CHECK_INT(c.cxl_regions[1].granularity, 0);
        CHECK_STR(c.selectors[0].match_cxl_region, "pool");
        config_done(&c);
        conf_diags_done(&d);

        expect_error("[cxl-region p]\ntype = pmem\n", 1, "memdevs", "has no 'memdevs' key");
        expect_error("[cxl-region p]\nmemdevs = 1, 2, 1\n", 2, "memdevs", "memdev 1 is named twice");
        expect_error("[cxl-region p]\nmemdevs = 1, x\n", 2, "memdevs", "expected memdev serial numbers");
        expect_error("[cxl-region p]\nmemdevs = 1,2,3,4,5\n", 2, "memdevs",
                     "names 5 memdevs; a CXL region interleaves 1, 2, 3, 4, 6, 8, 12 or 16 memdevs");
        expect_error("[cxl-region p]\nmemdevs = 1\ntype = ram\n", 3, "type", "expected pmem");
        expect_error("[cxl-region p]\nmemdevs = 1, 2\nsize = 256M\n", 3, "size",
                     "not a multiple of 512M (256M per memdev");
        expect_error("[cxl-region p]\nmemdevs = 1\ninterleave-granularity = 100\n", 3,
                     "interleave-granularity", "expected 256, 512, 1K, 2K, 4K, 8K or 16K");
        expect_error("[cxl-region p]\nmemdevs = 1\n[cxl-region q]\nmemdevs = 2, 1\n", 4, "memdevs",
                     "memdev 1 is in [cxl-region q] and in [cxl-region p]");
        expect_error("[region r]\nmatch.cxl-region = nope\n", 1, "match.cxl-region",
                     "selects cxl-region 'nope', which is not defined");
        expect_error("[cxl-region p]\nmemdevs = 1\n[cxl-region p]\nmemdevs = 2\n", 3, NULL,
                     "cxl-region 'p' is already defined at 50-test.conf:1");
        expect_error("[cxl p]\nmemdevs = 1\n", 1, NULL,
                     "expected [region NAME], [namespace NAME] or [cxl-region NAME]");
}
