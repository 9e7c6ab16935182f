// SPDX-License-Identifier: GPL-2.0
/*
 * The Raft simulator (see raftsim.h). Everything random comes from one
 * xorshift generator seeded by the caller, so a seed replays exactly.
 *
 * Durability is tracked twice: the "shadow" is what the store has
 * acknowledged (save returned), and a restart rebuilds the node from the
 * store on the disk model; the two must agree, or the store lost
 * acknowledged data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "raft/conf.h"
#include "raft/raft.h"
#include "tests/sim/raftsim.h"
#include "tests/sim/simstore.h"

#define MAXN 9
#define TICK_MS 10
#define TRACE_N 96
#define OP_MAGIC 0x61746f6d6f700000ull	/* "atomop\0\0" */

enum ev_type {
	EV_DELIVER, EV_TICK, EV_WORKLOAD,
};

struct event {
	uint64_t time;
	uint64_t seq;		/* FIFO among equal times */
	uint8_t type;
	uint8_t node;		/* index */
	uint32_t len;
	uint8_t *bytes;		/* EV_DELIVER: the encoded message */
	uint32_t incarnation;	/* EV_TICK: the node life it belongs to */
};

struct node {
	uint64_t id;
	bool exists, up, founding;
	uint32_t incarnation;
	struct raft *r;
	struct simstore *store;
	uint64_t paused_until, down_since;
	/* application state: a hash chain over applied entries */
	uint64_t fsm_index, fsm_hash;
	/* checks */
	uint64_t last_commit;
	uint64_t lead_term, lead_last, lead_last_term;
	uint64_t contact_term, contact_time;
	uint64_t durable_term;
};

struct op {
	uint64_t id;
	bool done;
};

struct sim {
	struct raftsim_opts o;
	struct raftsim_stats *st;
	uint64_t rng;
	uint64_t now, evseq;
	struct event *heap;
	size_t n_ev, cap_ev;
	struct node nodes[MAXN];
	uint32_t n_nodes;
	bool blocked[MAXN][MAXN];
	uint32_t drop_pm, dup_pm;	/* per mille */
	uint32_t max_append, max_inflight;	/* drawn per seed */
	bool hostile;		/* leaders die young, one entry per append */
	int doomed;		/* a node to crash after this event, or -1 */
	bool healing;

	uint64_t *term_leader;		/* term -> leader id */
	size_t cap_terms;
	uint64_t *applied_hash;		/* index -> hash chain value */
	uint64_t *committed_term;	/* index -> term (leader commits) */
	uint64_t *committed_in;		/* index -> term of the committer */
	size_t cap_idx;
	uint64_t committed_max;

	/* (index, term) -> entry hash, for log matching */
	struct lm { uint64_t index, term, hash, prev; } *lm;
	size_t cap_lm, n_lm;

	struct op *ops;
	size_t n_ops, cap_ops;
	uint64_t next_op;

	int lease_node;			/* delivering to: check stickiness */
	uint64_t lease_term_before;
	struct raft_conf founding;
	uint64_t leader_crash_at, last_kill;
	uint64_t crashed_leader_term;

	char trace[TRACE_N][160];
	uint32_t trace_pos;
	bool failed;
};

/* ---- randomness ---- */

