/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Client side of the faultfs control socket. A faultfs mount listens on
 *   /run/faultline/faultfs/<16 hex digits of FNV-1a-64(realpath(MOUNTPOINT))>.sock
 * (root only). The protocol is one JSON object per line each way:
 *
 *   {"cmd":"ping"}                                -> {"ok":true,"version":"..."}
 *   {"cmd":"fault","rules":["write:error=EIO"]}   -> {"ok":true,"ids":[0]}
 *   {"cmd":"clear"} / {"cmd":"clear","id":0}      -> {"ok":true,"cleared":1}
 *   {"cmd":"powercut","keep_ppm":0,"seed":1,"torn":0} -> {"ok":true,"report":{...}}
 *   {"cmd":"resume"}                              -> {"ok":true}
 *   {"cmd":"snapshot","dest":"/abs/dir"}          -> {"ok":true,"files":..,"bytes":..,"held_ns":..,...}
 *                        (what a power cut now would leave, copied into dest: <faultline/fs_snapshot.h>)
 *   {"cmd":"sync"}     -> {"ok":true,"volatile_bytes":..,"volatile_writes":..,"volatile_names":..}
 *                        (everything becomes durable, as sync(2) on a disk; the counts
 *                        are what was volatile before)
 *   {"cmd":"status"}   -> {"ok":true,"mode":..,"offline":..,"totals":{..},"files":[..],"rules":[..]}
 *   {"cmd":"log","since":1,"follow":false}        -> {"ok":true}, log lines..., {"end":true}
 *
 * Failures answer {"ok":false,"error":"..."}. Every call here returns 0 or
 * a negative errno and prints nothing; fl_fs_strerror() says what a code
 * means for these calls.
 */
#ifndef FAULTLINE_FS_H
#define FAULTLINE_FS_H

#include <stddef.h>
#include <stdbool.h>

#include <jansson.h>

#define FL_FS_SOCKET_DIR "/run/faultline/faultfs"
#define FL_FS_MAX_REQUEST 65536   /* longest request line the daemon reads */

/* Socket path for an already canonical absolute mount point (no realpath). */
int fl_fs_socket_path_canonical(const char *abs_mountpoint, char *buf, size_t len);
/* Socket path for mountpoint (resolved with realpath). */
int fl_fs_socket_path(const char *mountpoint, char *buf, size_t len);
/* 0 if mountpoint is a fuse.faultfs mount; -EMEDIUMTYPE if not. */
int fl_fs_check_mount(const char *mountpoint);

/* Check the mount, connect to its socket. */
int fl_fs_connect(const char *mountpoint, int *ret_fd);

/*
 * Remove control sockets in dir (NULL: FL_FS_SOCKET_DIR) that nobody answers
 * on any more: left by a faultfs that was SIGKILLed. Sockets younger than
 * a few seconds are spared, so a daemon between bind() and listen() is
 * never hit. Returns how many were removed, or -errno.
 */
int fl_fs_remove_stale_sockets(const char *dir);
/* Is path a socket file that nobody listens on (its daemon is gone)? */
bool fl_fs_socket_abandoned(const char *path);

/* Send one request (a JSON object) as a line. */
int fl_fs_send(int fd, json_t *req);
/*
 * Read one line (without its '\n'), malloc'ed, into *ret_line. Reads no byte
 * past the line, so calls can alternate with other readers of fd.
 * -ETIMEDOUT after timeout_ms (< 0: wait forever), -ECONNRESET at end of stream.
 */
int fl_fs_read_line(int fd, int timeout_ms, char **ret_line);
/* Read one line and parse it as a JSON object. */
int fl_fs_read_json(int fd, int timeout_ms, json_t **ret);
/*
 * Send req and wait for the reply. A reply {"ok":false,...} is still returned
 * (0): the caller shows its "error".
 */
int fl_fs_request(int fd, json_t *req, json_t **ret_reply, int timeout_ms);

/* Message for a code returned above ("not a faultfs mount", ...). */
const char *fl_fs_strerror(int err);

#endif /* FAULTLINE_FS_H */
