// SPDX-License-Identifier: GPL-2.0
/*
 * The Raft core (see raft.h for the contract). Sentences of the Raft
 * paper and dissertation that a rule implements are quoted in
 * agent/tests/test_raft_paper.c, which checks them.
 *
 * Test-only defines MUTANT_* switch on known bugs so that the simulator
 * can prove it catches them (make sim-mutants); production builds never
 * set them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raft/conf.h"
#include "raft/raft.h"

enum pr_state { PR_PROBE, PR_REPLICATE, PR_SNAPSHOT };

/* What the leader knows of one member (and a candidate of its vote). */
struct progress {
	uint64_t id;
	uint8_t role;
	uint8_t state;		/* enum pr_state */
	uint8_t vote;		/* 0: none yet, 1: granted, 2: rejected */
	bool active;		/* heard from since the last quorum check */
	bool probe_sent;	/* probe in flight: wait for its answer */
	uint64_t match, next;
	uint64_t acked_seq;	/* newest heartbeat round answered */
	uint64_t hb_match;	/* match at the previous heartbeat */
	uint64_t snap_index;	/* snapshot being sent */
	uint64_t snap_offset;	/* bytes of it the follower holds */
	uint32_t srtt_ms;
};

struct pending_read {
	uint64_t ctx, index, seq;
};

struct snap_rx {
	uint64_t index, term, total, got;
	uint8_t *buf;
};

struct raft {
	struct raft_cfg cfg;
	enum raft_state state;
	uint64_t term, vote, leader, commit, applied;
	struct raft_hardstate saved;	/* as last handed out to persist */

	/* The log: entries [first, first + n), term of first - 1. */
	struct raft_entry *log;
	size_t n, cap;
	uint64_t first, prev_term;
	uint64_t stable;	/* handed out to persist up to here */
	uint64_t persisted;	/* durable and matching memory up to here */

	struct raft_snapshot snap;	/* index 0: none */
	uint8_t *snap_wire;		/* u32 conf_len, conf, data */
	uint64_t snap_wire_len;
	bool snap_unsaved, snap_install;
	struct snap_rx rx;

	struct raft_conf conf;		/* committed membership */
	struct progress *prs;		/* parallel to conf.members */
	uint64_t pending_conf;		/* newest conf entry index */

	uint64_t now, election_deadline, last_leader_contact;
	uint64_t hb_due, cq_due, transfer_deadline;
	uint32_t leader_rtt;
	uint64_t transferee;
	uint64_t term_start;		/* leader: index of its no-op */
	uint64_t hb_seq;

	struct pending_read *reads;
	size_t n_reads, cap_reads;
	struct raft_read *done_reads;
	size_t n_done, cap_done;

	struct raft_msg *msgs;
	size_t n_msgs, cap_msgs;
	int err;			/* sticky -ENOMEM while stepping */
	bool in_ready;
};

const char *raft_state_name(enum raft_state s)
{
	switch (s) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRECANDIDATE:
		return "pre-candidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	}
	return "unknown";
}

void raft_cfg_defaults(struct raft_cfg *cfg, uint64_t id)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->id = id;
	cfg->heartbeat_ms = 50;
	cfg->election_ms = 300;
	cfg->max_append_entries = 64;
	cfg->max_append_bytes = 256 * 1024;
	cfg->max_inflight = 16;
	cfg->snapshot_chunk = 64 * 1024;
	cfg->keep_trailing = 128;
}

/* ---- the log ---- */

static uint64_t last_index(const struct raft *r)
{
	return r->first + r->n - 1;
}

uint64_t raft_term_at(const struct raft *r, uint64_t i)
{
	if (i == 0)
		return 0;
	if (i == r->first - 1)
		return r->prev_term;
	if (i >= r->first && i <= last_index(r))
		return r->log[i - r->first].term;
	if (i == r->snap.index)
		return r->snap.term;
	return 0;
}

static uint64_t last_term(const struct raft *r)
{
	return raft_term_at(r, last_index(r));
}

const struct raft_entry *raft_entry_at(const struct raft *r, uint64_t i)
{
	if (i < r->first || i > last_index(r))
		return NULL;
	return &r->log[i - r->first];
}

static int log_append(struct raft *r, uint64_t term, uint8_t type,
		      const void *data, uint32_t len)
{
	struct raft_entry *e;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;

		e = realloc(r->log, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		r->log = e;
		r->cap = cap;
	}
	e = &r->log[r->n];
	memset(e, 0, sizeof(*e));
	if (len) {
		e->data = malloc(len);
		if (!e->data)
			return -ENOMEM;
		memcpy(e->data, data, len);
	}
	e->term = term;
	e->index = last_index(r) + 1;
	e->type = type;
	e->len = len;
	r->n++;
	return 0;
}

/* Drop entries from index i on. */
static void log_truncate(struct raft *r, uint64_t i)
{
	while (r->n && last_index(r) >= i) {
		free(r->log[r->n - 1].data);
		r->n--;
	}
	if (r->stable >= i)
		r->stable = i - 1;
	if (r->persisted >= i)
		r->persisted = i - 1;
	if (r->pending_conf >= i)
		r->pending_conf = i - 1;
}

/* Drop entries before index i (they are in the snapshot). */
static void log_compact(struct raft *r, uint64_t i)
{
	size_t k;

	if (i <= r->first)
		return;
	if (i > last_index(r) + 1)
		i = last_index(r) + 1;
	k = i - r->first;
	r->prev_term = raft_term_at(r, i - 1);
	for (size_t j = 0; j < k; j++)
		free(r->log[j].data);
	memmove(r->log, r->log + k, (r->n - k) * sizeof(*r->log));
	r->n -= k;
	r->first = i;
}

static void log_reset(struct raft *r, uint64_t after, uint64_t term)
{
	log_truncate(r, r->first);
	r->first = after + 1;
	r->prev_term = term;
	r->stable = after;
	r->persisted = after;
}

/* ---- messages ---- */

static struct raft_msg *msg_new(struct raft *r, uint8_t type, uint64_t to)
{
	struct raft_msg *m;

