/*
 * libFuzzer's entry points for programs with their own main (compiler-rt FuzzerDriver.cpp,
 * FuzzerInterface.h). Only declared here: they exist in the program only when it is built with
 * -sanitize=fuzzer (`make fuzz`); acsquirk-fuzz calls them only in that build.
 */
#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/* libFuzzer's own mutation, for a custom mutator (LLVMFuzzerCustomMutator) to fall back on. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#endif
