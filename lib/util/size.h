/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse "4096", "0x200000", "130M", "1G", "2T", "64K" (binary units; an optional "iB"/"B"
 * after the unit letter is accepted). Returns 0, -EINVAL for bad syntax, -ERANGE on
 * overflow. */
int parse_size(const char *s, uint64_t *ret);

/* Parse a plain unsigned decimal integer. */
int parse_u64(const char *s, uint64_t *ret);

/* Format bytes with the largest binary unit that divides the value exactly ("130M"),
 * falling back to two decimals ("1.27G") when none does above bytes. */
char *format_size(char *buf, size_t len, uint64_t bytes);
#define FORMAT_SIZE_MAX 32
#define FORMAT_SIZE(b) format_size((char[FORMAT_SIZE_MAX]){}, FORMAT_SIZE_MAX, (b))

/* Overflow-checked arithmetic for sizes and addresses: false (and *ret untouched) when the
 * exact result does not fit in 64 bits. round_up_u64() in macro.h wraps instead: use these
 * wherever an operand can come from a user. align must be > 0. */
bool add_u64_checked(uint64_t a, uint64_t b, uint64_t *ret);
bool round_up_u64_checked(uint64_t v, uint64_t align, uint64_t *ret);
