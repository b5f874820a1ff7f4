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

/* The path of a private file (mode 0600, so a password is allowed in it)
 * holding data; each of FUZZ_FILES slots is one file, rewritten at each
 * call and removed at exit. On tmpfs when there is one: rewriting a file
 * on disk for each input makes a harness thirty times slower. */
#define FUZZ_FILES 2
const char *fuzz_file(int slot, const uint8_t *data, size_t size);

#endif
