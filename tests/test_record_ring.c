/* engine/record_ring: whole records, byte for byte and aligned, from one
 * thread to another; a record that does not fit is lost and counted, never
 * half-written; the consumer never sees a record still being written. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "engine/record_ring.h"
#include "tests/check_main.h"

/* A record's bytes: its sequence number, then a pattern of both. */
static void fill(unsigned char *p, size_t bytes, uint32_t seq)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (unsigned char)(seq * 131u + i * 7u + (i >> 8));
}

static size_t size_of(uint32_t seq) { return 1 + (seq * 37u) % 301u; } /* 1..301 bytes, odd and even */

static uint32_t frames_of(uint32_t seq) { return 1 + seq % 64; }

/* Whether a record read is the one the producer made as seq. */
static bool is_record(const unsigned char *out, size_t bytes, uint32_t frames, uint32_t seq)
{
	unsigned char want[512];
	if (bytes != size_of(seq) || frames != frames_of(seq))
		return false;
	fill(want, bytes, seq);
	return memcmp(out, want, bytes) == 0;
}

START_TEST(records_come_out_whole_aligned_and_in_order)
{
	struct record_ring r;
	ck_assert_int_eq(record_ring_init(&r, 1024, 0), 0);
	unsigned char rec[512], want[512];
	int in_place = 0, copied = 0;
	for (uint32_t seq = 0; seq < 2000; seq++) {
		const size_t bytes = size_of(seq);
		fill(rec, bytes, seq);
		ck_assert(record_ring_write_rt(&r, rec, bytes, seq));
		size_t got;
		uint32_t frames;
		const unsigned char *out = record_ring_read(&r, &got, &frames);
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(got, bytes);
		ck_assert_uint_eq(frames, seq);
		ck_assert_uint_eq((uintptr_t)out % RECORD_RING_ALIGN, 0);
		fill(want, bytes, seq);
		ck_assert_msg(memcmp(out, want, bytes) == 0, "record %u", seq);
		if (out == r.copy)
			copied++;
		else
			in_place++;
		record_ring_done(&r);
		ck_assert(record_ring_idle(&r));
	}
	/* both ways of reading were taken: round the end is a copy */
	ck_assert_int_gt(in_place, 1000);
	ck_assert_int_gt(copied, 10);
	ck_assert_uint_eq(record_ring_lost_frames(&r), 0);
	record_ring_free(&r);
}
END_TEST

START_TEST(a_record_that_does_not_fit_is_lost_and_counted)
{
	struct record_ring r;
	ck_assert_int_eq(record_ring_init(&r, 256, 64), 0);
	unsigned char rec[300] = {0};
	/* larger than the ring could ever hold: refused at once */
	ck_assert(!record_ring_begin_rt(&r, 300, 64));
	ck_assert_uint_eq(record_ring_lost_frames(&r), 64);
	/* 100 bytes take 8 + 104 of the ring's 255: two fit, the third is lost */
	ck_assert(record_ring_write_rt(&r, rec, 100, 10));
	ck_assert(record_ring_write_rt(&r, rec, 100, 10));
	ck_assert(!record_ring_write_rt(&r, rec, 100, 10));
	ck_assert_uint_eq(record_ring_lost_frames(&r), 74);
	ck_assert(!record_ring_idle(&r));
	size_t got;
	ck_assert_ptr_nonnull(record_ring_read(&r, &got, NULL));
	/* not given back yet: still no room */
	ck_assert(!record_ring_write_rt(&r, rec, 100, 10));
	record_ring_done(&r);
	ck_assert(record_ring_write_rt(&r, rec, 100, 10));
	/* what a consumer could not use counts too */
	record_ring_count_lost(&r, 5);
	ck_assert_uint_eq(record_ring_lost_frames(&r), 89);
	record_ring_free(&r);
}
END_TEST

START_TEST(a_record_being_written_is_not_read)
{
	struct record_ring r;
	ck_assert_int_eq(record_ring_init(&r, 512, 0), 0);
	const double a[4] = {1.0, 2.0, 3.0, 4.0}, b[3] = {5.0, 6.0, 7.0};
	size_t got;
	ck_assert(record_ring_begin_rt(&r, sizeof a + sizeof b, 64));
	record_ring_put_rt(&r, a, sizeof a);
	ck_assert_ptr_null(record_ring_read(&r, &got, NULL));
	record_ring_put_rt(&r, b, sizeof b);
	record_ring_end_rt(&r);
	const double *out = record_ring_read(&r, &got, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(got, sizeof a + sizeof b);
	for (int i = 0; i < 7; i++)
		ck_assert_double_eq(out[i], (double)(i + 1));
	record_ring_done(&r);
	ck_assert(record_ring_idle(&r));
	record_ring_free(&r);
}
END_TEST

/* Two threads: every record the producer got in arrives whole and in
 * order, and the frames of those it could not write are the ones counted. */
enum { THREADED_RECORDS = 200000 };

struct producer {
	struct record_ring *r;
	uint64_t written_frames, refused_frames;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	unsigned char rec[512];
	for (uint32_t seq = 0; seq < THREADED_RECORDS; seq++) {
		const size_t bytes = size_of(seq);
		fill(rec, bytes, seq);
		const uint32_t frames = frames_of(seq);
		if (record_ring_write_rt(p->r, rec, bytes, frames))
			p->written_frames += frames;
		else
			p->refused_frames += frames;
	}
	return NULL;
}

START_TEST(two_threads_lose_nothing_uncounted)
{
	struct record_ring r;
	ck_assert_int_eq(record_ring_init(&r, 4096, 0), 0);
	struct producer p = {&r, 0, 0};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, produce, &p), 0);
	uint64_t read_frames = 0;
	uint32_t next_seq = 0;
	bool producing = true;
	while (producing || !record_ring_idle(&r)) {
		size_t got;
		uint32_t frames;
		const unsigned char *out = record_ring_read(&r, &got, &frames);
		if (!out) {
			/* once the producer has ended, the loop ends when the ring is drained */
			if (producing)
				producing = pthread_tryjoin_np(t, NULL) != 0;
			continue;
		}
		/* lost records are skipped, never reordered or mangled */
		uint32_t seq = next_seq;
		while (!is_record(out, got, frames, seq)) {
			seq++;
			ck_assert_msg(seq < THREADED_RECORDS, "a record matches none the producer wrote from %u on", next_seq);
		}
		next_seq = seq + 1;
		read_frames += frames;
		record_ring_done(&r);
	}
	ck_assert_uint_eq(read_frames, p.written_frames);
	ck_assert_uint_eq(record_ring_lost_frames(&r), p.refused_frames);
	ck_assert_uint_gt(read_frames, 0);
	record_ring_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_ring");
	TCase *t = tcase_create("core");
	tcase_add_test(t, records_come_out_whole_aligned_and_in_order);
	tcase_add_test(t, a_record_that_does_not_fit_is_lost_and_counted);
	tcase_add_test(t, a_record_being_written_is_not_read);
	tcase_add_test(t, two_threads_lose_nothing_uncounted);
	suite_add_tcase(s, t);
	return run_suite(s);
}
