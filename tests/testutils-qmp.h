/*
 * testutils-qmp.h: a scripted QMP peer standing in for QEMU
 *
 * The peer runs in its own thread on one end of a socketpair and plays a
 * script, one item per line.  Lines that are blank or start with '#' are
 * skipped; items carrying JSON may end with a '# comment'.
 *
 *   greeting [TEXT]   send TEXT + CRLF verbatim (JSON or deliberately not);
 *                     a bare "greeting" sends nothing.  Without a greeting
 *                     item first, a QEMU 10.0.2 greeting is sent.
 *   cmd NAME [ARGS]   receive a command; its "execute" must be NAME and,
 *                     when ARGS is given, its "arguments" must equal ARGS
 *                     (json_object_equal: key order does not matter)
 *   reply JSON        send JSON, with "id" set to the last command's id
 *                     unless JSON has its own "id"
 *   event JSON        send JSON as it is
 *   raw TEXT          send TEXT without a newline; \r \n \t \\ \xHH escapes
 *   sleep MS          pause
 *   chunk N           send later output in pieces of N bytes, 10 ms apart
 *                     ("chunk 0" stops that)
 *   hold / flush      collect the output between them into a single write
 *   echo N            receive N commands of any name, then reply to them in
 *                     reverse order, in one write, each returning the
 *                     command's arguments ({} without)
 *   flood BYTES       send BYTES bytes of 'x' (no newline); a failing send
 *                     is not an error here
 *   wait-close        wait for the other side to close; any data is an error
 *   close             close the connection (must be the last item)
 * The connection is closed at the end of the script too.  Every wait for
 * the other side gives up after 10 s.
 */
#pragma once

typedef struct _CvgTestQmpPeer CvgTestQmpPeer;

/* Parse the script in file @script_path and start playing it in a new
 * thread on one end of a socketpair; the other end is returned in *ret_fd.
 * Returns NULL (with a message on stderr) if the script does not parse. */
CvgTestQmpPeer *cvg_test_qmp_peer_start(const char *script_path, int *ret_fd);

/* Wait for the script to end, free @peer.  Returns 0 if every expected
 * command arrived in order and matched and every send worked, -1 otherwise
 * (with what differed on stderr). */
int cvg_test_qmp_peer_finish(CvgTestQmpPeer *peer);
