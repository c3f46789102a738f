/*
 * libFuzzer's entry point for programs with their own main (compiler-rt FuzzerDriver.cpp,
 * "Using libFuzzer as a library"). Only declared here: it exists in the program only when it is
 * built with -sanitize=fuzzer (`make fuzz`); acsquirk-fuzz calls it only in that build.
 */
#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