	if (r->n_msgs == r->cap_msgs) {
		size_t cap = r->cap_msgs ? r->cap_msgs * 2 : 16;

		m = realloc(r->msgs, cap * sizeof(*m));
		if (!m) {
			r->err = -ENOMEM;
			return NULL;
		}
		r->msgs = m;
		r->cap_msgs = cap;
	}
	m = &r->msgs[r->n_msgs++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = r->cfg.id;
	m->to = to;
	m->term = r->term;
	/* Answers and votes speak for durable state; see raft.h. */
	m->after_persist = type != RAFT_MSG_APPEND &&
			   type != RAFT_MSG_SNAPSHOT &&
			   type != RAFT_MSG_TIMEOUT_NOW &&
			   type != RAFT_MSG_PREVOTE;
#ifdef MUTANT_ACK_BEFORE_PERSIST
	if (type == RAFT_MSG_APPEND_RESP)
		m->after_persist = false;
#endif
	return m;
}

/* ---- membership and progress ---- */

static struct progress *pr_of(const struct raft *r, uint64_t id)
{
	int i = raft_conf_find(&r->conf, id);

	return i < 0 ? NULL : &r->prs[i];
}

static bool is_voter(const struct raft *r, uint64_t id)
{
	struct progress *pr = pr_of(r, id);

	return pr && pr->role == RAFT_VOTER;
}

static uint32_t quorum(const struct raft *r)
{
	return raft_conf_voters(&r->conf) / 2 + 1;
}

static void pr_reset(struct raft *r, struct progress *pr)
{
	uint64_t id = pr->id;
	uint8_t role = pr->role;

	memset(pr, 0, sizeof(*pr));
	pr->id = id;
	pr->role = role;
	pr->next = last_index(r) + 1;
	pr->active = true;
	if (id == r->cfg.id)
		pr->match = r->persisted;
}

/* Rebuild prs for r->conf, keeping what we knew of members that stay. */
static int prs_rebuild(struct raft *r, struct progress *old, uint32_t old_n)
{
	struct progress *prs = NULL;
	uint32_t i, j;

	if (r->conf.n) {
		prs = calloc(r->conf.n, sizeof(*prs));
		if (!prs)
			return -ENOMEM;
	}
	for (i = 0; i < r->conf.n; i++) {
		prs[i].id = r->conf.members[i].id;
		prs[i].role = r->conf.members[i].role;
		for (j = 0; j < old_n; j++) {
			if (old[j].id == prs[i].id) {
				uint8_t role = prs[i].role;

				prs[i] = old[j];
				prs[i].role = role;
				break;
			}
		}
		if (j == old_n)
			pr_reset(r, &prs[i]);
	}
	free(r->prs);
	r->prs = prs;
	return 0;
}

/* ---- timers ---- */

static uint32_t election_base(const struct raft *r)
{
	uint64_t floor = (uint64_t)r->leader_rtt * 10;

	return floor > r->cfg.election_ms ? (uint32_t)floor : r->cfg.election_ms;
}

static void reset_election_timer(struct raft *r)
{
	uint32_t base = election_base(r);

	r->election_deadline = r->now + base + r->cfg.rand(r->cfg.rand_ctx) % base;
}

static bool in_lease(const struct raft *r)
{
#ifdef MUTANT_VOTE_IN_LEASE
	return false;
#endif
	if (r->state == RAFT_LEADER)
		return true;
	return r->leader != RAFT_NONE &&
	       r->now < r->last_leader_contact + election_base(r);
}

/* ---- state transitions ---- */

static void drop_reads(struct raft *r)
{
	r->n_reads = 0;
}

static void become_follower(struct raft *r, uint64_t term, uint64_t leader)
{
	if (term > r->term) {
		r->term = term;
		r->vote = RAFT_NONE;
	}
	r->state = RAFT_FOLLOWER;
	r->leader = leader;
	r->transferee = RAFT_NONE;
	drop_reads(r);
	reset_election_timer(r);
}

static void send_append(struct raft *r, struct progress *pr, bool heartbeat);
static void commit_to(struct raft *r, uint64_t index);

static void bcast_append(struct raft *r, bool heartbeat)
{
	for (uint32_t i = 0; i < r->conf.n; i++) {
		struct progress *pr = &r->prs[i];

		if (pr->id == r->cfg.id)
			continue;
		/*
		 * Appends outstanding and no ack for a whole heartbeat
		 * interval: they were lost. Probe again from the match.
		 */
		if (heartbeat && pr->state == PR_REPLICATE &&
		    pr->next - 1 > pr->match && pr->match == pr->hb_match) {
			pr->state = PR_PROBE;
			pr->next = pr->match + 1;
			pr->probe_sent = false;
		}
		if (heartbeat)
			pr->hb_match = pr->match;
		send_append(r, pr, heartbeat);
	}
}

static void become_leader(struct raft *r)
{
	r->state = RAFT_LEADER;
	r->leader = r->cfg.id;
	r->transferee = RAFT_NONE;
	for (uint32_t i = 0; i < r->conf.n; i++)
		pr_reset(r, &r->prs[i]);
	/* Whatever conf entry is uncommitted stays pending until commit. */
	r->pending_conf = last_index(r);
	if (log_append(r, r->term, RAFT_ENTRY_NORMAL, NULL, 0)) {
		r->err = -ENOMEM;
		return;
	}
	r->term_start = last_index(r);
	r->hb_due = r->now + r->cfg.heartbeat_ms;
	r->cq_due = r->now + r->cfg.election_ms;
	bcast_append(r, false);
}

static void send_votes(struct raft *r, uint8_t type, uint64_t term,
		       bool transfer)
{
	for (uint32_t i = 0; i < r->conf.n; i++) {
		struct progress *pr = &r->prs[i];
		struct raft_msg *m;

		if (pr->id == r->cfg.id || pr->role != RAFT_VOTER)
			continue;
		m = msg_new(r, type, pr->id);
		if (!m)
			return;
		m->term = term;
		m->index = last_index(r);
		m->log_term = last_term(r);
		m->transfer = transfer;
	}
}

/* Count votes: 1 won, -1 lost, 0 open. */
static int tally(const struct raft *r)
{
	uint32_t yes = 0, no = 0, q = quorum(r);

	for (uint32_t i = 0; i < r->conf.n; i++) {
		if (r->prs[i].role != RAFT_VOTER)
			continue;
		yes += r->prs[i].vote == 1;
		no += r->prs[i].vote == 2;
	}
	if (yes >= q)
		return 1;
	if (no >= q)
		return -1;
	return 0;
}

static void clear_votes(struct raft *r)
{
	for (uint32_t i = 0; i < r->conf.n; i++)
		r->prs[i].vote = 0;
	pr_of(r, r->cfg.id)->vote = 1;
}

static void become_candidate(struct raft *r, bool transfer)
{
	r->state = RAFT_CANDIDATE;
	r->term++;
	r->vote = r->cfg.id;
	r->leader = RAFT_NONE;
	drop_reads(r);
	reset_election_timer(r);
	clear_votes(r);
	if (tally(r) > 0) {
		become_leader(r);
		return;
	}
	send_votes(r, RAFT_MSG_VOTE, r->term, transfer);
}

static void campaign(struct raft *r, bool transfer)
{
	if (!is_voter(r, r->cfg.id))
		return;
	if (transfer) {
		become_candidate(r, true);
		return;
	}
	/* Pre-vote: ask first, without disturbing anyone's term. */
	r->state = RAFT_PRECANDIDATE;
	r->leader = RAFT_NONE;
	drop_reads(r);
	reset_election_timer(r);
	clear_votes(r);
	if (tally(r) > 0) {
		become_candidate(r, false);
		return;
	}
	send_votes(r, RAFT_MSG_PREVOTE, r->term + 1, false);
}

int raft_campaign(struct raft *r)
{
	if (!is_voter(r, r->cfg.id))
		return -EPERM;
	if (r->state == RAFT_LEADER)
		return 0;
	r->err = 0;
	campaign(r, false);
	return r->err;
}

/* ---- replication (leader) ---- */

static void send_snapshot_chunk(struct raft *r, struct progress *pr)
{
	uint64_t off = pr->snap_offset, left;
	struct raft_msg *m;

	if (pr->snap_index != r->snap.index) {
		pr->snap_index = r->snap.index;
		pr->snap_offset = 0;
		off = 0;
	}
	left = r->snap_wire_len - off;
	m = msg_new(r, RAFT_MSG_SNAPSHOT, pr->id);
	if (!m)
		return;
	m->snap_index = r->snap.index;
	m->snap_term = r->snap.term;
	m->offset = off;
	m->total = r->snap_wire_len;
	m->chunk_len = left < r->cfg.snapshot_chunk ? (uint32_t)left :
		       r->cfg.snapshot_chunk;
	/* m->chunk is resolved in raft_ready: snap_wire may change. */
	m->rtt_ms = pr->srtt_ms;
	m->sent_ms = r->now;
	m->seq = r->hb_seq;
}

static void send_append(struct raft *r, struct progress *pr, bool heartbeat)
{
	uint64_t prev = pr->next - 1, last = last_index(r), bytes = 0;
	struct raft_msg *m;
	uint32_t k = 0;

	if (pr->state == PR_SNAPSHOT) {
		if (heartbeat)
			send_snapshot_chunk(r, pr);
		return;
	}
	if (heartbeat) {
		/* Carries the commit index as far as pr is known to match. */
		prev = pr->match;
		if (raft_term_at(r, prev) == 0 && prev)
			prev = 0;
	} else if (prev + 1 < r->first && r->snap.index) {
		/* Compacted away: the follower needs the snapshot. */
		pr->state = PR_SNAPSHOT;
		pr->snap_index = 0;
		pr->probe_sent = false;
		send_snapshot_chunk(r, pr);
		return;
	} else if (pr->state == PR_PROBE && pr->probe_sent) {
		return;
	} else if (pr->state == PR_REPLICATE &&
		   pr->next - 1 - pr->match >=
		   (uint64_t)r->cfg.max_inflight * r->cfg.max_append_entries) {
		return;
	}
	m = msg_new(r, RAFT_MSG_APPEND, pr->id);
	if (!m)
		return;
	m->index = prev;
	m->log_term = raft_term_at(r, prev);
	m->seq = r->hb_seq;
	m->sent_ms = r->now;
	m->rtt_ms = pr->srtt_ms;
	m->commit = r->commit;
	m->heartbeat = heartbeat;
	if (heartbeat)
		return;
	while (prev + 1 + k <= last && k < r->cfg.max_append_entries) {
		const struct raft_entry *e = raft_entry_at(r, prev + 1 + k);

		if (k && bytes + e->len > r->cfg.max_append_bytes)
			break;
		bytes += e->len;
		k++;
	}
	/* m->ents is resolved in raft_ready: the log may still grow. */
	m->n_ents = k;
	if (pr->state == PR_REPLICATE)
		pr->next = prev + 1 + k;
	else
		pr->probe_sent = true;
}

static void maybe_commit(struct raft *r)
{
	uint64_t *m, q;
	uint32_t n = 0;

	m = malloc(r->conf.n * sizeof(*m) + 1);
	if (!m) {
		r->err = -ENOMEM;
		return;
	}
	for (uint32_t i = 0; i < r->conf.n; i++) {
		if (r->prs[i].role != RAFT_VOTER)
			continue;
		if (r->prs[i].id == r->cfg.id)
			m[n++] = r->persisted;
		else
			m[n++] = r->prs[i].match;
	}
	if (!n) {
		free(m);
		return;
	}
	/* The quorum-th largest match index. */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j && m[j - 1] < m[j]; j--) {
			uint64_t t = m[j];

			m[j] = m[j - 1];
			m[j - 1] = t;
		}
	q = m[quorum(r) - 1];
	free(m);
#ifdef MUTANT_COMMIT_OLD_TERM
	if (q > r->commit && raft_term_at(r, q) != 0) {
#else
	/* Only entries of the leader's own term commit by counting. */
	if (q > r->commit && raft_term_at(r, q) == r->term) {
#endif
		commit_to(r, q);
		if (r->state == RAFT_LEADER)
			bcast_append(r, false);
	}
}

/* The leader handed off or left the voters: step aside. */
static void leader_handoff(struct raft *r)
{
	struct progress *best = NULL;

	for (uint32_t i = 0; i < r->conf.n; i++) {
		struct progress *pr = &r->prs[i];

		if (pr->id == r->cfg.id || pr->role != RAFT_VOTER)
			continue;
		if (!best || pr->match > best->match)
			best = pr;
	}
	if (best && best->match == last_index(r))
		msg_new(r, RAFT_MSG_TIMEOUT_NOW, best->id);
	become_follower(r, r->term, RAFT_NONE);
}

static void apply_conf_entry(struct raft *r, const struct raft_entry *e)
{
	struct progress *old = r->prs;
	struct raft_conf_change cc;
	uint32_t old_n = r->conf.n;
	int err;

	if (raft_conf_change_decode(e->data, e->len, &cc))
		return;	/* validated when proposed; a foreign entry is moot */
	err = raft_conf_apply(&r->conf, &cc);
	raft_conf_free(&cc.conf);
	if (err == -ENOMEM)
		r->err = err;
	if (err)
		return;
	r->prs = NULL;
	if (prs_rebuild(r, old, old_n)) {
		r->err = -ENOMEM;
		r->prs = old;
		return;
	}
	free(old);
}

static void commit_to(struct raft *r, uint64_t index)
{
	if (index > last_index(r))
		index = last_index(r);
	for (uint64_t i = r->commit + 1; i <= index; i++) {
		const struct raft_entry *e = raft_entry_at(r, i);

		if (e && e->type == RAFT_ENTRY_CONF)
			apply_conf_entry(r, e);
	}
	if (index > r->commit)
		r->commit = index;
	if (r->state == RAFT_LEADER && !is_voter(r, r->cfg.id))
		leader_handoff(r);
}

/* ---- reads ---- */

static void done_read(struct raft *r, uint64_t ctx, uint64_t index)
{
	struct raft_read *d;

	if (r->n_done == r->cap_done) {
		size_t cap = r->cap_done ? r->cap_done * 2 : 8;

		d = realloc(r->done_reads, cap * sizeof(*d));
		if (!d) {
			r->err = -ENOMEM;
			return;
		}
		r->done_reads = d;
		r->cap_done = cap;
	}
	r->done_reads[r->n_done].ctx = ctx;
	r->done_reads[r->n_done].index = index;
	r->n_done++;
}

static void check_reads(struct raft *r)
{
	size_t k = 0;

	while (k < r->n_reads) {
		uint32_t acks = 0;

		for (uint32_t i = 0; i < r->conf.n; i++) {
			const struct progress *pr = &r->prs[i];

			if (pr->role != RAFT_VOTER)
				continue;
			if (pr->id == r->cfg.id || pr->acked_seq >= r->reads[k].seq)
				acks++;
		}
		if (acks < quorum(r))
			break;
		done_read(r, r->reads[k].ctx, r->reads[k].index);
		k++;
	}
	if (!k)
		return;
	memmove(r->reads, r->reads + k, (r->n_reads - k) * sizeof(*r->reads));
	r->n_reads -= k;
}

int raft_read_index(struct raft *r, uint64_t ctx)
{
	struct pending_read *p;

	if (r->state != RAFT_LEADER)
		return -EPERM;
	if (r->commit < r->term_start)
		return -EBUSY;
	r->err = 0;
	if (quorum(r) == 1) {
		done_read(r, ctx, r->commit);
		return r->err;
	}
	if (r->n_reads == r->cap_reads) {
		size_t cap = r->cap_reads ? r->cap_reads * 2 : 8;

		p = realloc(r->reads, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->reads = p;
		r->cap_reads = cap;
	}
	r->hb_seq++;
	r->reads[r->n_reads].ctx = ctx;
	r->reads[r->n_reads].index = r->commit;
	r->reads[r->n_reads].seq = r->hb_seq;
	r->n_reads++;
	bcast_append(r, true);
	return r->err;
}

/* ---- handling messages ---- */

static bool log_up_to_date(const struct raft *r, const struct raft_msg *m)
{
	uint64_t lt = last_term(r);

	return m->log_term > lt ||
	       (m->log_term == lt && m->index >= last_index(r));
}

static void handle_vote(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	bool can = r->vote == m->from ||
		   (r->vote == RAFT_NONE && r->leader == RAFT_NONE) ||
		   (pre && m->term > r->term);
	bool fresh = log_up_to_date(r, m);
	struct raft_msg *resp;

#ifdef MUTANT_VOTE_ANY_LOG
	fresh = true;
#endif
	resp = msg_new(r, pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
		       m->from);
	if (!resp)
		return;
	if (can && fresh) {
		resp->term = m->term;
		if (!pre) {
			r->vote = m->from;
			reset_election_timer(r);
		}
	} else {
		resp->reject = true;
	}
}

static void handle_vote_resp(struct raft *r, const struct raft_msg *m)
{
	struct progress *pr = pr_of(r, m->from);
	int t;

	if (!pr)
		return;
	if (m->type == RAFT_MSG_PREVOTE_RESP) {
		if (r->state != RAFT_PRECANDIDATE ||
		    (!m->reject && m->term != r->term + 1))
			return;
	} else if (r->state != RAFT_CANDIDATE) {
		return;
	}
	if (!pr->vote)
		pr->vote = m->reject ? 2 : 1;
	t = tally(r);
	if (t > 0) {
		if (r->state == RAFT_PRECANDIDATE)
			become_candidate(r, false);
		else
			become_leader(r);
	} else if (t < 0) {
		become_follower(r, r->term, RAFT_NONE);
	}
}

static void follower_heard(struct raft *r, const struct raft_msg *m)
{
	r->leader = m->from;
	r->last_leader_contact = r->now;
	r->leader_rtt = m->rtt_ms;
	reset_election_timer(r);
}

static void handle_append(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *resp;
	uint64_t lastnew, c;
	uint32_t i;

	follower_heard(r, m);
	resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
	if (!resp)
		return;
	resp->seq = m->seq;
	resp->sent_ms = m->sent_ms;
	resp->heartbeat = m->heartbeat;
	if (m->index < r->commit) {
		resp->index = r->commit;
		resp->hint = last_index(r);
		return;
	}
	if (m->index > last_index(r) ||
	    raft_term_at(r, m->index) != m->log_term) {
		resp->reject = true;
		resp->index = m->index;
		resp->hint = m->index < last_index(r) ? m->index : last_index(r);
		return;
	}
	for (i = 0; i < m->n_ents; i++) {
		const struct raft_entry *e = &m->ents[i];

		if (e->index <= last_index(r) &&
		    raft_term_at(r, e->index) == e->term)
			continue;
		if (e->index <= r->commit) {
			/* A leader contradicting committed entries: drop it. */
			r->n_msgs--;
			return;
		}
		if (e->index <= last_index(r))
			log_truncate(r, e->index);
		break;
	}
	for (; i < m->n_ents; i++) {
		const struct raft_entry *e = &m->ents[i];

		if (log_append(r, e->term, e->type, e->data, e->len)) {
			r->err = -ENOMEM;
			r->n_msgs--;
			return;
		}
	}
	lastnew = m->index + m->n_ents;
#ifdef MUTANT_FOLLOWER_COMMIT
	c = m->commit < last_index(r) ? m->commit : last_index(r);
#else
	c = m->commit < lastnew ? m->commit : lastnew;
#endif
	if (c > r->commit)
		commit_to(r, c);
	resp->index = lastnew;
	resp->hint = last_index(r);
}

static void handle_append_resp(struct raft *r, const struct raft_msg *m)
{
	struct progress *pr = pr_of(r, m->from);

	if (!pr)
		return;
	pr->active = true;
	if (m->seq > pr->acked_seq)
		pr->acked_seq = m->seq;
	if (m->sent_ms && m->sent_ms <= r->now) {
		uint32_t s = (uint32_t)(r->now - m->sent_ms);

		pr->srtt_ms = pr->srtt_ms ? (pr->srtt_ms * 7 + s) / 8 : s;
	}
	check_reads(r);
	if (pr->state == PR_SNAPSHOT)
		return;
	if (m->reject) {
		if (m->index <= pr->match)
			return;	/* stale */
		if (pr->state == PR_PROBE && m->index != pr->next - 1)
			return;	/* answers an older probe */
		pr->state = PR_PROBE;
		pr->next = m->hint + 1 < m->index ? m->hint + 1 : m->index;
		if (pr->next <= pr->match)
			pr->next = pr->match + 1;
		pr->probe_sent = false;
		send_append(r, pr, false);
		return;
	}
	pr->probe_sent = false;
	if (m->index > pr->match) {
		pr->match = m->index;
		if (pr->next < m->index + 1)
			pr->next = m->index + 1;
		if (pr->state == PR_PROBE)
			pr->state = PR_REPLICATE;
		maybe_commit(r);
		/* A membership change may have rebuilt (or dropped) pr. */
		pr = pr_of(r, m->from);
		if (r->state != RAFT_LEADER || !pr)
			return;
		if (r->transferee == m->from && pr->match == last_index(r))
			msg_new(r, RAFT_MSG_TIMEOUT_NOW, m->from);
	}
	if (pr->match < last_index(r))
		send_append(r, pr, false);
}

static int install_snapshot(struct raft *r)
{
	struct raft_snapshot s = { 0 };
	struct raft_conf conf = { 0 };
	uint32_t clen;
	int err = -EBADMSG;

	if (r->rx.total < 4)
		return err;
	clen = (uint32_t)r->rx.buf[0] << 24 | (uint32_t)r->rx.buf[1] << 16 |
	       (uint32_t)r->rx.buf[2] << 8 | r->rx.buf[3];
	if (clen > r->rx.total - 4)
		return err;
	err = raft_conf_decode(r->rx.buf + 4, clen, &conf);
	if (err)
		return err;
	s.index = r->rx.index;
	s.term = r->rx.term;
	s.conf_len = clen;
	s.data_len = r->rx.total - 4 - clen;
	s.conf = malloc(clen);
	s.data = malloc(s.data_len + 1);
	if (!s.conf || !s.data) {
		free(s.conf);
		free(s.data);
		raft_conf_free(&conf);
		return -ENOMEM;
	}
	memcpy(s.conf, r->rx.buf + 4, clen);
	memcpy(s.data, r->rx.buf + 4 + clen, s.data_len);
#ifdef MUTANT_SNAPSHOT_TERM
	r->term = s.term;
#endif
	free(r->snap.conf);
	free(r->snap.data);
	r->snap = s;
	free(r->snap_wire);
	r->snap_wire = r->rx.buf;
	r->snap_wire_len = r->rx.total;
	r->rx.buf = NULL;
	log_reset(r, s.index, s.term);
	r->commit = s.index;
	r->applied = s.index;
	raft_conf_free(&r->conf);
	r->conf = conf;
	err = prs_rebuild(r, NULL, 0);
	if (err)
		return err;
	r->pending_conf = 0;
	r->snap_unsaved = true;
	r->snap_install = true;
	return 0;
}

static void handle_snapshot(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *resp;

	follower_heard(r, m);
	resp = msg_new(r, RAFT_MSG_SNAPSHOT_RESP, m->from);
	if (!resp)
		return;
	resp->snap_index = m->snap_index;
	resp->seq = m->seq;
	resp->sent_ms = m->sent_ms;
	if (m->snap_index <= r->commit ||
	    raft_term_at(r, m->snap_index) == m->snap_term) {
		/* We hold it already: catch up by appends instead. */
		if (m->snap_index > r->commit)
			commit_to(r, m->snap_index);
		resp->offset = m->total;
		resp->hint = m->total;
		resp->index = r->commit;
		return;
	}
	if (r->rx.index != m->snap_index || r->rx.term != m->snap_term ||
	    r->rx.total != m->total) {
		if (m->offset) {
			resp->reject = true;
			resp->offset = 0;
			return;
		}
		free(r->rx.buf);
		memset(&r->rx, 0, sizeof(r->rx));
		r->rx.buf = malloc(m->total + 1);
		if (!r->rx.buf) {
			r->err = -ENOMEM;
			r->n_msgs--;
			return;
		}
		r->rx.index = m->snap_index;
		r->rx.term = m->snap_term;
		r->rx.total = m->total;
	}
	if (m->offset != r->rx.got) {
		resp->reject = true;
		resp->offset = r->rx.got;
		return;
	}
	memcpy(r->rx.buf + r->rx.got, m->chunk, m->chunk_len);
	r->rx.got += m->chunk_len;
	resp->offset = r->rx.got;
	if (r->rx.got < r->rx.total)
		return;
	if (install_snapshot(r)) {
		free(r->rx.buf);
		memset(&r->rx, 0, sizeof(r->rx));
		resp->reject = true;
		resp->offset = 0;
		return;
	}
	memset(&r->rx, 0, sizeof(r->rx));
	resp->index = r->commit;
	resp->hint = m->total;
}

static void handle_snapshot_resp(struct raft *r, const struct raft_msg *m)
{
	struct progress *pr = pr_of(r, m->from);

	if (!pr)
		return;
	pr->active = true;
	if (m->seq > pr->acked_seq)
		pr->acked_seq = m->seq;
	check_reads(r);
	if (pr->state != PR_SNAPSHOT || m->snap_index != pr->snap_index)
		return;
	if (!m->reject && m->hint && m->hint == r->snap_wire_len &&
	    m->offset == m->hint) {
		if (m->index > pr->match)
			pr->match = m->index;
		pr->next = pr->match + 1;
		pr->state = PR_PROBE;
		pr->probe_sent = false;
		maybe_commit(r);
		pr = pr_of(r, m->from);
		if (r->state == RAFT_LEADER && pr)
			send_append(r, pr, false);
		return;
	}
	pr->snap_offset = m->offset <= r->snap_wire_len ? m->offset : 0;
	if (!m->reject)
		send_snapshot_chunk(r, pr);
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
	if (r->in_ready)
		return -EBUSY;
	if (m->to != r->cfg.id || m->from == RAFT_NONE ||
	    m->from == r->cfg.id)
		return -EINVAL;
	r->err = 0;
	if (m->term > r->term) {
		bool vote = m->type == RAFT_MSG_PREVOTE ||
			    m->type == RAFT_MSG_VOTE;

		if (vote && !m->transfer && in_lease(r))
			return 0;	/* stick with the leader we hear */
		if (m->type == RAFT_MSG_PREVOTE ||
		    (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject)) {
			/* Pre-votes never move terms. */
		} else if (m->type == RAFT_MSG_APPEND ||
			   m->type == RAFT_MSG_SNAPSHOT ||
			   m->type == RAFT_MSG_TIMEOUT_NOW) {
			become_follower(r, m->term, m->from);
		} else {
			become_follower(r, m->term, RAFT_NONE);
		}
	} else if (m->term < r->term) {
		struct raft_msg *resp = NULL;

		/* Tell a stale leader or pre-candidate about our term. */
		if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT)
			resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
		else if (m->type == RAFT_MSG_PREVOTE)
			resp = msg_new(r, RAFT_MSG_PREVOTE_RESP, m->from);
		if (resp)
			resp->reject = true;
		return r->err;
	}

	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		handle_vote(r, m);
		break;
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		handle_vote_resp(r, m);
		break;
	case RAFT_MSG_APPEND:
	case RAFT_MSG_SNAPSHOT:
		if (r->state == RAFT_LEADER)
			break;	/* cannot happen: one leader per term */
		if (r->state != RAFT_FOLLOWER)
			become_follower(r, m->term, m->from);
		if (m->type == RAFT_MSG_APPEND)
			handle_append(r, m);
		else
			handle_snapshot(r, m);
		break;
	case RAFT_MSG_APPEND_RESP:
		if (r->state == RAFT_LEADER)
			handle_append_resp(r, m);
		break;
	case RAFT_MSG_SNAPSHOT_RESP:
		if (r->state == RAFT_LEADER)
			handle_snapshot_resp(r, m);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		if (r->state != RAFT_LEADER)
			campaign(r, true);
		break;
	default:
		return -EINVAL;
	}
	return r->err;
}

