/* Hooks for the test-only RT guard (tests/rt_guard_shim.c, loaded with
 * LD_PRELOAD). The shim defines these; in a normal run they resolve to NULL
 * and cost one predictable branch per period. Between enter and leave, any
 * allocation, lock, sleep or I/O on this thread aborts the process. */
#ifndef DUBSTAGE_ENGINE_RT_GUARD_H
#define DUBSTAGE_ENGINE_RT_GUARD_H

void dubstage_rt_guard_enter(void) __attribute__((weak));
void dubstage_rt_guard_leave(void) __attribute__((weak));

static inline void rt_guard_enter(void)
{
	if (dubstage_rt_guard_enter)
		dubstage_rt_guard_enter();
}

static inline void rt_guard_leave(void)
{
	if (dubstage_rt_guard_leave)
		dubstage_rt_guard_leave();
}

#endif
