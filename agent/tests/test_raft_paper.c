// SPDX-License-Identifier: GPL-2.0
/*
 * The Raft paper's rules, one test each, in the manner of etcd's
 * raft_paper_test.go. Each test quotes the sentence it checks: "paper"
 * is Ongaro and Ousterhout, In Search of an Understandable Consensus
 * Algorithm (extended version); "thesis" is Ongaro's dissertation,
 * Consensus: Bridging Theory and Practice.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "raft/raft.h"
#include "tests/sim/raftnet.h"

static struct raftnet *net;

static int setup(void **state)
{
	(void)state;
	net = calloc(1, sizeof(*net));
	return net ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rn_free(net);
	free(net);
	net = NULL;
	return 0;
}

static void three(void)
{
	rn_init(net, 3, 3);
}

/* Forge a message to node `to` as if from `from`. */
static struct raft_msg msg(uint8_t type, uint64_t from, uint64_t to,
			   uint64_t term)
{
	struct raft_msg m = { .type = type, .from = from, .to = to,
			      .term = term };

	return m;
}

/* ---- elections (paper §5.2) ---- */

/* paper §5.2: "When servers start up, they begin as followers." */
static void test_start_as_follower(void **state)
{
	(void)state;
	three();
	for (uint64_t id = 1; id <= 3; id++) {
		assert_int_equal(raft_state(rn(net, id)), RAFT_FOLLOWER);
		assert_int_equal(raft_leader(rn(net, id)), RAFT_NONE);
	}
}

/*
 * paper §5.2: "If a follower receives no communication over a period of
 * time called the election timeout, then it assumes there is no viable
 * leader and begins an election to choose a new leader." With pre-vote
 * (thesis §9.6) it first asks, without touching its term.
 */
static void test_follower_times_out_and_asks(void **state)
{
	(void)state;
	three();
	rn_tick_one(net, 1, 299);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	rn_tick_one(net, 1, 301);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_PRECANDIDATE);
	assert_int_equal(raft_term(rn(net, 1)), 1);
	assert_int_equal(rn_count(net, 1, 2, RAFT_MSG_PREVOTE), 1);
	assert_int_equal(rn_count(net, 1, 3, RAFT_MSG_PREVOTE), 1);
	assert_int_equal(rn_find(net, 1, 2, RAFT_MSG_PREVOTE)->term, 2);
}

/*
 * paper §5.2: "To begin an election, a follower increments its current
 * term and transitions to candidate state. It then votes for itself and
 * issues RequestVote RPCs in parallel to each of the other servers."
 */
static void test_candidate_increments_term_and_votes_for_itself(void **state)
{
	(void)state;
	three();
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_CANDIDATE);
	assert_int_equal(raft_term(rn(net, 1)), 2);
	assert_int_equal(net->node[1].hs.vote, 1);
	assert_int_equal(rn_count(net, 1, 0, RAFT_MSG_VOTE), 2);
}

/*
 * paper §5.2: "A candidate wins an election if it receives votes from a
 * majority of the servers in the full cluster for the same term."
 */
static void test_candidate_wins_with_majority(void **state)
{
	(void)state;
	three();
	net->cut[1][3] = true;	/* 3 never hears: 1's vote and 2's make two */
	rn_elect(net, 1);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	assert_int_equal(raft_leader(rn(net, 2)), 1);
}

/*
 * paper §5.2: "Each server will vote for at most one candidate in a
 * given term, on a first-come-first-served basis."
 */
static void test_one_vote_per_term(void **state)
{
	struct raft_msg v2 = msg(RAFT_MSG_VOTE, 2, 1, 5), v3 = v2;
	struct raft_msg *r;

	(void)state;
	three();
	v2.index = 1;
	v2.log_term = 1;
	v3.from = 3;
	rn_step(net, 1, &v2);
	rn_step(net, 1, &v3);
	r = rn_find(net, 1, 2, RAFT_MSG_VOTE_RESP);
	assert_non_null(r);
	assert_false(r->reject);
	r = rn_find(net, 1, 3, RAFT_MSG_VOTE_RESP);
	assert_non_null(r);
	assert_true(r->reject);
	assert_int_equal(net->node[1].hs.vote, 2);
}

/*
 * paper §5.2: "If the leader's term (included in its RPC) is at least as
 * large as the candidate's current term, then the candidate recognizes
 * the leader as legitimate and returns to follower state."
 */
static void test_candidate_yields_to_leader_of_same_term(void **state)
{
	struct raft_msg a;

	(void)state;
	three();
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_CANDIDATE);
	rn_drop_all(net);
	a = msg(RAFT_MSG_APPEND, 2, 1, raft_term(rn(net, 1)));
	a.index = 1;
	a.log_term = 1;
	rn_step(net, 1, &a);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_leader(rn(net, 1)), 2);
}