/* ---- ticks ---- */

static void check_quorum(struct raft *r)
{
	uint32_t active = 0;

	for (uint32_t i = 0; i < r->conf.n; i++) {
		struct progress *pr = &r->prs[i];

		if (pr->role == RAFT_VOTER &&
		    (pr->active || pr->id == r->cfg.id))
			active++;
		pr->active = false;
	}
	if (active < quorum(r))
		become_follower(r, r->term, RAFT_NONE);
}

int raft_tick(struct raft *r, uint64_t now_ms)
{
	if (r->in_ready)
		return -EBUSY;
	r->err = 0;
	if (now_ms > r->now)
		r->now = now_ms;
	if (r->state == RAFT_LEADER) {
		if (r->transferee && r->now >= r->transfer_deadline)
			r->transferee = RAFT_NONE;
		if (r->now >= r->cq_due) {
			r->cq_due = r->now + r->cfg.election_ms;
			check_quorum(r);
			if (r->state != RAFT_LEADER)
				return r->err;
		}
		if (r->now >= r->hb_due) {
			r->hb_due = r->now + r->cfg.heartbeat_ms;
			bcast_append(r, true);
		}
		return r->err;
	}
	if (r->now >= r->election_deadline) {
		if (is_voter(r, r->cfg.id))
			campaign(r, false);
		else
			reset_election_timer(r);
	}
	return r->err;
}

