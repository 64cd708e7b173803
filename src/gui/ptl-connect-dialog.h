/* The Connect dialog: the detector's endpoint and protocol (DECTRIS Stream V2 or V1) and
 * the PandA position stream's endpoint.
 *
 * Signals:
 *   "connect" — the user asked to connect with the values shown (the dialog then closes) */
#pragma once

#include <gtk/gtk.h>

#include "stream/ptl-detector-client.h"

G_BEGIN_DECLS

#define PTL_TYPE_CONNECT_DIALOG (ptl_connect_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PtlConnectDialog, ptl_connect_dialog, PTL, CONNECT_DIALOG, GtkWindow)

/* `settings` (may be NULL) keeps the endpoints and the protocol between runs. */
GtkWidget          *ptl_connect_dialog_new (GtkWindow *parent,
                                            GSettings *settings);
const char         *ptl_connect_dialog_get_detector_endpoint (PtlConnectDialog *dialog);
const char         *ptl_connect_dialog_get_positions_endpoint (PtlConnectDialog *dialog);
PtlDetectorProtocol ptl_connect_dialog_get_protocol (PtlConnectDialog *dialog);
/* Metres; 0: the distance the stream sends (Stream V1 only). */
double              ptl_connect_dialog_get_distance (PtlConnectDialog *dialog);
void                ptl_connect_dialog_set_distance (PtlConnectDialog *dialog,
                                                     double            metres);
void                ptl_connect_dialog_set_endpoints (PtlConnectDialog   *dialog,
                                                      const char         *detector,
                                                      const char         *positions,
                                                      PtlDetectorProtocol protocol);

G_END_DECLS