/*
 * paper §5.2: "If the term in the RPC is smaller than the candidate's
 * current term, then the candidate rejects the RPC and continues in
 * candidate state."
 */
static void test_candidate_rejects_stale_leader(void **state)
{
	struct raft_msg a, *r;

	(void)state;
	three();
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	rn_drop_all(net);
	a = msg(RAFT_MSG_APPEND, 2, 1, 1);
	rn_step(net, 1, &a);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_CANDIDATE);
	r = rn_find(net, 1, 2, RAFT_MSG_APPEND_RESP);
	assert_non_null(r);
	assert_true(r->reject);
	assert_int_equal(r->term, 2);
}

/*
 * paper §5.2: "When this happens, each candidate will time out and start
 * a new election by incrementing its term and initiating another round
 * of RequestVote RPCs."
 */
static void test_split_vote_times_out_into_new_election(void **state)
{
	(void)state;
	three();
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	rn_drop_all(net);	/* the votes are lost */
	assert_int_equal(raft_term(rn(net, 1)), 2);
	rn_tick_one(net, 1, 1200);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_PRECANDIDATE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_CANDIDATE);
	assert_int_equal(raft_term(rn(net, 1)), 3);
}

/*
 * paper §5.2: "Raft uses randomized election timeouts ... election
 * timeouts are chosen randomly from a fixed interval". Ours: [300, 600)
 * ms (design §5): never earlier, never later, and not all equal.
 */
static void test_election_timeouts_are_randomized(void **state)
{
	uint64_t min = UINT64_MAX, max = 0;

	(void)state;
	for (int i = 0; i < 40; i++) {
		uint64_t t = 0;

		rn_seed(1000 + (uint64_t)i * 7919);
		rn_init(net, 3, 3);
		while (rn_count(net, 2, 0, RAFT_MSG_PREVOTE) == 0 && t < 700) {
			rn_tick_one(net, 2, 1);
			t++;
		}
		assert_true(t >= 300 && t < 600);
		min = t < min ? t : min;
		max = t > max ? t : max;
		rn_free(net);
	}
	assert_true(max - min > 50);
	rn_init(net, 1, 1);
}

/*
 * paper §5.1: "Current terms are exchanged whenever servers communicate;
 * if one server's current term is smaller than the other's, then it
 * updates its current term to the larger value."
 */
static void test_follower_adopts_larger_term(void **state)
{
	struct raft_msg a;

	(void)state;
	three();
	a = msg(RAFT_MSG_APPEND, 2, 1, 7);
	a.index = 1;
	a.log_term = 1;
	rn_step(net, 1, &a);
	assert_int_equal(raft_term(rn(net, 1)), 7);
	assert_int_equal(net->node[1].hs.term, 7);
}

/*
 * paper §5.1: "If a candidate or leader discovers that its term is out of
 * date, it immediately reverts to follower state."
 */
static void test_leader_with_stale_term_steps_down(void **state)
{
	struct raft_msg r;

	(void)state;
	three();
	rn_elect(net, 1);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	r = msg(RAFT_MSG_APPEND_RESP, 2, 1, raft_term(rn(net, 1)) + 1);
	r.reject = true;
	rn_step(net, 1, &r);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_term(rn(net, 1)), 3);
}

/*
 * paper §5.1: "If a server receives a request with a stale term number,
 * it rejects the request."
 */
static void test_stale_request_rejected(void **state)
{
	struct raft_msg a, *r;

	(void)state;
	three();
	rn_elect(net, 1);
	rn_drop_all(net);
	a = msg(RAFT_MSG_APPEND, 3, 2, 1);
	a.index = 1;
	a.log_term = 1;
	a.n_ents = 0;
	rn_step(net, 2, &a);
	r = rn_find(net, 2, 3, RAFT_MSG_APPEND_RESP);
	assert_non_null(r);
	assert_true(r->reject);
	assert_int_equal(r->term, 2);
	assert_int_equal(raft_leader(rn(net, 2)), 1);
}

/*
 * paper §5.4.1: "the voter denies its vote if its own log is more
 * up-to-date than that of the candidate ... If the logs have last entries
 * with different terms, then the log with the later term is more
 * up-to-date. If the logs end with the same term, then whichever log is
 * longer is more up-to-date."
 */