/* ---- proposals ---- */

static int propose(struct raft *r, uint8_t type, const void *data,
		   uint32_t len, uint64_t *index)
{
	int err;

	if (r->in_ready)
		return -EBUSY;
	if (r->state != RAFT_LEADER)
		return -EPERM;
	if (r->transferee)
		return -EBUSY;
	if (len > RAFT_MAX_ENTRY)
		return -E2BIG;
	r->err = 0;
	err = log_append(r, r->term, type, data, len);
	if (err)
		return err;
	if (index)
		*index = last_index(r);
	/* A lone voter commits once the entry is persisted (advance). */
	bcast_append(r, false);
	return r->err;
}

int raft_propose(struct raft *r, const void *data, uint32_t len,
		 uint64_t *index)
{
	return propose(r, RAFT_ENTRY_NORMAL, data, len, index);
}

int raft_propose_conf(struct raft *r, enum raft_conf_op op, uint64_t id,
		      uint64_t *index)
{
	struct raft_conf_change cc = { .op = op, .id = id };
	uint8_t *buf;
	uint32_t len;
	int err;

	if (r->state != RAFT_LEADER)
		return -EPERM;
	if (op == RAFT_CONF_BOOTSTRAP || id == RAFT_NONE)
		return -EINVAL;
	/* One change at a time, after an entry of this term committed. */
#ifndef MUTANT_DOUBLE_CONF
	if (r->pending_conf > r->commit)
		return -EBUSY;
#endif
#ifndef MUTANT_CONF_BEFORE_TERM_COMMIT
	if (r->commit < r->term_start)
		return -EBUSY;
#endif
	err = raft_conf_check(&r->conf, op, id);
	if (err)
		return err;
	err = raft_conf_change_encode(&cc, &buf, &len);
	if (err)
		return err;
	err = propose(r, RAFT_ENTRY_CONF, buf, len, index);
	free(buf);
	if (!err)
		r->pending_conf = last_index(r);
	return err;
}

