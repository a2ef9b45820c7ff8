"""Spark Connect URLs, the secret token, and the network guard's one controlled exception."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.backend.spark.remote import SparkRemoteError, parse_remote, remote_from

ROOT = Path(__file__).resolve().parents[2]


def test_parse_full_url_and_hide_the_token():
    r = parse_remote("sc://spark.example.internal:443/;token=s3cr3t;use_ssl=true")
    assert r.endpoint == ("spark.example.internal", 443)
    assert r.token == "s3cr3t" and r.use_ssl
    assert "s3cr3t" not in r.display() and "token=***" in r.display()
    assert r.url() == "sc://spark.example.internal:443/;token=s3cr3t;use_ssl=true"
    assert r.without_secrets().token is None


def test_default_port_and_token_from_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_SPARK_TOKEN", "from-env")
    r = parse_remote("sc://localhost")
    assert r.endpoint == ("localhost", 15002) and r.token == "from-env"


def test_remote_from_environment(monkeypatch):
    monkeypatch.delenv("WORKBENCH_SPARK_REMOTE", raising=False)
    assert remote_from(None) is None
    monkeypatch.setenv("WORKBENCH_SPARK_REMOTE", "sc://[::1]:15003/")
    assert remote_from(None).endpoint == ("::1", 15003)
    assert remote_from("sc://h:1").endpoint == ("h", 1)


@pytest.mark.parametrize(
    "bad, words",
    [
        ("http://host:15002", "sc://"),
        ("sc://:15002", "no host"),
        ("sc://host:99999", "port"),
        ("sc://host:abc", "port"),
        ("sc://host/db/x", "path"),
        ("sc://host/;token", "key=value"),
    ],
)
def test_bad_urls_get_clear_messages_without_the_token(bad, words):
    with pytest.raises(SparkRemoteError, match=words):
        parse_remote(bad)


def test_error_message_never_shows_a_token():
    with pytest.raises(SparkRemoteError) as info:
        parse_remote("sc://host:abc/;token=s3cr3t")
    assert "s3cr3t" not in str(info.value)


PROBE = r"""
import json, socket, sys
from workbench import netguard
netguard.install()
out = {}
def attempt(name, addr):
    try:
        sys.audit("socket.connect", socket.socket(socket.AF_INET), addr)
        out[name] = "allowed"
    except netguard.NetworkBlocked:
        out[name] = "blocked"
attempt("before", ("127.0.0.1", 15002))
if sys.argv[1] == "allow":
    netguard.allow_endpoint("localhost", 15002)
attempt("endpoint", ("127.0.0.1", 15002))
attempt("other_port", ("127.0.0.1", 15003))
attempt("other_host", ("10.1.2.3", 15002))
try:
    sys.audit("socket.getaddrinfo", "example.org", 80, 0, 0, 0)
    out["lookup"] = "allowed"
except netguard.NetworkBlocked:
    out["lookup"] = "blocked"
out["allowed"] = netguard.allowed_endpoints()
print(json.dumps(out))
"""


def _probe(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_without_a_configured_endpoint_everything_stays_blocked():
    out = _probe("none")
    assert out["before"] == out["endpoint"] == out["other_port"] == out["other_host"] == "blocked"
    assert out["lookup"] == "blocked" and out["allowed"] == []


def test_a_configured_endpoint_admits_exactly_its_host_and_port():
    out = _probe("allow")
    assert out["before"] == "blocked"
    assert out["endpoint"] == "allowed"
    assert out["other_port"] == "blocked" and out["other_host"] == "blocked" and out["lookup"] == "blocked"
    assert ["127.0.0.1", 15002] in out["allowed"]
