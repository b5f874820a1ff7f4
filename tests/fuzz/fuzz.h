/*
 * fuzz.h — what every harness in tests/fuzz shares. Each harness defines
 * LLVMFuzzerTestOneInput; `make fuzz` links it with libFuzzer, and
 * replay.c gives it a main() that runs saved inputs, for make check.
 */
#ifndef MAILOUT_FUZZ_H
#define MAILOUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test broke: say which, and abort so that
 * libFuzzer saves the input (replay exits non-zero). */
void fuzz_fail(const char *what) __attribute__((noreturn));

/* The input as a NUL-terminated string (malloc'ed; aborts when out of
 * memory). NUL octets in it cut the string short, as in a C caller. */
char *fuzz_string(const uint8_t *data, size_t size);

#endif