int raft_transfer(struct raft *r, uint64_t to)
{
	struct progress *pr;

	if (r->state != RAFT_LEADER)
		return -EPERM;
	if (to == r->cfg.id)
		return 0;
	pr = pr_of(r, to);
	if (!pr || pr->role != RAFT_VOTER)
		return -EINVAL;
	r->err = 0;
	r->transferee = to;
	r->transfer_deadline = r->now + election_base(r);
	if (pr->match == last_index(r))
		msg_new(r, RAFT_MSG_TIMEOUT_NOW, to);
	else
		send_append(r, pr, false);
	return r->err;
}

int raft_bootstrap(struct raft *r, const struct raft_conf *conf)
{
	struct raft_conf_change cc = { .op = RAFT_CONF_BOOTSTRAP };
	uint8_t *buf;
	uint32_t len;
	int err;

	if (last_index(r) != 0 || r->snap.index || r->term)
		return -EEXIST;
	if (!conf->n || !raft_conf_voters(conf))
		return -EINVAL;
	cc.conf = *conf;
	err = raft_conf_change_encode(&cc, &buf, &len);
	if (err)
		return err;
	err = log_append(r, 1, RAFT_ENTRY_CONF, buf, len);
	free(buf);
	if (err)
		return err;
	r->term = 1;
	r->err = 0;
	commit_to(r, 1);
	return r->err;
}