static void test_vote_denied_to_less_up_to_date_log(void **state)
{
	struct raft_msg v, *r;

	(void)state;
	three();
	rn_elect(net, 1);
	rn_propose(net, 1, "x");	/* 2 and 3 now end at (3, term 2) */
	rn_drop_all(net);
	/* same last term, shorter: denied */
	v = msg(RAFT_MSG_VOTE, 3, 2, 9);
	v.index = 2;
	v.log_term = 2;
	v.transfer = true;	/* past the leader's lease */
	rn_step(net, 2, &v);
	r = rn_find(net, 2, 3, RAFT_MSG_VOTE_RESP);
	assert_non_null(r);
	assert_true(r->reject);
	rn_drop_all(net);
	/* later last term although shorter: granted */
	v = msg(RAFT_MSG_VOTE, 3, 2, 10);
	v.index = 1;
	v.log_term = 5;
	v.transfer = true;
	rn_step(net, 2, &v);
	r = rn_find(net, 2, 3, RAFT_MSG_VOTE_RESP);
	assert_non_null(r);
	assert_false(r->reject);
}

/* ---- log replication (paper §5.3) ---- */

/*
 * paper §5.3: "The leader appends the command to its log as a new entry,
 * then issues AppendEntries RPCs in parallel to each of the other
 * servers to replicate the entry."
 */
static void test_leader_replicates_proposal(void **state)
{
	uint64_t idx;
	struct raft_msg *a;

	(void)state;
	three();
	rn_elect(net, 1);
	assert_int_equal(raft_propose(rn(net, 1), "cmd", 3, &idx), 0);
	rn_flush(net, 1);
	assert_int_equal(idx, 3);
	for (uint64_t to = 2; to <= 3; to++) {
		a = rn_find(net, 1, to, RAFT_MSG_APPEND);
		assert_non_null(a);
		assert_int_equal(a->n_ents, 1);
		assert_int_equal(a->ents[0].index, 3);
		assert_memory_equal(a->ents[0].data, "cmd", 3);
	}
}

/*
 * paper §5.3: "A log entry is committed once the leader that created the
 * entry has replicated it on a majority of the servers".
 */
static void test_commit_on_majority(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[1][3] = true;
	assert_int_equal(rn_propose(net, 1, "x"), 3);
	assert_int_equal(raft_commit(rn(net, 1)), 3);
	assert_int_equal(net->node[1].applied[3], 2);
}

/* ... and not before. */
static void test_no_commit_without_majority(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[1][2] = true;
	net->cut[1][3] = true;
	rn_propose(net, 1, "x");
	assert_int_equal(raft_commit(rn(net, 1)), 2);
	assert_int_equal(net->node[1].last_applied, 2);
}

/*
 * paper §5.3: "The leader keeps track of the highest index it knows to be
 * committed, and it includes that index in future AppendEntries RPCs
 * (including heartbeats) so that the other servers eventually find out.
 * Once a follower learns that a log entry is committed, it applies the
 * entry to its local state machine (in log order)."
 */
static void test_followers_learn_commit_and_apply_in_order(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	rn_propose(net, 1, "a");
	rn_propose(net, 1, "b");
	rn_advance(net, 60);	/* a heartbeat carries the commit */
	rn_deliver_all(net);
	for (uint64_t id = 2; id <= 3; id++) {
		assert_int_equal(raft_commit(rn(net, id)), 4);
		assert_int_equal(net->node[id].last_applied, 4);
		assert_int_equal(net->node[id].n_applied, 4);
	}
}

/*
 * paper §5.3: "When sending an AppendEntries RPC, the leader includes the
 * index and term of the entry in its log that immediately precedes the
 * new entries. If the follower does not find an entry in its log with
 * the same index and term, then it refuses the new entries."
 */
static void test_follower_refuses_on_consistency_check(void **state)
{
	struct raft_entry e = { .term = 2, .index = 5, .type = RAFT_ENTRY_NORMAL };
	struct raft_msg a, *r;

	(void)state;
	three();
	a = msg(RAFT_MSG_APPEND, 2, 1, 2);
	a.index = 4;
	a.log_term = 2;
	a.n_ents = 1;
	a.ents = &e;
	rn_step(net, 1, &a);
	r = rn_find(net, 1, 2, RAFT_MSG_APPEND_RESP);
	assert_non_null(r);
	assert_true(r->reject);
	assert_int_equal(r->hint, 1);
	assert_int_equal(raft_last_index(rn(net, 1)), 1);
}

/*
 * paper §5.3: "In Raft, the leader handles inconsistencies by forcing the
 * followers' logs to duplicate its own. This means that conflicting
 * entries in follower logs will be overwritten with entries from the
 * leader's log."
 */
