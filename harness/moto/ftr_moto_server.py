"""moto server for ftr-monitor's tests and demo, with the harness's workarounds for what moto
5.2.5 fixes or lacks (DESIGN section 6). Product code never knows about any of this.

Workarounds:
- IAM root user: moto's credential report has no `<root_account>` row and GetAccountSummary
  always says AccountMFAEnabled=0 / AccountAccessKeysPresent=0. This server adds the root row and
  answers those keys from a per-account root-user state that a test sets with
  `POST /_ftr/root-user` (JSON: account_id, mfa_enabled, access_keys, password_present,
  password_last_used, access_key_1_active, access_key_1_last_used, ...). Unset accounts get a
  fresh account's root: password, no MFA, no keys, never used.
- S3 ListBuckets: moto cuts the list at MaxBuckets without returning a ContinuationToken, so a
  paginating client silently sees only the first page. This server ignores MaxBuckets (every bucket
  in one page), which a paginating client reads correctly.
- S3 Control access point answers (CreateAccessPoint, GetAccessPoint, GetAccessPointPolicy,
  ListAccessPoints) come with the root element `<XResponse>` where the API (and the Rust SDK)
  has `<XResult>`; this server renames the root element of S3 Control answers.
- `POST /moto-api/reset` also forgets the root-user state.

Usage: python ftr_moto_server.py --port PORT [--host 127.0.0.1]
"""

import argparse
import json
import re
import threading

from moto.iam import models as iam_models
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_LOCK = threading.Lock()
_ROOT = {}

_DEFAULT_ROOT = {
    "mfa_enabled": False,
    "access_keys": 0,
    "password_present": True,
    "password_last_used": "no_information",
    "access_key_1_active": False,
    "access_key_1_last_used": "N/A",
    "access_key_2_active": False,
    "access_key_2_last_used": "N/A",
}


def _root(account_id):
    with _LOCK:
        return dict(_DEFAULT_ROOT, **_ROOT.get(account_id, {}))


def _flag(value):
    return "true" if value else "false"


def _root_row(account_id):
    r = _root(account_id)
    key1_rotated = "2020-01-01T00:00:00+00:00" if r["access_key_1_active"] else "N/A"
    key2_rotated = "2020-01-01T00:00:00+00:00" if r["access_key_2_active"] else "N/A"
    cells = [
        "<root_account>",
        f"arn:aws:iam::{account_id}:root",
        "2019-01-10T10:00:00+00:00",
        "not_supported",
        r["password_last_used"],
        "not_supported",
        "not_supported",
        _flag(r["mfa_enabled"]),
        _flag(r["access_key_1_active"]),
        key1_rotated,
        r["access_key_1_last_used"],
        "N/A",
        "N/A",
        _flag(r["access_key_2_active"]),
        key2_rotated,
        r["access_key_2_last_used"],
        "N/A",
        "N/A",
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    return ",".join(cells) + "\n"


_original_report = iam_models.IAMBackend.get_credential_report


def _get_credential_report(self):
    report = _original_report(self)
    header, _, users = report.partition("\n")
    return header + "\n" + _root_row(self.account_id) + users


iam_models.IAMBackend.get_credential_report = _get_credential_report

_original_summary = iam_models.AccountSummary.summary_map


def _summary_map(self):
    summary = dict(_original_summary.fget(self))
    r = _root(self._iam_backend.account_id)
    summary["AccountMFAEnabled"] = 1 if r["mfa_enabled"] else 0
    summary["AccountAccessKeysPresent"] = int(r["access_keys"])
    summary["AccountPasswordPresent"] = 1 if r["password_present"] else 0
    return summary


iam_models.AccountSummary.summary_map = property(_summary_map)


from moto.s3 import models as s3_models

_original_list_buckets = s3_models.S3Backend.list_buckets


def _list_buckets(self, prefix, bucket_region, max_buckets):
    return _original_list_buckets(self, prefix, bucket_region, None)


s3_models.S3Backend.list_buckets = _list_buckets


class _Harness:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path == "/_ftr/root-user" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                account = str(body.pop("account_id"))
                unknown = set(body) - set(_DEFAULT_ROOT)
                if unknown:
                    raise ValueError(f"unknown fields: {sorted(unknown)}")
            except (ValueError, KeyError) as err:
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [str(err).encode()]
            with _LOCK:
                _ROOT[account] = body
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        if path == "/moto-api/reset" and method == "POST":
            with _LOCK:
                _ROOT.clear()
        if path.startswith("/v20180820/"):
            return self._s3control(environ, start_response)
        return self.app(environ, start_response)

    _ROOT_ELEMENT = re.compile(rb"<(/?)(\w+)Response(\s+xmlns=\"http://awss3control\.amazonaws\.com/doc/2018-08-20/\")?>")

    def _s3control(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        body = b"".join(self.app(environ, capture))
        def rename(m):
            if m.group(2) == b"Error":  # <ErrorResponse> is right as it is
                return m.group(0)
            return b"<" + m.group(1) + m.group(2) + b"Result" + (m.group(3) or b"") + b">"

        fixed = self._ROOT_ELEMENT.sub(rename, body)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(fixed))))
        start_response(captured["status"], headers)
        return [fixed]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = _Harness(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