static uint64_t rnd(struct sim *s)
{
	uint64_t x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_cb(void *ctx)
{
	return rnd(ctx);
}

static uint32_t below(struct sim *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

static bool chance_pm(struct sim *s, uint32_t pm)
{
	return below(s, 1000) < pm;
}

/* ---- trace and failure ---- */

__attribute__((format(printf, 2, 3)))
static void trace(struct sim *s, const char *fmt, ...)
{
	char *line = s->trace[s->trace_pos++ % TRACE_N];
	int n;
	va_list ap;

	n = snprintf(line, 160, "%8llu ", (unsigned long long)s->now);
	va_start(ap, fmt);
	vsnprintf(line + n, 160 - n, fmt, ap);
	va_end(ap);
	if (s->o.verbose)
		fprintf(s->o.out, "%s\n", line);
}

__attribute__((format(printf, 3, 4)))
static void fail(struct sim *s, const char *invariant, const char *fmt, ...)
{
	va_list ap;
	uint32_t i;

	if (s->failed)
		return;
	s->failed = true;
	snprintf(s->st->invariant, sizeof(s->st->invariant), "%s", invariant);
	fprintf(s->o.out, "# raftsim seed %llu: invariant '%s' violated at %llu ms: ",
		(unsigned long long)s->o.seed, invariant,
		(unsigned long long)s->now);
	va_start(ap, fmt);
	vfprintf(s->o.out, fmt, ap);
	va_end(ap);
	fprintf(s->o.out, "\n# replay: make sim SEED=%llu\n# last events:\n",
		(unsigned long long)s->o.seed);
	if (s->o.verbose)
		return;
	for (i = 0; i < TRACE_N; i++) {
		const char *line = s->trace[(s->trace_pos + i) % TRACE_N];

		if (line[0])
			fprintf(s->o.out, "#   %s\n", line);
	}
}

/* ---- growable maps ---- */

static uint64_t *grow(uint64_t *a, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 1024;
	uint64_t *b;

	if (need < *cap)
		return a;
	while (n <= need)
		n *= 2;
	b = realloc(a, n * sizeof(*b));
	if (!b)
		abort();
	memset(b + *cap, 0, (n - *cap) * sizeof(*b));
	*cap = n;
	return b;
}

static void ensure_idx(struct sim *s, uint64_t index)
{
	size_t cap = s->cap_idx;

	s->applied_hash = grow(s->applied_hash, &cap, index);
	cap = s->cap_idx;
	s->committed_term = grow(s->committed_term, &cap, index);
	cap = s->cap_idx;
	s->committed_in = grow(s->committed_in, &cap, index);
	s->cap_idx = cap;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t entry_hash(const struct raft_entry *e)
{
	uint64_t h = mix(e->type, e->len);

	for (uint32_t i = 0; i < e->len; i++)
		h = mix(h, e->data[i]);
	return h;
}

/* ---- event queue (binary heap) ---- */

static bool ev_before(const struct event *a, const struct event *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void ev_push(struct sim *s, struct event ev)
{
	size_t i;

	if (s->n_ev == s->cap_ev) {
		s->cap_ev = s->cap_ev ? s->cap_ev * 2 : 1024;
		s->heap = realloc(s->heap, s->cap_ev * sizeof(*s->heap));
		if (!s->heap)
			abort();
	}
	ev.seq = s->evseq++;
	i = s->n_ev++;
	while (i && ev_before(&ev, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = ev;
}

static struct event ev_pop(struct sim *s)
{
	struct event top = s->heap[0], last = s->heap[--s->n_ev];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n_ev)
			break;
		if (c + 1 < s->n_ev && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->n_ev)
		s->heap[i] = last;
	return top;
}

/* ---- nodes ---- */

static int node_index(struct sim *s, uint64_t id)
{
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].id == id)
			return (int)i;
	return -1;
}

static void raft_cfg_for(struct sim *s, struct raft_cfg *cfg, uint64_t id)
{
	raft_cfg_defaults(cfg, id);
	cfg->rand = rnd_cb;
	cfg->rand_ctx = s;
	/* Small messages and snapshots so that batching and chunking run. */
	cfg->max_append_entries = s->max_append;
	cfg->max_inflight = s->max_inflight;
	cfg->snapshot_chunk = 4096;
	cfg->keep_trailing = 4;
}

static void schedule_tick(struct sim *s, uint32_t i, uint64_t at)
{
	struct event ev = { .time = at, .type = EV_TICK, .node = (uint8_t)i,
			    .incarnation = s->nodes[i].incarnation };

	ev_push(s, ev);
}

static void node_start(struct sim *s, uint32_t i)
{
	struct node *n = &s->nodes[i];
	struct raftsim_stats *st = s->st;
	struct raft_init init;
	struct raft_cfg cfg;
	char err[256] = "";
	int rc;

	rc = simstore_recover(n->store, &init, err, sizeof(err));
	if (rc) {
		fail(s, "durability", "node %llu cannot recover: %s (%d)",
		     (unsigned long long)n->id, err, rc);
		return;
	}
	raft_cfg_for(s, &cfg, n->id);
	rc = raft_new(&n->r, &cfg, &init, s->now);
	simstore_recover_done(n->store, &init);
	if (!rc && n->founding && raft_last_index(n->r) == 0)
		rc = raft_bootstrap(n->r, &s->founding);
	if (rc) {
		fail(s, "recovery", "node %llu: raft_new: %d",
		     (unsigned long long)n->id, rc);
		return;
	}
	/* The application restores from the snapshot, then replays. */
	n->fsm_index = simstore_snapshot_fsm(n->store, &n->fsm_hash);
	n->up = true;
	n->incarnation++;
	n->last_commit = raft_commit(n->r);
	n->lead_term = 0;
	n->contact_term = 0;
	schedule_tick(s, i, s->now + 1 + below(s, TICK_MS));
	(void)st;
}

static void node_crash(struct sim *s, uint32_t i)
{
	struct node *n = &s->nodes[i];

	if (!n->up)
		return;
	if (raft_state(n->r) == RAFT_LEADER) {
		s->leader_crash_at = s->now;
		s->crashed_leader_term = raft_term(n->r);
	}
	trace(s, "crash %llu (%s term %llu)", (unsigned long long)n->id,
	      raft_state_name(raft_state(n->r)),
	      (unsigned long long)raft_term(n->r));
	raft_free(n->r);
	n->r = NULL;
	n->up = false;
	s->st->crashes++;
	simstore_crash(n->store, rnd(s));
}

/* ---- network ---- */

static void send_msg(struct sim *s, uint32_t from, const struct raft_msg *m)
{
	int to = node_index(s, m->to);
	struct event ev = { .type = EV_DELIVER };
	uint8_t *buf;
	size_t len;
	int rc, copies = 1;

	rc = raft_msg_encode(m, &buf, &len);
	if (rc) {
		fail(s, "codec", "encode %s from %llu: %d",
		     raft_msg_type_name(m->type),
		     (unsigned long long)m->from, rc);
		return;
	}
	s->st->messages++;
	if (m->type == RAFT_MSG_SNAPSHOT && m->offset == 0)
		s->st->snapshots_sent++;
	if (to < 0 || s->blocked[from][to] ||
	    (!s->healing && chance_pm(s, s->drop_pm))) {
		free(buf);
		return;
	}
	if (!s->healing && chance_pm(s, s->dup_pm))
		copies = 2;
	for (int c = 0; c < copies; c++) {
		ev.time = s->now + 1 + below(s, 10) +
			  (chance_pm(s, 20) ? below(s, 80) : 0);
		ev.node = (uint8_t)to;
		ev.len = (uint32_t)len;
		if (c) {
			ev.bytes = malloc(len);
			if (!ev.bytes)
				abort();
			memcpy(ev.bytes, buf, len);
		} else {
			ev.bytes = buf;
		}
		ev_push(s, ev);
	}
}

/* ---- checks ---- */

static uint64_t dur_term_at(struct sim *s, uint32_t i, uint64_t index)
{
	return simstore_shadow_term_at(s->nodes[i].store, index);
}

/* Term and vote durable before any message that depends on them leaves. */
static void check_outgoing(struct sim *s, uint32_t i, const struct raft_msg *m)
{
	const struct raft_hardstate *hs = simstore_shadow_hs(s->nodes[i].store);
	struct node *n = &s->nodes[i];
	bool future = m->type == RAFT_MSG_PREVOTE ||
		      (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject);

	if (!future && m->term > hs->term)
		fail(s, "persist-before-send",
		     "node %llu sent %s in term %llu with durable term %llu",
		     (unsigned long long)n->id, raft_msg_type_name(m->type),
		     (unsigned long long)m->term,
		     (unsigned long long)hs->term);
	if (m->type == RAFT_MSG_VOTE_RESP && !m->reject &&
	    (hs->vote != m->to || hs->term != m->term))
		fail(s, "persist-before-send",
		     "node %llu granted its vote to %llu in term %llu, durable vote %llu term %llu",
		     (unsigned long long)n->id, (unsigned long long)m->to,
		     (unsigned long long)m->term,
		     (unsigned long long)hs->vote,
		     (unsigned long long)hs->term);
	if (m->type == RAFT_MSG_APPEND_RESP && !m->reject && m->index &&
	    dur_term_at(s, i, m->index) != raft_term_at(n->r, m->index) &&
	    raft_term_at(n->r, m->index))
		fail(s, "persist-before-send",
		     "node %llu acked index %llu that is not durable",
		     (unsigned long long)n->id, (unsigned long long)m->index);
}

/* A node must not grant a vote while it still hears a live leader. */
static void check_lease(struct sim *s, uint32_t i, const struct raft_msg *m,
			uint64_t term_before)
{
	struct node *n = &s->nodes[i];

	if (m->reject || m->transfer)
		return;
	if (m->type != RAFT_MSG_VOTE_RESP && m->type != RAFT_MSG_PREVOTE_RESP)
		return;
	if (n->contact_term && n->contact_term == term_before &&
	    m->term > n->contact_term &&
	    s->now < n->contact_time + 300)
		fail(s, "leader-stickiness",
		     "node %llu granted a %s for term %llu %llu ms after hearing the leader of term %llu",
		     (unsigned long long)n->id, raft_msg_type_name(m->type),
		     (unsigned long long)m->term,
		     (unsigned long long)(s->now - n->contact_time),
		     (unsigned long long)n->contact_term);
}

static void check_log_matching(struct sim *s, uint32_t i,
			       const struct raft_entry *e)
{
	uint64_t h = entry_hash(e), prev = raft_term_at(s->nodes[i].r, e->index - 1);
	size_t k;

	if (!s->cap_lm) {
		s->cap_lm = 1 << 16;
		s->lm = calloc(s->cap_lm, sizeof(*s->lm));
		if (!s->lm)
			abort();
	}
	k = (size_t)mix(e->index, e->term) & (s->cap_lm - 1);
	while (s->lm[k].index) {
		if (s->lm[k].index == e->index && s->lm[k].term == e->term) {
			if (s->lm[k].hash != h ||
			    (prev && s->lm[k].prev && s->lm[k].prev != prev))
				fail(s, "log-matching",
				     "node %llu holds a different entry at index %llu term %llu",
				     (unsigned long long)s->nodes[i].id,
				     (unsigned long long)e->index,
				     (unsigned long long)e->term);
			if (!s->lm[k].prev)
				s->lm[k].prev = prev;
			return;
		}
		k = (k + 1) & (s->cap_lm - 1);
	}
	s->lm[k].index = e->index;
	s->lm[k].term = e->term;
	s->lm[k].hash = h;
	s->lm[k].prev = prev;
	if (++s->n_lm * 2 > s->cap_lm) {
		struct lm *old = s->lm;
		size_t oc = s->cap_lm;

		s->cap_lm *= 2;
		s->lm = calloc(s->cap_lm, sizeof(*s->lm));
		if (!s->lm)
			abort();
		for (size_t j = 0; j < oc; j++) {
			if (!old[j].index)
				continue;
			k = (size_t)mix(old[j].index, old[j].term) & (s->cap_lm - 1);
			while (s->lm[k].index)
				k = (k + 1) & (s->cap_lm - 1);
			s->lm[k] = old[j];
		}
		free(old);
	}
}

static void check_leader(struct sim *s, uint32_t i)
{
	struct node *n = &s->nodes[i];
	uint64_t term = raft_term(n->r), last = raft_last_index(n->r);
	uint64_t pending = 0;

	s->term_leader = grow(s->term_leader, &s->cap_terms, term);
	if (!s->term_leader[term]) {
		s->term_leader[term] = n->id;
		s->st->elections++;
		trace(s, "leader %llu term %llu last %llu",
		      (unsigned long long)n->id, (unsigned long long)term,
		      (unsigned long long)last);
		if (s->leader_crash_at && term > s->crashed_leader_term) {
			if (s->st->n_failover < 256)
				s->st->failover_ms[s->st->n_failover++] =
					(uint32_t)(s->now - s->leader_crash_at);
			s->leader_crash_at = 0;
		}
		/* Leader completeness. */
		for (uint64_t k = 1; k <= s->committed_max; k++) {
			uint64_t t = raft_term_at(n->r, k);

			/* Only what was committed before its term began. */
			if (!raft_entry_at(n->r, k) || !s->committed_term[k] ||
			    s->committed_in[k] >= term)
				continue;
			if (t != s->committed_term[k])
				fail(s, "leader-completeness",
				     "leader %llu of term %llu lacks committed index %llu (term %llu, has %llu)",
				     (unsigned long long)n->id,
				     (unsigned long long)term,
				     (unsigned long long)k,
				     (unsigned long long)s->committed_term[k],
				     (unsigned long long)t);
		}
	} else if (s->term_leader[term] != n->id) {
		fail(s, "election-safety", "term %llu has leaders %llu and %llu",
		     (unsigned long long)term,
		     (unsigned long long)s->term_leader[term],
		     (unsigned long long)n->id);
	}
	/* Leader append-only. */
	if (n->lead_term == term) {
		if (last < n->lead_last ||
		    (raft_entry_at(n->r, n->lead_last) &&
		     raft_term_at(n->r, n->lead_last) != n->lead_last_term))
			fail(s, "leader-append-only",
			     "leader %llu of term %llu rewrote its log below %llu",
			     (unsigned long long)n->id,
			     (unsigned long long)term,
			     (unsigned long long)n->lead_last);
	}
	n->lead_term = term;
	n->lead_last = last;
	n->lead_last_term = raft_term_at(n->r, last);
	/* One pending configuration change. */
	for (uint64_t k = raft_commit(n->r) + 1; k <= last; k++) {
		const struct raft_entry *e = raft_entry_at(n->r, k);

		pending += e && e->type == RAFT_ENTRY_CONF;
	}
	if (pending > 1)
		fail(s, "one-conf-change",
		     "leader %llu has %llu uncommitted configuration entries",
		     (unsigned long long)n->id, (unsigned long long)pending);
}

static uint32_t durable_holders(struct sim *s, const struct raft_conf *c,
				uint64_t index, uint64_t term)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < c->n; k++) {
		int j = node_index(s, c->members[k].id);

		if (c->members[k].role != RAFT_VOTER || j < 0)
			continue;
		if (simstore_shadow_snap_index(s->nodes[j].store) >= index ||
		    dur_term_at(s, (uint32_t)j, index) == term)
			n++;
	}
	return n;
}

static void check_commit(struct sim *s, uint32_t i, const struct raft_conf *before,
			 bool was_leader)
{
	struct node *n = &s->nodes[i];
	uint64_t c = raft_commit(n->r), t;

	if (c < n->last_commit) {
		fail(s, "commit-monotonic", "node %llu commit went from %llu to %llu",
		     (unsigned long long)n->id,
		     (unsigned long long)n->last_commit, (unsigned long long)c);
		return;
	}
	if (c == n->last_commit)
		return;
	t = raft_term_at(n->r, c);
	if (was_leader && raft_entry_at(n->r, c)) {
		uint32_t q = 0;

		for (uint32_t k = 0; k < before->n; k++)
			q += before->members[k].role == RAFT_VOTER;
		q = q / 2 + 1;
		if (durable_holders(s, before, c, t) < q)
			fail(s, "commit-durable-quorum",
			     "leader %llu committed index %llu held durably by fewer than %u voters",
			     (unsigned long long)n->id, (unsigned long long)c, q);
		ensure_idx(s, c);
		for (uint64_t k = n->last_commit + 1; k <= c; k++) {
			uint64_t kt = raft_term_at(n->r, k);

			if (!kt)
				continue;
			if (s->committed_term[k] && s->committed_term[k] != kt)
				fail(s, "state-machine-safety",
				     "index %llu committed in terms %llu and %llu",
				     (unsigned long long)k,
				     (unsigned long long)s->committed_term[k],
				     (unsigned long long)kt);
			if (!s->committed_term[k])
				s->committed_in[k] = raft_term(n->r);
			s->committed_term[k] = kt;
		}
		if (c > s->committed_max)
			s->committed_max = c;
		if (c > s->st->committed)
			s->st->committed = c;
	} else if (t && raft_entry_at(n->r, c)) {
		/* A follower commits only what some leader committed. */
		ensure_idx(s, c);
		if (c > s->committed_max || s->committed_term[c] != t)
			fail(s, "follower-commit",
			     "node %llu committed index %llu term %llu that no leader committed",
			     (unsigned long long)n->id, (unsigned long long)c,
			     (unsigned long long)t);
	}
	n->last_commit = c;
}

static void apply_entry(struct sim *s, uint32_t i, const struct raft_entry *e)
{
	struct node *n = &s->nodes[i];

	if (e->index != n->fsm_index + 1) {
		fail(s, "apply-order", "node %llu applied %llu after %llu",
		     (unsigned long long)n->id, (unsigned long long)e->index,
		     (unsigned long long)n->fsm_index);
		return;
	}
	n->fsm_hash = mix(n->fsm_hash, mix(e->term, entry_hash(e)));
	n->fsm_index = e->index;
	ensure_idx(s, e->index);
	if (!s->applied_hash[e->index])
		s->applied_hash[e->index] = n->fsm_hash;
	else if (s->applied_hash[e->index] != n->fsm_hash)
		fail(s, "state-machine-safety",
		     "node %llu applied a different sequence up to index %llu",
		     (unsigned long long)n->id, (unsigned long long)e->index);
	if (e->type == RAFT_ENTRY_NORMAL && e->len == 16) {
		uint64_t magic = 0, id = 0;

		memcpy(&magic, e->data, 8);
		memcpy(&id, e->data + 8, 8);
		if (magic == OP_MAGIC && id < s->n_ops)
			s->ops[id].done = true;
	}
}

/* ---- driving one node ---- */

static void process(struct sim *s, uint32_t i, const struct raft_conf *before,
		    bool was_leader)
{
	struct node *n = &s->nodes[i];
	struct raft_ready rd;
	int rc;

	while (n->up && !s->failed && raft_ready(n->r, &rd) == 0) {
		bool crash_mid = !s->healing && !s->o.failover &&
				 chance_pm(s, 2);

		/* Hostile seeds: some leaders die before sending a thing. */
		if (s->hostile && !s->healing &&
		    raft_state(n->r) == RAFT_LEADER &&
		    raft_term(n->r) < s->cap_terms &&
		    (!s->term_leader[raft_term(n->r)] ?
		     chance_pm(s, 300) : chance_pm(s, 30))) {
			check_leader(s, i);
			raft_advance(n->r, &rd);
			node_crash(s, i);
			return;
		}

		for (size_t k = 0; k < rd.n_ents; k++)
			check_log_matching(s, i, &rd.ents[k]);
		for (size_t k = 0; k < rd.n_msgs; k++) {
			if (rd.msgs[k].after_persist)
				continue;
			check_outgoing(s, i, &rd.msgs[k]);
			send_msg(s, i, &rd.msgs[k]);
		}
		if (crash_mid) {
			/* Crash between sending early and persisting. */
			check_commit(s, i, before, was_leader);
			raft_advance(n->r, &rd);
			node_crash(s, i);
			return;
		}
		if (rd.hs.term < n->durable_term)
			fail(s, "term-monotonic", "node %llu persists term %llu after %llu",
			     (unsigned long long)n->id,
			     (unsigned long long)rd.hs.term,
			     (unsigned long long)n->durable_term);
		if (!s->healing && !s->o.failover && chance_pm(s, 8))
			simstore_die_after(n->store, below(s, 12));
		rc = simstore_persist(n->store, &rd);
		if (rc) {
			/* The disk died mid-save: so does the node. */
			s->st->mid_save_deaths++;
			trace(s, "%llu dies mid-save (%d)",
			      (unsigned long long)n->id, rc);
			check_commit(s, i, before, was_leader);
			raft_advance(n->r, &rd);
			node_crash(s, i);
			return;
		}
		n->durable_term = rd.hs.term;
		if (rd.snap && rd.snap_install) {
			n->fsm_index = simstore_snapshot_fsm(n->store, &n->fsm_hash);
			ensure_idx(s, n->fsm_index);
			if (s->applied_hash[n->fsm_index] &&
			    s->applied_hash[n->fsm_index] != n->fsm_hash)
				fail(s, "state-machine-safety",
				     "node %llu installed a snapshot at %llu that differs",
				     (unsigned long long)n->id,
				     (unsigned long long)n->fsm_index);
			trace(s, "%llu installs snapshot %llu",
			      (unsigned long long)n->id,
			      (unsigned long long)rd.snap->index);
		}
		for (size_t k = 0; k < rd.n_msgs; k++) {
			if ((int)i == s->lease_node)
				check_lease(s, i, &rd.msgs[k],
					    s->lease_term_before);
			if (!rd.msgs[k].after_persist)
				continue;
			check_outgoing(s, i, &rd.msgs[k]);
			send_msg(s, i, &rd.msgs[k]);
		}
		for (size_t k = 0; k < rd.n_committed; k++)
			apply_entry(s, i, &rd.committed[k]);
		for (size_t k = 0; k < rd.n_reads; k++) {
			if (rd.reads[k].index < rd.reads[k].ctx)
				fail(s, "linearizable-read",
				     "read at index %llu missed commit %llu",
				     (unsigned long long)rd.reads[k].index,
				     (unsigned long long)rd.reads[k].ctx);
		}
		raft_advance(n->r, &rd);
		if (raft_state(n->r) == RAFT_LEADER)
			check_leader(s, i);
		check_commit(s, i, before, was_leader);
	}
}

static void deliver(struct sim *s, struct event *ev)
{
	struct node *n = &s->nodes[ev->node];
	struct raft_conf before = { 0 };
	uint64_t term_before;
	struct raft_msg m;
	bool was_leader;
	int rc;

	if (!n->up)
		return;
	rc = raft_msg_decode(ev->bytes, ev->len, &m);
	if (rc) {
		fail(s, "codec", "decode: %d", rc);
		return;
	}
	was_leader = raft_state(n->r) == RAFT_LEADER;
	if (raft_conf_copy(&before, raft_membership(n->r)))
		abort();
	/* The runtime's clock moves before it steps (raft.h). */
	if (raft_tick(n->r, s->now))
		fail(s, "step", "tick failed");
	process(s, ev->node, &before, was_leader);
	raft_conf_free(&before);
	if (!n->up || s->failed) {
		raft_msg_release(&m);
		return;
	}
	term_before = raft_term(n->r);
	was_leader = raft_state(n->r) == RAFT_LEADER;
	if (raft_conf_copy(&before, raft_membership(n->r)))
		abort();
	trace(s, "%llu -> %llu %s t%llu i%llu lt%llu c%llu n%u%s",
	      (unsigned long long)m.from, (unsigned long long)m.to,
	      raft_msg_type_name(m.type), (unsigned long long)m.term,
	      (unsigned long long)m.index, (unsigned long long)m.log_term,
	      (unsigned long long)m.commit, m.n_ents, m.reject ? " reject" : "");
	rc = raft_step(n->r, &m);
	if (rc && rc != -ENOMEM)
		fail(s, "step", "node %llu step: %d", (unsigned long long)n->id, rc);
	/* Leader contact, for the stickiness check. */
	if ((m.type == RAFT_MSG_APPEND || m.type == RAFT_MSG_SNAPSHOT) &&
	    m.term == raft_term(n->r)) {
		n->contact_term = m.term;
		n->contact_time = s->now;
	} else if (raft_term(n->r) != n->contact_term) {
		n->contact_term = 0;
	}
	s->lease_node = ev->node;
	s->lease_term_before = term_before;
	process(s, ev->node, &before, was_leader);
	s->lease_node = -1;
	raft_conf_free(&before);
	raft_msg_release(&m);
}

static void tick(struct sim *s, struct event *ev)
{
	struct node *n = &s->nodes[ev->node];
	struct raft_conf before = { 0 };
	bool was_leader;

	if (!n->up || ev->incarnation != n->incarnation)
		return;
	schedule_tick(s, ev->node, s->now + TICK_MS);
	was_leader = raft_state(n->r) == RAFT_LEADER;
	if (raft_conf_copy(&before, raft_membership(n->r)))
		abort();
	if (raft_tick(n->r, s->now) && !s->failed)
		fail(s, "step", "tick failed");
	process(s, ev->node, &before, was_leader);
	raft_conf_free(&before);
}

/* ---- workload ---- */

static int find_leader(struct sim *s)
{
	int best = -1;

	for (uint32_t i = 0; i < s->n_nodes; i++) {
		struct node *n = &s->nodes[i];

		if (!n->up || raft_state(n->r) != RAFT_LEADER)
			continue;
		if (best < 0 || raft_term(n->r) > raft_term(s->nodes[best].r))
			best = (int)i;
	}
	return best;
}

/*
 * Calls on the leader go between these two, which keep the membership as
 * it was before (the commit checks need it) and consume the ready.
 */
static void leader_begin(struct sim *s, int l, struct raft_conf *before)
{
	memset(before, 0, sizeof(*before));
	if (raft_conf_copy(before, raft_membership(s->nodes[l].r)))
		abort();
}

static void leader_end(struct sim *s, int l, struct raft_conf *before)
{
	process(s, (uint32_t)l, before, true);
	raft_conf_free(before);
}

static void propose_op(struct sim *s, int l, uint64_t id)
{
	uint8_t buf[16];
	uint64_t magic = OP_MAGIC;

	struct raft_conf before;

	memcpy(buf, &magic, 8);
	memcpy(buf + 8, &id, 8);
	leader_begin(s, l, &before);
	raft_propose(s->nodes[l].r, buf, 16, NULL);
	leader_end(s, l, &before);
}

static void new_op(struct sim *s, int l)
{
	if (s->n_ops == s->cap_ops) {
		s->cap_ops = s->cap_ops ? s->cap_ops * 2 : 256;
		s->ops = realloc(s->ops, s->cap_ops * sizeof(*s->ops));
		if (!s->ops)
			abort();
	}
	s->ops[s->n_ops].id = s->n_ops;
	s->ops[s->n_ops].done = false;
	propose_op(s, l, s->n_ops);
	s->n_ops++;
}

static uint32_t count_role(struct sim *s, int l, uint8_t role)
{
	const struct raft_conf *c = raft_membership(s->nodes[l].r);
	uint32_t k = 0;

	for (uint32_t j = 0; j < c->n; j++)
		k += c->members[j].role == role;
	return k;
}

static void conf_change(struct sim *s, int l)
{
	const struct raft_conf *c = raft_membership(s->nodes[l].r);
	struct raft *r = s->nodes[l].r;
	uint32_t voters = count_role(s, l, RAFT_VOTER);
	uint32_t pick = below(s, 4);
	struct raft_conf before;
	uint64_t id = 0, idx;
	int op = 0, rc;

	if (pick == 0 && s->n_nodes < MAXN) {
		op = RAFT_CONF_ADD_LEARNER;
		id = s->n_nodes + 1;
	} else if (c->n) {
		const struct raft_member *m = &c->members[below(s, c->n)];

		id = m->id;
		if (m->role == RAFT_LEARNER)
			op = (pick == 3) ? RAFT_CONF_REMOVE : RAFT_CONF_PROMOTE;
		else if (voters > 3)
			op = (pick == 3) ? RAFT_CONF_REMOVE : RAFT_CONF_DEMOTE;
		else if (voters < 5)
			return;
	}
	if (!op || (op == RAFT_CONF_PROMOTE && voters >= 5))
		return;
	leader_begin(s, l, &before);
	rc = raft_propose_conf(r, op, id, &idx);
	leader_end(s, l, &before);
	if (rc)
		return;
	/* A conf entry only after the leader committed one of its term. */
	r = s->nodes[l].r;	/* NULL if it crashed meanwhile */
	if (r && raft_term_at(r, raft_commit(r)) != raft_term(r))
		fail(s, "conf-after-term-commit",
		     "leader %llu appended a conf change before committing in term %llu",
		     (unsigned long long)s->nodes[l].id,
		     (unsigned long long)raft_term(r));
	trace(s, "conf op %d id %llu at %llu", op, (unsigned long long)id,
	      (unsigned long long)idx);
	if (op == RAFT_CONF_ADD_LEARNER) {
		uint32_t j = s->n_nodes++;

		s->nodes[j].id = id;
		s->nodes[j].exists = true;
		simstore_new(&s->nodes[j].store, s->o.use_store, id, rnd_cb, s);
		node_start(s, j);
	}
}

static void workload(struct sim *s)
{
	uint32_t roll = below(s, 1000), victim = below(s, s->n_nodes);
	int l = find_leader(s);
	struct event ev = { .type = EV_WORKLOAD };

	if (s->healing)
		return;
	ev.time = s->now + 5 + below(s, 40);
	ev_push(s, ev);
	if (s->hostile) {
		/*
		 * Churn: links flip at random, nodes die and return, every
		 * leader takes writes that reach whoever is connected. The
		 * schedules of the paper's Figure 8 come out of this.
		 */
		if (roll < 250) {
			for (uint32_t a = 0; a < s->n_nodes; a++)
				for (uint32_t b = 0; b < s->n_nodes; b++)
					s->blocked[a][b] = a != b && chance_pm(s, 400);
			trace(s, "churn links");
		} else if (roll < 300) {
			node_crash(s, victim);
		} else if (roll < 400) {
			if (!s->nodes[victim].up)
				node_start(s, victim);
		} else if (l >= 0) {
			new_op(s, l);
		}
		return;
	}
	if (s->o.failover) {
		/* Quiet network; the leader dies every 2 s, back after 1 s. */
		for (uint32_t j = 0; j < s->n_nodes; j++)
			if (!s->nodes[j].up && s->now >= s->nodes[j].down_since + 1000)
				node_start(s, j);
		if (l >= 0 && s->now >= s->last_kill + 2000) {
			s->last_kill = s->now;
			node_crash(s, (uint32_t)l);
			s->nodes[l].down_since = s->now;
		} else if (l >= 0) {
			new_op(s, l);
		}
		return;
	}
	if (roll < 450) {
		if (l >= 0)
			new_op(s, l);
	} else if (roll < 480) {
		node_crash(s, victim);
	} else if (roll < 540) {
		if (!s->nodes[victim].up) {
			trace(s, "restart %llu",
			      (unsigned long long)s->nodes[victim].id);
			node_start(s, victim);
		}
	} else if (roll < 560) {
		/* Isolate one node, or cut one direction only. */
		bool asym = chance_pm(s, 300);

		for (uint32_t j = 0; j < s->n_nodes; j++) {
			s->blocked[victim][j] = true;
			if (!asym)
				s->blocked[j][victim] = true;
		}
		trace(s, "partition %llu%s",
		      (unsigned long long)s->nodes[victim].id,
		      asym ? " (outbound only)" : "");
	} else if (roll < 575) {
		/* Split into two random halves. */
		uint32_t side[MAXN];

		for (uint32_t j = 0; j < s->n_nodes; j++)
			side[j] = below(s, 2);
		for (uint32_t a = 0; a < s->n_nodes; a++)
			for (uint32_t b = 0; b < s->n_nodes; b++)
				s->blocked[a][b] = side[a] != side[b];
		trace(s, "split");
	} else if (roll < 640) {
		memset(s->blocked, 0, sizeof(s->blocked));
		trace(s, "heal");
	} else if (roll < 690) {
		if (l >= 0)
			conf_change(s, l);
	} else if (roll < 710) {
		if (l >= 0 && s->nodes[victim].up) {
			trace(s, "transfer %llu -> %llu",
			      (unsigned long long)s->nodes[l].id,
			      (unsigned long long)s->nodes[victim].id);
			struct raft_conf before;

			leader_begin(s, l, &before);
			raft_transfer(s->nodes[l].r, s->nodes[victim].id);
			leader_end(s, l, &before);
		}
	} else if (roll < 760) {
		struct node *n = &s->nodes[victim];

		if (n->up && n->fsm_index == raft_applied(n->r) &&
		    n->fsm_index > 0) {
			uint8_t *data;
			uint64_t len = 16 + below(s, 3) * below(s, 6000);

			data = calloc(1, len);
			if (!data)
				abort();
			memcpy(data, &n->fsm_index, 8);
			memcpy(data + 8, &n->fsm_hash, 8);
			if (raft_snapshot(n->r, n->fsm_index, data, len) == 0) {
				struct raft_conf before = { 0 };

				trace(s, "%llu snapshots at %llu",
				      (unsigned long long)n->id,
				      (unsigned long long)n->fsm_index);
				if (raft_conf_copy(&before, raft_membership(n->r)))
					abort();
				process(s, victim, &before,
					raft_state(n->r) == RAFT_LEADER);
				raft_conf_free(&before);
			}
			free(data);
		}
	} else if (roll < 800) {
		if (l >= 0) {
			struct raft_conf before;

			leader_begin(s, l, &before);
			raft_read_index(s->nodes[l].r, s->committed_max);
			leader_end(s, l, &before);
		}
	} else if (roll < 830) {
		s->nodes[victim].paused_until = s->now + 100 + below(s, 600);
		trace(s, "pause %llu", (unsigned long long)s->nodes[victim].id);
	} else if (roll < 840) {
		s->drop_pm = below(s, 200);
		s->dup_pm = below(s, 50);
	} else if (roll < (s->hostile ? 950u : 870u)) {
		/*
		 * Leaders die young, right after taking a write that reached
		 * few: the schedules of the paper's Figure 8.
		 */
		if (l >= 0) {
			new_op(s, l);
			if (s->nodes[l].up)
				node_crash(s, (uint32_t)l);
		}
	}
}

/* ---- main loop ---- */

static bool all_ops_done(struct sim *s)
{
	for (size_t k = 0; k < s->n_ops; k++)
		if (!s->ops[k].done)
			return false;
	return true;
}

static void heal(struct sim *s)
{
	s->healing = true;
	memset(s->blocked, 0, sizeof(s->blocked));
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		s->nodes[i].paused_until = 0;
		if (!s->nodes[i].up) {
			trace(s, "restart %llu (healing)",
			      (unsigned long long)s->nodes[i].id);
			node_start(s, i);
		}
	}
	trace(s, "healed: liveness phase");
}

