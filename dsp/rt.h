/* RT marks a function that runs on the real-time thread: it never allocates,
 * frees, locks, waits, prints or makes a system call (see docs/architecture.md).
 * The marker is for readers and for grep; tests/rt_guard_shim.c enforces it. */
#ifndef DUBSTAGE_DSP_RT_H
#define DUBSTAGE_DSP_RT_H
#define RT

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

/* Flush-to-zero and denormals-are-zero for the calling thread (the SSE
 * control register is per thread): decaying sums never go subnormal. Every
 * thread that runs the graph sets it before its share of a period. */
static inline void rt_flush_denormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

/* A hot loop compiled twice, for the SSE3 baseline and for AVX2, picked when
 * the program loads (GCC's target_clones). Clang 14, used only for the
 * fuzzing build, leaves out the picker of a clone called from another file,
 * so there it is compiled once; so does the ThreadSanitizer build, whose
 * instrumented pickers would run before the sanitizer's runtime is up. */
#if defined(__clang__) || defined(__SANITIZE_THREAD__)
#define VECTOR_CLONES
#define VECTOR_CLONES_FMA
#else
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
/* The same, the AVX2 clone with fused multiply-adds (x86-64-v3) contracted
 * from a * b + c: fewer operations and one rounding instead of two, so its
 * results differ from the baseline's in the last bits. Only for what
 * measures (meters), never for the audio, which stays the same on every
 * machine. */
#define VECTOR_CLONES_FMA \
	__attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#endif
#endif