static void test_conflicting_entries_overwritten(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[1][2] = true;
	net->cut[1][3] = true;
	rn_propose(net, 1, "lost-1");
	rn_propose(net, 1, "lost-2");
	assert_int_equal(raft_last_index(rn(net, 1)), 4);
	net->cut[1][2] = false;
	net->cut[1][3] = false;
	net->cut[2][1] = true;
	net->cut[3][1] = true;
	net->cut[1][2] = true;
	net->cut[1][3] = true;
	rn_advance(net, 700);		/* 1 steps down: no quorum */
	rn_drop_all(net);
	memset(net->cut, 0, sizeof(net->cut));
	net->cut[2][1] = true;
	net->cut[1][2] = true;
	rn_elect(net, 2);		/* 2 wins with 3 */
	assert_int_equal(raft_state(rn(net, 2)), RAFT_LEADER);
	rn_propose(net, 2, "kept");
	memset(net->cut, 0, sizeof(net->cut));
	rn_advance(net, 60);
	rn_deliver_all(net);
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_int_equal(raft_last_index(rn(net, 1)), raft_last_index(rn(net, 2)));
	for (uint64_t i = 1; i <= raft_last_index(rn(net, 2)); i++)
		assert_int_equal(raft_term_at(rn(net, 1), i),
				 raft_term_at(rn(net, 2), i));
	assert_memory_equal(raft_entry_at(rn(net, 1), 4)->data, "kept", 4);
}

/*
 * paper §5.3: "After a rejection, the leader decrements nextIndex and
 * retries the AppendEntries RPC." (With the follower's hint it skips
 * straight to the follower's last index.)
 */
static void test_leader_backs_off_after_rejection(void **state)
{
	bool backed_off = false;

	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[1][3] = true;
	for (int i = 0; i < 5; i++)
		rn_propose(net, 1, "x");
	net->cut[1][3] = false;
	raft_propose(rn(net, 1), "y", 1, NULL);	/* 3 lacks 3..7 */
	rn_flush(net, 1);
	for (int i = 0; i < 4; i++) {
		while (net->nq) {
			struct raft_msg *a = rn_find(net, 1, 3, RAFT_MSG_APPEND);

			if (a && a->n_ents && a->index < 7)
				backed_off = true;
			rn_deliver_one(net);
		}
		rn_advance(net, 50);
	}
	assert_true(backed_off);
	assert_int_equal(raft_last_index(rn(net, 3)), 8);
}

/*
 * paper §5.3: "When a leader first comes to power, it initializes all
 * nextIndex values to the index just after the last one in its log".
 */
static void test_new_leader_starts_next_after_its_log(void **state)
{
	struct raft_msg *a;

	(void)state;
	three();
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	rn_deliver_type(net, RAFT_MSG_VOTE);
	rn_deliver_type(net, RAFT_MSG_VOTE_RESP);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	a = rn_find(net, 1, 2, RAFT_MSG_APPEND);
	assert_non_null(a);
	assert_int_equal(a->index, 1);	/* its last before the no-op */
}

/*
 * paper §8: "the Leader Completeness Property guarantees that a leader
 * has all committed entries, but at the start of its term, it may not
 * know which those are. To find out, it needs to commit an entry from
 * its term. Raft handles this by having each leader commit a blank no-op
 * entry into the log at the start of its term."
 */
static void test_leader_appends_noop(void **state)
{
	const struct raft_entry *e;

	(void)state;
	three();
	rn_elect(net, 1);
	e = raft_entry_at(rn(net, 1), 2);
	assert_non_null(e);
	assert_int_equal(e->term, 2);
	assert_int_equal(e->len, 0);
	assert_int_equal(raft_commit(rn(net, 1)), 2);
}

/*
 * paper §5.4.2: "Raft never commits log entries from previous terms by
 * counting replicas. Only log entries from the leader's current term are
 * committed by counting replicas". Figure 8: an old-term entry on a
 * majority is not committed until an entry of the current term is.
 */
static void test_figure8_old_term_not_committed_by_counting(void **state)
{
	(void)state;
	rn_init(net, 5, 5);
	rn_elect(net, 1);		/* term 2, no-op at 2 */
	/* index 3 (term 2) reaches only 2 */
	for (uint64_t id = 3; id <= 5; id++)
		net->cut[1][id] = true;
	rn_propose(net, 1, "old");
	assert_int_equal(raft_term_at(rn(net, 2), 3), 2);
	/* everyone is cut off: 1 steps down, nobody else wins */
	memset(net->cut, 1, sizeof(net->cut));
	for (int i = 0; i < 16; i++) {
		rn_advance(net, 50);
		rn_drop_all(net);
	}
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	/* only 1's vote requests get through; its appends do not */
	memset(net->cut, 0, sizeof(net->cut));
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	rn_deliver_type(net, RAFT_MSG_VOTE);
	rn_deliver_type(net, RAFT_MSG_VOTE_RESP);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	rn_drop_all(net);
	/* 3 learns index 3 (term 2) but not the new no-op (index 4) */
	{
		const struct raft_entry *e = raft_entry_at(rn(net, 1), 3);
		struct raft_entry copy = *e;
		struct raft_msg a = msg(RAFT_MSG_APPEND, 1, 3, raft_term(rn(net, 1)));
		struct raft_msg *r;

		a.index = 2;
		a.log_term = 2;
		a.n_ents = 1;
		a.ents = &copy;
		rn_step(net, 3, &a);
		r = rn_find(net, 3, 1, RAFT_MSG_APPEND_RESP);
		assert_non_null(r);
		assert_false(r->reject);
		rn_deliver_type(net, RAFT_MSG_APPEND_RESP);
		/* and 2, which has had it all along, says so */
		a.to = 2;
		a.index = 3;
		a.n_ents = 0;
		rn_step(net, 2, &a);
		r = rn_find(net, 2, 1, RAFT_MSG_APPEND_RESP);
		assert_non_null(r);
		assert_false(r->reject);
		rn_deliver_type(net, RAFT_MSG_APPEND_RESP);
		assert_int_equal(raft_match_of(rn(net, 1), 2), 3);
		assert_int_equal(raft_match_of(rn(net, 1), 3), 3);
	}
	/* index 3 is on 1, 2 and 3: a majority, but of an older term */
	assert_int_equal(raft_commit(rn(net, 1)), 2);
}

