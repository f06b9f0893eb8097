/*
 * Static files of the web app (see web.h).
 */
#include "http/web.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSP                                                                                        \
	"default-src 'self'; img-src 'self' data:; media-src 'self' data:; style-src 'self'; "     \
	"object-src 'none'; frame-ancestors 'none'"

bool ck_web_handles(const char *url)
{
	return strcmp(url, "/") == 0 || strcmp(url, "/app") == 0 || strncmp(url, "/app/", 5) == 0;
}

int ck_web_map(const char *url, char *rel, size_t rel_len)
{
	const char *p;
	if (strcmp(url, "/") == 0 || strcmp(url, "/app") == 0 || strcmp(url, "/app/") == 0)
		p = "index.html";
	else if (strncmp(url, "/app/", 5) == 0)
		p = url + 5;
	else
		return -ENOENT;
	size_t n = strlen(p);
	if (n == 0 || n >= rel_len || n > 512)
		return -ENOENT;
	bool seg_start = true;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
		if (!ok || (seg_start && (c == '.' || c == '/')))
			return -ENOENT;
		seg_start = c == '/';
	}
	memcpy(rel, p, n + 1);
	if (rel[n - 1] == '/') { /* a directory: its index */
		if (n + strlen("index.html") >= rel_len)
			return -ENOENT;
		memcpy(rel + n, "index.html", sizeof("index.html"));
	}
	return 0;
}

const char *ck_web_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".webmanifest", "application/manifest+json" },
		{ ".wav", "audio/wav" },
		{ ".mp3", "audio/mpeg" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(dot, types[i][0]) == 0)
				return types[i][1];
	return "application/octet-stream";
}

static enum MHD_Result plain(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Opens dir/rel only when it resolves to a regular file inside dir. */
static int open_inside(const char *dir, const char *rel, struct stat *st)
{
	char root[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	if (!realpath(dir, root))
		return -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return -ENOENT;
	if (!realpath(path, real))
		return -ENOENT;
	size_t n = strlen(root);
	if (strncmp(real, root, n) != 0 || real[n] != '/')
		return -ENOENT;
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

enum MHD_Result ck_web_serve(struct MHD_Connection *conn, const char *dir, const char *url,
                             const char *method)
{
	char rel[600];
	struct stat st;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return plain(conn, 405, "method not allowed\n");
	if (!dir || ck_web_map(url, rel, sizeof(rel)) != 0)
		return plain(conn, 404, "not found\n");
	int fd = open_inside(dir, rel, &st);
	const char *last = strrchr(rel, '/');
	if (fd < 0 && !strchr(last ? last : rel, '.')) { /* a client-side route */
		snprintf(rel, sizeof(rel), "index.html");
		fd = open_inside(dir, rel, &st);
	}
	if (fd < 0)
		return plain(conn, 404, "not found\n");
	struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	const char *type = ck_web_type(rel);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	if (strncmp(type, "text/html", 9) == 0)
		MHD_add_response_header(r, "Content-Security-Policy", CSP);
	enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}