/* ---- snapshots (local) ---- */

static int conf_at(struct raft *r, uint64_t index, struct raft_conf *out)
{
	int err = 0;

	if (r->snap.index) {
		err = raft_conf_decode(r->snap.conf, r->snap.conf_len, out);
		if (err)
			return err;
	}
	for (uint64_t i = r->snap.index + 1; i <= index; i++) {
		const struct raft_entry *e = raft_entry_at(r, i);
		struct raft_conf_change cc;

		if (!e || e->type != RAFT_ENTRY_CONF)
			continue;
		if (raft_conf_change_decode(e->data, e->len, &cc))
			continue;
		err = raft_conf_apply(out, &cc);
		raft_conf_free(&cc.conf);
		if (err == -ENOMEM)
			return err;
	}
	return 0;
}

static int snap_wire_build(struct raft *r)
{
	uint64_t n = 4 + (uint64_t)r->snap.conf_len + r->snap.data_len;
	uint8_t *w = malloc(n);

	if (!w)
		return -ENOMEM;
	w[0] = (uint8_t)(r->snap.conf_len >> 24);
	w[1] = (uint8_t)(r->snap.conf_len >> 16);
	w[2] = (uint8_t)(r->snap.conf_len >> 8);
	w[3] = (uint8_t)r->snap.conf_len;
	memcpy(w + 4, r->snap.conf, r->snap.conf_len);
	if (r->snap.data_len)
		memcpy(w + 4 + r->snap.conf_len, r->snap.data, r->snap.data_len);
	free(r->snap_wire);
	r->snap_wire = w;
	r->snap_wire_len = n;
	return 0;
}