/*
 * paper §5.5: "Raft RPCs are idempotent, so this causes no harm. For
 * example, if a follower receives an AppendEntries request that includes
 * log entries already present in its log, it ignores those entries in
 * the new request."
 */
static void test_duplicate_append_is_harmless(void **state)
{
	struct raft_msg *a, copy;

	(void)state;
	three();
	rn_elect(net, 1);
	raft_propose(rn(net, 1), "x", 1, NULL);
	rn_flush(net, 1);
	a = rn_find(net, 1, 2, RAFT_MSG_APPEND);
	copy = *a;
	rn_step(net, 2, &copy);
	rn_step(net, 2, &copy);
	assert_int_equal(raft_last_index(rn(net, 2)), 3);
	rn_deliver_all(net);
	assert_int_equal(raft_last_index(rn(net, 2)), 3);
	assert_int_equal(raft_commit(rn(net, 1)), 3);
}

/*
 * paper §5.2: "Leaders send periodic heartbeats (AppendEntries RPCs that
 * carry no log entries) to all followers in order to maintain their
 * authority."
 */
static void test_leader_sends_heartbeats(void **state)
{
	struct raft_msg *h;

	(void)state;
	three();
	rn_elect(net, 1);
	rn_advance(net, 50);
	h = rn_find(net, 1, 2, RAFT_MSG_APPEND);
	assert_non_null(h);
	assert_int_equal(h->n_ents, 0);
	assert_true(h->heartbeat);
	assert_int_equal(rn_count(net, 1, 3, RAFT_MSG_APPEND), 1);
	/* and followers under a leader do not start elections */
	for (int i = 0; i < 40; i++) {
		rn_advance(net, 50);
		rn_deliver_all(net);
	}
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	assert_int_equal(raft_term(rn(net, 2)), 2);
}

/* ---- pre-vote, check-quorum, leader stickiness (thesis §9.6) ---- */

/*
 * thesis §9.6: "a candidate only increments its term if it first learns
 * from a majority of the cluster that they would be willing to grant the
 * candidate their votes".
 */
static void test_prevote_denied_keeps_term(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	rn_propose(net, 1, "x");
	/* 3 is partitioned and times out again and again */
	net->cut[3][1] = true;
	net->cut[3][2] = true;
	net->cut[1][3] = true;
	net->cut[2][3] = true;
	for (int i = 0; i < 10; i++)
		rn_tick_one(net, 3, 700);
	assert_int_equal(raft_term(rn(net, 3)), 2);
	/* back in the cluster it disrupts nothing */
	memset(net->cut, 0, sizeof(net->cut));
	rn_deliver_all(net);
	rn_advance(net, 50);
	rn_deliver_all(net);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	assert_int_equal(raft_term(rn(net, 1)), 2);
}

/*
 * thesis §4.2.3: "if a server receives a RequestVote request within the
 * minimum election timeout of hearing from a current leader, it does not
 * update its term or grant its vote."
 */
static void test_vote_ignored_within_lease(void **state)
{
	struct raft_msg v;

	(void)state;
	three();
	rn_elect(net, 1);
	rn_drop_all(net);
	v = msg(RAFT_MSG_VOTE, 3, 2, 9);
	v.index = 100;
	v.log_term = 9;
	rn_step(net, 2, &v);
	assert_int_equal(raft_term(rn(net, 2)), 2);
	assert_int_equal(rn_count(net, 2, 3, RAFT_MSG_VOTE_RESP), 0);
	/* past the lease it would */
	rn_tick_one(net, 2, 0);
	net->now += 300;
	rn_step(net, 2, &v);
	assert_int_equal(raft_term(rn(net, 2)), 9);
}

/*
 * thesis §6.2: "a leader steps down if an election timeout elapses
 * without a successful round of heartbeats to a majority of its
 * cluster".
 */
