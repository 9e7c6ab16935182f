// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: the ordered work queue that runs every job, the per-namespace
 * state, and what happens when a namespace or the bound device goes away.
 *
 * The doit only queues: it runs under genl's cb_lock, and a nested genl
 * request from there deadlocks the system as soon as any genl family
 * (un)registers meanwhile (research/kmod-feasibility.md §4 #8). The worker
 * holds no netlink lock, so its nested requests are ordinary ones.
 */

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>

#include "apply.h"
#include "netlink.h"
#include "work.h"

static struct workqueue_struct *atom_wq;
static unsigned int atom_net_id __read_mostly;
static atomic64_t atom_job_ids;
static bool atom_stopping;	/* under every atom_net lock's writer */
static DEFINE_SPINLOCK(atom_stop_lock);

struct atom_net *atom_net(struct net *net)
{
	return net_generic(net, atom_net_id);
}

struct atom_job *atom_job_alloc(u32 n)
{
	struct atom_job *job;

	job = kvzalloc(struct_size(job, items, n), GFP_KERNEL);
	if (job)
		job->n = n;
	return job;
}

void atom_job_free(struct atom_job *job)
{
	kvfree(job);
}

static void job_work(struct work_struct *work)
{
	struct atom_job *job = container_of(work, struct atom_job, work);
	struct atom_net *an = atom_net(job->net);
	struct atom_result res = {
		.job = job->id,
		.cmd = job->cmd,
		.index = job->index,
		.item = ATOM_ITEM_NONE,
	};

	atom_apply_run(job, an, &res);
	if (res.err)
		pr_debug("job %llu failed: %d %s (undo %d)\n", res.job,
			 res.err, res.msg, res.undo_err);
	mutex_lock(&an->lock);
	an->last = res;
	an->has_last = true;
	an->pending--;
	an->gen++;
	mutex_unlock(&an->lock);
	atom_genl_notify(job->net, &res);
	put_net(job->net);
	atom_job_free(job);
}

/* Called by the doit; on success the job belongs to the work queue. */
int atom_job_queue(struct atom_job *job, struct net *net, u64 *id,
		   struct netlink_ext_ack *extack)
{
	struct atom_net *an = atom_net(net);
	int ret = 0;

	mutex_lock(&an->lock);
	spin_lock(&atom_stop_lock);
	if (atom_stopping) {
		NL_SET_ERR_MSG_MOD(extack, "atom is being unloaded");
		ret = -ESHUTDOWN;
	} else if (an->pending >= ATOM_MAX_QUEUED) {
		NL_SET_ERR_MSG_MOD(extack,
				   "ATOM_MAX_QUEUED batches already queued");
		ret = -EBUSY;
	} else {
		an->pending++;
		job->net = get_net(net);
		job->id = atomic64_inc_return(&atom_job_ids);
		*id = job->id;
		INIT_WORK(&job->work, job_work);
		queue_work(atom_wq, &job->work);
	}
	spin_unlock(&atom_stop_lock);
	mutex_unlock(&an->lock);
	return ret;
}

static int atom_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct atom_net *an;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	an = atom_net(dev_net(dev));
	/* Under rtnl: the worker never holds an->lock across rtnl. */
	mutex_lock(&an->lock);
	if (an->dev && !an->gone && an->dev->ifindex == dev->ifindex) {
		an->gone = true;
		an->gen++;
		pr_debug("bound device %s unregistered\n", dev->name);
	}
	mutex_unlock(&an->lock);
	return NOTIFY_DONE;
}

static struct notifier_block atom_netdev_nb = {
	.notifier_call = atom_netdev_event,
};

static int __net_init atom_net_init(struct net *net)
{
	struct atom_net *an = atom_net(net);

	mutex_init(&an->lock);
	return 0;
}

/* Every job holds its namespace, so none is left for this one. */
static void __net_exit atom_net_exit(struct net *net)
{
	struct atom_net *an = atom_net(net);

	WARN_ON_ONCE(an->pending);
	atom_dev_free(an->dev);
	an->dev = NULL;
	mutex_destroy(&an->lock);
}

static struct pernet_operations atom_net_ops = {
	.init = atom_net_init,
	.exit = atom_net_exit,
	.id = &atom_net_id,
	.size = sizeof(struct atom_net),
};

int __init atom_work_init(void)
{
	int ret;

	atom_wq = alloc_ordered_workqueue("atom", 0);
	if (!atom_wq)
		return -ENOMEM;
	ret = register_pernet_subsys(&atom_net_ops);
	if (ret < 0)
		goto err_destroy_wq;
	ret = register_netdevice_notifier(&atom_netdev_nb);
	if (ret < 0)
		goto err_unregister_pernet;
	return 0;

err_unregister_pernet:
	unregister_pernet_subsys(&atom_net_ops);
err_destroy_wq:
	destroy_workqueue(atom_wq);
	return ret;
}

/*
 * Unload, first half: refuse new jobs and run the queued ones to the end,
 * while the family is still registered so that their results go out.
 */
void atom_work_stop(void)
{
	spin_lock(&atom_stop_lock);
	atom_stopping = true;
	spin_unlock(&atom_stop_lock);
	flush_workqueue(atom_wq);
}

void atom_work_uninit(void)
{
	destroy_workqueue(atom_wq);
	unregister_netdevice_notifier(&atom_netdev_nb);
	unregister_pernet_subsys(&atom_net_ops);
}