int raft_snapshot(struct raft *r, uint64_t index, const void *data,
		  uint64_t len)
{
	struct raft_snapshot s = { .index = index };
	struct raft_conf conf = { 0 };
	int err;

	if (r->in_ready)
		return -EBUSY;
	if (index > r->applied || index <= r->snap.index ||
	    index < r->first)
		return -EINVAL;
	if (len > RAFT_MAX_SNAPSHOT)
		return -E2BIG;
	s.term = raft_term_at(r, index);
	err = conf_at(r, index, &conf);
	if (!err)
		err = raft_conf_encode(&conf, &s.conf, &s.conf_len);
	raft_conf_free(&conf);
	if (err)
		return err;
	s.data = malloc(len + 1);
	if (!s.data) {
		free(s.conf);
		return -ENOMEM;
	}
	if (len)
		memcpy(s.data, data, len);
	s.data_len = len;
	free(r->snap.conf);
	free(r->snap.data);
	r->snap = s;
	err = snap_wire_build(r);
	if (err)
		return err;
	r->snap_unsaved = true;
	r->snap_install = false;
	if (index > r->cfg.keep_trailing)
		log_compact(r, index - r->cfg.keep_trailing + 1);
	return 0;
}

/* ---- ready / advance ---- */

bool raft_has_ready(const struct raft *r)
{
	return r->n_msgs || r->n_done || r->snap_unsaved ||
	       r->stable < last_index(r) ||
	       r->applied < (r->commit < r->persisted ? r->commit : r->persisted) ||
	       r->saved.term != r->term || r->saved.vote != r->vote ||
	       r->saved.commit != r->commit;
}

/*
 * Point messages at the entries and snapshot bytes they carry, now that
 * the log holds still until raft_advance. A message whose entries were
 * truncated or whose snapshot was replaced meanwhile is dropped.
 */
static void resolve_msgs(struct raft *r)
{
	size_t i, k = 0;

	for (i = 0; i < r->n_msgs; i++) {
		struct raft_msg *m = &r->msgs[i];

		if (m->type == RAFT_MSG_APPEND && m->n_ents) {
			if (m->index + m->n_ents > last_index(r) ||
			    m->index + 1 < r->first ||
			    raft_term_at(r, m->index) != m->log_term ||
			    raft_term_at(r, m->index + m->n_ents) > m->term)
				continue;
			m->ents = (struct raft_entry *)raft_entry_at(r, m->index + 1);
		} else if (m->type == RAFT_MSG_SNAPSHOT) {
			if (m->snap_index != r->snap.index ||
			    m->total != r->snap_wire_len ||
			    m->offset + m->chunk_len > r->snap_wire_len)
				continue;
			m->chunk = r->snap_wire + m->offset;
		}
		if (k != i)
			r->msgs[k] = *m;
		k++;
	}
	r->n_msgs = k;
}