static void test_check_quorum_steps_down(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[2][1] = true;
	net->cut[3][1] = true;
	for (int i = 0; i < 14; i++) {
		rn_advance(net, 50);
		rn_drop_all(net);
	}
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_propose(rn(net, 1), "x", 1, NULL), -EPERM);
}

/*
 * design §5: the election timeout is "never below ten times the smoothed
 * round-trip time to the leader (so meshes spanning continents do not
 * flap)".
 */
static void test_election_timeout_floor_from_rtt(void **state)
{
	struct raft_msg a;

	(void)state;
	three();
	a = msg(RAFT_MSG_APPEND, 2, 1, 2);
	a.index = 1;
	a.log_term = 1;
	a.rtt_ms = 100;
	rn_step(net, 1, &a);
	assert_int_equal(raft_leader_rtt_ms(rn(net, 1)), 100);
	rn_tick_one(net, 1, 999);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	rn_tick_one(net, 1, 1001);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_PRECANDIDATE);
}

/* ---- membership (thesis chapter 4) ---- */

/*
 * thesis §4.2.1: "the new server joins the cluster as a non-voting
 * member. The leader replicates log entries to it, but it is not yet
 * counted towards majorities for purposes of voting or commitment."
 */
static void test_learner_replicates_but_does_not_count(void **state)
{
	uint64_t idx;

	(void)state;
	rn_init(net, 1, 2);
	rn_elect(net, 1);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER,
					   2, &idx), 0);
	rn_flush(net, 1);
	rn_deliver_all(net);
	assert_int_equal(raft_role_of(rn(net, 1), 2), RAFT_LEARNER);
	net->cut[2][1] = true;		/* its acks never arrive */
	rn_propose(net, 1, "x");
	assert_int_equal(raft_commit(rn(net, 1)), raft_last_index(rn(net, 1)));
	net->cut[2][1] = false;
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_int_equal(raft_last_index(rn(net, 2)), raft_last_index(rn(net, 1)));
	/* and it never campaigns */
	net->cut[1][2] = true;
	for (int i = 0; i < 5; i++)
		rn_tick_one(net, 2, 700);
	assert_int_equal(raft_state(rn(net, 2)), RAFT_FOLLOWER);
	assert_int_equal(raft_campaign(rn(net, 2)), -EPERM);
}

/*
 * thesis §4.1: "the leader ... cannot start a new configuration change
 * until the previous one is committed" and (Ongaro's 2015 erratum) a
 * leader may not append a configuration entry until it has committed an
 * entry from its current term.
 */
static void test_one_conf_change_at_a_time(void **state)
{
	uint64_t idx;

	(void)state;
	rn_init(net, 3, 5);
	rn_elect(net, 1);
	net->cut[1][2] = true;
	net->cut[1][3] = true;
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER,
					   4, &idx), 0);
	rn_flush(net, 1);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER,
					   5, &idx), -EBUSY);
	memset(net->cut, 0, sizeof(net->cut));
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_int_equal(raft_role_of(rn(net, 1), 4), RAFT_LEARNER);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER,
					   5, &idx), 0);
}

static void test_no_conf_change_before_term_commit(void **state)
{
	(void)state;
	rn_init(net, 3, 4);
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	rn_deliver_type(net, RAFT_MSG_VOTE);
	rn_deliver_type(net, RAFT_MSG_VOTE_RESP);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	/* its no-op is not committed yet */
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER,
					   4, NULL), -EBUSY);
	rn_deliver_all(net);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER,
					   4, NULL), 0);
}

/* A promoted learner counts; the last voter cannot be removed. */
static void test_promote_counts_and_last_voter_stays(void **state)
{
	(void)state;
	rn_init(net, 1, 2);
	rn_elect(net, 1);
	raft_propose_conf(rn(net, 1), RAFT_CONF_ADD_LEARNER, 2, NULL);
	rn_flush(net, 1);
	rn_deliver_all(net);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_PROMOTE, 2,
					   NULL), 0);
	rn_flush(net, 1);
	rn_deliver_all(net);
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_int_equal(raft_role_of(rn(net, 1), 2), RAFT_VOTER);
	net->cut[2][1] = true;
	rn_propose(net, 1, "needs-two");
	assert_true(raft_commit(rn(net, 1)) < raft_last_index(rn(net, 1)));
	net->cut[2][1] = false;
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_int_equal(raft_commit(rn(net, 1)), raft_last_index(rn(net, 1)));
	/* demote 2, then the last voter (1) cannot go */
	raft_propose_conf(rn(net, 1), RAFT_CONF_DEMOTE, 2, NULL);
	rn_flush(net, 1);
	rn_deliver_all(net);
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_int_equal(raft_role_of(rn(net, 1), 2), RAFT_LEARNER);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_REMOVE, 1,
					   NULL), -EINVAL);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_DEMOTE, 1,
					   NULL), -EINVAL);
}

