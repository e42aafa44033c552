/* RT marks a function that runs on the real-time thread: it never allocates,
 * frees, locks, waits, prints or makes a system call (see docs/architecture.md).
 * The marker is for readers and for grep; tests/rt_guard_shim.c enforces it. */
#ifndef DUBSTAGE_DSP_RT_H
#define DUBSTAGE_DSP_RT_H
#define RT
#endif