void raftsim_opts_default(struct raftsim_opts *o, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->seed = seed;
	o->fault_ms = 8000;
	o->nodes = 3 + (uint32_t)(seed % 3);
	o->out = stderr;
	o->use_store = true;
}

int raftsim_run(const struct raftsim_opts *o, struct raftsim_stats *st)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct raft_conf conf;
	uint64_t deadline, last_retry = 0;
	int ret = 0;

	if (!s)
		abort();
	memset(st, 0, sizeof(*st));
	s->o = *o;
	s->st = st;
	s->rng = o->seed * 0x9e3779b97f4a7c15ull + 0x1234567;
	if (!s->rng)
		s->rng = 1;
	s->drop_pm = o->failover ? 0 : 20;
	s->dup_pm = o->failover ? 0 : 10;
	{
		static const uint32_t appends[] = { 1, 2, 8, 64 };
		static const uint32_t inflight[] = { 1, 4, 16 };

		s->max_append = appends[below(s, 4)];
		s->max_inflight = inflight[below(s, 3)];
		s->hostile = !o->failover && below(s, 4) == 0;
		if (s->hostile)
			s->max_append = 1;
	}
	s->n_nodes = o->nodes;
	s->lease_node = -1;
	s->doomed = -1;
	conf.n = o->nodes;
	conf.members = calloc(o->nodes, sizeof(*conf.members));
	if (!conf.members)
		abort();
	for (uint32_t i = 0; i < o->nodes; i++) {
		conf.members[i].id = i + 1;
		conf.members[i].role = RAFT_VOTER;
	}
	s->founding = conf;
	/* Entry 1, the founding membership, is committed by construction. */
	ensure_idx(s, 1);
	s->committed_term[1] = 1;
	s->committed_max = 1;
	for (uint32_t i = 0; i < o->nodes; i++) {
		struct node *n = &s->nodes[i];

		n->id = i + 1;
		n->exists = true;
		n->founding = true;
		simstore_new(&n->store, o->use_store, n->id, rnd_cb, s);
		node_start(s, i);
	}
	ev_push(s, (struct event){ .time = 10, .type = EV_WORKLOAD });
	deadline = o->fault_ms + 20 * 600 + 2000;
	while (s->n_ev && !s->failed) {
		struct event ev = ev_pop(s);

		if (ev.time > deadline) {
			free(ev.bytes);
			break;
		}
		s->now = ev.time;
		st->events++;
		if (!s->healing && s->now >= o->fault_ms)
			heal(s);
		if (ev.type != EV_WORKLOAD && s->nodes[ev.node].paused_until > s->now) {
			ev.time = s->nodes[ev.node].paused_until;
			ev_push(s, ev);
			continue;
		}
		switch (ev.type) {
		case EV_DELIVER:
			deliver(s, &ev);
			break;
		case EV_TICK:
			tick(s, &ev);
			break;
		case EV_WORKLOAD:
			workload(s);
			break;
		}
		free(ev.bytes);
		if (s->doomed >= 0) {
			if (!s->healing && s->nodes[s->doomed].up)
				node_crash(s, (uint32_t)s->doomed);
			s->doomed = -1;
		}
		if (s->healing && s->now - last_retry >= 100) {
			int l = find_leader(s);

			last_retry = s->now;
			if (l >= 0 && all_ops_done(s) && s->now > o->fault_ms + 200)
				break;
			/* Clients retry what has not committed yet. */
			for (size_t k = 0; l >= 0 && k < s->n_ops; k++)
				if (!s->ops[k].done && s->nodes[l].up)
					propose_op(s, l, k);
		}
	}
	if (!s->failed && (!all_ops_done(s) || find_leader(s) < 0)) {
		size_t open = 0;

		for (size_t k = 0; k < s->n_ops; k++)
			open += !s->ops[k].done;
		fail(s, "liveness",
		     "%zu of %zu proposals still uncommitted %llu ms after healing (leader %s)",
		     open, s->n_ops,
		     (unsigned long long)(s->now - o->fault_ms),
		     find_leader(s) < 0 ? "none" : "present");
	}
	ret = s->failed ? -1 : 0;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		st->torn_writes += simstore_torn(s->nodes[i].store);
		raft_free(s->nodes[i].r);
		simstore_free(s->nodes[i].store);
	}
	while (s->n_ev) {
		struct event ev = ev_pop(s);

		free(ev.bytes);
	}
	free(s->heap);
	free(s->term_leader);
	free(s->applied_hash);
	free(s->committed_term);
	free(s->committed_in);
	free(s->lm);
	free(s->ops);
	raft_conf_free(&s->founding);
	free(s);
	return ret;
}