/*
 * thesis §4.2.2: "the leader steps down (returns to follower state) once
 * the Cnew entry is committed" (when it is not part of Cnew); ours hands
 * off to the most up-to-date voter.
 */
static void test_removed_leader_steps_down_and_hands_off(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	assert_int_equal(raft_propose_conf(rn(net, 1), RAFT_CONF_REMOVE, 1,
					   NULL), 0);
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_APPEND);
	rn_deliver_type(net, RAFT_MSG_APPEND_RESP);
	assert_int_not_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	assert_int_equal(rn_count(net, 1, 0, RAFT_MSG_TIMEOUT_NOW), 1);
	rn_deliver_all(net);
	rn_advance(net, 60);
	rn_deliver_all(net);
	assert_true(raft_state(rn(net, 2)) == RAFT_LEADER ||
		    raft_state(rn(net, 3)) == RAFT_LEADER);
	assert_int_equal(raft_role_of(rn(net, 2), 1), 0);
}

/* ---- leadership transfer (thesis §3.10) ---- */

/*
 * thesis §3.10: "The prior leader stops accepting new client requests
 * ... [it] sends it a TimeoutNow request. This request has the same
 * effect as the target server's election timer firing: the target
 * server starts a new election".
 */
static void test_transfer_moves_leadership(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	rn_propose(net, 1, "x");
	assert_int_equal(raft_transfer(rn(net, 1), 3), 0);
	assert_int_equal(raft_propose(rn(net, 1), "y", 1, NULL), -EBUSY);
	rn_flush(net, 1);
	rn_deliver_all(net);
	assert_int_equal(raft_state(rn(net, 3)), RAFT_LEADER);
	assert_int_equal(raft_state(rn(net, 1)), RAFT_FOLLOWER);
	assert_int_equal(raft_leader(rn(net, 2)), 3);
}

/*
 * thesis §3.10: "If the transfer does not complete within about one
 * election timeout, the prior leader aborts the transfer and resumes
 * accepting client requests."
 */
static void test_transfer_aborts_after_election_timeout(void **state)
{
	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[1][3] = true;
	rn_propose(net, 1, "behind");	/* 3 lags: no TimeoutNow yet */
	assert_int_equal(raft_transfer(rn(net, 1), 3), 0);
	rn_flush(net, 1);
	rn_drop_all(net);
	assert_int_equal(raft_propose(rn(net, 1), "y", 1, NULL), -EBUSY);
	for (int i = 0; i < 7; i++) {
		rn_advance(net, 50);
		rn_deliver_all(net);
	}
	assert_int_equal(raft_state(rn(net, 1)), RAFT_LEADER);
	assert_int_equal(raft_propose(rn(net, 1), "y", 1, NULL), 0);
}

/* ---- snapshots (paper §7) ---- */

/*
 * paper §7: "the leader must occasionally send snapshots to followers
 * that lag behind. This happens when the leader has already discarded
 * the next log entry that it needs to send to a follower." And the
 * snapshot travels in chunks ("offset ... data: raw bytes of the
 * snapshot chunk, starting at offset").
 */
static void test_lagging_follower_gets_snapshot_in_chunks(void **state)
{
	static uint8_t big[200000];

	(void)state;
	three();
	rn_elect(net, 1);
	net->cut[1][3] = true;
	for (int i = 0; i < 300; i++)
		rn_propose(net, 1, "entry");
	memset(big, 0xab, sizeof(big));
	assert_int_equal(raft_snapshot(rn(net, 1), raft_applied(rn(net, 1)),
				       big, sizeof(big)), 0);
	rn_flush(net, 1);
	assert_null(raft_entry_at(rn(net, 1), 10));
	net->cut[1][3] = false;
	for (int i = 0; i < 20; i++) {
		rn_advance(net, 50);
		rn_deliver_all(net);
	}
	assert_true(net->node[3].installed);
	assert_int_equal(raft_last_index(rn(net, 3)), raft_last_index(rn(net, 1)));
	assert_int_equal(raft_commit(rn(net, 3)), raft_commit(rn(net, 1)));
}

/*
 * paper §7: "If instead the follower receives a snapshot that describes a
 * prefix of its log ... entries following the snapshot are still valid
 * and must be retained."
 */
static void test_snapshot_of_prefix_keeps_log(void **state)
{
	struct raft_msg s;

	(void)state;
	three();
	rn_elect(net, 1);
	rn_propose(net, 1, "a");
	rn_propose(net, 1, "b");
	rn_drop_all(net);
	s = msg(RAFT_MSG_SNAPSHOT, 1, 2, 2);
	s.snap_index = 3;
	s.snap_term = 2;
	s.total = 4;
	s.chunk_len = 4;
	s.chunk = (uint8_t *)"\0\0\0\0";
	rn_step(net, 2, &s);
	assert_false(net->node[2].installed);
	assert_int_equal(raft_last_index(rn(net, 2)), 4);
	assert_non_null(raft_entry_at(rn(net, 2), 4));
}

