/* SPDX-License-Identifier: MIT */
/*
 * request.c - the bracket around every request that reaches a device: model
 * time before it runs, the journal record after it changed something (on
 * stable storage before the reply goes out, docs/persistence.md), the QMP
 * events of what it did after that, and checkpoints every N records.
 *
 * A failed commit cannot be undone in the model (it has no undo), so the
 * daemon answers that request with an error and stops: the disk is behind
 * memory and no later acknowledgement could be durable.
 */
#include <errno.h>
#include <time.h>

#include "store/store.h"
#include "daemon.h"
#include "loop.h"

uint64_t srv_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void srv_request_begin(struct server_ctx *s)
{
	if (!s->replaying)
		s->now_ns = srv_wall_ns();
	for (size_t i = 0; i < s->nr_devs; i++)
		core_dev_set_time(s->devs[i]->dev, s->now_ns);
}

int srv_journal(struct server_ctx *s, uint32_t kind, uint32_t dev, uint32_t port, uint32_t host,
		const void *data, size_t len)
{
	struct store_rec rec = { .time_ns = s->now_ns, .kind = kind, .dev = dev, .port = port,
				 .host = host, .data = data, .len = len };
	int rc;

	if (!s->st || s->replaying)
		return 0;
	if (s->failed)
		return -EIO;
	rc = store_begin(s->st);
	if (!rc)
		rc = store_journal_append(s->st, &rec);
	if (!rc)
		rc = store_commit(s->st);
	else
		store_rollback(s->st);
	if (rc) {
		srv_log(s->log, LOG_ERR, "state: cannot store an acknowledged request (%s): %s; stopping",
			store_rec_kind_str(kind), store_last_error(s->st));
		s->failed = true;
		loop_stop(s->loop);
		return rc;
	}
	s->since_ckpt++;
	return 0;
}

void srv_checkpoint(struct server_ctx *s)
{
	if (!s->st || s->failed)
		return;
	for (size_t i = 0; i < s->nr_devs; i++) {
		int rc = store_checkpoint(s->st, s->devs[i]->index, s->devs[i]->dev);

		if (rc)
			srv_log(s->log, LOG_WARNING, "state: checkpoint of %s failed: %s", s->devs[i]->id,
				store_last_error(s->st));
	}
	s->since_ckpt = 0;
}

void srv_request_end(struct server_ctx *s)
{
	srv_events_flush(s);
	if (!s->replaying && s->ckpt_every && s->since_ckpt >= s->ckpt_every)
		srv_checkpoint(s);
}

/*
 * Commands that never change the model or a context's More chain state when
 * they succeed (CEL effects "none" in docs/conformance.md).  Everything else
 * that succeeds is journaled.
 */
bool srv_cci_opcode_is_read(uint16_t opcode)
{
	switch (opcode) {
	case CXLDCD_OP_IDENTIFY:
	case CXLDCD_OP_GET_RESPONSE_MSG_LIMIT:
	case CXLDCD_OP_GET_EVENT_RECORDS:
	case CXLDCD_OP_GET_EVENT_INTERRUPT_POLICY:
	case CXLDCD_OP_GET_SUPPORTED_LOGS:
	case CXLDCD_OP_GET_LOG:
	case CXLDCD_OP_IDENTIFY_MEMORY_DEVICE:
	case CXLDCD_OP_GET_DC_CONFIG:
	case CXLDCD_OP_GET_DC_EXTENT_LIST:
	case CXLDCD_OP_FM_GET_DCD_INFO:
	case CXLDCD_OP_FM_GET_HOST_DC_REGION_CONFIG:
	case CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS:
	case CXLDCD_OP_FM_DC_LIST_TAGS:
		return true;
	default:
		return false;
	}
}
