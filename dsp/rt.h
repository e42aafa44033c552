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

/* A hot loop compiled three times, for the SSE3 baseline, AVX2 and AVX-512
 * (x86-64-v4), picked when the program loads (GCC's target_clones). The
 * AVX-512 clone keeps GCC's 256-bit vectors (a 512-bit preference measured
 * no faster here); it gains the 32 vector registers and the mask
 * instructions: bench-1024-full about 8 % faster on this project's EPYC.
 * C17 keeps multiply and add apart in every clone, so all three give the
 * same bits. The sanitizer test build leaves the AVX-512 clone out
 * (meson option widest_clone=avx2) so that the AVX2 clones are tested on an
 * AVX-512 machine too. Clang 14, used only for the fuzzing build, leaves out the
 * picker of a clone called from another file, so there it is compiled once;
 * so does the ThreadSanitizer build, whose instrumented pickers would run
 * before the sanitizer's runtime is up. */
#if defined(__clang__) || defined(__SANITIZE_THREAD__)
#define VECTOR_CLONES
#define VECTOR_CLONES_FMA
#elif defined(DUBSTAGE_WIDEST_CLONE_AVX2)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#define VECTOR_CLONES_FMA \
	__attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
/* The same, the AVX2 (x86-64-v3) and AVX-512 clones with fused multiply-adds contracted
 * from a * b + c: fewer operations and one rounding instead of two, so its
 * results differ from the baseline's in the last bits. Only for what
 * measures (meters), never for the audio, which stays the same on every
 * machine. */
#define VECTOR_CLONES_FMA \
	__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#endif

/* A kernel written a second time for one vector of 16 lanes (AVX-512)
 * where the clones cannot give it: GCC keeps a clone's vectors at 8 lanes,
 * and a 16-lane vector type in the AVX2 clone becomes pairs of registers
 * that spill. VECTOR_V4 compiles such a function for x86-64-v4 only, and
 * rt_has_avx512() (CPUID, read once by the compiler's start-up code) says
 * when to call it. Not in the builds without clones (clang,
 * ThreadSanitizer) nor with widest_clone=avx2, so that those test the
 * 8-lane kernels. */
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__) && \
	!defined(DUBSTAGE_WIDEST_CLONE_AVX2)
#define VECTOR_HAS_V4 1
#define VECTOR_V4 __attribute__((target("arch=x86-64-v4")))
static inline int rt_has_avx512(void) { return __builtin_cpu_supports("x86-64-v4"); }
#else
#define VECTOR_HAS_V4 0
#endif
#endif
