/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* daemon/records.c: what recovery may act on. Runs against a private state directory. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records.h"
#include "tests.h"
#include "util/macro.h"

static char dir[] = "/tmp/pmemnsd-test-records.XXXXXX";

static void cleanup(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", dir);
}

static void setup(void) {
        static bool done;
        if (done)
                return;
        done = true;
        CHECK(mkdtemp(dir) != NULL);
        setenv("STATE_DIRECTORY", dir, 1);
        atexit(cleanup);
}

TEST(uuid_strings) {
        CHECK(uuid_string_valid("5f9a2e2c-6d1c-4e61-9a5e-3f1a5c0e7d21"));
        CHECK(!uuid_string_valid("5F9A2E2C-6D1C-4E61-9A5E-3F1A5C0E7D21")); /* we write lower case */
        CHECK(!uuid_string_valid("5f9a2e2c-6d1c-4e61-9a5e-3f1a5c0e7d2"));
        CHECK(!uuid_string_valid("5f9a2e2c-6d1c-4e61-9a5e-3f1a5c0e7d211"));
        CHECK(!uuid_string_valid("../../../etc/passwd-0000-000000000000"));
        CHECK(!uuid_string_valid(""));
        CHECK(!uuid_string_valid(NULL));
}

TEST(inflight_round_trip) {
        InflightRecord rec = { .mode = NS_MODE_DEVDAX }, *got = NULL;
        size_t n = 0;
        char path[256];
        struct stat st;

        setup();
        snprintf(rec.ns_uuid, sizeof(rec.ns_uuid), "11111111-2222-3333-4444-555555555555");
        snprintf(rec.claim_uuid, sizeof(rec.claim_uuid), "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        snprintf(rec.region, sizeof(rec.region), "region0");
        snprintf(rec.instance, sizeof(rec.instance), "dax.1");
        snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", current_boot_id());
        CHECK_INT(inflight_begin(&rec), 0);

        /* private: only root reads what pmemnsd did */
        snprintf(path, sizeof(path), "%s/inflight", dir);
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0700);
        /* stray files are not records */
        snprintf(path, sizeof(path), "%s/inflight/not-a-uuid", dir);
        close(open(path, O_WRONLY | O_CREAT, 0600));

        CHECK_INT(inflight_load(&got, &n), 0);
        CHECK_INT(n, 1);
        if (n == 1) {
                CHECK_STR(got[0].ns_uuid, rec.ns_uuid);
                CHECK_STR(got[0].claim_uuid, rec.claim_uuid);
                CHECK_STR(got[0].region, "region0");
                CHECK_STR(got[0].instance, "dax.1");
                CHECK_STR(got[0].boot_id, current_boot_id());
                CHECK_INT(got[0].mode, NS_MODE_DEVDAX);
        }
        free(got);

        inflight_end(rec.ns_uuid);
        CHECK_INT(inflight_load(&got, &n), 0);
        CHECK_INT(n, 0);
        free(got);

        /* a record whose name is not a uuid is refused, not written */
        snprintf(rec.ns_uuid, sizeof(rec.ns_uuid), "../x");
        CHECK(inflight_begin(&rec) < 0);
}

TEST(made_by_create_namespace) {
        const char *u = "0123abcd-0000-4000-8000-0123456789ab";

        setup();
        CHECK(!made_has(u));
        CHECK_INT(made_add(u), 0);
        CHECK(made_has(u));
        CHECK(!made_has("0123abcd-0000-4000-8000-0123456789ac"));
        CHECK(!made_has(""));
        made_remove(u);
        CHECK(!made_has(u));
        CHECK(made_add("not-a-uuid") < 0);
}

TEST(boot_id) {
        CHECK(uuid_string_valid(current_boot_id()));
}

TEST(cxl_record_round_trip) {
        uint64_t serials[] = { 4660, 4661 }, dpa[] = { 0, 268435456 };
        char *decoders[] = { (char *) "decoder2.0", (char *) "decoder3.0", NULL };
        CxlRecord rec = { .name = (char *) "pool", .memdevs = serials, .dpa_before = dpa,
                          .n_memdevs = 2, .size = 1073741824, .granularity = 256,
                          .decoders = decoders, .assembled = true }, *got = NULL;
        size_t n = 0;
        char path[256];
        FILE *f;

        setup();
        snprintf(rec.uuid, sizeof(rec.uuid), "4b7a3bd2-8cc7-4b8e-9f3a-8c2a1d6a0f11");
        CHECK_INT(cxl_record_save(&rec), 0);
        /* a name that is not a policy name is no record, and a damaged file is skipped */
        snprintf(path, sizeof(path), "%s/cxl/broken", dir);
        CHECK((f = fopen(path, "we")) != NULL);
        if (f) {
                fputs("uuid=nonsense\nmemdevs=1\n", f);
                fclose(f);
        }
        CHECK_INT(cxl_records_load(&got, &n), 0);
        CHECK_INT(n, 1);
        if (n == 1) {
                CHECK_STR(got[0].name, "pool");
                CHECK_STR(got[0].uuid, rec.uuid);
                CHECK_INT(got[0].n_memdevs, 2);
                CHECK_U64(got[0].memdevs[1], 4661);
                CHECK(got[0].dpa_before != NULL);
                if (got[0].dpa_before)
                        CHECK_U64(got[0].dpa_before[1], 268435456);
                CHECK_U64(got[0].size, 1073741824);
                CHECK_INT(got[0].granularity, 256);
                CHECK_STR(got[0].decoders[1], "decoder3.0");
                CHECK(got[0].assembled);
        }
        cxl_records_free(got, n);

        cxl_record_remove("pool");
        CHECK_INT(cxl_records_load(&got, &n), 0);
        CHECK_INT(n, 0);
        cxl_records_free(got, n);
        /* a name with a slash never reaches the file system */
        rec.name = (char *) "../x";
        CHECK_INT(cxl_record_save(&rec), -EINVAL);
}