/* A chunk out of order is refused with the offset the follower holds. */
static void test_snapshot_chunk_out_of_order_refused(void **state)
{
	struct raft_msg s, *r;
	uint8_t buf[64] = { 0 };

	(void)state;
	three();
	s = msg(RAFT_MSG_SNAPSHOT, 2, 1, 2);
	s.snap_index = 50;
	s.snap_term = 2;
	s.total = 64;
	s.offset = 32;
	s.chunk_len = 32;
	s.chunk = buf;
	rn_step(net, 1, &s);
	r = rn_find(net, 1, 2, RAFT_MSG_SNAPSHOT_RESP);
	assert_non_null(r);
	assert_true(r->reject);
	assert_int_equal(r->offset, 0);
	assert_false(net->node[1].installed);
}

/* ---- linearizable reads (thesis §6.4) ---- */

/*
 * thesis §6.4: "the leader ... records its current commit index in a
 * local variable readIndex ... sends ... heartbeats ... once it receives
 * acknowledgments from a majority of the cluster, it knows it was still
 * the leader". And before that, "it needs to commit an entry from its
 * term".
 */
static void test_read_index_needs_quorum_ack(void **state)
{
	(void)state;
	three();
	raft_campaign(rn(net, 1));
	rn_flush(net, 1);
	rn_deliver_type(net, RAFT_MSG_PREVOTE);
	rn_deliver_type(net, RAFT_MSG_PREVOTE_RESP);
	rn_deliver_type(net, RAFT_MSG_VOTE);
	rn_deliver_type(net, RAFT_MSG_VOTE_RESP);
	assert_int_equal(raft_read_index(rn(net, 1), 7), -EBUSY);
	rn_deliver_all(net);
	net->cut[2][1] = true;
	net->cut[3][1] = true;
	assert_int_equal(raft_read_index(rn(net, 1), 7), 0);
	rn_flush(net, 1);
	rn_deliver_all(net);
	assert_int_equal(net->node[1].n_reads, 0);
	memset(net->cut, 0, sizeof(net->cut));
	assert_int_equal(raft_read_index(rn(net, 1), 8), 0);
	rn_flush(net, 1);
	rn_deliver_all(net);
	assert_true(net->node[1].n_reads >= 1);
	assert_int_equal(net->node[1].reads[net->node[1].n_reads - 1].ctx, 8);
	assert_int_equal(net->node[1].reads[0].index, raft_commit(rn(net, 1)));
	assert_int_equal(raft_read_index(rn(net, 2), 9), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_start_as_follower),
		T(test_follower_times_out_and_asks),
		T(test_candidate_increments_term_and_votes_for_itself),
		T(test_candidate_wins_with_majority),
		T(test_one_vote_per_term),
		T(test_candidate_yields_to_leader_of_same_term),
		T(test_candidate_rejects_stale_leader),
		T(test_split_vote_times_out_into_new_election),
		T(test_election_timeouts_are_randomized),
		T(test_follower_adopts_larger_term),
		T(test_leader_with_stale_term_steps_down),
		T(test_stale_request_rejected),
		T(test_vote_denied_to_less_up_to_date_log),
		T(test_leader_replicates_proposal),
		T(test_commit_on_majority),
		T(test_no_commit_without_majority),
		T(test_followers_learn_commit_and_apply_in_order),
		T(test_follower_refuses_on_consistency_check),
		T(test_conflicting_entries_overwritten),
		T(test_leader_backs_off_after_rejection),
		T(test_new_leader_starts_next_after_its_log),
		T(test_leader_appends_noop),
		T(test_figure8_old_term_not_committed_by_counting),
		T(test_duplicate_append_is_harmless),
		T(test_leader_sends_heartbeats),
		T(test_prevote_denied_keeps_term),
		T(test_vote_ignored_within_lease),
		T(test_check_quorum_steps_down),
		T(test_election_timeout_floor_from_rtt),
		T(test_learner_replicates_but_does_not_count),
		T(test_one_conf_change_at_a_time),
		T(test_no_conf_change_before_term_commit),
		T(test_promote_counts_and_last_voter_stays),
		T(test_removed_leader_steps_down_and_hands_off),
		T(test_transfer_moves_leadership),
		T(test_transfer_aborts_after_election_timeout),
		T(test_lagging_follower_gets_snapshot_in_chunks),
		T(test_snapshot_of_prefix_keeps_log),
		T(test_snapshot_chunk_out_of_order_refused),
		T(test_read_index_needs_quorum_ack),
#undef T
	};

	return cmocka_run_group_tests_name("raft_paper", tests, NULL, NULL);
}
