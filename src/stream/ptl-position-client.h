/* A position stream client: a SUB socket connected to PandABlocks-ioc's ZMQ publisher,
 * decoded on the socket's own thread (reference/protocols.md §5.4 C). */
#pragma once

#include <glib.h>

#include "stream/ptl-panda.h"

G_BEGIN_DECLS

/* Called on the client's thread for every message accepted, with the positions it
 * completed (in index order; none for most start and stop messages). The positions
 * belong to the client and are valid during the call. Must not free the client. */
typedef void (*PtlPositionFunc) (PtlPandaMsgType    type,
                                 const PtlStagePosition *positions,
                                 guint              n_positions,
                                 gpointer           user_data);

typedef struct
{
  PtlPandaCounters panda; /* messages, bad messages, samples, positions, … */
  guint64          bytes;
} PtlPositionCounters;

typedef struct _PtlPositionClient PtlPositionClient;

/* Copies the configuration; fails when it or the endpoint is not valid. */
PtlPositionClient  *ptl_position_client_new (const char           *endpoint,
                                             const PtlPandaConfig *config,
                                             PtlPositionFunc       func,
                                             gpointer              user_data,
                                             GError              **error);
/* Stops the thread promptly; no callback runs after it returns. */
void                ptl_position_client_free (PtlPositionClient *client);
/* Thread-safe. */
PtlPositionCounters ptl_position_client_counters (PtlPositionClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtlPositionClient, ptl_position_client_free)

G_END_DECLS
