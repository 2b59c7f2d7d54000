/*
 * daemon-lock.h: one daemon per state directory
 *
 * Two daemons on one state directory would both re-attach its guests and
 * both write their status files, so the daemon holds a lock on
 * STATE_DIR/convergd.lock for its whole life.
 */
#pragma once

/*
 * Create @state_dir if needed, lock its convergd.lock (flock, released
 * when the process ends however it ends) and write this pid into it.
 * Returns the descriptor to keep open, or -1 (reported
 * OPERATION_INVALID naming the directory and the holder's pid when
 * another daemon holds it).
 */
int cvg_daemon_lock_state_dir(const char *state_dir);
