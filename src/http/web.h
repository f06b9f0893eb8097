/*
 * The web app's static files: GET / and GET /app/<path> are answered from
 * a directory (docs/api.md, "The web app"). Paths are checked before any
 * file is opened (a small alphabet, no segment starting with '.'), the
 * resolved file must lie inside the directory (symbolic links out of it
 * are refused), and only regular files are sent. Owns nothing.
 */
#ifndef CK_WEB_H
#define CK_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

/* True when url is served by this module ("/", "/app", "/app/..."). */
bool ck_web_handles(const char *url);

/*
 * Maps url to a relative file name in rel ("index.html", "js/app.js").
 * Returns 0, or -ENOENT for a path outside the allowed shape.
 */
int ck_web_map(const char *url, char *rel, size_t rel_len);

/* The Content-Type for a file name by its extension. */
const char *ck_web_type(const char *name);

/* Answers one request for url from dir (method GET or HEAD, else 405). */
enum MHD_Result ck_web_serve(struct MHD_Connection *conn, const char *dir, const char *url,
                             const char *method);

#endif
