#!/usr/bin/env python3
"""A git smart-HTTP server on 127.0.0.1 for the credential-helper tests.

`git http-backend` runs as a CGI behind HTTP Basic auth, and the password must be
an access token the fake provider accepts right now: it is checked against the
fake's who-am-i address (argv[2]) on every request. Without one the answer is
401 with `WWW-Authenticate: Basic`, which makes git ask its credential helpers.

Usage: git_http_server.py REPO_ROOT CHECK_URL
Prints the port it listens on, then serves until it is killed. Loopback only.
"""
import base64
import http.server
import os
import subprocess
import sys
import urllib.request

ROOT, CHECK_URL = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.serve_git()

    def do_POST(self):
        self.serve_git()

    def token_accepted(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            _, _, token = base64.b64decode(auth[6:]).decode().partition(":")
        except Exception:
            return False
        request = urllib.request.Request(
            CHECK_URL,
            headers={"Authorization": "Bearer " + token, "User-Agent": "authdeck-git-test"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status == 200
        except Exception:
            return False

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def serve_git(self):
        body = self.read_body()
        if not self.token_accepted():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="authdeck-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = dict(
            os.environ,
            GIT_PROJECT_ROOT=ROOT,
            GIT_HTTP_EXPORT_ALL="1",
            PATH_INFO=path,
            QUERY_STRING=query,
            REQUEST_METHOD=self.command,
            CONTENT_TYPE=self.headers.get("Content-Type", ""),
            CONTENT_LENGTH=str(len(body)),
            HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""),
            HTTP_GIT_PROTOCOL=self.headers.get("Git-Protocol", ""),
            REMOTE_USER="tester",
            REMOTE_ADDR="127.0.0.1",
        )
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.split(b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
