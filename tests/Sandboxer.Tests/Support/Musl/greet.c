/* A shared library for the musl end-to-end tests: found only by the rules under test. */
#include <stdio.h>

void greet(const char *who) { printf("hello from libgreet, %s\n", who); }
