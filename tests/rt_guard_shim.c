/* RT guard: an LD_PRELOAD library for tests. dubstage calls
 * dubstage_rt_guard_enter/leave (engine/rt_guard.h) around its process
 * callback; between them, any call below (allocation, locking, waiting,
 * sleeping, file or socket I/O, printing) on that thread writes
 * "RT guard: <function> called on the RT thread" to stderr and aborts.
 * Interposing with LD_PRELOAD also catches calls made inside libjack, liblo
 * or libc, which a link-time --wrap would miss. */

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static __thread int in_rt;
static unsigned long long regions; /* guarded regions entered, for the exit report */

void dubstage_rt_guard_enter(void)
{
	in_rt = 1;
	__atomic_fetch_add(&regions, 1, __ATOMIC_RELAXED);
}

void dubstage_rt_guard_leave(void) { in_rt = 0; }

/* At exit, say how many regions were checked, so a test can tell that the
 * guard was really wired in (a binary whose hooks did not resolve would pass
 * every check by checking nothing). */
__attribute__((destructor)) static void report(void)
{
	char msg[96];
	int n = snprintf(msg, sizeof msg, "RT guard: %llu guarded regions checked\n",
	                 __atomic_load_n(&regions, __ATOMIC_RELAXED));
	if (n > 0)
		syscall(SYS_write, 2, msg, (size_t)n);
}

static void violation(const char *fn)
{
	in_rt = 0;
	char msg[160];
	size_t n = 0;
	const char *parts[] = {"RT guard: ", fn, " called on the RT thread\n"};
	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p && n < sizeof msg; p++)
			msg[n++] = *p;
	syscall(SYS_write, 2, msg, n);
	abort();
}

#define CHECK(fn) do { if (in_rt) violation(fn); } while (0)
#define REAL(ret, name, ...) \
	static ret (*real_##name)(__VA_ARGS__); \
	if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

/* dlsym may call calloc before real_calloc is known: serve it from here. */
static char bootstrap[4096];
static size_t bootstrap_used;
static int resolving_calloc;

static int from_bootstrap(const void *p)
{
	return (const char *)p >= bootstrap && (const char *)p < bootstrap + sizeof bootstrap;
}

void *malloc(size_t n)
{
	CHECK("malloc");
	REAL(void *, malloc, size_t);
	return real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	CHECK("calloc");
	static void *(*real_calloc)(size_t, size_t);
	if (!real_calloc) {
		if (resolving_calloc) {
			size_t n = (a * b + 15) & ~(size_t)15;
			if (bootstrap_used + n > sizeof bootstrap)
				return NULL;
			void *p = bootstrap + bootstrap_used;
			bootstrap_used += n;
			return p; /* static storage is already zero */
		}
		resolving_calloc = 1;
		real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
		resolving_calloc = 0;
	}
	return real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	CHECK("realloc");
	REAL(void *, realloc, void *, size_t);
	return real_realloc(p, n);
}

void free(void *p)
{
	CHECK("free");
	if (from_bootstrap(p))
		return;
	REAL(void, free, void *);
	real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	CHECK("posix_memalign");
	REAL(int, posix_memalign, void **, size_t, size_t);
	return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	CHECK("aligned_alloc");
	REAL(void *, aligned_alloc, size_t, size_t);
	return real_aligned_alloc(align, n);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	CHECK("pthread_mutex_lock");
	REAL(int, pthread_mutex_lock, pthread_mutex_t *);
	return real_pthread_mutex_lock(m);
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	CHECK("pthread_cond_wait");
	REAL(int, pthread_cond_wait, pthread_cond_t *, pthread_mutex_t *);
	return real_pthread_cond_wait(c, m);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
	CHECK("pthread_cond_timedwait");
	REAL(int, pthread_cond_timedwait, pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	return real_pthread_cond_timedwait(c, m, t);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	CHECK("pthread_rwlock_rdlock");
	REAL(int, pthread_rwlock_rdlock, pthread_rwlock_t *);
	return real_pthread_rwlock_rdlock(l);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	CHECK("pthread_rwlock_wrlock");
	REAL(int, pthread_rwlock_wrlock, pthread_rwlock_t *);
	return real_pthread_rwlock_wrlock(l);
}

int sem_wait(sem_t *s)
{
	CHECK("sem_wait");
	REAL(int, sem_wait, sem_t *);
	return real_sem_wait(s);
}

int sem_timedwait(sem_t *s, const struct timespec *t)
{
	CHECK("sem_timedwait");
	REAL(int, sem_timedwait, sem_t *, const struct timespec *);
	return real_sem_timedwait(s, t);
}

int nanosleep(const struct timespec *a, struct timespec *b)
{
	CHECK("nanosleep");
	REAL(int, nanosleep, const struct timespec *, struct timespec *);
	return real_nanosleep(a, b);
}

int clock_nanosleep(clockid_t c, int f, const struct timespec *a, struct timespec *b)
{
	CHECK("clock_nanosleep");
	REAL(int, clock_nanosleep, clockid_t, int, const struct timespec *, struct timespec *);
	return real_clock_nanosleep(c, f, a, b);
}

int usleep(useconds_t us)
{
	CHECK("usleep");
	REAL(int, usleep, useconds_t);
	return real_usleep(us);
}

unsigned sleep(unsigned s)
{
	CHECK("sleep");
	REAL(unsigned, sleep, unsigned);
	return real_sleep(s);
}

ssize_t read(int fd, void *b, size_t n)
{
	CHECK("read");
	REAL(ssize_t, read, int, void *, size_t);
	return real_read(fd, b, n);
}

ssize_t write(int fd, const void *b, size_t n)
{
	CHECK("write");
	REAL(ssize_t, write, int, const void *, size_t);
	return real_write(fd, b, n);
}

int open(const char *path, int flags, ...)
{
	CHECK("open");
	va_list ap;
	va_start(ap, flags);
	int mode = va_arg(ap, int);
	va_end(ap);
	REAL(int, open, const char *, int, ...);
	return real_open(path, flags, mode);
}

int close(int fd)
{
	CHECK("close");
	REAL(int, close, int);
	return real_close(fd);
}

ssize_t sendto(int fd, const void *b, size_t n, int f, const struct sockaddr *a, socklen_t l)
{
	CHECK("sendto");
	REAL(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	return real_sendto(fd, b, n, f, a, l);
}

ssize_t recvfrom(int fd, void *b, size_t n, int f, struct sockaddr *a, socklen_t *l)
{
	CHECK("recvfrom");
	REAL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *);
	return real_recvfrom(fd, b, n, f, a, l);
}

int poll(struct pollfd *f, nfds_t n, int t)
{
	CHECK("poll");
	REAL(int, poll, struct pollfd *, nfds_t, int);
	return real_poll(f, n, t);
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
	CHECK("select");
	REAL(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *);
	return real_select(n, r, w, e, t);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	CHECK("vfprintf");
	REAL(int, vfprintf, FILE *, const char *, va_list);
	return real_vfprintf(f, fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
	CHECK("fprintf");
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

int printf(const char *fmt, ...)
{
	CHECK("printf");
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

int puts(const char *s)
{
	CHECK("puts");
	REAL(int, puts, const char *);
	return real_puts(s);
}

size_t fwrite(const void *p, size_t a, size_t b, FILE *f)
{
	CHECK("fwrite");
	REAL(size_t, fwrite, const void *, size_t, size_t, FILE *);
	return real_fwrite(p, a, b, f);
}

FILE *fopen(const char *p, const char *m)
{
	CHECK("fopen");
	REAL(FILE *, fopen, const char *, const char *);
	return real_fopen(p, m);
}