int raft_ready(struct raft *r, struct raft_ready *rd)
{
	uint64_t upto;

	memset(rd, 0, sizeof(*rd));
	if (!raft_has_ready(r))
		return -EAGAIN;
	rd->hs.term = r->term;
	rd->hs.vote = r->vote;
	rd->hs.commit = r->commit;
#ifdef MUTANT_VOTE_NOT_PERSISTED
	rd->hs.vote = r->saved.vote;
#endif
	rd->hs_changed = memcmp(&rd->hs, &r->saved, sizeof(rd->hs)) != 0;
	if (r->snap_unsaved) {
		rd->snap = &r->snap;
		rd->snap_install = r->snap_install;
	}
	if (r->stable < last_index(r)) {
		uint64_t from = r->stable + 1 < r->first ? r->first :
				r->stable + 1;

		rd->ents = raft_entry_at(r, from);
		rd->n_ents = last_index(r) - from + 1;
	}
	resolve_msgs(r);
	/* A term or vote not yet durable holds back every message. */
	if (rd->hs.term != r->saved.term || rd->hs.vote != r->saved.vote)
		for (size_t i = 0; i < r->n_msgs; i++)
			r->msgs[i].after_persist = true;
	rd->msgs = r->msgs;
	rd->n_msgs = r->n_msgs;
	upto = r->commit < r->persisted ? r->commit : r->persisted;
	if (upto > r->applied) {
		rd->committed = raft_entry_at(r, r->applied + 1);
		rd->n_committed = upto - r->applied;
	}
	rd->reads = r->done_reads;
	rd->n_reads = r->n_done;
	r->in_ready = true;
	return 0;
}

void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	r->in_ready = false;
	r->saved = rd->hs;
	if (rd->snap) {
		r->snap_unsaved = false;
		r->snap_install = false;
		if (r->stable < rd->snap->index)
			r->stable = rd->snap->index;
	}
	if (rd->n_ents) {
		r->stable = rd->ents[rd->n_ents - 1].index;
		r->persisted = r->stable;
	}
	if (rd->n_committed)
		r->applied = rd->committed[rd->n_committed - 1].index;
	r->n_msgs = 0;
	r->n_done = 0;
	if (r->state == RAFT_LEADER && rd->n_ents) {
		struct progress *self = pr_of(r, r->cfg.id);

		if (self)
			self->match = r->persisted;
		r->err = 0;
		maybe_commit(r);
	}
}

/* ---- queries ---- */

enum raft_state raft_state(const struct raft *r) { return r->state; }
uint64_t raft_id(const struct raft *r) { return r->cfg.id; }
uint64_t raft_leader(const struct raft *r) { return r->leader; }
uint64_t raft_term(const struct raft *r) { return r->term; }
uint64_t raft_commit(const struct raft *r) { return r->commit; }
uint64_t raft_applied(const struct raft *r) { return r->applied; }
uint64_t raft_last_index(const struct raft *r) { return last_index(r); }
uint64_t raft_last_term(const struct raft *r) { return last_term(r); }
uint32_t raft_leader_rtt_ms(const struct raft *r) { return r->leader_rtt; }

const struct raft_conf *raft_membership(const struct raft *r)
{
	return &r->conf;
}

int raft_role_of(const struct raft *r, uint64_t id)
{
	int i = raft_conf_find(&r->conf, id);

	return i < 0 ? 0 : r->conf.members[i].role;
}

uint64_t raft_match_of(const struct raft *r, uint64_t id)
{
	const struct progress *pr = pr_of(r, id);

	if (!pr || r->state != RAFT_LEADER)
		return 0;
	return id == r->cfg.id ? r->persisted : pr->match;
}

/* ---- life ---- */

void raft_free(struct raft *r)
{
	if (!r)
		return;
	log_truncate(r, r->first);
	free(r->log);
	free(r->snap.conf);
	free(r->snap.data);
	free(r->snap_wire);
	free(r->rx.buf);
	raft_conf_free(&r->conf);
	free(r->prs);
	free(r->reads);
	free(r->done_reads);
	free(r->msgs);
	free(r);
}

static int init_snapshot(struct raft *r, const struct raft_snapshot *s)
{
	r->snap.index = s->index;
	r->snap.term = s->term;
	r->snap.conf_len = s->conf_len;
	r->snap.data_len = s->data_len;
	r->snap.conf = malloc(s->conf_len + 1);
	r->snap.data = malloc(s->data_len + 1);
	if (!r->snap.conf || !r->snap.data)
		return -ENOMEM;
	memcpy(r->snap.conf, s->conf, s->conf_len);
	if (s->data_len)
		memcpy(r->snap.data, s->data, s->data_len);
	if (raft_conf_decode(s->conf, s->conf_len, &r->conf))
		return -EBADMSG;
	return snap_wire_build(r);
}

int raft_new(struct raft **ret, const struct raft_cfg *cfg,
	     const struct raft_init *init, uint64_t now_ms)
{
	struct raft *r;
	uint64_t commit;
	int err = -EINVAL;

	if (!cfg->id || !cfg->rand || !cfg->heartbeat_ms ||
	    cfg->election_ms <= cfg->heartbeat_ms ||
	    !cfg->max_append_entries || !cfg->max_inflight ||
	    !cfg->snapshot_chunk || cfg->snapshot_chunk > RAFT_MSG_MAX_CHUNK ||
	    cfg->max_append_entries > RAFT_MSG_MAX_ENTRIES)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	r->now = now_ms;
	r->first = 1;
	if (init && init->snap && init->snap->index) {
		err = init_snapshot(r, init->snap);
		if (err)
			goto fail;
		r->first = init->snap->index + 1;
		r->prev_term = init->snap->term;
	}
	r->stable = r->first - 1;
	r->persisted = r->stable;
	r->applied = r->first - 1;
	r->commit = r->applied;
	for (size_t i = 0; init && i < init->n_ents; i++) {
		const struct raft_entry *e = &init->ents[i];

		err = -EBADMSG;
		if (e->index != last_index(r) + 1 || e->term < last_term(r))
			goto fail;
		err = log_append(r, e->term, e->type, e->data, e->len);
		if (err)
			goto fail;
	}
	r->stable = last_index(r);
	r->persisted = r->stable;
	err = prs_rebuild(r, NULL, 0);
	if (err)
		goto fail;
	if (init) {
		r->term = init->hs.term;
		r->vote = init->hs.vote;
		r->saved = init->hs;
		commit = init->hs.commit;
		if (commit > last_index(r))
			commit = last_index(r);
		if (commit > r->commit)
			commit_to(r, commit);
		err = r->err;
		if (err)
			goto fail;
		r->saved.commit = r->commit;
	}
	r->state = RAFT_FOLLOWER;
	reset_election_timer(r);
	*ret = r;
	return 0;
fail:
	raft_free(r);
	return err;
}
